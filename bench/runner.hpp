// SPDX-License-Identifier: Apache-2.0
#pragma once

/// @file
/// The one way every row is run: the tier's axes, registration from tables (`families` for
/// the kernel sweep, `add` for any other rows, both through a static `Registrar`), and
/// `timed`: wait for idle threads, one untimed warm-up call, Google Benchmark's timed loop, the
/// counters; `checked` adds the reference fingerprint check (`SkipWithError` on a mismatch).

#include <benchmark/benchmark.h>
#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <dashi/execution/thread_pool.hpp>
#include <functional>
#include <iostream>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "inputs.hpp"

namespace dashi_bench {

using Axis = std::vector<std::int64_t>;

/// The axes of a run: --quick, the default main job, --full, and --large on top of either.
struct Tier {
  std::string name;
  Axis sizes, threads, peer_threads, sparsity_pct, rule_sizes, codec_sizes;
  std::vector<KernelId> kernels, rule_kernels, iterated_kernels;
  std::vector<Workload> workloads;
  Axis iterated_sizes, iterated_threads, iterated_steps, iterated_sync;
  Axis sweep_blocks, sweep_pq_blocks;  ///< block sweeps (--full)
};

/// What one instance runs on, read from its name's parts and arguments.
struct Case {
  KernelId kernel = KernelId::sign_flip;
  Workload workload = Workload::random_sparse;
  std::size_t n = 0, threads = 1, block = 0, steps = 1, sync = 1;
  double sparsity = 0.5;
  std::uint32_t pq_block = 4096;
  [[nodiscard]] InputCache::Key key() const { return {workload, n, sparsity}; }
};

[[nodiscard]] inline std::size_t hardware_threads() {
  return std::max(1U, std::thread::hardware_concurrency());
}

/// The process's shared state: the pool every row uses (hardware_concurrency workers), the
/// inputs, whether any row failed (the exit status) and the progress line's counts.
struct Globals {
  std::unique_ptr<dashi::ThreadPool> pool;
  std::unique_ptr<InputCache> inputs;
  bool failed = false;
  double min_time = 0.02;
  std::size_t repetitions = 5;
  std::size_t planned = 0, done = 0;  ///< repetitions of instances (planned 0: unknown)
  std::string instance;               ///< the name and arguments of the running instance
  std::set<std::string> calibrated;   ///< instances whose first repetition was reported
  std::chrono::steady_clock::time_point start = std::chrono::steady_clock::now(), shown;
};
/// The one Globals (a function-local static: statically registered rows may use it first).
inline Globals& globals() {
  static Globals state;
  return state;
}
inline dashi::ThreadPool& pool() { return *globals().pool; }
inline Input& input_of(const InputCache::Key& key) { return globals().inputs->get(key); }

/// Per-call phase times (seconds) of the rows that time their phases.
struct Phases {
  double encode = 0, kernel = 0, decode = 0;
};

[[nodiscard]] inline double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

/// Adds the seconds `f()` takes to `total`.
template <class F>
void add_time(double& total, F&& f) {
  const auto t0 = std::chrono::steady_clock::now();
  f();
  total += seconds_since(t0);
}

/// CPU seconds of this process (`RUSAGE_SELF`) or of the calling thread (`RUSAGE_THREAD`).
[[nodiscard]] inline double cpu_seconds(int who) {
  rusage u{};
  getrusage(who, &u);
  return double(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         1e-6 * double(u.ru_utime.tv_usec + u.ru_stime.tv_usec);
}

/// Busy seconds of all CPUs (/proc/stat: user, nice, system, irq, softirq, steal).
[[nodiscard]] inline double machine_busy_seconds() {
  unsigned long long v[8] = {};
  if (std::FILE* f = std::fopen("/proc/stat", "r")) {
    (void)std::fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3],
                      &v[4], &v[5], &v[6], &v[7]);
    std::fclose(f);
  }
  return double(v[0] + v[1] + v[2] + v[5] + v[6] + v[7]) / double(sysconf(_SC_CLK_TCK));
}

/// Waits (0.5 ms steps, at most 200 ms) until this process's other threads (OpenMP, oneTBB,
/// the pool) used under 10% of a core in the last step, so no row's time depends on the
/// spinning threads of the row before it. Returns the wait in ms.
inline double quiesce() {
  const auto t0 = std::chrono::steady_clock::now();
  double others = cpu_seconds(RUSAGE_SELF) - cpu_seconds(RUSAGE_THREAD);
  while (seconds_since(t0) < 0.2) {
    std::this_thread::sleep_for(std::chrono::microseconds(500));
    const double now = cpu_seconds(RUSAGE_SELF) - cpu_seconds(RUSAGE_THREAD);
    if (now - others < 0.1 * 0.5e-3) {
      break;
    }
    others = now;
  }
  return 1e3 * seconds_since(t0);
}

/// The progress line on stderr: repetitions done (of those planned), elapsed, ETA.
inline void show_progress(bool last = false) {
  Globals& g = globals();
  const double elapsed = seconds_since(g.start);
  const bool tty = isatty(2) != 0;
  if (!last && seconds_since(g.shown) < (tty ? 0.5 : 10.0)) {
    return;
  }
  g.shown = std::chrono::steady_clock::now();
  char line[160];
  if (g.planned > 0) {
    const std::size_t done = std::min(g.done, g.planned);  // a run Google Benchmark redid may count
    const double left = double(g.planned - done);
    std::snprintf(line, sizeof line, "[%zu/%zu runs, %.0f s elapsed, ETA %.0f s]", done, g.planned,
                  elapsed, done > 0 ? elapsed * left / double(done) : 0.0);
  } else {
    std::snprintf(line, sizeof line, "[%zu runs, %.0f s elapsed]", g.done, elapsed);
  }
  std::cerr << (tty ? "\r" : "") << line << (tty && !last ? "" : "\n") << std::flush;
}

/// Runs one repetition of a row: `once(Phases&)` is the timed call, `sites` and `bytes` what
/// one call moves. Sets items/bytes per second, Gsites/s, the phase times (when `phased`), the
/// other processes' CPU share and the wait for idle threads as counters.
template <class Once>
void timed(benchmark::State& state, double sites, double bytes, Once&& once, bool phased = false) {
  const double waited = quiesce();
  Phases phases;
  once(phases);  // warm-up: pages touched, workers awake, arenas created
  phases = {};
  const double busy0 = machine_busy_seconds(), self0 = cpu_seconds(RUSAGE_SELF);
  const auto t0 = std::chrono::steady_clock::now();
  for (auto _ : state) {
    once(phases);
    benchmark::ClobberMemory();
  }
  const double wall = seconds_since(t0);
  const double others = (machine_busy_seconds() - busy0) - (cpu_seconds(RUSAGE_SELF) - self0);
  using C = benchmark::Counter;
  const auto calls = static_cast<std::int64_t>(state.iterations());
  if (sites > 0) {  // the dispatch rows move nothing
    state.SetItemsProcessed(calls * std::int64_t(sites));
    state.SetBytesProcessed(calls * std::int64_t(bytes));
    state.counters["Gsites/s"] = C(sites * 1e-9, C::kIsIterationInvariantRate);
  }
  state.counters["others_cpu"] = std::clamp(others / (wall * double(hardware_threads())), 0.0, 1.0);
  state.counters["quiesce_ms"] = waited;
  if (phased) {
    state.counters["t_encode_ms"] = C(1e3 * phases.encode, C::kAvgIterations);
    state.counters["t_decode_ms"] = C(1e3 * phases.decode, C::kAvgIterations);
    state.counters["t_kernel_ms"] = C(1e3 * phases.kernel, C::kAvgIterations);
  }
  // The run Google Benchmark reports: the first that lasts min_time, then (random interleaving
  // keeps the iteration count of the first repetition) every run of the instance.
  Globals& g = globals();
  if (wall >= g.min_time || g.calibrated.count(g.instance) != 0) {
    g.calibrated.insert(g.instance);
    ++g.done;
    show_progress();
  }
}

/// Skips the row with an error (the process exits 1) unless `ok`.
inline void check(benchmark::State& state, bool ok,
                  const char* what = "output fingerprint differs from the monolithic reference") {
  if (!ok) {
    globals().failed = true;
    state.SkipWithError(what);
  }
}

/// A kernel row: `call(kernel, in, out)` timed with the case's kernel (`bytes_per_site` moved),
/// then `fingerprint(out.view())` checked against the monolithic reference of the case.
template <class In, class Out, class Call>
void checked(benchmark::State& state, const Case& c, double bytes_per_site, In in, Out out,
             Call&& call) {
  const std::uint64_t ref = globals().inputs->reference(c.key(), c.kernel);
  with_kernel(c.kernel, [&](const auto& kernel) {
    timed(state, double(c.n), bytes_per_site * double(c.n),
          [&](Phases&) { call(kernel, in, out); });
  });
  check(state, fingerprint(out.view()) == ref);
}

/// A dense row: bytes in, bytes out (2 bytes a site), in the input's shared buffers.
template <class Call>
void dense_row(benchmark::State& state, const Case& c, Call&& call) {
  Input& in = input_of(c.key());
  checked(state, c, 2.0, in.view(c.kernel), in.span(in.out, c.kernel), call);
}

// ---- registration from tables -----------------------------------------------------------

inline std::vector<std::function<void(const Tier&)>>& registrars() {
  static std::vector<std::function<void(const Tier&)>> list;
  return list;
}
struct Registrar {
  explicit Registrar(std::function<void(const Tier&)> f) { registrars().push_back(std::move(f)); }
};

/// Registers `name` with arguments `names` = every combination of `axes` (or `args`, one list
/// each, when given), real time, and counts its repetitions for the progress line.
inline benchmark::internal::Benchmark* add(const std::string& name,
                                           std::function<void(benchmark::State&)> body,
                                           std::vector<std::string> names,
                                           const std::vector<Axis>& axes,
                                           const std::vector<Axis>& args = {}) {
  auto* b = benchmark::RegisterBenchmark(name.c_str(), [=, n = names.size()](benchmark::State& s) {
    globals().instance = name;
    for (std::size_t i = 0; i < n; ++i) {
      globals().instance.append("/").append(std::to_string(s.range(i)));
    }
    body(s);
  });
  b->ArgNames(std::move(names))->UseRealTime()->Unit(benchmark::kMicrosecond);
  std::size_t instances = args.size();
  if (args.empty()) {
    b->ArgsProduct(axes);
    instances = 1;
    for (const auto& axis : axes) {
      instances *= axis.size();
    }
  }
  for (const auto& a : args) {
    b->Args(a);
  }
  globals().planned += instances * globals().repetitions;
  return b;
}

/// Thread axis of a family: one thread, the tier's threads, or the peers' threads.
enum class Threads : std::uint8_t { one, many, peers };

/// A family of the kernel sweep: `name/kernel/workload` with the arguments N, threads, block,
/// sparsity (percent) and, for PQ families, pq_block; `rules`: the rule kernels too, at the
/// tier's rule sizes. Under --full, the mt and PQ families also sweep the executor block and
/// the codec block on sign_flip at N = 1e6.
struct Family {
  const char* name;
  Threads threads;
  bool pq, rules;
  void (*body)(benchmark::State&, const Case&);
};

inline void register_family(const Tier& t, const Family& f) {
  const Axis& tt = f.threads == Threads::one    ? Axis{1}
                   : f.threads == Threads::many ? t.threads
                                                : t.peer_threads;
  auto one = [&](KernelId k, Workload w, const Axis& sizes, Axis blocks, Axis pq_blocks,
                 Axis sparsity) {
    std::vector<Axis> axes{sizes, tt, std::move(blocks), std::move(sparsity)};
    std::vector<std::string> names{"N", "threads", "block", "sparsity", "pq_block"};
    if (f.pq) {
      axes.push_back(std::move(pq_blocks));
    }
    names.resize(axes.size());
    const auto body = f.body;
    const bool pq = f.pq;
    add(
        std::string(f.name) + "/" + kernel_names[int(k)] + "/" + workload_names[int(w)],
        [=](benchmark::State& s) {
          body(s, Case{.kernel = k,
                       .workload = w,
                       .n = std::size_t(s.range(0)),
                       .threads = std::size_t(s.range(1)),
                       .block = std::size_t(s.range(2)),
                       .sparsity = double(s.range(3)) / 100.0,
                       .pq_block = pq ? std::uint32_t(s.range(4)) : 4096U});
        },
        names, axes);
  };
  for (const KernelId k : t.kernels) {
    for (const Workload w : t.workloads) {
      one(k, w, t.sizes, {0}, {4096}, t.sparsity_pct);
    }
  }
  for (const KernelId k : f.rules ? t.rule_kernels : std::vector<KernelId>{}) {
    one(k, Workload::random_sparse, t.rule_sizes, {0}, {4096}, {50});
  }
  if (!t.sweep_blocks.empty() && f.threads == Threads::many) {
    one(KernelId::sign_flip, Workload::random_sparse, {1000000}, t.sweep_blocks, {4096}, {50});
  }
  if (!t.sweep_pq_blocks.empty() && f.pq) {
    one(KernelId::sign_flip, Workload::random_sparse, {1000000}, {0}, t.sweep_pq_blocks, {50});
  }
}

/// The dispatch rows (empty parallel work on 2 threads): 15 repetitions, since each measures
/// a fraction of a microsecond.
inline void add_dispatch(const std::string& name, std::function<void()> call) {
  add(name, [call](benchmark::State& s) { timed(s, 0, 0, [&](Phases&) { call(); }); },
      {"N", "threads"}, {{std::int64_t{1} << 16}, {2}})
      ->Repetitions(15);
  globals().planned = globals().planned - globals().repetitions + 15;
}

/// The registration of a file's families, one `{name, threads, pq axis, rule kernels, body}`
/// line each: `const Registrar r{families({...})};`.
inline std::function<void(const Tier&)> families(std::vector<Family> list) {
  return [list = std::move(list)](const Tier& t) {
    for (const Family& f : list) {
      register_family(t, f);
    }
  };
}

}  // namespace dashi_bench
