# SPDX-License-Identifier: Apache-2.0
"""docs/python.md's "MPI from Python" section matches the code: its example runs as written
under mpiexec, and every `dd.` name it lists exists."""

import os
import re

import numpy as np
from conftest import SOURCE_DIR
from distributed_support import COMM, RANK, SharedDirectory

import dashicore as dc
from dashicore import distributed as dd


def section():
    text = (SOURCE_DIR / "docs" / "python.md").read_text()
    start = text.index("## MPI from Python")
    return text[start : text.index("\n## ", start + 1)]


def test_the_example_runs_as_written():
    code = re.search(r"```python\n(.*?)```", section(), re.S).group(1)
    with SharedDirectory() as directory:
        here = os.getcwd()
        os.chdir(directory)
        try:
            namespace = {}
            exec(compile(code, "docs/python.md", "exec"), namespace)  # noqa: S102
        finally:
            os.chdir(here)
        field = namespace["field"]
        expected = dc.run_kernel_iterated(dc.kernels.Majority3x3(), field, 12)
        assert namespace["changed"] == dc.defect_aggregate(field, expected)
        if RANK == 0:
            assert np.array_equal(namespace["whole"], expected)
            assert np.array_equal(dc.pq.PqFile(os.path.join(directory, "after.pqfs")).read_all(),
                                  expected)
        else:
            assert namespace["whole"] is None
        COMM.Barrier()


def test_every_listed_name_exists():
    names = set(re.findall(r"\bdd\.(\w+)", section()))
    assert names >= {"SlabLayout", "scatter", "gather", "run_kernel_distributed",
                     "run_kernel_iterated_distributed", "defect_aggregate", "write_file",
                     "read_slab", "RemoteError"}
    assert names <= set(dd.__all__), names - set(dd.__all__)
