# SPDX-License-Identifier: Apache-2.0
"""Helpers of the MPI tests of dashicore.distributed (run under mpiexec; every rank runs every
test in the same order, so the collective calls line up)."""

import os
import shutil
import tempfile

import numpy as np
from mpi4py import MPI

COMM = MPI.COMM_WORLD
RANK = COMM.Get_rank()
SIZE = COMM.Get_size()


def rows_of(layout, whole):
    """This rank's rows of a whole-field array."""
    first = layout.first_row()
    return whole[first : first + layout.row_count()]


def same_bytes(a, b):
    """Byte-identical: same dtype (int8), shape and bytes."""
    return a.dtype == np.int8 and b.dtype == np.int8 and a.shape == b.shape and a.tobytes() == b.tobytes()


def uneven_split(rows, thinnest):
    """``thinnest`` rows on every rank but the last, the rest on the last (``rows`` must
    allow it)."""
    split = [thinnest] * (SIZE - 1)
    return split + [rows - sum(split)]


def same_on_every_rank(value):
    """True on every rank when every rank passed an equal value."""
    values = COMM.allgather(value)
    return all(v == values[0] for v in values)


def raised(call):
    """(exception type name, message, the exception) of ``call()``, or (None, None, None)."""
    try:
        call()
    except Exception as error:  # noqa: BLE001  (the tests compare what every rank raised)
        return type(error).__name__, str(error), error
    return None, None, None


class SharedDirectory:
    """A scratch directory made by rank 0 and known to every rank (removed on exit)."""

    def __enter__(self):
        self.path = COMM.bcast(tempfile.mkdtemp(prefix="dashicore-mpi-") if RANK == 0 else None)
        return self.path

    def __exit__(self, *exc):
        COMM.Barrier()
        if RANK == 0:
            shutil.rmtree(self.path, ignore_errors=True)
        return False


def path_in(directory, name):
    return os.path.join(directory, name)
