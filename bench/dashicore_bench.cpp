// SPDX-License-Identifier: Apache-2.0
//
// dashicore_bench: the four modes of the CPU multithread question (dense-1t, dense-mt,
// pq-1t, pq-mt) with a serial and an OpenMP peer, over N × threads × block size ×
// sparsity × kernel × workload, and the iterated suite (run_kernel_iterated with temporal
// blocking against the naive step loop). What it measures and why: bench/README.md and
// docs/benchmarks.md.
//
//   dashicore_bench [--mode dense-1t,dense-mt,pq-1t,pq-mt,iterated] [--quick] [--large]
//                   [--jsonl FILE] [--seed N] [any Google Benchmark flag]

#include <benchmark/benchmark.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <dashi/carrier.hpp>
#include <dashi/execution/cpu_parallel.hpp>
#include <dashi/execution/iterate.hpp>
#include <dashi/execution/thread_pool.hpp>
#include <dashi/kernel.hpp>
#include <dashi/partition.hpp>
#include <exception>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

#include "iterated.hpp"
#include "peers/omp.hpp"
#include "peers/serial.hpp"
#include "workloads.hpp"

#if __has_include(<dashi/pq/codec.hpp>)
#  include <dashi/pq/codec.hpp>
#  define DASHI_BENCH_HAVE_PQ 1
#else
#  define DASHI_BENCH_HAVE_PQ 0
#endif

// The packed pipeline runs through the executor's packed overload when
// <dashi/pq/adapters.hpp> exists, and as decode → run_kernel_parallel → encode otherwise.
// `packed_pipeline` below is the only code that depends on this switch.
#if DASHI_BENCH_HAVE_PQ && __has_include(<dashi/pq/adapters.hpp>)
#  include <dashi/pq/adapters.hpp>
#  define DASHI_BENCH_PQ_ADAPTER 1
#else
#  define DASHI_BENCH_PQ_ADAPTER 0
#endif

#if defined(__unix__) || defined(__APPLE__)
#  include <unistd.h>
#endif

namespace dashi_bench {
namespace {

using Clock = std::chrono::steady_clock;

[[nodiscard]] double seconds_between(Clock::time_point a, Clock::time_point b) noexcept {
  return std::chrono::duration<double>(b - a).count();
}

// ---------------------------------------------------------------------------------------
// Rows
// ---------------------------------------------------------------------------------------

enum class Mode : std::uint8_t { dense_1t, dense_mt, pq_1t, pq_mt, iterated };
constexpr std::size_t mode_count = 5;
enum class Backend : std::uint8_t { dashi, serial, openmp, memcpy, step_loop };
enum class Pipeline : std::uint8_t { none, roundtrip, packed };
enum class Suite : std::uint8_t { sweep, block_sweep, dispatch, iterated };

[[nodiscard]] std::string_view mode_name(Mode m) noexcept {
  switch (m) {
    case Mode::dense_1t:
      return "dense-1t";
    case Mode::dense_mt:
      return "dense-mt";
    case Mode::pq_1t:
      return "pq-1t";
    case Mode::pq_mt:
      return "pq-mt";
    case Mode::iterated:
      return "iterated";
  }
  return "?";
}

[[nodiscard]] std::string_view backend_name(Backend b) noexcept {
  switch (b) {
    case Backend::dashi:
      return "dashi";
    case Backend::serial:
      return "peer_serial";
    case Backend::openmp:
      return "peer_omp";
    case Backend::memcpy:
      return "memcpy";
    case Backend::step_loop:
      return "step_loop";
  }
  return "?";
}

[[nodiscard]] std::string_view pipeline_name(Pipeline p) noexcept {
  switch (p) {
    case Pipeline::none:
      return "dense";
    case Pipeline::roundtrip:
      return "roundtrip";
    case Pipeline::packed:
      return "packed";
  }
  return "?";
}

[[nodiscard]] std::string_view suite_name(Suite s) noexcept {
  switch (s) {
    case Suite::sweep:
      return "cpu_multithread";
    case Suite::block_sweep:
      return "block_sweep";
    case Suite::dispatch:
      return "dispatch";
    case Suite::iterated:
      return "iterated";
  }
  return "?";
}

/// `0`, `0.5`, `0.9`: the shortest text of a sparsity.
[[nodiscard]] std::string format_number(double value) {
  std::ostringstream out;
  out << value;
  return out.str();
}

/// One benchmark row: everything that identifies it.
struct Row {
  std::string name;
  Suite suite = Suite::sweep;
  Mode mode = Mode::dense_1t;
  Backend backend = Backend::dashi;
  Pipeline pipeline = Pipeline::none;
  KernelId kernel = KernelId::sign_flip;
  Workload workload = Workload::random_sparse;
  std::size_t n = 0;
  std::size_t threads = 1;
  std::size_t block_elems = 0;  // executor block (0 = automatic)
  double sparsity = 0.0;
  std::uint32_t pq_block_sites = 4096;  // codec block (PQ rows)
  bool dispatch_empty = false;          // dispatch + join of an empty kernel
  bool copy = false;                    // memcpy of N bytes: the machine's copy bandwidth
  std::size_t steps = 1;                // kernel applications per call (iterated suite)
  std::size_t steps_per_sync = 1;       // temporal blocking depth (iterated suite)

  /// Rows without a kernel output to compare with dense-1t.
  [[nodiscard]] bool no_output() const noexcept { return dispatch_empty || copy; }
};

/// Rows sharing a dense-1t reference: (kernel, workload, N, sparsity).
using GroupKey = std::tuple<KernelId, Workload, std::size_t, double>;

[[nodiscard]] GroupKey group_of(const Row& row) {
  return {row.kernel, row.workload, row.n, row.sparsity};
}

[[nodiscard]] std::string row_name(const Row& row) {
  std::string prefix;
  if (row.dispatch_empty) {
    return "dispatch_empty/N:" + std::to_string(row.n) + "/threads:" + std::to_string(row.threads) +
           "/block:" + std::to_string(row.block_elems);
  }
  if (row.copy) {
    return "memcpy/N:" + std::to_string(row.n);
  }
  if (row.suite == Suite::iterated) {
    std::string name = std::string(row.backend == Backend::step_loop ? "step_loop" : "iterated") +
                       "/" + std::string(kernel_name(row.kernel)) + "/" +
                       std::string(workload_name(row.workload)) + "/N:" + std::to_string(row.n) +
                       "/threads:" + std::to_string(row.threads) +
                       "/steps:" + std::to_string(row.steps);
    if (row.backend != Backend::step_loop) {
      name += "/steps_per_sync:" + std::to_string(row.steps_per_sync);
    }
    return name;
  }
  if (row.backend == Backend::serial) {
    prefix = "peer_serial";
  } else if (row.backend == Backend::openmp) {
    prefix = "peer_omp";
  } else {
    prefix = std::string(mode_name(row.mode));
    std::replace(prefix.begin(), prefix.end(), '-', '_');
  }
  std::string name = prefix + "/" + std::string(kernel_name(row.kernel)) + "/" +
                     std::string(workload_name(row.workload)) + "/N:" + std::to_string(row.n) +
                     "/threads:" + std::to_string(row.threads) +
                     "/block:" + std::to_string(row.block_elems) +
                     "/sparsity:" + format_number(row.sparsity);
  if (row.pipeline != Pipeline::none) {
    name += "/pipeline:" + std::string(pipeline_name(row.pipeline)) +
            "/pq_block:" + std::to_string(row.pq_block_sites);
  }
  return name;
}

// ---------------------------------------------------------------------------------------
// Configuration (our flags, removed from argv before benchmark::Initialize)
// ---------------------------------------------------------------------------------------

struct Config {
  std::array<bool, mode_count> modes{true, true, true, true, true};
  bool quick = false;
  bool large = false;
  std::string jsonl;
  std::uint64_t seed = 0;
  bool user_min_time = false;  // --benchmark_min_time given: leave it to Google Benchmark
  bool console_json = false;   // --benchmark_format=json|csv: keep stdout machine-readable
  std::string console_format = "console";
  bool tabular = false;
};

[[nodiscard]] bool mode_on(const Config& config, Mode m) {
  return config.modes[static_cast<std::size_t>(m)];
}

void print_usage() {
  std::cout
      << "dashicore_bench: dense vs PQ, single- vs multithreaded (see bench/README.md)\n"
         "  --mode M[,M...]  dense-1t, dense-mt, pq-1t, pq-mt, iterated (repeatable; default\n"
         "                   all)\n"
         "  --quick          a small sweep with a short min_time (CI)\n"
         "  --large          add N = 1e7 and 1e8 to the sweep\n"
         "  --jsonl FILE     one JSON object per row (the dashiCORE bench schema)\n"
         "  --seed N         workload seed (default 0)\n"
         "All Google Benchmark flags work as usual; its own help follows.\n\n";
}

[[nodiscard]] Mode parse_mode(std::string_view text) {
  if (text == "dense-1t" || text == "dense_1t") {
    return Mode::dense_1t;
  }
  if (text == "dense-mt" || text == "dense_mt") {
    return Mode::dense_mt;
  }
  if (text == "pq-1t" || text == "pq_1t") {
    return Mode::pq_1t;
  }
  if (text == "pq-mt" || text == "pq_mt") {
    return Mode::pq_mt;
  }
  if (text == "iterated") {
    return Mode::iterated;
  }
  throw std::invalid_argument("unknown mode '" + std::string(text) +
                              "' (expected dense-1t, dense-mt, pq-1t, pq-mt or iterated)");
}

/// Parses and removes our flags; leaves Google Benchmark's in `argv`.
Config parse_args(int& argc, char** argv) {
  Config config;
  std::vector<Mode> modes;
  int kept = 1;
  auto value_of = [&](int& i, std::string_view arg, std::string_view flag) -> std::string {
    if (arg.size() > flag.size() && arg[flag.size()] == '=') {
      return std::string(arg.substr(flag.size() + 1));
    }
    if (i + 1 >= argc) {
      throw std::invalid_argument(std::string(flag) + " needs a value");
    }
    return std::string(argv[++i]);
  };
  auto is_flag = [](std::string_view arg, std::string_view flag) {
    return arg == flag || (arg.size() > flag.size() && arg.substr(0, flag.size()) == flag &&
                           arg[flag.size()] == '=');
  };
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (is_flag(arg, "--mode")) {
      std::string list = value_of(i, arg, "--mode");
      std::size_t start = 0;
      while (start <= list.size()) {
        const std::size_t comma = std::min(list.find(',', start), list.size());
        if (comma > start) {
          modes.push_back(parse_mode(std::string_view(list).substr(start, comma - start)));
        }
        start = comma + 1;
      }
    } else if (arg == "--quick") {
      config.quick = true;
    } else if (arg == "--large") {
      config.large = true;
    } else if (is_flag(arg, "--jsonl")) {
      config.jsonl = value_of(i, arg, "--jsonl");
    } else if (is_flag(arg, "--seed")) {
      config.seed = std::stoull(value_of(i, arg, "--seed"));
    } else {
      if (arg == "--help" || arg == "-h") {
        print_usage();
      }
      if (arg.substr(0, 20) == "--benchmark_min_time") {
        config.user_min_time = true;
      }
      if (arg.substr(0, 19) == "--benchmark_format=") {
        config.console_format = std::string(arg.substr(19));
        config.console_json = config.console_format == "json";
      }
      if (arg == "--benchmark_counters_tabular" || arg == "--benchmark_counters_tabular=true") {
        config.tabular = true;
      }
      argv[kept++] = argv[i];
    }
  }
  argc = kept;
  argv[argc] = nullptr;
  if (!modes.empty()) {
    config.modes = {};
    for (const Mode m : modes) {
      config.modes[static_cast<std::size_t>(m)] = true;
    }
  }
  return config;
}

// ---------------------------------------------------------------------------------------
// Kernels
// ---------------------------------------------------------------------------------------

/// Calls `f` with the shipped kernel object of `id`.
template <class F>
void with_kernel(KernelId id, F&& f) {
  switch (id) {
    case KernelId::sign_flip:
      f(dashi::kernels::SignFlip{});
      return;
    case KernelId::clamp:
      f(dashi::kernels::Clamp{});
      return;
    case KernelId::left_neighbor:
      f(dashi::kernels::LeftNeighbor{});
      return;
    case KernelId::majority3x3:
      f(dashi::kernels::Majority3x3{});
      return;
  }
}

// ---------------------------------------------------------------------------------------
// Shared state: the pool, the inputs, the dense-1t timings and the row outcomes
// ---------------------------------------------------------------------------------------

/// The input of a group of rows, generated once and reused while rows of the same
/// (workload, N, sparsity) run back to back; the previous input is freed first.
class InputCache {
 public:
  using Key = std::tuple<Workload, std::size_t, double>;

  explicit InputCache(std::uint64_t seed) : seed_(seed) {}

  const dashi::TernaryField& input(const Key& key) {
    if (!key_ || *key_ != key) {
      input_ = dashi::TernaryField();
      output_ = dashi::TernaryField();
      spare_ = dashi::TernaryField();
#if DASHI_BENCH_HAVE_PQ
      packed_.clear();
#endif
      input_ = make_workload(std::get<0>(key), std::get<1>(key), std::get<2>(key), seed_);
      output_ = dashi::TernaryField::zeros(input_.shape());
      key_ = key;
    }
    return input_;
  }

  /// The dense output buffer every row of the input's group writes into (allocated and
  /// touched with the input), so that no row's time depends on where its own allocation
  /// happened to land (page faults, huge pages).
  dashi::TernaryField& output(const Key& key) {
    (void)input(key);
    return output_;
  }

  /// A second such buffer, for the ping-pong of the iterated suite (allocated on first use).
  dashi::TernaryField& spare(const Key& key) {
    (void)input(key);
    if (spare_.size() != input_.size()) {
      spare_ = dashi::TernaryField::zeros(input_.shape());
    }
    return spare_;
  }

  /// The input seen in the shape `kernel` runs on (`iterated_shape`).
  dashi::TernaryView input_view(const Key& key, KernelId kernel) {
    const dashi::TernaryField& in = input(key);
    return dashi::TernaryView::unchecked(in.data(), iterated_shape(kernel, in.size()));
  }

  /// Fingerprint of the monolithic reference output: `kernel` applied `steps` times with
  /// `dashi::apply_kernel` (one step: dense-1t's output).
  std::uint64_t reference(const Key& key, KernelId kernel, std::size_t steps = 1) {
    const auto full = std::tuple_cat(key, std::make_tuple(kernel, steps));
    if (const auto it = references_.find(full); it != references_.end()) {
      return it->second;
    }
    const dashi::TernaryView in = input_view(key, kernel);
    std::uint64_t hash = 0;
    with_kernel(kernel, [&](const auto& k) {
      hash = dashi::fingerprint(monolithic_steps(k, in, steps).view());
    });
    references_.emplace(full, hash);
    return hash;
  }

#if DASHI_BENCH_HAVE_PQ
  /// The input in PQ form with codec blocks of `block_sites` (encoded untimed, once).
  const dashi::pq::PackedField& packed(const Key& key, std::uint32_t block_sites) {
    const dashi::TernaryField& in = input(key);
    auto it = packed_.find(block_sites);
    if (it == packed_.end()) {
      it = packed_
               .emplace(block_sites, dashi::pq::encode(
                                         in.view(), {.block_sites = block_sites, .num_workers = 0}))
               .first;
    }
    return it->second;
  }
#endif

 private:
  std::uint64_t seed_;
  std::optional<Key> key_;
  dashi::TernaryField input_;
  dashi::TernaryField output_;
  dashi::TernaryField spare_;
  std::map<std::tuple<Workload, std::size_t, double, KernelId, std::size_t>, std::uint64_t>
      references_;
#if DASHI_BENCH_HAVE_PQ
  std::map<std::uint32_t, dashi::pq::PackedField> packed_;
#endif
};

/// What a row's last run produced beyond its counters.
struct Outcome {
  std::uint64_t hash_out = 0;
  std::uint64_t hash_ref = 0;
  bool has_hash = false;
  double bytes_per_iter = 0.0;
};

struct State {
  Config config;
  std::unique_ptr<dashi::ThreadPool> pool;
  std::unique_ptr<InputCache> inputs;
  std::map<GroupKey, double> dense_1t_seconds;      // per-iteration time of each dense-1t row
  std::map<std::string, double> step_loop_seconds;  // per call, by step_loop row name
  std::map<std::string, Outcome> outcomes;
  std::map<std::string, Row> rows;
  bool failed = false;  // a mismatch or an error: the process exits non-zero
};

State& global() {
  static State state;
  return state;
}

/// An into-kernel that does nothing: what is left is dispatch and join.
struct EmptyKernel {
  void operator()(dashi::TernaryView /*in*/, dashi::TernarySpan /*out*/) const noexcept {}
};

/// Per-iteration phase times, accumulated over the timed loop (seconds).
struct Phases {
  double encode = 0.0;
  double kernel = 0.0;
  double decode = 0.0;
};

#if DASHI_BENCH_HAVE_PQ

/// Bytes of a packed field's P, Q and O words.
[[nodiscard]] double packed_bytes(const dashi::pq::PackedField& packed) {
  return 8.0 * static_cast<double>(packed.p_words().size() + packed.q_words().size() +
                                   packed.offsets().size());
}

// ---------------------------------------------------------------------------------------
// The packed pipeline: packed in → kernel → packed out with the given options.
// THE ONE PLACE that switches between the executor's packed overload
// (`dashi::run_kernel_parallel(pool, kernel, const pq::PackedField&, options)` from
// <dashi/pq/adapters.hpp>: fused per block, phases not separable) and the composition
// decode → run_kernel_parallel → encode, each phase on `options.num_workers` threads.
// ---------------------------------------------------------------------------------------
template <class K>
[[nodiscard]] dashi::pq::PackedField packed_pipeline(dashi::ThreadPool& pool, const K& kernel,
                                                     const dashi::pq::PackedField& in,
                                                     const dashi::ParallelOptions& options,
                                                     dashi::TernaryField& dense_scratch,
                                                     Phases& phases) {
#  if DASHI_BENCH_PQ_ADAPTER
  (void)dense_scratch;
  const auto t0 = Clock::now();
  dashi::pq::PackedField out = dashi::run_kernel_parallel(pool, kernel, in, options);
  phases.kernel += seconds_between(t0, Clock::now());
  return out;
#  else
  const dashi::pq::PqOptions codec{.block_sites = in.block_sites(),
                                   .num_workers = options.num_workers};
  const auto t0 = Clock::now();
  const dashi::TernaryField dense = dashi::pq::decode(in, codec);
  const auto t1 = Clock::now();
  dashi::run_kernel_parallel(pool, kernel, dense.view(), dense_scratch.span(), options);
  const auto t2 = Clock::now();
  dashi::pq::PackedField out = dashi::pq::encode(dense_scratch.view(), codec);
  const auto t3 = Clock::now();
  phases.decode += seconds_between(t0, t1);
  phases.kernel += seconds_between(t1, t2);
  phases.encode += seconds_between(t2, t3);
  return out;
#  endif
}

#endif  // DASHI_BENCH_HAVE_PQ

// ---------------------------------------------------------------------------------------
// Row bodies
// ---------------------------------------------------------------------------------------

/// Seconds per iteration of dense-1t for `group`: the dense-1t row's own measurement when
/// it ran, otherwise measured here (untimed by Google Benchmark) and remembered.
double dense_1t_seconds(const Row& row) {
  State& g = global();
  const GroupKey key = group_of(row);
  if (const auto it = g.dense_1t_seconds.find(key); it != g.dense_1t_seconds.end()) {
    return it->second;
  }
  const InputCache::Key input_key{row.workload, row.n, row.sparsity};
  const dashi::TernaryField& in = g.inputs->input(input_key);
  dashi::TernaryField& out = g.inputs->output(input_key);
  double best = 0.0;
  with_kernel(row.kernel, [&](const auto& kernel) {
    kernel(in.view(), out.span());
    for (int trial = 0; trial < 3; ++trial) {
      std::size_t iterations = 0;
      const auto t0 = Clock::now();
      double elapsed = 0.0;
      do {
        kernel(in.view(), out.span());
        benchmark::ClobberMemory();
        ++iterations;
        elapsed = seconds_between(t0, Clock::now());
      } while (elapsed < 0.02);
      const double per = elapsed / static_cast<double>(iterations);
      best = trial == 0 ? per : std::min(best, per);
    }
  });
  g.dense_1t_seconds[key] = best;
  return best;
}

/// The step loop row of an iterated row: the `step_loop` row with the same kernel,
/// workload, N, threads and steps.
[[nodiscard]] Row step_loop_of(const Row& row) {
  Row loop = row;
  loop.backend = Backend::step_loop;
  loop.steps_per_sync = 1;
  loop.name = row_name(loop);
  return loop;
}

/// Seconds per call of the naive step loop matching an iterated row (the row's own
/// `total` for a step loop row; 0 when the loop row did not run).
double step_loop_seconds(const Row& row, double total) {
  State& g = global();
  if (row.backend == Backend::step_loop) {
    g.step_loop_seconds[row.name] = total;
    return total;
  }
  const auto it = g.step_loop_seconds.find(step_loop_of(row).name);
  return it != g.step_loop_seconds.end() ? it->second : 0.0;
}

/// Records a fingerprint check; on a mismatch the row is skipped with an error and the
/// process will exit non-zero. Returns true on a match.
bool check_match(benchmark::State& state, const Row& row, std::uint64_t out, std::uint64_t ref) {
  State& g = global();
  Outcome& outcome = g.outcomes[row.name];
  outcome.hash_out = out;
  outcome.hash_ref = ref;
  outcome.has_hash = true;
  if (out != ref) {
    g.failed = true;
    char message[160];
    std::snprintf(message, sizeof message,
                  "output fingerprint %016llx differs from dense-1t's %016llx",
                  static_cast<unsigned long long>(out), static_cast<unsigned long long>(ref));
    state.SkipWithError(message);
    return false;
  }
  return true;
}

/// Sets the row's counters from the timed loop.
void set_counters(benchmark::State& state, const Row& row, double wall_seconds,
                  const Phases& phases, bool phased, double bytes_per_iter,
                  std::optional<double> bits_per_site, std::optional<double> entropy_bits,
                  bool match) {
  const auto iterations =
      static_cast<double>(std::max<benchmark::IterationCount>(1, state.iterations()));
  const double total = wall_seconds / iterations;
  state.counters["t_total_ms"] = 1e3 * total;
  state.counters["t_encode_ms"] = 1e3 * phases.encode / iterations;
  state.counters["t_decode_ms"] = 1e3 * phases.decode / iterations;
  state.counters["t_kernel_ms"] = phased ? 1e3 * phases.kernel / iterations : 1e3 * total;
  if (!row.dispatch_empty) {  // an empty kernel moves nothing
    // Site updates per second: N per kernel application.
    const double updates = static_cast<double>(row.n) * static_cast<double>(row.steps);
    const double sites_per_s = total > 0.0 ? updates / total : 0.0;
    state.counters["sites_per_s"] = sites_per_s;
    state.counters["Gsites_per_s"] = sites_per_s * 1e-9;
    state.counters["GB_per_s"] = total > 0.0 ? bytes_per_iter / total * 1e-9 : 0.0;
    state.SetBytesProcessed(static_cast<std::int64_t>(bytes_per_iter * iterations));
  }
  if (bits_per_site) {
    state.counters["bits_per_site"] = *bits_per_site;
  }
  if (bits_per_site && entropy_bits) {
    state.counters["entropy_bits_per_site"] = *entropy_bits;
    state.counters["overhead_bits_per_site"] = *bits_per_site - *entropy_bits;
  }
  if (!row.no_output()) {
    const double reference =
        row.suite == Suite::iterated ? step_loop_seconds(row, total) : dense_1t_seconds(row);
    state.counters["speedup"] = total > 0.0 ? reference / total : 0.0;
    state.counters["match"] = match ? 1.0 : 0.0;
  }
  global().outcomes[row.name].bytes_per_iter = bytes_per_iter;
}

void run_dense(benchmark::State& state, const Row& row) {
  State& g = global();
  const InputCache::Key key{row.workload, row.n, row.sparsity};
  const dashi::TernaryField& in = g.inputs->input(key);
  const std::uint64_t ref = g.inputs->reference(key, row.kernel);
  dashi::TernaryField& out = g.inputs->output(key);
  const dashi::ParallelOptions options{.num_workers = row.threads, .block_elems = row.block_elems};
  dashi::ThreadPool& pool = *g.pool;
  const std::int8_t* src = in.data();
  std::int8_t* dst = out.data();
  const std::size_t n = row.n;
  [[maybe_unused]] const int omp_threads = static_cast<int>(row.threads);

  with_kernel(row.kernel, [&](const auto& kernel) {
    auto once = [&] {
      if (row.backend == Backend::serial) {
        peers::run_serial(row.kernel, src, dst, n);
      } else if (row.backend == Backend::openmp) {
#if defined(DASHI_BENCH_HAVE_OPENMP)
        peers::run_omp(row.kernel, src, dst, n, omp_threads);
#endif
      } else if (row.mode == Mode::dense_1t) {
        kernel(in.view(), out.span());
      } else {
        dashi::run_kernel_parallel(pool, kernel, in.view(), out.span(), options);
      }
    };
    once();  // warm-up: pages touched, workers awake, result checked
    if (!check_match(state, row, dashi::fingerprint(out.view()), ref)) {
      return;
    }
    const auto t0 = Clock::now();
    for (auto _ : state) {
      once();
      benchmark::DoNotOptimize(dst);
      benchmark::ClobberMemory();
    }
    const double wall = seconds_between(t0, Clock::now());
    const bool match = check_match(state, row, dashi::fingerprint(out.view()), ref);
    if (row.mode == Mode::dense_1t && row.backend == Backend::dashi && state.iterations() > 0) {
      g.dense_1t_seconds[group_of(row)] = wall / static_cast<double>(state.iterations());
    }
    set_counters(state, row, wall, Phases{}, false, 2.0 * static_cast<double>(n), 8.0, std::nullopt,
                 match);
  });
}

void run_dispatch_empty(benchmark::State& state, const Row& row) {
  State& g = global();
  const dashi::TernaryField in = dashi::TernaryField::zeros(dashi::Shape{row.n});
  dashi::TernaryField out = dashi::TernaryField::zeros(dashi::Shape{row.n});
  const dashi::ParallelOptions options{
      .num_workers = row.threads, .block_elems = row.block_elems, .check_contract = false};
  dashi::ThreadPool& pool = *g.pool;
  const EmptyKernel kernel;
  dashi::run_kernel_parallel(pool, kernel, in.view(), out.span(), options);
  const auto t0 = Clock::now();
  for (auto _ : state) {
    dashi::run_kernel_parallel(pool, kernel, in.view(), out.span(), options);
    benchmark::ClobberMemory();
  }
  const double wall = seconds_between(t0, Clock::now());
  set_counters(state, row, wall, Phases{}, false, 0.0, std::nullopt, std::nullopt, true);
}

/// `std::memcpy` of N bytes: what one thread can move on this machine, to read the dense
/// rows' bandwidth against.
void run_copy(benchmark::State& state, const Row& row) {
  const dashi::TernaryField in = dashi::TernaryField::zeros(dashi::Shape{row.n});
  dashi::TernaryField out = dashi::TernaryField::zeros(dashi::Shape{row.n});
  const auto t0 = Clock::now();
  for (auto _ : state) {
    std::memcpy(out.data(), in.data(), row.n);
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  const double wall = seconds_between(t0, Clock::now());
  set_counters(state, row, wall, Phases{}, false, 2.0 * static_cast<double>(row.n), std::nullopt,
               std::nullopt, true);
}

/// The iterated suite: `steps` applications of the kernel, either as the naive loop of
/// `run_kernel_parallel` calls or as one `run_kernel_iterated` call with temporal blocking
/// of `steps_per_sync`; both ping-pong between the same two buffers, shared by all the rows of
/// the input.
void run_iterated(benchmark::State& state, const Row& row) {
  State& g = global();
  const InputCache::Key key{row.workload, row.n, row.sparsity};
  const dashi::TernaryView in = g.inputs->input_view(key, row.kernel);
  const std::uint64_t ref = g.inputs->reference(key, row.kernel, row.steps);
  dashi::ThreadPool& pool = *g.pool;
  dashi::IterateOptions options;
  options.num_workers = row.threads;
  options.block_elems = row.block_elems;
  options.steps_per_sync = row.steps_per_sync;
  const dashi::TernarySpan a =
      dashi::TernarySpan::unchecked(g.inputs->output(key).data(), in.shape());
  const dashi::TernarySpan b =
      dashi::TernarySpan::unchecked(g.inputs->spare(key).data(), in.shape());
  dashi::TernaryView last;  // the output of the latest call

  with_kernel(row.kernel, [&](const auto& kernel) {
    auto once = [&] {
      if (row.backend == Backend::step_loop) {
        last = naive_step_loop(pool, kernel, in, row.steps, options, a, b);
      } else {
        dashi::run_kernel_iterated(pool, kernel, in, row.steps, a, b, options);
        last = a.view();
      }
      benchmark::DoNotOptimize(last.data());
    };
    once();
    if (!check_match(state, row, dashi::fingerprint(last), ref)) {
      return;
    }
    const auto t0 = Clock::now();
    for (auto _ : state) {
      once();
      benchmark::ClobberMemory();
    }
    const double wall = seconds_between(t0, Clock::now());
    const bool match = check_match(state, row, dashi::fingerprint(last), ref);
    // Each synchronisation reads the field and writes it once.
    const std::size_t passes = row.backend == Backend::step_loop
                                   ? row.steps
                                   : (row.steps + row.steps_per_sync - 1) / row.steps_per_sync;
    set_counters(state, row, wall, Phases{}, false,
                 2.0 * static_cast<double>(row.n) * static_cast<double>(passes), 8.0, std::nullopt,
                 match);
  });
}

#if DASHI_BENCH_HAVE_PQ

void run_pq(benchmark::State& state, const Row& row) {
  State& g = global();
  const InputCache::Key key{row.workload, row.n, row.sparsity};
  const dashi::TernaryField& in = g.inputs->input(key);
  const std::uint64_t ref = g.inputs->reference(key, row.kernel);
  dashi::ThreadPool& pool = *g.pool;
  const dashi::ParallelOptions options{.num_workers = row.threads, .block_elems = row.block_elems};
  const dashi::pq::PqOptions codec{.block_sites = row.pq_block_sites, .num_workers = row.threads};
  dashi::TernaryField& out = g.inputs->output(key);
  const bool single = row.mode == Mode::pq_1t;

  with_kernel(row.kernel, [&](const auto& kernel) {
    Phases phases;
    double bits = 0.0;
    double entropy = 0.0;
    double bytes_per_iter = 0.0;
    double wall = 0.0;
    bool match = false;
    if (row.pipeline == Pipeline::roundtrip) {
      // encode → decode → kernel; the kernel's output is dense.
      auto once = [&](Phases& p) {
        const auto t0 = Clock::now();
        const dashi::pq::PackedField packed = dashi::pq::encode(in.view(), codec);
        const auto t1 = Clock::now();
        const dashi::TernaryField dense = dashi::pq::decode(packed, codec);
        const auto t2 = Clock::now();
        if (single) {
          kernel(dense.view(), out.span());
        } else {
          dashi::run_kernel_parallel(pool, kernel, dense.view(), out.span(), options);
        }
        const auto t3 = Clock::now();
        p.encode += seconds_between(t0, t1);
        p.decode += seconds_between(t1, t2);
        p.kernel += seconds_between(t2, t3);
        return packed_bytes(packed);
      };
      Phases warm;
      const double pb = once(warm);
      if (!check_match(state, row, dashi::fingerprint(out.view()), ref)) {
        return;
      }
      const dashi::pq::PackedField probe = dashi::pq::encode(in.view(), codec);
      bits = probe.bits_per_site();
      entropy = dashi::pq::entropy_report(probe).entropy_bits_per_site;
      // encode reads N and writes the packed form; decode reads it and writes N; the
      // kernel reads N and writes N.
      bytes_per_iter = 4.0 * static_cast<double>(row.n) + 2.0 * pb;
      const auto t0 = Clock::now();
      for (auto _ : state) {
        once(phases);
        benchmark::ClobberMemory();
      }
      wall = seconds_between(t0, Clock::now());
      match = check_match(state, row, dashi::fingerprint(out.view()), ref);
    } else {
      // packed in → kernel → packed out.
      const dashi::pq::PackedField& packed_in = g.inputs->packed(key, row.pq_block_sites);
      Phases warm;
      dashi::pq::PackedField result = packed_pipeline(pool, kernel, packed_in, options, out, warm);
      if (!check_match(state, row, dashi::fingerprint(dashi::pq::decode(result).view()), ref)) {
        return;
      }
      bits = packed_in.bits_per_site();
      entropy = dashi::pq::entropy_report(packed_in).entropy_bits_per_site;
      bytes_per_iter = packed_bytes(packed_in) + packed_bytes(result);
      const auto t0 = Clock::now();
      for (auto _ : state) {
        result = packed_pipeline(pool, kernel, packed_in, options, out, phases);
        benchmark::ClobberMemory();
      }
      wall = seconds_between(t0, Clock::now());
      match = check_match(state, row, dashi::fingerprint(dashi::pq::decode(result).view()), ref);
    }
    set_counters(state, row, wall, phases, true, bytes_per_iter, bits, entropy, match);
  });
}

#endif  // DASHI_BENCH_HAVE_PQ

void run_row(benchmark::State& state, const Row& row) {
  try {
    if (row.dispatch_empty) {
      run_dispatch_empty(state, row);
    } else if (row.copy) {
      run_copy(state, row);
    } else if (row.suite == Suite::iterated) {
      run_iterated(state, row);
    } else if (row.pipeline == Pipeline::none) {
      run_dense(state, row);
    } else {
#if DASHI_BENCH_HAVE_PQ
      run_pq(state, row);
#endif
    }
  } catch (const std::exception& error) {
    global().failed = true;
    state.SkipWithError(error.what());
  }
}

// ---------------------------------------------------------------------------------------
// The sweep
// ---------------------------------------------------------------------------------------

struct Plan {
  std::vector<std::size_t> sizes;
  std::vector<std::size_t> threads;
  std::vector<KernelId> kernels;
  std::vector<Workload> workloads;
  std::vector<double> sparsities;
  std::vector<std::size_t> sweep_blocks;       // executor blocks of the block sweep
  std::vector<std::uint32_t> sweep_pq_blocks;  // codec blocks of the block sweep
  std::size_t block_sweep_n = 1000000;
  std::vector<KernelId> iterated_kernels;  // the iterated suite
  std::vector<std::size_t> iterated_sizes;
  std::vector<std::size_t> iterated_threads;
  std::vector<std::size_t> iterated_steps;
  std::vector<std::size_t> iterated_steps_per_sync;
  int dispatch_repetitions = 15;
  double min_time = 0.2;
};

[[nodiscard]] std::size_t hardware_threads() {
  return std::max<std::size_t>(1, std::thread::hardware_concurrency());
}

[[nodiscard]] Plan make_plan(const Config& config) {
  Plan plan;
  const std::size_t hw = hardware_threads();
  if (config.quick) {
    plan.sizes = {10000, 1000000};
    plan.threads = {1, std::max<std::size_t>(2, hw)};
    plan.kernels = {KernelId::sign_flip, KernelId::left_neighbor};
    plan.workloads = {Workload::random_sparse};
    plan.sparsities = {0.5};
    plan.sweep_blocks = {16384};
    plan.sweep_pq_blocks = {65536};
    plan.iterated_kernels = {KernelId::majority3x3};
    plan.iterated_sizes = {100000};
    plan.iterated_threads = {std::max<std::size_t>(2, hw)};
    plan.iterated_steps = {8};
    plan.iterated_steps_per_sync = {1, 4};
    plan.dispatch_repetitions = 5;
    plan.min_time = 0.02;
  } else {
    plan.sizes = {10000, 100000, 1000000};
    plan.threads = {1, 2, 4, 8, hw};
    plan.kernels = {KernelId::sign_flip, KernelId::clamp, KernelId::left_neighbor};
    plan.workloads = {Workload::random_sparse, Workload::clustered_sparse};
    plan.sparsities = {0.0, 0.5, 0.9};
    plan.sweep_blocks = {1024, 16384, 262144};
    plan.sweep_pq_blocks = {1024, 16384, 65536};
    plan.iterated_kernels = {KernelId::sign_flip, KernelId::left_neighbor, KernelId::majority3x3};
    plan.iterated_sizes = {100000, 1000000, 10000000};
    plan.iterated_threads = {1, std::max<std::size_t>(2, hw)};
    plan.iterated_steps = {1, 4, 16, 64};
    plan.iterated_steps_per_sync = {1, 2, 4, 8};
  }
  if (config.large) {
    plan.sizes.push_back(10000000);
    plan.sizes.push_back(100000000);
  }
  for (std::vector<std::size_t>* axis : {&plan.threads, &plan.iterated_threads}) {
    std::sort(axis->begin(), axis->end());
    axis->erase(std::unique(axis->begin(), axis->end()), axis->end());
  }
  return plan;
}

/// The rows of the sweep, in run order: for each (workload, N, sparsity, kernel) the
/// dense-1t reference first, then its peers, dense-mt, pq-1t and pq-mt.
[[nodiscard]] std::vector<Row> make_rows(const Config& config, const Plan& plan) {
  std::vector<Row> rows;
  const bool dense_1t = mode_on(config, Mode::dense_1t);
  const bool dense_mt = mode_on(config, Mode::dense_mt);
  const bool pq_1t = DASHI_BENCH_HAVE_PQ != 0 && mode_on(config, Mode::pq_1t);
  const bool pq_mt = DASHI_BENCH_HAVE_PQ != 0 && mode_on(config, Mode::pq_mt);
#if defined(DASHI_BENCH_HAVE_OPENMP)
  constexpr bool have_omp = true;
#else
  constexpr bool have_omp = false;
#endif
  auto add = [&](Row row) {
    row.name = row_name(row);
    rows.push_back(std::move(row));
  };

  if (dense_mt) {
    // Dispatch + join of an empty kernel with warm workers: 2 blocks on 2 workers.
    Row row;
    row.suite = Suite::dispatch;
    row.mode = Mode::dense_mt;
    row.dispatch_empty = true;
    row.n = std::size_t{1} << 16;
    row.block_elems = std::size_t{1} << 15;
    row.threads = 2;
    add(row);
  }
  if (dense_1t || dense_mt) {
    // The copy bandwidth of one thread at each N.
    for (const std::size_t n : plan.sizes) {
      Row row;
      row.suite = Suite::dispatch;
      row.backend = Backend::memcpy;
      row.copy = true;
      row.n = n;
      add(row);
    }
  }

  for (const Workload workload : plan.workloads) {
    for (const std::size_t n : plan.sizes) {
      for (const double sparsity : plan.sparsities) {
        for (const KernelId kernel : plan.kernels) {
          Row base;
          base.workload = workload;
          base.n = n;
          base.sparsity = sparsity;
          base.kernel = kernel;
          if (dense_1t) {
            Row row = base;
            row.mode = Mode::dense_1t;
            add(row);
          }
          if (dense_1t || dense_mt) {
            Row row = base;
            row.mode = Mode::dense_1t;
            row.backend = Backend::serial;
            add(row);
          }
          if (dense_mt) {
            for (const std::size_t t : plan.threads) {
              Row row = base;
              row.mode = Mode::dense_mt;
              row.threads = t;
              add(row);
            }
            if (have_omp) {
              for (const std::size_t t : plan.threads) {
                Row row = base;
                row.mode = Mode::dense_mt;
                row.backend = Backend::openmp;
                row.threads = t;
                add(row);
              }
            }
          }
          for (const Pipeline pipeline : {Pipeline::roundtrip, Pipeline::packed}) {
            if (pq_1t) {
              Row row = base;
              row.mode = Mode::pq_1t;
              row.pipeline = pipeline;
              add(row);
            }
            if (pq_mt) {
              for (const std::size_t t : plan.threads) {
                Row row = base;
                row.mode = Mode::pq_mt;
                row.pipeline = pipeline;
                row.threads = t;
                add(row);
              }
            }
          }
        }
      }
    }
  }

  // Block-size sensitivity: one kernel, one workload, one N, one sparsity.
  Row base;
  base.suite = Suite::block_sweep;
  base.kernel = KernelId::sign_flip;
  base.workload = Workload::random_sparse;
  base.n = plan.block_sweep_n;
  base.sparsity = 0.5;
  for (const std::size_t block : plan.sweep_blocks) {
    for (const std::size_t t : plan.threads) {
      if (dense_mt) {
        Row row = base;
        row.mode = Mode::dense_mt;
        row.threads = t;
        row.block_elems = block;
        add(row);
      }
      for (const Pipeline pipeline : {Pipeline::roundtrip, Pipeline::packed}) {
        if (pq_mt) {
          Row row = base;
          row.mode = Mode::pq_mt;
          row.pipeline = pipeline;
          row.threads = t;
          row.block_elems = block;
          add(row);
        }
      }
    }
  }
  for (const std::uint32_t pq_block : plan.sweep_pq_blocks) {
    for (const Pipeline pipeline : {Pipeline::roundtrip, Pipeline::packed}) {
      if (pq_1t) {
        Row row = base;
        row.mode = Mode::pq_1t;
        row.pipeline = pipeline;
        row.pq_block_sites = pq_block;
        add(row);
      }
      if (pq_mt) {
        Row row = base;
        row.mode = Mode::pq_mt;
        row.pipeline = pipeline;
        row.threads = hardware_threads();
        row.pq_block_sites = pq_block;
        add(row);
      }
    }
  }

  // The iterated suite: per (kernel, N, threads, steps) the naive step loop first, then
  // run_kernel_iterated at each temporal blocking depth up to `steps`.
  if (mode_on(config, Mode::iterated)) {
    for (const KernelId kernel : plan.iterated_kernels) {
      for (const std::size_t n : plan.iterated_sizes) {
        for (const std::size_t t : plan.iterated_threads) {
          for (const std::size_t steps : plan.iterated_steps) {
            Row row;
            row.suite = Suite::iterated;
            row.mode = Mode::iterated;
            row.kernel = kernel;
            row.workload = Workload::random_sparse;
            row.sparsity = 0.5;
            row.n = n;
            row.threads = t;
            row.steps = steps;
            row.backend = Backend::step_loop;
            add(row);
            row.backend = Backend::dashi;
            for (const std::size_t depth : plan.iterated_steps_per_sync) {
              if (depth <= steps) {
                row.steps_per_sync = depth;
                add(row);
              }
            }
          }
        }
      }
    }
  }
  return rows;
}

// ---------------------------------------------------------------------------------------
// Results: JSONL rows and the verdict summary
// ---------------------------------------------------------------------------------------

/// One reported run of a row.
struct Result {
  const Row* row = nullptr;
  std::int64_t run = 0;
  std::string aggregate;  // "" for an iteration run, "median" etc. for aggregates
  bool error = false;
  std::string error_message;
  std::int64_t iterations = 0;
  double cpu_ms = 0.0;    // CPU time of the calling thread per iteration (Google Benchmark's)
  double real_ms = 0.0;   // wall time per iteration (Google Benchmark's)
  double loadavg = -1.0;  // 1-minute load average when the row was reported
  std::map<std::string, double> counters;

  [[nodiscard]] double counter(const std::string& name, double fallback = 0.0) const {
    const auto it = counters.find(name);
    return it != counters.end() ? it->second : fallback;
  }
};

[[nodiscard]] std::string json_string(std::string_view text) {
  std::string out = "\"";
  for (const char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char escaped[8];
          std::snprintf(escaped, sizeof escaped, "\\u%04x", static_cast<unsigned>(c));
          out += escaped;
        } else {
          out += c;
        }
    }
  }
  return out + "\"";
}

[[nodiscard]] std::string json_number(double value) {
  if (!std::isfinite(value)) {
    return "null";
  }
  char text[32];
  std::snprintf(text, sizeof text, "%.9g", value);
  return text;
}

/// A JSON object written with its keys sorted (as the Python bench's `sort_keys=True`).
class JsonObject {
 public:
  JsonObject& raw(std::string key, std::string value) {
    fields_[std::move(key)] = std::move(value);
    return *this;
  }
  JsonObject& str(std::string key, std::string_view value) {
    return raw(std::move(key), json_string(value));
  }
  JsonObject& num(std::string key, double value) { return raw(std::move(key), json_number(value)); }
  JsonObject& integer(std::string key, std::uint64_t value) {
    return raw(std::move(key), std::to_string(value));
  }
  JsonObject& boolean(std::string key, bool value) {
    return raw(std::move(key), value ? "true" : "false");
  }
  [[nodiscard]] std::string text() const {
    std::string out = "{";
    bool first = true;
    for (const auto& [key, value] : fields_) {
      out += (first ? "" : ", ") + json_string(key) + ": " + value;
      first = false;
    }
    return out + "}";
  }

 private:
  std::map<std::string, std::string> fields_;
};

[[nodiscard]] std::string hex64(std::uint64_t value) {
  char text[24];
  std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(value));
  return text;
}

[[nodiscard]] long cache_size(int name) {
#if defined(_SC_LEVEL1_DCACHE_SIZE)
  const long value = sysconf(name);
  return value > 0 ? value : 0;
#else
  (void)name;
  return 0;
#endif
}

/// The 1-minute load average (-1 where unknown): how busy the machine was.
[[nodiscard]] double load_average() {
  std::ifstream in("/proc/loadavg");
  double load = -1.0;
  if (!(in >> load)) {
    return -1.0;
  }
  return load;
}

[[nodiscard]] std::string cpu_meta() {
  JsonObject cpu;
#if defined(_SC_LEVEL1_DCACHE_SIZE)
  cpu.integer("L1_Data", static_cast<std::uint64_t>(cache_size(_SC_LEVEL1_DCACHE_SIZE)));
  cpu.integer("L2_Unified", static_cast<std::uint64_t>(cache_size(_SC_LEVEL2_CACHE_SIZE)));
  cpu.integer("L3_Unified", static_cast<std::uint64_t>(cache_size(_SC_LEVEL3_CACHE_SIZE)));
  cpu.integer("line_size", static_cast<std::uint64_t>(cache_size(_SC_LEVEL1_DCACHE_LINESIZE)));
#endif
#if defined(_SC_PAGESIZE)
  cpu.integer("page_size", static_cast<std::uint64_t>(sysconf(_SC_PAGESIZE)));
#endif
  cpu.integer("hardware_concurrency", hardware_threads());
  return cpu.text();
}

[[nodiscard]] std::string jsonl_line(const Result& r) {
  const State& g = global();
  const Row& row = *r.row;
  const auto outcome_it = g.outcomes.find(row.name);
  const Outcome outcome = outcome_it != g.outcomes.end() ? outcome_it->second : Outcome{};
  const bool match = !r.error && outcome.has_hash && outcome.hash_out == outcome.hash_ref;
  const std::size_t pool_threads = g.pool->size() + 1;  // the workers and the caller

  JsonObject meta;
  meta.str("benchmark", row.name)
      .raw("cpu", cpu_meta())
      .str("workload", row.no_output() ? "zeros" : workload_name(row.workload))
      .integer("seed", g.config.seed)
      .integer("iterations", static_cast<std::uint64_t>(std::max<std::int64_t>(0, r.iterations)))
      .integer("pool_workers", g.pool->size())
      .integer("effective_threads",
               row.backend == Backend::openmp ? row.threads : std::min(row.threads, pool_threads))
      .integer("auto_block_elems", dashi::auto_block_elems())
      .str("pipeline", pipeline_name(row.pipeline))
      .num("bytes_per_iter", outcome.bytes_per_iter)
      .num("GB_per_s", r.counter("GB_per_s"))
      .num("Gsites_per_s", r.counter("Gsites_per_s"))
      .num(row.suite == Suite::iterated ? "speedup_vs_step_loop" : "speedup_vs_dense_1t",
           r.counter("speedup", std::nan("")))
      .num("cpu_ms_calling_thread", r.cpu_ms)
      .num("real_ms", r.real_ms)
      .num("loadavg_1min", r.loadavg >= 0.0 ? r.loadavg : std::nan(""))
      .boolean("quick", g.config.quick);
  if (row.backend == Backend::openmp) {
    // GCC's OpenMP spins at its barriers by default; under load that decides the OpenMP rows.
    const char* policy = std::getenv("OMP_WAIT_POLICY");
    meta.str("omp_wait_policy", policy != nullptr && *policy != '\0' ? policy : "default");
  }
  if (row.suite == Suite::iterated) {
    meta.str("shape", iterated_shape(row.kernel, row.n).to_string());
  }
  if (row.pipeline != Pipeline::none) {
    meta.integer("pq_block_sites", row.pq_block_sites)
        .num("entropy_bits_per_site", r.counter("entropy_bits_per_site"))
        .num("overhead_bits_per_site", r.counter("overhead_bits_per_site"))
        .boolean("fused", row.pipeline == Pipeline::packed && DASHI_BENCH_PQ_ADAPTER != 0);
  }
  if (!r.aggregate.empty()) {
    meta.str("aggregate", r.aggregate);
  }
  if (r.error) {
    meta.str("error", r.error_message);
  }
  if (row.dispatch_empty) {
    meta.str("note", "empty into-kernel: dispatch and join only, no output to compare");
  }
  if (row.copy) {
    meta.str("note", "memcpy of N bytes on one thread: the copy bandwidth, no kernel");
  }

  JsonObject line;
  line.str("suite", suite_name(row.suite))
      .str("mode", row.dispatch_empty ? "dispatch"
                   : row.copy         ? "copy"
                                      : mode_name(row.mode))
      .str("backend", backend_name(row.backend))
      .integer("size", row.n)
      .num("sparsity", row.sparsity)
      .integer("batch_count", 1)
      .integer("block_elems", row.block_elems)
      .str("device", "cpu")
      .integer("run", static_cast<std::uint64_t>(std::max<std::int64_t>(0, r.run)))
      .str("memory_mode", row.pipeline == Pipeline::none        ? "dense"
                          : row.pipeline == Pipeline::roundtrip ? "pq_roundtrip"
                                                                : "pq_packed")
      .num("t_encode_ms", r.counter("t_encode_ms"))
      .num("t_kernel_ms", r.counter("t_kernel_ms"))
      .num("t_decode_ms", r.counter("t_decode_ms"))
      .num("t_total_ms", r.counter("t_total_ms"))
      .integer("threads", row.threads)
      .str("kernel", row.dispatch_empty ? "empty"
                     : row.copy         ? "copy"
                                        : kernel_name(row.kernel))
      .str("workload", row.no_output() ? "zeros" : workload_name(row.workload))
      .integer("steps", row.steps)
      .integer("steps_per_sync", row.steps_per_sync)
      .num("sites_per_s", r.counter("sites_per_s"))
      .num("bits_per_site", row.no_output() ? std::nan("") : r.counter("bits_per_site", 8.0))
      .raw("meta", meta.text());
  if (row.no_output()) {
    line.str("hash_out", "").str("hash_ref", "").raw("match", "null");
  } else {
    line.str("hash_out", outcome.has_hash ? hex64(outcome.hash_out) : "")
        .str("hash_ref", outcome.has_hash ? hex64(outcome.hash_ref) : "")
        .boolean("match", match);
  }
  return line.text();
}

/// Passes every report to the display reporter Google Benchmark would have used, and
/// keeps the runs for the JSONL file and the verdict summary.
class CollectingReporter : public benchmark::BenchmarkReporter {
 public:
  CollectingReporter(std::unique_ptr<benchmark::BenchmarkReporter> inner, std::ofstream* jsonl)
      : inner_(std::move(inner)), jsonl_(jsonl) {}

  bool ReportContext(const Context& context) override { return inner_->ReportContext(context); }

  void ReportRuns(const std::vector<Run>& runs) override {
    inner_->ReportRuns(runs);
    const State& g = global();
    for (const Run& run : runs) {
      const auto it = g.rows.find(run.run_name.function_name);
      if (it == g.rows.end()) {
        continue;
      }
      const bool aggregate = run.run_type == Run::RT_Aggregate;
      if (aggregate && run.aggregate_name != "median") {
        continue;  // of the aggregates only the median is a row
      }
      Result result;
      result.row = &it->second;
      result.run = run.repetition_index;
      result.aggregate = aggregate ? run.aggregate_name : "";
      result.error = run.error_occurred;
      result.error_message = run.error_message;
      result.iterations = run.iterations;
      const double unit = benchmark::GetTimeUnitMultiplier(run.time_unit);
      result.cpu_ms = 1e3 * run.GetAdjustedCPUTime() / unit;
      result.real_ms = 1e3 * run.GetAdjustedRealTime() / unit;
      result.loadavg = load_average();
      for (const auto& [name, counter] : run.counters) {
        result.counters[name] = counter.value;
      }
      if (jsonl_ != nullptr) {
        *jsonl_ << jsonl_line(result) << '\n';
        jsonl_->flush();
      }
      results_.push_back(std::move(result));
    }
  }

  void Finalize() override { inner_->Finalize(); }

  [[nodiscard]] const std::vector<Result>& results() const noexcept { return results_; }

 private:
  std::unique_ptr<benchmark::BenchmarkReporter> inner_;
  std::ofstream* jsonl_;
  std::vector<Result> results_;
};

/// The display reporter matching `--benchmark_format` (console or json; the deprecated csv
/// format falls back to console) and the terminal.
[[nodiscard]] std::unique_ptr<benchmark::BenchmarkReporter> make_display_reporter(
    const Config& config) {
  if (config.console_format == "json") {
    return std::make_unique<benchmark::JSONReporter>();
  }
  int options = benchmark::ConsoleReporter::OO_None;
#if defined(__unix__) || defined(__APPLE__)
  if (isatty(STDOUT_FILENO) != 0) {
    options |= benchmark::ConsoleReporter::OO_Color;
  }
#endif
  if (config.tabular) {
    options |= benchmark::ConsoleReporter::OO_Tabular;
  }
  return std::make_unique<benchmark::ConsoleReporter>(
      static_cast<benchmark::ConsoleReporter::OutputOptions>(options));
}

/// The lowest t_total_ms among results matching `pred` (iteration runs without error);
/// the matching row is returned through `which`.
template <class Pred>
[[nodiscard]] std::optional<double> best_time(const std::vector<Result>& results, Pred pred,
                                              const Row** which = nullptr) {
  std::optional<double> best;
  for (const Result& r : results) {
    if (r.error || !r.aggregate.empty() || !pred(*r.row)) {
      continue;
    }
    const double t = r.counter("t_total_ms");
    if (!best || t < *best) {
      best = t;
      if (which != nullptr) {
        *which = r.row;
      }
    }
  }
  return best;
}

/// The iterated suite's summary: per kernel, N and threads, the step loop's time at the
/// most steps and run_kernel_iterated's best speedup over it (with its steps_per_sync).
void print_iterated_verdict(std::ostream& out, const std::vector<Result>& results,
                            const Plan& plan) {
  if (plan.iterated_steps.empty() ||
      std::none_of(results.begin(), results.end(),
                   [](const Result& r) { return r.row->suite == Suite::iterated; })) {
    return;
  }
  const std::size_t steps = plan.iterated_steps.back();
  char line[256];
  std::snprintf(line, sizeof line,
                "\nIterated suite, %zu steps (random_sparse 0.5): run_kernel_iterated vs the "
                "naive step loop\n",
                steps);
  out << line;
  std::snprintf(line, sizeof line, "%-14s %10s %8s %14s %14s %9s\n", "kernel", "N", "threads",
                "step loop ms", "best ms", "speedup");
  out << line;
  for (const KernelId kernel : plan.iterated_kernels) {
    for (const std::size_t n : plan.iterated_sizes) {
      for (const std::size_t t : plan.iterated_threads) {
        auto same = [&](const Row& r) {
          return r.suite == Suite::iterated && r.kernel == kernel && r.n == n && r.threads == t &&
                 r.steps == steps;
        };
        const auto loop = best_time(
            results, [&](const Row& r) { return same(r) && r.backend == Backend::step_loop; });
        const Row* which = nullptr;
        const auto best = best_time(
            results, [&](const Row& r) { return same(r) && r.backend == Backend::dashi; }, &which);
        if (!loop || !best || which == nullptr) {
          continue;
        }
        char best_cell[48];
        std::snprintf(best_cell, sizeof best_cell, "%.4g@%zu", *best, which->steps_per_sync);
        std::snprintf(line, sizeof line, "%-14s %10zu %8zu %14.4g %14s %8.2fx\n",
                      std::string(kernel_name(kernel)).c_str(), n, t, *loop, best_cell,
                      *loop / *best);
        out << line;
      }
    }
  }
  out << "(best ms@S: the fastest steps_per_sync S; speedup: step loop time / best time)\n";
}

/// The summary printed after the run: the executor figures and, per N, which mode wins.
void print_verdict(std::ostream& out, const std::vector<Result>& results, const Plan& plan) {
  const std::size_t hw = hardware_threads();
  auto is = [](const Row& r, Mode m, Backend b) {
    return r.suite == Suite::sweep && !r.no_output() && r.mode == m && r.backend == b;
  };
  auto reference_case = [](const Row& r, std::size_t n) {
    return r.kernel == KernelId::sign_flip && r.workload == Workload::random_sparse && r.n == n &&
           r.sparsity == 0.5 && r.block_elems == 0 && r.pq_block_sites == 4096;
  };
  char line[256];
  out << "\n=== dashicore_bench verdict (sign_flip, random_sparse, sparsity 0.5; times in ms) "
         "===\n";
  std::snprintf(line, sizeof line, "%-10s %11s %11s %11s %11s %11s %11s  %s\n", "N", "dense-1t",
                "dense-mt", "peer_omp", "pq-1t", "pq-mt", "pq-mt rt", "fastest");
  out << line;
  for (const std::size_t n : plan.sizes) {
    const Row* mt_row = nullptr;
    const Row* pq_row = nullptr;
    const auto d1 = best_time(results, [&](const Row& r) {
      return is(r, Mode::dense_1t, Backend::dashi) && reference_case(r, n);
    });
    const auto dm = best_time(
        results,
        [&](const Row& r) { return is(r, Mode::dense_mt, Backend::dashi) && reference_case(r, n); },
        &mt_row);
    const auto om = best_time(results, [&](const Row& r) {
      return is(r, Mode::dense_mt, Backend::openmp) && reference_case(r, n);
    });
    const auto p1 = best_time(results, [&](const Row& r) {
      return is(r, Mode::pq_1t, Backend::dashi) && r.pipeline == Pipeline::packed &&
             reference_case(r, n);
    });
    const auto pm = best_time(
        results,
        [&](const Row& r) {
          return is(r, Mode::pq_mt, Backend::dashi) && r.pipeline == Pipeline::packed &&
                 reference_case(r, n);
        },
        &pq_row);
    const auto pr = best_time(results, [&](const Row& r) {
      return is(r, Mode::pq_mt, Backend::dashi) && r.pipeline == Pipeline::roundtrip &&
             reference_case(r, n);
    });
    auto cell = [](std::optional<double> v) {
      char text[24];
      if (v) {
        std::snprintf(text, sizeof text, "%.4g", *v);
      } else {
        std::snprintf(text, sizeof text, "-");
      }
      return std::string(text);
    };
    std::string fastest = "-";
    double fastest_time = 0.0;
    const std::pair<const char*, std::optional<double>> candidates[] = {
        {"dense-1t", d1}, {"dense-mt", dm}, {"pq-1t", p1}, {"pq-mt", pm}};
    for (const auto& [label, value] : candidates) {
      if (value && (fastest == "-" || *value < fastest_time)) {
        fastest = label;
        fastest_time = *value;
      }
    }
    std::string mt_cell = cell(dm);
    if (mt_row != nullptr) {
      mt_cell += "@" + std::to_string(mt_row->threads);
    }
    std::string pq_cell = cell(pm);
    if (pq_row != nullptr) {
      pq_cell += "@" + std::to_string(pq_row->threads);
    }
    std::snprintf(line, sizeof line, "%-10zu %11s %11s %11s %11s %11s %11s  %s\n", n,
                  cell(d1).c_str(), mt_cell.c_str(), cell(om).c_str(), cell(p1).c_str(),
                  pq_cell.c_str(), cell(pr).c_str(), fastest.c_str());
    out << line;
  }
  out << "(pq-1t / pq-mt: packed in -> kernel -> packed out; pq-mt rt: encode -> decode -> kernel;"
         " @T: threads of the best row)\n";

  out << "\nExecutor figures (2 workers unless noted):\n";
  auto sign_flip_2t = [&](const Row& r, std::size_t n, Backend b) {
    return is(r, Mode::dense_mt, b) && r.threads == 2 && reference_case(r, n);
  };
  for (const std::size_t n : {std::size_t{1000000}, std::size_t{10000000}}) {
    const auto dm =
        best_time(results, [&](const Row& r) { return sign_flip_2t(r, n, Backend::dashi); });
    const auto om =
        best_time(results, [&](const Row& r) { return sign_flip_2t(r, n, Backend::openmp); });
    if (dm && om) {
      std::snprintf(line, sizeof line,
                    "  dense-mt / peer_omp, sign_flip, N=%zu, 2 threads: %.3f (target <= 1.05)\n",
                    n, *dm / *om);
      out << line;
    }
  }
  {
    const auto dm =
        best_time(results, [&](const Row& r) { return sign_flip_2t(r, 10000, Backend::dashi); });
    const auto se = best_time(results, [&](const Row& r) {
      return is(r, Mode::dense_1t, Backend::serial) && reference_case(r, 10000);
    });
    if (dm && se) {
      std::snprintf(
          line, sizeof line,
          "  dense-mt (2 threads) / peer_serial, sign_flip, N=10000: %.3f (target <= 2)\n",
          *dm / *se);
      out << line;
    }
  }
  for (const Result& r : results) {
    if (r.row->dispatch_empty && r.aggregate == "median") {
      std::snprintf(
          line, sizeof line,
          "  dispatch_empty median (N=65536, 2 blocks, 2 workers): %.3f us (target <= 1)\n",
          1e3 * r.counter("t_total_ms"));
      out << line;
    }
  }
  {
    const Row* which = nullptr;
    std::size_t largest = 0;
    for (const Result& r : results) {
      if (!r.error && r.aggregate.empty() && is(*r.row, Mode::dense_mt, Backend::dashi) &&
          r.row->threads == 1 && reference_case(*r.row, r.row->n)) {
        largest = std::max(largest, r.row->n);
      }
    }
    const auto t = best_time(
        results,
        [&](const Row& r) {
          return is(r, Mode::dense_mt, Backend::dashi) && r.threads == 1 &&
                 reference_case(r, largest);
        },
        &which);
    if (t && which != nullptr) {
      std::snprintf(
          line, sizeof line,
          "  dense-mt, 1 thread, sign_flip, N=%zu: %.2f Gsites/s (target >= 10 at N >= 1e7)\n",
          largest, static_cast<double>(largest) / (*t * 1e-3) * 1e-9);
      out << line;
    }
    const auto copy = best_time(results, [&](const Row& r) { return r.copy && r.n == largest; });
    if (copy) {
      std::snprintf(line, sizeof line,
                    "  memcpy, 1 thread, N=%zu: %.2f Gsites/s (for comparison)\n", largest,
                    static_cast<double>(largest) / (*copy * 1e-3) * 1e-9);
      out << line;
    }
  }
  print_iterated_verdict(out, results, plan);
  std::size_t errors = 0;
  for (const Result& r : results) {
    errors += r.error ? 1 : 0;
  }
  std::snprintf(line, sizeof line,
                "\n%zu rows, %zu with an error or a fingerprint mismatch; %zu hardware threads\n",
                results.size(), errors, hw);
  out << line;
}

}  // namespace
}  // namespace dashi_bench

int main(int argc, char** argv) {
  using namespace dashi_bench;
  State& g = global();
  try {
    g.config = parse_args(argc, argv);
  } catch (const std::exception& error) {
    std::cerr << "dashicore_bench: " << error.what() << "\n";
    return 2;
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) {
    return 2;
  }

  g.pool = std::make_unique<dashi::ThreadPool>(hardware_threads());
  g.inputs = std::make_unique<InputCache>(g.config.seed);
  const Plan plan = make_plan(g.config);
  for (Row& row : make_rows(g.config, plan)) {
    const std::string name = row.name;
    const Row& stored = g.rows.emplace(name, std::move(row)).first->second;
    benchmark::internal::Benchmark* bench = benchmark::RegisterBenchmark(
        name.c_str(), [&stored](benchmark::State& state) { run_row(state, stored); });
    bench->UseRealTime()->Unit(benchmark::kMicrosecond);
    if (!g.config.user_min_time) {
      bench->MinTime(plan.min_time);
    }
    if (stored.dispatch_empty) {
      bench->Repetitions(plan.dispatch_repetitions)->ReportAggregatesOnly(true);
    }
  }

  std::ofstream jsonl;
  if (!g.config.jsonl.empty()) {
    jsonl.open(g.config.jsonl, std::ios::out | std::ios::trunc);
    if (!jsonl) {
      std::cerr << "dashicore_bench: cannot open " << g.config.jsonl << " for writing\n";
      return 2;
    }
  }
  CollectingReporter reporter(make_display_reporter(g.config), jsonl.is_open() ? &jsonl : nullptr);
  const auto t0 = std::chrono::steady_clock::now();
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();
  const double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

  std::ostream& summary = g.config.console_json ? std::cerr : std::cout;
  print_verdict(summary, reporter.results(), plan);
  const char* pipeline = DASHI_BENCH_HAVE_PQ == 0 ? "PQ modes not built (no <dashi/pq/codec.hpp>)"
                         : DASHI_BENCH_PQ_ADAPTER != 0
                             ? "packed pipeline: the executor's packed overload"
                             : "packed pipeline: decode -> run_kernel_parallel -> encode";
  summary << "sweep time: " << std::lround(elapsed) << " s; " << pipeline << "\n";
  if (g.failed) {
    std::cerr << "dashicore_bench: FAILED: a row mismatched dense-1t's output or raised an "
                 "error (see the rows marked ERROR)\n";
    return 1;
  }
  return 0;
}
