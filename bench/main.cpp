// SPDX-License-Identifier: Apache-2.0
//
// dashicore_bench: does PQ + multithreading help, or is dense multithreading better? The
// suites (suites/dense.cpp, pq.cpp, iterated.cpp, dispatch.cpp) add their rows in groups;
// this driver registers them with Google Benchmark so that the repetitions of a row and its
// peers interleave, collects the runs (common/results.cpp), and prints the verdict
// (common/verdict.cpp). What it measures and why: bench/README.md and docs/benchmarks.md.
//
//   dashicore_bench [--quick | --full] [--large] [--mode M[,M...]] [--jsonl FILE] [--seed N]
//                   [--repetitions N] [--noisy-spread F] [--noisy-load F]
//                   [any Google Benchmark flag]

#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <exception>
#include <fstream>
#include <iostream>
#include <map>
#include <regex>
#include <stdexcept>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "common/results.hpp"
#include "common/state.hpp"
#include "common/verdict.hpp"
#include "peers/runtimes.hpp"
#include "suites/suites.hpp"

namespace dashi_bench {
namespace {

void print_usage() {
  std::cout
      << "dashicore_bench: dense vs PQ, single- vs multithreaded (see bench/README.md)\n"
         "  (default)          the main job: about three minutes on a 2-core machine\n"
         "  --quick            a small sweep with short repetitions (CI)\n"
         "  --full             the whole sweep of the seed's axes\n"
         "  --large            add N = 1e7 and 1e8 (and the 2^27 codec rows)\n"
         "  --mode M[,M...]    dense-1t, dense-mt, pq-1t, pq-mt, iterated (default all)\n"
         "  --jsonl FILE       one JSON object per row, then the verdict\n"
         "  --seed N           workload seed (default 0)\n"
         "  --repetitions N    interleaved repetitions per row (default: 5, --full 3, --quick 3)\n"
         "  --noisy-spread F   (max - min) / median above F marks a row noisy (default 0.25)\n"
         "  --noisy-load F     other processes' CPU share above F marks a row noisy (0.25)\n"
         "All Google Benchmark flags work too; its help follows.\n\n";
}

[[nodiscard]] Mode parse_mode(std::string_view text) {
  const std::pair<std::string_view, Mode> names[] = {
      {"dense-1t", Mode::dense_1t}, {"dense_1t", Mode::dense_1t}, {"dense-mt", Mode::dense_mt},
      {"dense_mt", Mode::dense_mt}, {"pq-1t", Mode::pq_1t},       {"pq_1t", Mode::pq_1t},
      {"pq-mt", Mode::pq_mt},       {"pq_mt", Mode::pq_mt},       {"iterated", Mode::iterated}};
  for (const auto& [name, mode] : names) {
    if (text == name) {
      return mode;
    }
  }
  throw std::invalid_argument("unknown mode '" + std::string(text) +
                              "' (expected dense-1t, dense-mt, pq-1t, pq-mt or iterated)");
}

/// Parses and removes our flags; leaves Google Benchmark's in `argv`.
Config parse_args(int& argc, char** argv) {
  Config config;
  std::vector<Mode> modes;
  int kept = 1;
  auto is_flag = [](std::string_view arg, std::string_view flag) {
    return arg == flag || (arg.size() > flag.size() && arg.substr(0, flag.size()) == flag &&
                           arg[flag.size()] == '=');
  };
  auto value_of = [&](int& i, std::string_view arg, std::string_view flag) -> std::string {
    if (arg.size() > flag.size() && arg[flag.size()] == '=') {
      return std::string(arg.substr(flag.size() + 1));
    }
    if (i + 1 >= argc) {
      throw std::invalid_argument(std::string(flag) + " needs a value");
    }
    return std::string(argv[++i]);
  };
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (is_flag(arg, "--mode")) {
      const std::string list = value_of(i, arg, "--mode");
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
    } else if (arg == "--full") {
      config.full = true;
    } else if (arg == "--large") {
      config.large = true;
    } else if (is_flag(arg, "--jsonl")) {
      config.jsonl = value_of(i, arg, "--jsonl");
    } else if (is_flag(arg, "--seed")) {
      config.seed = std::stoull(value_of(i, arg, "--seed"));
    } else if (is_flag(arg, "--repetitions")) {
      config.repetitions = std::stoi(value_of(i, arg, "--repetitions"));
      if (config.repetitions < 1) {
        throw std::invalid_argument("--repetitions must be at least 1");
      }
    } else if (is_flag(arg, "--noisy-spread")) {
      config.noisy_spread = std::stod(value_of(i, arg, "--noisy-spread"));
    } else if (is_flag(arg, "--noisy-load")) {
      config.noisy_load = std::stod(value_of(i, arg, "--noisy-load"));
    } else {
      if (arg == "--help" || arg == "-h") {
        print_usage();
      }
      if (arg.substr(0, 23) == "--benchmark_repetitions") {
        throw std::invalid_argument(
            "use --repetitions N: the bench interleaves the repetitions of a row with its "
            "peers itself (--benchmark_repetitions would run them back to back)");
      }
      if (arg.substr(0, 20) == "--benchmark_min_time") {
        config.user_min_time = true;
      }
      if (arg.substr(0, 19) == "--benchmark_format=") {
        config.console_format = std::string(arg.substr(19));
      }
      if (arg.substr(0, 19) == "--benchmark_filter=") {
        config.filter = std::string(arg.substr(19));
      }
      argv[kept++] = argv[i];
    }
  }
  if (config.quick && config.full) {
    throw std::invalid_argument("--quick and --full exclude each other");
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

/// True when Google Benchmark's filter selects `name` (empty, "all" or "." select all; a
/// leading '-' negates).
[[nodiscard]] bool selected(const std::string& filter, const std::string& name) {
  if (filter.empty() || filter == "all" || filter == ".") {
    return true;
  }
  const bool negate = filter[0] == '-';
  const std::regex re(negate ? filter.substr(1) : filter, std::regex::extended);
  return std::regex_search(name, re) != negate;
}

/// A guess of an instance's wall time (seconds), for the ETA only.
[[nodiscard]] double estimated_cost(const Row& row, double min_time) {
  double per_site = 1e-10;  // about 10 Gsites/s
  if (row.pipeline == Pipeline::packed || row.suite == Suite::codec) {
    per_site = 5e-10;
  } else if (row.pipeline == Pipeline::roundtrip) {
    per_site = 1.5e-9;
  } else if (row.backend == Backend::plain || row.backend == Backend::omp_plain) {
    per_site = 3e-10;
  }
  const double call = static_cast<double>(row.n) * static_cast<double>(row.steps) * per_site;
  // Google Benchmark's calibration tries (each with its wait for idle threads and its
  // warm-up call), then the timed run and the fingerprint check.
  constexpr double tries = 4.0;
  return std::max(1.3 * min_time, 2.0 * call) + tries * (call + 0.004) +
         static_cast<double>(row.n) * 1e-9;
}

void run_instance(benchmark::State& state, std::size_t index) {
  State& g = global();
  g.current_row = index;
  g.current = Sample{};
  const Row& row = g.rows[index].row;
  try {
    switch (row.suite) {
      case Suite::sweep:
      case Suite::block_sweep:
        if (row.pipeline == Pipeline::none) {
          run_dense(state, row, g.current);
        } else {
          run_pq(state, row, g.current);
        }
        break;
      case Suite::codec:
        run_pq(state, row, g.current);
        break;
      case Suite::iterated:
        run_iterated(state, row, g.current);
        break;
      case Suite::dispatch:
        if (row.copy) {
          run_dense(state, row, g.current);
        } else {
          run_dispatch(state, row, g.current);
        }
        break;
    }
    set_counters(state, row, g.current);
  } catch (const std::exception& error) {
    g.current.error = true;
    g.current.error_message = error.what();
    g.failed = true;
    state.SkipWithError(error.what());
  }
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
  g.plan = make_plan(g.config);
  g.pool = std::make_unique<dashi::ThreadPool>(hardware_threads());
  g.inputs = std::make_unique<InputCache>(g.config.seed);

  RowList list;
  add_dispatch_rows(g.config, g.plan, list);
  add_dense_rows(g.config, g.plan, list);
  add_pq_rows(g.config, g.plan, list);
  add_iterated_rows(g.config, g.plan, list);

  // Groups in run order: dispatch first, then by input so that each input is generated
  // once; within a group, repetition by repetition, every row of the group in turn.
  std::map<std::size_t, std::vector<std::size_t>> members;  // group -> row indices
  for (std::size_t i = 0; i < list.rows().size(); ++i) {
    members[list.rows()[i].group].push_back(i);
  }
  std::vector<std::size_t> order;
  for (const auto& [group, rows] : members) {
    order.push_back(group);
  }
  auto sort_key = [&](std::size_t group) {
    const Row& r = list.rows()[members[group].front()];
    const bool dispatch = r.dispatch_empty;
    return std::make_tuple(dispatch ? 0 : 1, r.n, static_cast<int>(r.workload), r.sparsity);
  };
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return sort_key(a) < sort_key(b); });

  std::vector<double> costs;
  for (const std::size_t group : order) {
    const std::vector<std::size_t>& rows = members[group];
    std::vector<std::size_t> indices;
    for (const std::size_t i : rows) {
      const Row& row = list.rows()[i];
      if (!selected(g.config.filter, row.name)) {
        continue;
      }
      indices.push_back(g.rows.size());
      g.rows.push_back(RowRecord{row, {}, {}});
    }
    if (indices.empty()) {
      continue;
    }
    const bool dispatch = g.rows[indices.front()].row.dispatch_empty;
    const int reps = dispatch ? g.plan.dispatch_repetitions : g.plan.repetitions;
    for (int rep = 0; rep < reps; ++rep) {
      for (const std::size_t index : indices) {
        const Row& row = g.rows[index].row;
        benchmark::internal::Benchmark* bench = benchmark::RegisterBenchmark(
            row.name.c_str(), [index](benchmark::State& state) { run_instance(state, index); });
        bench->UseRealTime()->Unit(benchmark::kMicrosecond);
        if (!g.config.user_min_time) {
          bench->MinTime(g.plan.min_time);
        }
        costs.push_back(estimated_cost(row, g.plan.min_time));
      }
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
  const bool json_console = g.config.console_format == "json";
  std::ostream& text_out = json_console ? std::cerr : std::cout;
  text_out << "dashicore_bench (" << g.plan.tier << "): " << g.rows.size() << " rows, "
           << costs.size() << " runs (" << g.plan.repetitions
           << " interleaved repetitions per row)\nCPU: " << cpu_model() << ", "
           << hardware_threads() << " hardware threads\nISA: " << isa_text() << "\npeers: OpenMP "
           << (peers::available(peers::Runtime::omp) ? "yes" : "no") << ", oneTBB "
           << (peers::available(peers::Runtime::tbb) ? "yes" : "no") << ", std::execution::par "
           << (peers::available(peers::Runtime::std_par) ? "yes" : "no")
           << "; between runs: wait until the other threads are idle\n";

  Collector collector(json_console ? std::make_unique<benchmark::JSONReporter>() : nullptr,
                      jsonl.is_open() ? &jsonl : nullptr, costs);
  const auto t0 = std::chrono::steady_clock::now();
  benchmark::RunSpecifiedBenchmarks(&collector);
  benchmark::Shutdown();
  const double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

  const Verdict verdict = compute_verdict(g.rows, g.plan);
  print_verdict(text_out, verdict);
  if (jsonl.is_open()) {
    for (const std::string& line : verdict_jsonl(verdict)) {
      jsonl << line << '\n';
    }
  }
  text_out << "run time: " << std::lround(elapsed) << " s; packed pipeline: "
           << (pq_packed_fused() ? "the executor's packed overload"
                                 : "decode -> run_kernel_parallel -> encode")
           << "; codec rows: "
           << (pq_codec_into() ? "encode_into / decode_into" : "encode / decode (allocating)")
           << "\n";
  if (g.failed) {
    std::cerr << "dashicore_bench: FAILED: a row's output differs from the reference or it "
                 "raised an error (rows marked ERROR)\n";
    return 1;
  }
  return 0;
}
