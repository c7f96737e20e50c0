# SPDX-License-Identifier: Apache-2.0
"""The Python examples run and succeed."""

import os
import pathlib
import subprocess
import sys

import dashicore
from conftest import SOURCE_DIR

# The example imports the same dashicore as these tests.
PACKAGE_PARENT = str(pathlib.Path(dashicore.__file__).resolve().parents[1])


def test_majority_fixed_point_example(tmp_path):
    script = SOURCE_DIR / "examples" / "python" / "majority_fixed_point.py"
    done = subprocess.run([sys.executable, str(script), str(tmp_path)], capture_output=True,
                          text=True,
                          env=dict(os.environ, PYTHONPATH=PACKAGE_PARENT))
    assert done.returncode == 0, done.stderr
    assert "fixed point after" in done.stdout and "identical" in done.stdout
    assert (tmp_path / "majority.pqfs").exists()
