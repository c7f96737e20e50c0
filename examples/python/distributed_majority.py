# SPDX-License-Identifier: Apache-2.0
"""A 2-D majority field split over MPI ranks from Python (dashicore.distributed on mpi4py):
rank 0 makes the field and scatters it, the ranks iterate a majority vote together (4 steps
per halo exchange), measure how much changed, checkpoint the field collectively into one PQ-FS
file and read their rows back; rank 0 checks everything against the same run on one process.

    mpiexec -n 3 python3 examples/python/distributed_majority.py [output-dir]

Exits non-zero on a mismatch (on every rank).
"""

import os
import sys
import tempfile
from typing import Any

import numpy as np
from mpi4py import MPI

import dashicore as dc
from dashicore import distributed as dd

ROWS, COLS, STEPS = 600, 400, 12


def main(folder: str, comm: Any) -> bool:
    rank = comm.Get_rank()
    field = None
    if rank == 0:
        rng = np.random.default_rng(2024)
        signs = rng.choice(np.array([-1, 1], dtype=np.int8), size=(ROWS, COLS))
        field = np.where(rng.random((ROWS, COLS)) < 0.7, signs, 0).astype(np.int8)

    # Who owns which rows (balanced), then each rank gets its own rows of rank 0's field.
    layout = dd.SlabLayout(comm, (ROWS, COLS))
    local = dd.scatter(layout, field)

    # Iterate together: each rank runs its rows on its own threads, 4 steps per exchange.
    majority = dc.kernels.Majority3x3()
    after = dd.run_kernel_iterated_distributed(layout, majority, local, STEPS, steps_per_sync=4)
    changed = dd.defect_aggregate(layout, local, after)  # the same total on every rank
    print(f"rank {rank}: rows {layout.first_row()}..{layout.first_row() + layout.row_count()}"
          f" of {ROWS}, {np.count_nonzero(after)} supported sites after {STEPS} steps",
          flush=True)

    # Checkpoint collectively (no gather), then read this rank's rows back.
    path = os.path.join(folder, "distributed_majority.pqfs")
    dd.write_file(layout, path, after)
    restored = dd.read_slab(layout, path)
    ok = np.array_equal(restored, after)

    whole = dd.gather(layout, after)  # the whole field on rank 0, None elsewhere
    if rank == 0:
        assert field is not None and whole is not None  # rank 0 made the field and gathers
        expected = dc.run_kernel_iterated(majority, field, STEPS)
        ok = ok and whole.tobytes() == expected.tobytes()
        ok = ok and changed == dc.defect_aggregate(field, expected)
        single = os.path.join(folder, "single_process.pqfs")
        dc.pq.write_file(single, expected)
        with open(path, "rb") as a, open(single, "rb") as b:
            ok = ok and a.read() == b.read()
        print(f"{layout.size} ranks: {changed} site changes in {STEPS} steps; result and "
              f"checkpoint {'identical' if ok else 'DIFFERENT'} to one process", flush=True)
    return bool(comm.allreduce(0 if ok else 1, op=MPI.MAX) == 0)


if __name__ == "__main__":
    world = MPI.COMM_WORLD
    if len(sys.argv) > 1:
        success = main(sys.argv[1], world)
    else:
        scratch = world.bcast(tempfile.mkdtemp() if world.Get_rank() == 0 else None)
        success = main(scratch, world)
        world.Barrier()
        if world.Get_rank() == 0:
            for name in os.listdir(scratch):
                os.remove(os.path.join(scratch, name))
            os.rmdir(scratch)
    sys.exit(0 if success else 1)
