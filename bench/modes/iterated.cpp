// SPDX-License-Identifier: Apache-2.0
// iterated: `steps` applications of a kernel as one run_kernel_iterated call with temporal
// blocking of `steps_per_sync` steps, against the naive loop of run_kernel_parallel calls
// (step_loop); both ping-pong between the same two preallocated buffers.

#include <dashi/execution/iterate.hpp>

#include "../runner.hpp"

namespace dashi_bench {
namespace {

void iterated_row(benchmark::State& state, KernelId kernel, bool step_loop) {
  const Case c{.kernel = kernel,
               .n = std::size_t(state.range(0)),
               .threads = std::size_t(state.range(1)),
               .steps = std::size_t(state.range(2)),
               .sync = step_loop ? 1 : std::size_t(state.range(3))};
  const std::uint64_t ref = globals().inputs->reference(c.key(), kernel, c.steps);
  Input& input = input_of(c.key());
  const dashi::TernaryView in = input.view(kernel);
  const dashi::TernarySpan a = input.span(input.out, kernel), b = input.span(input.spare, kernel);
  dashi::IterateOptions options;
  options.num_workers = c.threads;
  options.steps_per_sync = c.sync;
  dashi::TernaryView last = in;
  const double passes = double((c.steps + c.sync - 1) / c.sync);  // each reads and writes once
  with_kernel(kernel, [&](const auto& k) {
    timed(state, double(c.n * c.steps), 2.0 * double(c.n) * passes, [&](Phases&) {
      if (!step_loop) {
        dashi::run_kernel_iterated(pool(), k, in, c.steps, a, b, options);
        last = a.view();
        return;
      }
      last = in;
      for (std::size_t step = 0; step < c.steps; ++step) {
        dashi::run_kernel_parallel(pool(), k, last, step % 2 == 0 ? a : b, options);
        last = (step % 2 == 0 ? a : b).view();
      }
    });
  });
  check(state, dashi::fingerprint(last) == ref);
}

const Registrar iterated_rows{[](const Tier& tier) {
  for (const KernelId kernel : tier.iterated_kernels) {
    for (const bool step_loop : {true, false}) {
      std::vector<Axis> args;
      for (const std::int64_t n : tier.iterated_sizes) {
        for (const std::int64_t t : tier.iterated_threads) {
          for (const std::int64_t steps : tier.iterated_steps) {
            for (const std::int64_t sync : step_loop ? Axis{1} : tier.iterated_sync) {
              if (sync <= steps) {
                args.push_back({n, t, steps, sync});
              }
            }
          }
        }
      }
      add(
          std::string(step_loop ? "step_loop/" : "iterated/") + kernel_names[int(kernel)] +
              "/random_sparse",
          [=](benchmark::State& s) { iterated_row(s, kernel, step_loop); },
          {"N", "threads", "steps", "steps_per_sync"}, {}, args)
          ->Unit(benchmark::kMillisecond);
    }
  }
}};

}  // namespace
}  // namespace dashi_bench
