// SPDX-License-Identifier: Apache-2.0
// The dispatch suite: what it costs to start and join parallel work that does nothing —
// run_kernel_parallel of an empty kernel (N = 2^16 in 2 blocks, 2 threads: the caller and
// one warm worker) beside an empty OpenMP region and an empty oneTBB parallel_for of 2 threads.

#include <dashi/execution/cpu_parallel.hpp>

#include "../peers/runtimes.hpp"
#include "suites.hpp"

namespace dashi_bench {

namespace {

/// An into-kernel that does nothing: what is left is dispatch and join.
struct EmptyKernel {
  void operator()(dashi::TernaryView /*in*/, dashi::TernarySpan /*out*/) const noexcept {}
};

}  // namespace

void add_dispatch_rows(const Config& config, const Plan& plan, RowList& rows) {
  (void)plan;
  if (!mode_on(config, Mode::dense_mt)) {
    return;
  }
  rows.new_group();
  Row row;
  row.suite = Suite::dispatch;
  row.mode = Mode::dense_mt;
  row.dispatch_empty = true;
  row.n = std::size_t{1} << 16;
  row.block_elems = std::size_t{1} << 15;
  row.threads = 2;
  rows.add(row);
  row.block_elems = 0;
  if (peers::available(peers::Runtime::omp)) {
    row.backend = Backend::omp;
    rows.add(row);
  }
  if (peers::available(peers::Runtime::tbb_static)) {
    row.backend = Backend::tbb_static;
    rows.add(row);
  }
}

void run_dispatch(benchmark::State& state, const Row& row, Sample& sample) {
  State& g = global();
  if (row.backend == Backend::dashi) {
    const dashi::TernaryField in = dashi::TernaryField::zeros(dashi::Shape{row.n});
    dashi::TernaryField out = dashi::TernaryField::zeros(dashi::Shape{row.n});
    const dashi::ParallelOptions options{
        .num_workers = row.threads, .block_elems = row.block_elems, .check_contract = false};
    dashi::ThreadPool& pool = *g.pool;
    const EmptyKernel kernel;
    timed_loop(state, sample, [&](Phases&) {
      dashi::run_kernel_parallel(pool, kernel, in.view(), out.span(), options);
    });
    return;
  }
  const peers::Runtime runtime =
      row.backend == Backend::omp ? peers::Runtime::omp : peers::Runtime::tbb_static;
  timed_loop(state, sample, [&](Phases&) { peers::run_empty(runtime, row.threads); });
}

}  // namespace dashi_bench
