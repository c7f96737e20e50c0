# SPDX-License-Identifier: Apache-2.0
"""A 2-D majority field iterated to its fixed point, checkpointed to a PQ-FS file and read
back.

    python3 examples/python/majority_fixed_point.py [checkpoint-dir]
"""

import pathlib
import sys
import tempfile

import numpy as np

import dashicore as dc


def main(folder: str) -> None:
    rng = np.random.default_rng(2024)
    rows, cols = 1024, 768
    signs = rng.choice(np.array([-1, 1], dtype=np.int8), size=(rows, cols))
    field = np.where(rng.random((rows, cols)) < 0.7, signs, 0).astype(np.int8)

    # Iterate Majority3x3 until an application changes nothing (4 steps per synchronisation).
    majority = dc.kernels.Majority3x3()
    fixed, steps, converged = dc.iterate_to_fixed_point(majority, field, 500, steps_per_sync=4)
    assert converged and dc.defect_aggregate(fixed, dc.run_kernel_parallel(majority, fixed)) == 0
    print(f"fixed point after {steps} steps: {np.count_nonzero(fixed)} supported sites "
          f"(from {np.count_nonzero(field)}), fingerprint {dc.fingerprint(fixed):016x}")

    # Checkpoint it, streaming rows into a PQ-FS file: the file appears only once complete.
    path = pathlib.Path(folder) / "majority.pqfs"
    with dc.pq.FileWriter(path, fixed.shape, sb_bytes=65536) as writer:
        for first in range(0, rows, 100):
            writer.append(fixed[first : first + 100])
    print(f"checkpoint {path.name}: {path.stat().st_size} bytes for {fixed.size} sites")

    # Read it back, whole and by rows.
    checkpoint = dc.pq.PqFile(path)
    restored = checkpoint.read_all()
    assert checkpoint.shape == fixed.shape and np.array_equal(restored, fixed)
    assert np.array_equal(checkpoint.read_rows(500, 10), fixed[500:510])
    # The restored field is still a fixed point.
    assert np.array_equal(dc.run_kernel_parallel(majority, restored), restored)
    print("read back: identical, still a fixed point")


if __name__ == "__main__":
    if len(sys.argv) > 1:
        main(sys.argv[1])
    else:
        with tempfile.TemporaryDirectory() as folder:
            main(folder)
