// SPDX-License-Identifier: Apache-2.0
// The dense suite: the shipped kernel on the calling thread (dense-1t), through the
// executor (dense-mt), and its peers, which run the very same inner loop (`apply_rows`)
// serially over the executor's blocks or under OpenMP, oneTBB and std::execution::par;
// the plain loops a user writes as rows of their own; memcpy for the copy bandwidth.

#include <cstring>
#include <dashi/execution/cpu_parallel.hpp>
#include <dashi/partition.hpp>

#include "../peers/plain.hpp"
#include "../peers/runtimes.hpp"
#include "../peers/same_loop.hpp"
#include "suites.hpp"

namespace dashi_bench {

namespace {

[[nodiscard]] peers::Runtime runtime_of(Backend b) {
  switch (b) {
    case Backend::tbb:
      return peers::Runtime::tbb;
    case Backend::tbb_static:
      return peers::Runtime::tbb_static;
    case Backend::std_par:
      return peers::Runtime::std_par;
    default:
      return peers::Runtime::omp;
  }
}

/// The rows of one input and kernel: dense-1t, the serial peers, and at every thread count
/// dense-mt and the runtime peers.
void add_group(const Config& config, const Plan& plan, RowList& rows, const Row& base,
               bool with_copy) {
  const bool dense_1t = mode_on(config, Mode::dense_1t);
  const bool dense_mt = mode_on(config, Mode::dense_mt);
  if (!dense_1t && !dense_mt) {
    return;
  }
  rows.new_group();
  {
    Row row = base;
    row.mode = Mode::dense_1t;
    rows.add(row);  // first: the other rows' speedup is over its time
    row.backend = Backend::serial;
    rows.add(row);
    if (has_plain_loop(base.kernel)) {
      row.backend = Backend::plain;
      rows.add(row);
    }
  }
  if (with_copy) {
    Row row;
    row.suite = Suite::dispatch;
    row.backend = Backend::memcpy;
    row.copy = true;
    row.n = base.n;
    row.workload = base.workload;
    row.sparsity = base.sparsity;
    rows.add(row);
  }
  if (!dense_mt) {
    return;
  }
  for (const std::size_t t : plan.threads) {
    Row row = base;
    row.mode = Mode::dense_mt;
    row.threads = t;
    rows.add(row);
  }
  for (const std::size_t t : plan.peer_threads) {
    Row row = base;
    row.mode = Mode::dense_mt;
    row.threads = t;
    for (const Backend b : {Backend::omp, Backend::tbb, Backend::tbb_static, Backend::std_par}) {
      if (peers::available(runtime_of(b))) {
        row.backend = b;
        rows.add(row);
      }
    }
    if (has_plain_loop(base.kernel) && peers::available(peers::Runtime::omp)) {
      row.backend = Backend::omp_plain;
      rows.add(row);
    }
  }
}

}  // namespace

void add_dense_rows(const Config& config, const Plan& plan, RowList& rows) {
  for (const Workload workload : plan.workloads) {
    for (const std::size_t n : plan.sizes) {
      for (const double sparsity : plan.sparsities) {
        bool first = true;
        for (const KernelId kernel : plan.kernels) {
          Row base;
          base.workload = workload;
          base.n = n;
          base.sparsity = sparsity;
          base.kernel = kernel;
          const bool with_copy =
              first && workload == plan.workloads.front() && sparsity == plan.sparsities.front();
          add_group(config, plan, rows, base, with_copy);
          first = false;
        }
      }
    }
  }
  for (const KernelId kernel : plan.rule_kernels) {
    if (!kernel_available(kernel)) {
      continue;
    }
    for (const std::size_t n : plan.rule_sizes) {
      Row base;
      base.kernel = kernel;
      base.n = n;
      base.sparsity = 0.5;
      add_group(config, plan, rows, base, false);
    }
  }
  if (mode_on(config, Mode::dense_mt) && !plan.sweep_blocks.empty()) {
    // Executor block size: one kernel, one input, every thread count, all blocks interleaved.
    rows.new_group();
    for (const std::size_t block : plan.sweep_blocks) {
      for (const std::size_t t : plan.threads) {
        Row row;
        row.suite = Suite::block_sweep;
        row.mode = Mode::dense_mt;
        row.n = plan.block_sweep_n;
        row.sparsity = 0.5;
        row.threads = t;
        row.block_elems = block;
        rows.add(row);
      }
    }
  }
}

void run_dense(benchmark::State& state, const Row& row, Sample& sample) {
  State& g = global();
  const InputKey key = input_key(row);
  const dashi::TernaryView in = g.inputs->view(key, row.kernel);
  const dashi::TernarySpan out = g.inputs->output(key, row.kernel);
  if (row.copy) {
    timed_loop(state, sample, [&](Phases&) {
      std::memcpy(out.data(), in.data(), in.size());
      benchmark::DoNotOptimize(out.data());
    });
    sample.bytes_per_iter = 2.0 * static_cast<double>(row.n);
    return;
  }
  const std::uint64_t ref = g.inputs->reference(key, row.kernel);
  const dashi::ParallelOptions options{.num_workers = row.threads, .block_elems = row.block_elems};
  dashi::ThreadPool& pool = *g.pool;
  with_kernel(row.kernel, [&](const auto& kernel) {
    const dashi::Partition partition(in.shape(), row.block_elems);
    auto once = [&](Phases&) {
      switch (row.backend) {
        case Backend::dashi:
          if (row.mode == Mode::dense_1t) {
            kernel(in, out);
          } else {
            dashi::run_kernel_parallel(pool, kernel, in, out, options);
          }
          break;
        case Backend::serial:
          for (std::size_t i = 0; i < partition.block_count(); ++i) {
            const dashi::Block block = partition.block(i, 0);
            peers::apply_rows(kernel, in, out, block.first_row, block.row_count);
          }
          break;
        case Backend::plain:
          peers::plain_serial(row.kernel, in.data(), out.data(), in.size());
          break;
        case Backend::omp_plain:
          peers::plain_omp(row.kernel, in.data(), out.data(), in.size(),
                           static_cast<int>(row.threads));
          break;
        default:
          peers::run_same_loop(runtime_of(row.backend), row.kernel, in, out, row.threads);
          break;
      }
      benchmark::DoNotOptimize(out.data());
    };
    timed_loop(state, sample, once);
  });
  sample.bytes_per_iter = 2.0 * static_cast<double>(row.n);
  sample.bits_per_site = 8.0;
  check_output(state, sample, dashi::fingerprint(out.view()), ref);
}

}  // namespace dashi_bench
