// SPDX-License-Identifier: Apache-2.0
//
// dashicore_bench: does PQ + multithreading help, or is dense multithreading better? The
// families (modes/*.cpp, peers/*.cpp) register through runner.hpp; this driver picks the
// tier's axes and Google Benchmark's defaults, records the machine, and runs. The analysis
// (noisy rows, verdict, hypotheses, plots) is bench/report/report.py on the JSON output.
//
//   dashicore_bench [--quick | --full] [--large] [--seed=N] [any Google Benchmark flag]

#include <cstdlib>
#include <cstring>
#include <dashi/partition.hpp>
#include <dashi/simd/isa.hpp>
#include <fstream>

#include "runner.hpp"

namespace {

using dashi_bench::KernelId;
using dashi_bench::Tier;

/// The axes of the tiers (see bench/README.md): --quick (CI), the main job, --full, --large.
Tier make_tier(bool quick, bool full, bool large) {
  const auto hw = std::int64_t(dashi_bench::hardware_threads()),
             many = std::max<std::int64_t>(2, hw);
  using enum KernelId;
  Tier t{.name = "default",
         .sizes = {10000, 100000, 1000000, 10000000},
         .threads = {1, many},
         .peer_threads = {many},
         .sparsity_pct = {50},
         .rule_sizes = {1000000},
         .codec_sizes = {1 << 20},
         .kernels = {sign_flip, left_neighbor},
         .rule_kernels = {rule1d, totalistic2d},
         .iterated_kernels = {sign_flip, left_neighbor, majority3x3},
         .workloads = {dashi_bench::Workload::random_sparse},
         .iterated_sizes = {10000000},
         .iterated_threads = {1, many},
         .iterated_steps = {64},
         .iterated_sync = {1, 8},
         .sweep_blocks = {},
         .sweep_pq_blocks = {}};
  if (quick) {
    t.name = "quick";
    t.sizes = {10000, 1000000};
    t.rule_sizes = {100000};
    t.codec_sizes = {1 << 16};
    t.iterated_kernels = {majority3x3};
    t.iterated_sizes = {100000};
    t.iterated_threads = {many};
    t.iterated_steps = {8};
    t.iterated_sync = {1, 4};
  } else if (full) {
    t.name = "full";
    t.sizes = {10000, 100000, 1000000};
    t.threads = {1, 2, 4, 8};
    t.peer_threads = {2, 4, 8};
    if (hw > 8 || (hw != 1 && hw != 2 && hw != 4 && hw != 8)) {
      t.threads.push_back(hw);
      t.peer_threads.push_back(hw);
    }
    t.kernels = {sign_flip, clamp, left_neighbor};
    t.workloads = {dashi_bench::Workload::random_sparse, dashi_bench::Workload::clustered_sparse};
    t.sparsity_pct = {0, 50, 90};
    t.rule_sizes = {10000, 100000, 1000000};
    t.sweep_blocks = {1024, 16384, 262144};
    t.sweep_pq_blocks = {1024, 16384, 65536};
    t.iterated_sizes = {100000, 1000000, 10000000};
    t.iterated_steps = {1, 4, 16, 64};
    t.iterated_sync = {1, 2, 4, 8};
  }
  if (large) {
    t.name += "+large";
    for (const std::int64_t n : {10000000, 100000000}) {
      if (std::find(t.sizes.begin(), t.sizes.end(), n) == t.sizes.end()) {
        t.sizes.push_back(n);
      }
    }
    t.codec_sizes.push_back(std::int64_t{1} << 27);
  }
  return t;
}

[[nodiscard]] std::string cpu_model() {
  std::ifstream in("/proc/cpuinfo");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("model name", 0) == 0) {
      return line.substr(line.find(':') + 2);
    }
  }
  return "unknown";
}

}  // namespace

int main(int argc, char** argv) {
  using namespace dashi_bench;
  Globals& g = globals();
  bool quick = false, full = false, large = false, filtered = false;
  std::uint64_t seed = 0;
  // Our flags out; Google Benchmark's after the tier's defaults, so that the user's win.
  std::vector<std::string> args{argv[0], "--benchmark_enable_random_interleaving=true",
                                "--benchmark_display_aggregates_only=true"};
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    quick |= arg == "--quick";
    full |= arg == "--full";
    large |= arg == "--large";
    filtered |= arg.rfind("--benchmark_filter=", 0) == 0;
    if (arg == "--help") {
      std::cout
          << "dashicore_bench [--quick | --full] [--large] [--seed=N] [Google Benchmark flags]\n"
             "  (none) the main job, --quick CI's smoke run, --full every axis, --large adds "
             "N = 1e7, 1e8 (bench/README.md)\n\n";
    }
    if (arg.rfind("--seed=", 0) == 0) {
      seed = std::stoull(arg.substr(7));
    } else if (arg != "--quick" && arg != "--full" && arg != "--large") {
      args.push_back(arg);
    }
  }
  if (quick && full) {
    std::cerr << "dashicore_bench: --quick and --full exclude each other\n";
    return 2;
  }
  const Tier tier = make_tier(quick, full, large);
  g.repetitions = quick || full ? 3 : 5;
  g.min_time = quick ? 0.005 : full ? 0.05 : 0.02;
  args.insert(args.begin() + 1, {"--benchmark_repetitions=" + std::to_string(g.repetitions),
                                 "--benchmark_min_time=" + std::to_string(g.min_time)});
  for (const std::string& arg : args) {  // the effective values, for the progress line
    if (arg.rfind("--benchmark_repetitions=", 0) == 0) {
      g.repetitions = std::stoul(arg.substr(24));
    } else if (arg.rfind("--benchmark_min_time=", 0) == 0) {
      g.min_time = std::stod(arg.substr(21));
    }
  }
  for (const auto& registrar : registrars()) {
    registrar(tier);
  }
  if (filtered) {
    g.planned = 0;  // the ETA would count rows the filter leaves out
  }
  std::vector<char*> argv2;
  for (std::string& arg : args) {
    argv2.push_back(arg.data());
  }
  int argc2 = int(argv2.size());
  benchmark::Initialize(&argc2, argv2.data());
  if (benchmark::ReportUnrecognizedArguments(argc2, argv2.data())) {
    return 2;
  }
  const char* isa_cap = std::getenv("DASHI_ISA");
  const char* wait_policy = std::getenv("OMP_WAIT_POLICY");
  benchmark::AddCustomContext("tier", tier.name);
  benchmark::AddCustomContext("seed", std::to_string(seed));
  benchmark::AddCustomContext("cpu_model", cpu_model());
  benchmark::AddCustomContext("isa", dashi::detail::isa_name(dashi::detail::active_isa()));
  benchmark::AddCustomContext("DASHI_ISA", isa_cap != nullptr ? isa_cap : "unset");
  benchmark::AddCustomContext("OMP_WAIT_POLICY", wait_policy != nullptr ? wait_policy : "default");
  benchmark::AddCustomContext("peers", DASHI_BENCH_PEERS);
  benchmark::AddCustomContext("hardware_threads", std::to_string(hardware_threads()));
  benchmark::AddCustomContext(
      "auto_block_elems",
      std::to_string(dashi::Partition(dashi::Shape{10000000}, 0).rows_per_block()));
  g.pool = std::make_unique<dashi::ThreadPool>(hardware_threads());
  // Inputs kept at once: a quarter of the memory, at most 3 GiB (six inputs of 1e8 sites).
  const auto memory = std::size_t(sysconf(_SC_PHYS_PAGES)) * std::size_t(sysconf(_SC_PAGE_SIZE));
  g.inputs = std::make_unique<InputCache>(seed, std::min(memory / 4, std::size_t{3} << 30));
  g.start = std::chrono::steady_clock::now();
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  if (g.done > 0) {
    show_progress(true);
  }
  if (g.failed) {
    std::cerr
        << "dashicore_bench: FAILED: an output differs from its reference (rows marked ERROR)\n";
    return 1;
  }
  return 0;
}
