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
  Input& input = globals().inputs->get(c.key());
  const dashi::TernaryView in = input.view(kernel);
  dashi::TernarySpan a = input.span(input.out, kernel);
  dashi::TernarySpan b = input.span(input.spare, kernel);
  dashi::IterateOptions options;
  options.num_workers = c.threads;
  options.steps_per_sync = c.sync;
  dashi::TernaryView last = in;
  // Each synchronisation reads the field and writes it once.
  const double passes = double((c.steps + c.sync - 1) / c.sync);
  with_kernel(kernel, [&](const auto& k) {
    timed(state, double(c.n * c.steps), 2.0 * double(c.n) * passes, [&](Phases&) {
      if (step_loop) {
        last = in;
        for (std::size_t step = 0; step < c.steps; ++step) {
          dashi::run_kernel_parallel(*globals().pool, k, last, step % 2 == 0 ? a : b, options);
          last = (step % 2 == 0 ? a : b).view();
        }
      } else {
        dashi::run_kernel_iterated(*globals().pool, k, in, c.steps, a, b, options);
        last = a.view();
      }
    });
  });
  check(state, dashi::fingerprint(last), ref);
}

void iterated_rows(const Tier& tier) {
  for (const KernelId kernel : tier.iterated_kernels) {
    for (const bool step_loop : {true, false}) {
      const std::string name = std::string(step_loop ? "step_loop/" : "iterated/") +
                               kernel_names[int(kernel)] + "/random_sparse";
      auto* bench = benchmark::RegisterBenchmark(
          name.c_str(), [=](benchmark::State& s) { iterated_row(s, kernel, step_loop); });
      bench->ArgNames({"N", "threads", "steps", "steps_per_sync"})
          ->UseRealTime()
          ->Unit(benchmark::kMillisecond);
      for (const std::int64_t n : tier.iterated_sizes) {
        for (const std::int64_t t : tier.iterated_threads) {
          for (const std::int64_t steps : tier.iterated_steps) {
            for (const std::int64_t sync :
                 step_loop ? std::vector<std::int64_t>{1} : tier.iterated_sync) {
              if (sync <= steps) {
                bench->Args({n, t, steps, sync});
                globals().planned += globals().repetitions;
              }
            }
          }
        }
      }
    }
  }
}
DASHI_BENCH_REGISTER(iterated_rows);

}  // namespace
}  // namespace dashi_bench
