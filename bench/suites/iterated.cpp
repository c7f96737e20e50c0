// SPDX-License-Identifier: Apache-2.0
// The iterated suite: `steps` applications of a kernel as the naive loop of
// run_kernel_parallel calls and as one run_kernel_iterated call with temporal blocking of
// steps_per_sync steps, both ping-ponging between the two buffers of their input.

#include "../common/iterated.hpp"

#include <dashi/execution/iterate.hpp>

#include "suites.hpp"

namespace dashi_bench {

void add_iterated_rows(const Config& config, const Plan& plan, RowList& rows) {
  if (!mode_on(config, Mode::iterated)) {
    return;
  }
  for (const std::size_t n : plan.iterated_sizes) {
    for (const KernelId kernel : plan.iterated_kernels) {
      for (const std::size_t t : plan.iterated_threads) {
        for (const std::size_t steps : plan.iterated_steps) {
          rows.new_group();
          Row row;
          row.suite = Suite::iterated;
          row.mode = Mode::iterated;
          row.kernel = kernel;
          row.sparsity = 0.5;
          row.n = n;
          row.threads = t;
          row.steps = steps;
          row.backend = Backend::step_loop;
          rows.add(row);
          row.backend = Backend::dashi;
          for (const std::size_t depth : plan.iterated_steps_per_sync) {
            if (depth <= steps) {
              row.steps_per_sync = depth;
              rows.add(row);
            }
          }
        }
      }
    }
  }
}

void run_iterated(benchmark::State& state, const Row& row, Sample& sample) {
  State& g = global();
  const InputKey key = input_key(row);
  const dashi::TernaryView in = g.inputs->view(key, row.kernel);
  const std::uint64_t ref = g.inputs->reference(key, row.kernel, row.steps);
  dashi::ThreadPool& pool = *g.pool;
  dashi::IterateOptions options;
  options.num_workers = row.threads;
  options.block_elems = row.block_elems;
  options.steps_per_sync = row.steps_per_sync;
  const dashi::TernarySpan a = g.inputs->output(key, row.kernel);
  const dashi::TernarySpan b = g.inputs->spare(key, row.kernel);
  dashi::TernaryView last;
  with_kernel(row.kernel, [&](const auto& kernel) {
    timed_loop(state, sample, [&](Phases&) {
      if (row.backend == Backend::step_loop) {
        last = naive_step_loop(pool, kernel, in, row.steps, options, a, b);
      } else {
        dashi::run_kernel_iterated(pool, kernel, in, row.steps, a, b, options);
        last = a.view();
      }
      benchmark::DoNotOptimize(last.data());
    });
  });
  // Each synchronisation reads the field and writes it once.
  const std::size_t passes = row.backend == Backend::step_loop
                                 ? row.steps
                                 : (row.steps + row.steps_per_sync - 1) / row.steps_per_sync;
  sample.bytes_per_iter = 2.0 * static_cast<double>(row.n) * static_cast<double>(passes);
  sample.bits_per_site = 8.0;
  check_output(state, sample, dashi::fingerprint(last), ref);
}

}  // namespace dashi_bench
