# SPDX-License-Identifier: Apache-2.0
"""Checking a kernel: the library's parallelism tests, run on any kernel of the module.

``check_kernel(kernel, seed=0, max_sites=65536)`` runs ``kernel`` (a shipped or rule kernel,
``compose(...)``, a ``PythonKernel`` or a plain callable) on seeded random fields of every rank
1-4 and raises ``AssertionError`` (so pytest shows it as a failed assertion) naming the
property, the shape, the options of the failing run, the first differing site and both values
when the executors' result depends on the block size, worker count, order or boundary (a
radius declared too small), when two runs on the same input differ, or when the kernel breaks
the contract (creates support, writes a value outside {-1, 0, 1}, changes the shape). A
``ValueError`` from the kernel marks a shape it does not support (skipped); its other
exceptions pass unchanged.

    def test_my_kernel():
        dc.testing.check_kernel(dc.PythonKernel(my_fn, radius=1))
"""

from ._core import testing as _native

check_kernel = _native.check_kernel

__all__ = ["check_kernel"]
