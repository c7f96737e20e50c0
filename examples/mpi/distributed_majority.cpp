// SPDX-License-Identifier: Apache-2.0
// A 2-D majority field split over MPI ranks: each rank builds only its own rows, the ranks
// iterate a majority vote together (2 steps per halo exchange), measure how much changed,
// checkpoint the field collectively into one PQ-FS file, and a single process reads the file
// back and checks it against the same iteration run on one process.
// Run: mpiexec -n 4 ./example_mpi_distributed_majority [output directory]
// Exits non-zero on any mismatch (on every rank).
#include <mpi.h>

#include <cstdint>
#include <cstdio>
#include <dashi/execution/iterate.hpp>
#include <dashi/mpi.hpp>
#include <dashi/pq/file.hpp>
#include <filesystem>
#include <string>
#include <vector>

namespace {

constexpr std::size_t rows = 600;
constexpr std::size_t cols = 400;
constexpr std::size_t steps = 12;

/// Site (r, c) of the initial field: a deterministic pattern, so that any process can build
/// any rows of it.
std::int8_t initial_site(std::size_t r, std::size_t c) {
  const std::uint64_t h = (r * 0x9E3779B97F4A7C15ULL) ^ (c * 0xC2B2AE3D27D4EB4FULL);
  const std::uint64_t mixed = (h ^ (h >> 29)) * 0xBF58476D1CE4E5B9ULL;
  return static_cast<std::int8_t>(static_cast<int>((mixed >> 40) % 3) - 1);
}

/// Rows [first, first + count) of the initial field.
dashi::TernaryField initial_rows(std::size_t first, std::size_t count) {
  std::vector<std::int8_t> values(count * cols);
  for (std::size_t r = 0; r < count; ++r) {
    for (std::size_t c = 0; c < cols; ++c) {
      values[r * cols + c] = initial_site(first + r, c);
    }
  }
  return dashi::TernaryField::from_signed(values, dashi::Shape{count, cols});
}

}  // namespace

int main(int argc, char** argv) {
  int provided = 0;
  MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided);
  int failed = 0;
  try {
    const std::filesystem::path dir = argc > 1 ? argv[1] : ".";
    const std::filesystem::path path = dir / "distributed_majority.pqfs";

    // Rows split evenly over the ranks; each rank builds only its own.
    const dashi::mpi::SlabLayout layout(MPI_COMM_WORLD, dashi::Shape{rows, cols});
    const dashi::TernaryField local = initial_rows(layout.first_row(), layout.row_count());

    // Iterate: one halo exchange of 2 rows every 2 steps, the field wrapping around axis 0.
    dashi::IterateOptions options;
    options.steps_per_sync = 2;
    options.boundary = dashi::Boundary::periodic;
    const dashi::TernaryField result = dashi::mpi::run_kernel_iterated_distributed(
        layout, dashi::kernels::Majority3x3{}, local, steps, options);
    const std::uint64_t changed = dashi::mpi::defect_aggregate(layout, local, result);

    // Checkpoint collectively: one file, written without gathering the field.
    dashi::mpi::write_file(layout, path, result, {.sb_bytes = 65536});

    if (layout.rank() == 0) {
      // One process reads the checkpoint and compares it with a single-process run.
      const dashi::pq::PqFile file(path);
      const dashi::TernaryField checkpoint = file.read_all();
      const dashi::TernaryField expected = dashi::run_kernel_iterated(
          dashi::kernels::Majority3x3{}, initial_rows(0, rows), steps, options);
      const std::uint64_t expected_changed =
          dashi::defect_aggregate(initial_rows(0, rows), expected);
      if (!(checkpoint == expected) || changed != expected_changed) {
        std::fprintf(stderr,
                     "mismatch: checkpoint %s the single-process run; defect %llu vs %llu\n",
                     checkpoint == expected ? "equals" : "differs from",
                     static_cast<unsigned long long>(changed),
                     static_cast<unsigned long long>(expected_changed));
        failed = 1;
      } else {
        std::printf(
            "%d ranks, %zu steps: defect %llu, checkpoint of %llu bytes (%llu supported "
            "sites) equals the single-process run\n",
            layout.size(), steps, static_cast<unsigned long long>(changed),
            static_cast<unsigned long long>(std::filesystem::file_size(path)),
            static_cast<unsigned long long>(file.support_count()));
      }
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    failed = 1;
  }
  MPI_Allreduce(MPI_IN_PLACE, &failed, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
  MPI_Finalize();
  return failed;
}
