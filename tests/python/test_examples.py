# SPDX-License-Identifier: Apache-2.0
"""The Python examples run and succeed."""

import os
import subprocess
import sys

from conftest import SOURCE_DIR


def test_majority_fixed_point_example(tmp_path):
    script = SOURCE_DIR / "examples" / "python" / "majority_fixed_point.py"
    done = subprocess.run([sys.executable, str(script), str(tmp_path)], capture_output=True,
                          text=True, env=dict(os.environ))
    assert done.returncode == 0, done.stderr
    assert "fixed point after" in done.stdout and "identical" in done.stdout
    assert (tmp_path / "majority.pqfs").exists()
