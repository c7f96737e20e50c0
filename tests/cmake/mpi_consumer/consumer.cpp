// SPDX-License-Identifier: Apache-2.0
// A downstream MPI program written only against the public names of <dashi/distributed/mpi.hpp>:
// it must build against the installed package and get, on every rank, rows byte-identical to
// the single-process result.
#include <mpi.h>

#include <cstdio>
#include <dashi/distributed/mpi.hpp>
#include <vector>

int main(int argc, char** argv) {
  int provided = 0;
  MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided);
  int failed = 0;
  {
    std::vector<std::int8_t> values(120 * 90);
    for (std::size_t i = 0; i < values.size(); ++i) {
      values[i] = static_cast<std::int8_t>(static_cast<int>((i * 7919U) % 3U) - 1);
    }
    const auto global = dashi::TernaryField::from_signed(values, dashi::Shape{120, 90});
    const dashi::mpi::SlabLayout layout(MPI_COMM_WORLD, global.shape());
    const dashi::TernaryField local = dashi::mpi::scatter(layout, global);
    const dashi::TernaryView mine = global.rows(layout.first_row(), layout.row_count());
    if (!(local.view() == mine)) {
      std::fprintf(stderr, "rank %d: scattered rows differ\n", layout.rank());
      failed = 1;
    }
    // The executor: every rank's rows equal the single-process result.
    const dashi::kernels::Majority3x3 kernel;
    const dashi::TernaryField reference = dashi::apply_kernel(kernel, global);
    const dashi::TernaryField result = dashi::mpi::run_kernel_distributed(
        layout, kernel, local, {.num_workers = 1 + static_cast<std::size_t>(layout.rank()) % 2});
    if (!(result.view() == reference.rows(layout.first_row(), layout.row_count()))) {
      std::fprintf(stderr, "rank %d: distributed rows differ from the single-process result\n",
                   layout.rank());
      failed = 1;
    }
    const dashi::TernaryField back = dashi::mpi::gather(layout, local);
    if (layout.rank() == 0 && !(back == global)) {
      std::fprintf(stderr, "gathered field differs\n");
      failed = 1;
    }
  }
  MPI_Allreduce(MPI_IN_PLACE, &failed, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
  MPI_Finalize();
  if (failed == 0) {
    std::puts("dashicore::mpi consumer: ok");
  }
  return failed;
}
