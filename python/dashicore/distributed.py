# SPDX-License-Identifier: Apache-2.0
"""MPI from Python: dashicore's distributed executor on mpi4py communicators.

Axis 0 of a global field is split into rank-owned slabs (``SlabLayout``) and the module's
kernels run with the same guarantee as on one process: every rank's result equals the
matching rows of ``dashicore.run_kernel_parallel`` (or ``run_kernel_iterated``) on the whole
field, byte for byte, for any number of ranks, split, ``num_workers`` and ``block_elems``.

Every function is collective over the layout's communicator (call it on every rank, in the
same order) and releases the GIL while C++ runs. Errors never hang the job: an argument
refused on some rank (a wrong dtype, a value that is not a trit, a bad option, a slab of the
wrong shape) raises the same exception on every rank; when a kernel fails, the rank owning the
first failing block raises its own exception (a Python kernel's exception keeps its type) and
every other rank raises ``RemoteError``. See docs/python.md, "MPI from Python".

    from mpi4py import MPI
    import dashicore as dc
    from dashicore import distributed as dd

    layout = dd.SlabLayout(MPI.COMM_WORLD, (1024, 1024))
    local = dd.scatter(layout, field)            # field read on rank 0 only
    local = dd.run_kernel_iterated_distributed(layout, dc.kernels.Majority3x3(), local, 10)
    whole = dd.gather(layout, local)             # the whole field on rank 0, None elsewhere

Needs the extension ``dashicore._distributed``, built when MPI and mpi4py (Debian:
python3-mpi4py) were found at build time; without it this import raises ImportError.
"""

try:
    from mpi4py import MPI as _MPI  # noqa: F401  (initialises MPI before the extension loads)
except ImportError as error:
    raise ImportError(
        "dashicore.distributed needs mpi4py (Debian: apt-get install python3-mpi4py): " + str(error)
    ) from error

from . import _core  # noqa: F401  (registers the kernel and array types first)

try:
    from . import _distributed
except ImportError as error:
    raise ImportError(
        "dashicore.distributed is not available: this dashicore was built without its MPI "
        "extension (dashicore._distributed, built by CMake when MPI and mpi4py with its C "
        "headers are found; Debian: libopenmpi-dev, python3-mpi4py): " + str(error)
    ) from error

from ._distributed import (  # noqa: E402
    RemoteError,
    SlabLayout,
    defect_aggregate,
    gather,
    read_slab,
    run_kernel_distributed,
    run_kernel_iterated_distributed,
    scatter,
    write_file,
)

__all__ = [
    "RemoteError",
    "SlabLayout",
    "defect_aggregate",
    "gather",
    "read_slab",
    "run_kernel_distributed",
    "run_kernel_iterated_distributed",
    "scatter",
    "write_file",
]
