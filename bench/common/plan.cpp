// SPDX-License-Identifier: Apache-2.0
// The sweeps: --quick (CI), the default main job (about three minutes on a 2-core machine),
// --full (every axis of the seed) and --large (adds 1e7 and 1e8, and the 2^27 codec rows).

#include <algorithm>

#include "state.hpp"

namespace dashi_bench {

namespace {

void sort_unique(std::vector<std::size_t>& axis) {
  std::sort(axis.begin(), axis.end());
  axis.erase(std::unique(axis.begin(), axis.end()), axis.end());
}

}  // namespace

Plan make_plan(const Config& config) {
  Plan plan;
  const std::size_t hw = hardware_threads();
  const std::size_t many = std::max<std::size_t>(2, hw);
  if (config.quick) {
    plan.tier = "quick";
    plan.sizes = {10000, 1000000};
    plan.threads = {1, many};
    plan.peer_threads = {many};
    plan.kernels = {KernelId::sign_flip, KernelId::left_neighbor};
    plan.workloads = {Workload::random_sparse};
    plan.sparsities = {0.5};
    plan.rule_kernels = {KernelId::rule1d, KernelId::totalistic2d};
    plan.rule_sizes = {100000};
    plan.iterated_kernels = {KernelId::majority3x3};
    plan.iterated_sizes = {100000};
    plan.iterated_threads = {many};
    plan.iterated_steps = {8};
    plan.iterated_steps_per_sync = {1, 4};
    plan.codec_sizes = {std::size_t{1} << 16};
    plan.repetitions = 3;
    plan.dispatch_repetitions = 5;
    plan.min_time = 0.005;
  } else if (config.full) {
    plan.tier = "full";
    plan.sizes = {10000, 100000, 1000000};
    plan.threads = {1, 2, 4, 8, hw};
    plan.peer_threads = {2, 4, 8, hw};
    plan.kernels = {KernelId::sign_flip, KernelId::clamp, KernelId::left_neighbor};
    plan.workloads = {Workload::random_sparse, Workload::clustered_sparse};
    plan.sparsities = {0.0, 0.5, 0.9};
    plan.rule_kernels = {KernelId::rule1d, KernelId::totalistic2d};
    plan.rule_sizes = {10000, 100000, 1000000};
    plan.sweep_blocks = {1024, 16384, 262144};
    plan.sweep_pq_blocks = {1024, 16384, 65536};
    plan.iterated_kernels = {KernelId::sign_flip, KernelId::left_neighbor, KernelId::majority3x3};
    plan.iterated_sizes = {100000, 1000000, 10000000};
    plan.iterated_threads = {1, many};
    plan.iterated_steps = {1, 4, 16, 64};
    plan.iterated_steps_per_sync = {1, 2, 4, 8};
    plan.codec_sizes = {std::size_t{1} << 20};
    plan.repetitions = 3;
    plan.min_time = 0.05;
  } else {
    // The main job: dense vs PQ, one thread vs many, 1e4 to 1e7, the iterated headline.
    plan.tier = "default";
    plan.sizes = {10000, 100000, 1000000, 10000000};
    plan.threads = {1, many};
    plan.peer_threads = {many};
    plan.kernels = {KernelId::sign_flip, KernelId::left_neighbor};
    plan.workloads = {Workload::random_sparse};
    plan.sparsities = {0.5};
    plan.rule_kernels = {KernelId::rule1d, KernelId::totalistic2d};
    plan.rule_sizes = {1000000};
    plan.iterated_kernels = {KernelId::sign_flip, KernelId::left_neighbor, KernelId::majority3x3};
    plan.iterated_sizes = {10000000};
    plan.iterated_threads = {1, many};
    plan.iterated_steps = {64};
    plan.iterated_steps_per_sync = {1, 8};
    plan.codec_sizes = {std::size_t{1} << 20};
    plan.repetitions = 5;
    plan.min_time = 0.02;
  }
  if (config.large) {
    plan.tier += "+large";
    plan.sizes.push_back(10000000);
    plan.sizes.push_back(100000000);
    plan.codec_sizes.push_back(std::size_t{1} << 27);
  }
  if (config.repetitions > 0) {
    plan.repetitions = config.repetitions;
    plan.dispatch_repetitions = std::max(config.repetitions, plan.dispatch_repetitions);
  }
  for (std::vector<std::size_t>* axis : {&plan.sizes, &plan.threads, &plan.peer_threads,
                                         &plan.iterated_threads, &plan.codec_sizes}) {
    sort_unique(*axis);
  }
  plan.peer_threads.erase(std::remove(plan.peer_threads.begin(), plan.peer_threads.end(), 1),
                          plan.peer_threads.end());
  return plan;
}

}  // namespace dashi_bench
