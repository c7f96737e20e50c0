# SPDX-License-Identifier: Apache-2.0
"""dashicore without its MPI part: `import dashicore` works, and `import
dashicore.distributed` raises an ImportError saying what is missing (checked in fresh
interpreters where mpi4py or the extension cannot be imported)."""

import os
import pathlib
import subprocess
import sys

import dashicore

PACKAGE_PARENT = str(pathlib.Path(dashicore.__file__).resolve().parents[1])

SCRIPT = """
import sys
sys.modules[{blocked!r}] = None          # as if it were not installed / not built
import numpy as np, dashicore as dc
assert (dc.run_kernel_parallel(dc.kernels.SignFlip(), np.ones(3, np.int8)) == -1).all()
try:
    import dashicore.distributed
except ImportError as error:
    print("ImportError:", error)
else:
    print("imported")
"""


def run_blocking(module):
    done = subprocess.run([sys.executable, "-c", SCRIPT.format(blocked=module)],
                          capture_output=True, text=True,
                          env=dict(os.environ, PYTHONPATH=PACKAGE_PARENT))
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_without_mpi4py_the_import_error_names_the_package():
    out = run_blocking("mpi4py")
    assert "ImportError: dashicore.distributed needs mpi4py" in out, out
    assert "python3-mpi4py" in out


def test_without_the_extension_the_import_error_says_it_was_not_built():
    out = run_blocking("dashicore._distributed")
    assert "ImportError: dashicore.distributed is not available" in out, out
    assert "built without its MPI extension" in out
