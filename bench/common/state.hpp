// SPDX-License-Identifier: Apache-2.0
#pragma once

/// @file
/// The bench's shared state: the configuration and plan, the pool, the input cache, the
/// rows with the samples of their repetitions, and the timed-loop helper every suite uses
/// (quiesce, warm-up, timed loop, fingerprint check), so that all rows are measured alike.

#include <benchmark/benchmark.h>

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <dashi/execution/thread_pool.hpp>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "inputs.hpp"
#include "measure.hpp"
#include "row.hpp"

namespace dashi_bench {

/// Our command-line flags (removed from argv before `benchmark::Initialize`).
struct Config {
  std::array<bool, mode_count> modes{true, true, true, true, true};
  bool quick = false;
  bool full = false;
  bool large = false;
  std::string jsonl;
  std::uint64_t seed = 0;
  int repetitions = 0;         ///< 0: the plan's
  double noisy_spread = 0.25;  ///< (max - min) / median of the repetitions above this: noisy
  double noisy_load = 0.25;    ///< others' share of the CPUs above this: noisy
  bool user_min_time = false;
  std::string console_format = "console";
  std::string filter;  ///< --benchmark_filter, for the progress count
};

[[nodiscard]] inline bool mode_on(const Config& config, Mode m) {
  return config.modes[static_cast<std::size_t>(m)];
}

/// Which rows run and how long each repetition is timed.
struct Plan {
  std::vector<std::size_t> sizes;         ///< dense and PQ sweep
  std::vector<std::size_t> threads;       ///< thread counts of the mt rows
  std::vector<std::size_t> peer_threads;  ///< thread counts of the runtime peers
  std::vector<KernelId> kernels;          ///< dense and PQ sweep
  std::vector<Workload> workloads;
  std::vector<double> sparsities;
  std::vector<KernelId> rule_kernels;  ///< dense rows of the rule kernels
  std::vector<std::size_t> rule_sizes;
  std::vector<std::size_t> sweep_blocks;       ///< executor blocks of the block sweep
  std::vector<std::uint32_t> sweep_pq_blocks;  ///< codec blocks of the block sweep
  std::size_t block_sweep_n = 1000000;
  std::vector<KernelId> iterated_kernels;
  std::vector<std::size_t> iterated_sizes;
  std::vector<std::size_t> iterated_threads;
  std::vector<std::size_t> iterated_steps;
  std::vector<std::size_t> iterated_steps_per_sync;
  std::vector<std::size_t> codec_sizes;  ///< single-core codec rows
  int repetitions = 5;
  int dispatch_repetitions = 15;
  double min_time = 0.02;
  std::string tier;  ///< quick, default, full (+ large)
};

[[nodiscard]] Plan make_plan(const Config& config);

/// Per-call phase times accumulated over a timed loop (seconds).
struct Phases {
  double encode = 0.0;
  double kernel = 0.0;
  double decode = 0.0;
};

/// What one repetition of a row measured (its last Google Benchmark run).
struct Sample {
  std::int64_t iterations = 0;
  double wall_s = 0.0;  ///< the timed loop
  Phases phases;
  bool phased = false;  ///< phases measured separately (PQ roundtrip rows)
  double bytes_per_iter = 0.0;
  std::optional<double> bits_per_site;
  std::optional<double> entropy_bits;
  std::optional<std::uint64_t> hash_out;
  std::uint64_t hash_ref = 0;
  double quiesce_ms = 0.0;
  CpuSnapshot before;
  CpuSnapshot after;
  double thread_cpu_s = 0.0;  ///< CPU time of the calling thread in the timed loop
  double loadavg = -1.0;
  bool error = false;
  std::string error_message;

  [[nodiscard]] double per_call_s() const noexcept {
    return iterations > 0 ? wall_s / static_cast<double>(iterations) : 0.0;
  }
};

/// A row's result over its repetitions (filled when its group has finished).
struct Summary {
  bool done = false;
  bool error = false;
  bool mismatch = false;
  std::string error_message;
  double median_ms = 0.0;
  double min_ms = 0.0;
  double max_ms = 0.0;
  double spread = 0.0;         ///< (max - min) / median
  double others_share = -1.0;  ///< other processes' share of the CPUs while the row ran
  double loadavg = -1.0;       ///< median 1-minute load average
  double quiesce_ms = 0.0;     ///< longest wait for idle threads before a repetition
  double cpu_share = -1.0;     ///< calling thread's CPU time / wall time (median)
  bool noisy = false;
  std::string noisy_reason;
  std::optional<double> speedup;  ///< reference time / this row's median
  Phases phases_ms;               ///< medians per call
  std::vector<double> runs_ms;
};

struct RowRecord {
  Row row;
  std::vector<Sample> samples;
  Summary summary;
};

struct State {
  Config config;
  Plan plan;
  std::unique_ptr<dashi::ThreadPool> pool;
  std::unique_ptr<InputCache> inputs;
  std::vector<RowRecord> rows;
  std::size_t current_row = 0;  ///< the row whose body ran last
  Sample current;               ///< what it measured
  bool failed = false;          ///< a mismatch or an error: the process exits non-zero
};

State& global();

[[nodiscard]] inline InputKey input_key(const Row& row) {
  return {row.workload, row.n, row.sparsity};
}

/// The timed loop every row uses: waits for idle threads, runs `once` untimed (warm-up:
/// pages touched, workers awake, arenas created), then Google Benchmark's loop of `once`,
/// timed with the steady clock, with CPU snapshots around it. `once(Phases&)` adds its
/// phase times when it measures them.
template <class Once>
void timed_loop(benchmark::State& state, Sample& sample, Once&& once) {
  sample.quiesce_ms = quiesce();
  Phases warm;
  once(warm);
  sample.phases = {};
  sample.before = cpu_snapshot();
  const double cpu0 = thread_cpu_seconds();
  const auto t0 = std::chrono::steady_clock::now();
  for (auto _ : state) {
    once(sample.phases);
    benchmark::ClobberMemory();
  }
  sample.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  sample.thread_cpu_s = thread_cpu_seconds() - cpu0;
  sample.after = cpu_snapshot();
  sample.iterations = static_cast<std::int64_t>(state.iterations());
  sample.loadavg = load_average();
}

/// Records the output fingerprint; a mismatch skips the row with an error (the process
/// will exit non-zero). Returns true on a match.
bool check_output(benchmark::State& state, Sample& sample, std::uint64_t out, std::uint64_t ref);

/// Sets the Google Benchmark counters of a sample (for `--benchmark_out` JSON readers).
void set_counters(benchmark::State& state, const Row& row, const Sample& sample);

}  // namespace dashi_bench
