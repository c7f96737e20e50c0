// SPDX-License-Identifier: Apache-2.0
// The distributed bench: run_kernel_distributed and run_kernel_iterated_distributed under
// mpiexec, with a loopback ping-pong to calibrate the performance model of
// docs/distributed.md. Suites:
//   pingpong  latency and bandwidth between ranks 0 and 1 (message sizes 8 B .. 16 MiB)
//   strong    fixed global field, one application (Majority3x3)
//   weak      fixed rows per rank, one application
//   iterated  fixed global field, 8 steps with steps_per_sync 1, 2, 4, 8
// Each row reports (the slowest rank's median over repetitions) the total time of the
// distributed call, the compute time of the same work on the rank's slab alone, the time of
// the halo exchange alone, and the bytes exchanged, as one JSONL line (the schema of the
// bench's former JSONL files, plus `ranks`) written by rank 0. Every row's result is
// compared with the single-process result on every rank (`match`).
//
// Usage: mpiexec -n P dashicore_mpi_bench [--quick] [--out FILE.jsonl] [--threads T]
#include <mpi.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <dashi/execution/iterate.hpp>
#include <dashi/mpi.hpp>
#include <fstream>
#include <functional>
#include <string>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

double now_ms() {
  return std::chrono::duration<double, std::milli>(Clock::now().time_since_epoch()).count();
}

struct Config {
  bool quick = false;
  std::string out;
  std::size_t threads = 1;
  int rank = 0;
  int size = 1;
  std::size_t reps = 5;
};

/// The median of `samples` of this rank, then the maximum over ranks (the slowest rank
/// decides a collective step).
double slowest_median(std::vector<double> samples) {
  std::sort(samples.begin(), samples.end());
  double median = samples.empty() ? 0.0 : samples[samples.size() / 2];
  MPI_Allreduce(MPI_IN_PLACE, &median, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
  return median;
}

/// Times `f` `reps` times, between barriers.
std::vector<double> timed(std::size_t reps, const std::function<void()>& f) {
  std::vector<double> samples;
  for (std::size_t i = 0; i < reps; ++i) {
    MPI_Barrier(MPI_COMM_WORLD);
    const double t0 = now_ms();
    f();
    samples.push_back(now_ms() - t0);
  }
  return samples;
}

std::string num(double v) {
  if (!std::isfinite(v)) {
    return "null";
  }
  char text[64];
  std::snprintf(text, sizeof text, "%.9g", v);
  return text;
}

/// One JSONL row in the schema of the bench's former JSONL files (keys sorted), plus `ranks`.
struct Row {
  std::string suite;
  std::string kernel = "majority3x3";
  std::size_t size = 0;
  std::size_t steps = 1;
  std::size_t steps_per_sync = 1;
  std::size_t block_elems = 0;
  bool match = true;
  double t_total_ms = 0;
  double t_compute_ms = 0;
  double t_halo_ms = 0;
  double halo_bytes = 0;
  std::string extra_meta;  // more `"key": value` pairs for meta, each ending with ", "
  std::string note;
};

void emit(const Config& config, std::ofstream& out, const Row& row) {
  if (config.rank != 0) {
    return;
  }
  const bool oversubscribed =
      static_cast<std::size_t>(config.size) * config.threads > std::thread::hardware_concurrency();
  const double sites_per_s =
      row.t_total_ms > 0 ? static_cast<double>(row.size * row.steps) / (row.t_total_ms * 1e-3) : 0;
  std::string line = "{\"backend\": \"dashi-mpi\", \"batch_count\": 1, \"bits_per_site\": null, ";
  line +=
      "\"block_elems\": " + std::to_string(row.block_elems) +
      ", \"device\": \"cpu\", \"hash_out\": \"\", \"hash_ref\": \"\", \"kernel\": \"" + row.kernel +
      "\", \"match\": " + (row.match ? "true" : "false") +
      ", \"memory_mode\": \"dense\", \"meta\": {" + row.extra_meta +
      "\"halo_bytes\": " + num(row.halo_bytes) +
      ", \"hardware_concurrency\": " + std::to_string(std::thread::hardware_concurrency()) +
      ", \"note\": \"" + row.note +
      "\", \"oversubscribed\": " + (oversubscribed ? "true" : "false") +
      ", \"quick\": " + (config.quick ? "true" : "false") +
      ", \"sites_per_rank\": " + std::to_string(row.size / static_cast<std::size_t>(config.size)) +
      ", \"t_compute_ms\": " + num(row.t_compute_ms) + ", \"t_halo_ms\": " + num(row.t_halo_ms) +
      "}, \"mode\": \"distributed\", \"ranks\": " + std::to_string(config.size) +
      ", \"run\": 0, \"sites_per_s\": " + num(sites_per_s) +
      ", \"size\": " + std::to_string(row.size) +
      ", \"sparsity\": 0.333, \"steps\": " + std::to_string(row.steps) +
      ", \"steps_per_sync\": " + std::to_string(row.steps_per_sync) + ", \"suite\": \"" +
      row.suite + "\", \"t_decode_ms\": 0, \"t_encode_ms\": 0, " +
      "\"t_kernel_ms\": " + num(row.t_compute_ms) + ", \"t_total_ms\": " + num(row.t_total_ms) +
      ", \"threads\": " + std::to_string(config.threads) + ", \"workload\": \"random\"}";
  out << line << "\n";
  out.flush();
  std::printf(
      "%-9s ranks %d%s N %10zu steps %zu/sync %zu  total %9.3f ms  compute %9.3f ms  "
      "halo %8.3f ms  bytes %10.0f  %s\n",
      row.suite.c_str(), config.size, oversubscribed ? "*" : " ", row.size, row.steps,
      row.steps_per_sync, row.t_total_ms, row.t_compute_ms, row.t_halo_ms, row.halo_bytes,
      row.match ? "match" : "MISMATCH");
  std::fflush(stdout);
}

/// A deterministic random field (a third of the sites 0), the same on every rank.
dashi::TernaryField global_field(const dashi::Shape& shape) {
  std::vector<std::int8_t> values(shape.size());
  std::uint64_t state = 12345;
  for (auto& v : values) {
    state += 0x9E3779B97F4A7C15ULL;
    std::uint64_t z = state;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    v = static_cast<std::int8_t>(static_cast<int>((z ^ (z >> 31)) % 3) - 1);
  }
  return dashi::TernaryField::from_signed(values, shape);
}

void pingpong(const Config& config, std::ofstream& out) {
  if (config.size < 2) {
    return;
  }
  for (std::size_t bytes = 8; bytes <= (std::size_t{16} << 20); bytes *= 8) {
    std::vector<char> buffer(bytes, 1);
    const std::size_t rounds = config.quick ? 20 : (bytes < (1U << 20) ? 200 : 20);
    std::vector<double> samples;
    for (std::size_t rep = 0; rep < config.reps; ++rep) {
      MPI_Barrier(MPI_COMM_WORLD);
      const double t0 = now_ms();
      for (std::size_t i = 0; i < rounds; ++i) {
        if (config.rank == 0) {
          MPI_Send(buffer.data(), static_cast<int>(bytes), MPI_BYTE, 1, 7, MPI_COMM_WORLD);
          MPI_Recv(buffer.data(), static_cast<int>(bytes), MPI_BYTE, 1, 7, MPI_COMM_WORLD,
                   MPI_STATUS_IGNORE);
        } else if (config.rank == 1) {
          MPI_Recv(buffer.data(), static_cast<int>(bytes), MPI_BYTE, 0, 7, MPI_COMM_WORLD,
                   MPI_STATUS_IGNORE);
          MPI_Send(buffer.data(), static_cast<int>(bytes), MPI_BYTE, 0, 7, MPI_COMM_WORLD);
        }
      }
      samples.push_back((now_ms() - t0) / static_cast<double>(2 * rounds));  // one way
    }
    Row row;
    row.suite = "pingpong";
    row.kernel = "none";
    row.size = bytes;
    row.t_total_ms = slowest_median(samples);
    row.halo_bytes = static_cast<double>(bytes);
    row.extra_meta =
        "\"GB_per_s\": " + num(static_cast<double>(bytes) / (row.t_total_ms * 1e6)) + ", ";
    row.note = "one-way time of a message between ranks 0 and 1 (half a round trip)";
    emit(config, out, row);
  }
}

/// One row of the strong, weak or iterated suite on `global` (the same field on every rank).
void distributed_row(const Config& config, std::ofstream& out, const std::string& suite,
                     const dashi::TernaryField& global, std::size_t steps,
                     std::size_t steps_per_sync) {
  const dashi::kernels::Majority3x3 kernel;
  dashi::ThreadPool pool(config.threads);
  const dashi::mpi::SlabLayout layout(MPI_COMM_WORLD, global.shape());
  const dashi::TernaryView local = global.rows(layout.first_row(), layout.row_count());
  dashi::IterateOptions options;
  options.num_workers = config.threads;
  options.steps_per_sync = steps_per_sync;
  const bool iterated = suite == "iterated";
  dashi::TernaryField result;
  auto run = [&] {
    // Free the previous result first, as the compute-alone rows do: both then allocate into
    // the same warm memory instead of fresh pages.
    result = dashi::TernaryField{};
    result = iterated ? dashi::mpi::run_kernel_iterated_distributed(pool, layout, kernel, local,
                                                                    steps, options)
                      : dashi::mpi::run_kernel_distributed(pool, layout, kernel, local, options);
  };
  run();  // warm-up
  Row row;
  row.suite = suite;
  row.size = global.size();
  row.steps = steps;
  row.steps_per_sync = steps_per_sync;
  row.t_total_ms = slowest_median(timed(config.reps, run));
  // The same work on the slab alone: no exchange.
  row.t_compute_ms = slowest_median(timed(config.reps, [&] {
    const dashi::TernaryField alone =
        iterated ? dashi::run_kernel_iterated(pool, kernel, local, steps, options)
                 : dashi::run_kernel_parallel(pool, kernel, local, options);
  }));
  // The exchanges alone: one of radius × steps_per_sync rows per synchronisation.
  const auto& resources = dashi::mpi::detail::LayoutAccess::resources(layout);
  const dashi::mpi::detail::Neighbours peers =
      dashi::mpi::detail::neighbours(resources.clip_cart.get());
  const std::size_t syncs = (steps + steps_per_sync - 1) / steps_per_sync;
  const std::size_t depth = std::min(steps, steps_per_sync);
  const std::size_t row_bytes = global.shape().row_elems();
  std::vector<std::int8_t> before(depth * row_bytes);
  std::vector<std::int8_t> after(depth * row_bytes);
  row.t_halo_ms = slowest_median(timed(config.reps, [&] {
    for (std::size_t s = 0; s < syncs; ++s) {
      dashi::mpi::detail::Requests requests;
      dashi::mpi::detail::post_halo_exchange(resources.clip_cart.get(), resources.row.get(), peers,
                                             local, depth, before.data(), after.data(), requests);
      requests.wait();
    }
  }));
  double sent = static_cast<double>(
      ((peers.previous != MPI_PROC_NULL ? 1U : 0U) + (peers.next != MPI_PROC_NULL ? 1U : 0U)) *
      depth * row_bytes * syncs);
  MPI_Allreduce(MPI_IN_PLACE, &sent, 1, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
  row.halo_bytes = sent;
  // Every rank checks its rows against the single-process result.
  const dashi::TernaryField expected =
      iterated ? dashi::run_kernel_iterated(pool, kernel, global, steps, options)
               : dashi::run_kernel_parallel(pool, kernel, global, options);
  int ok = result.view() == expected.rows(layout.first_row(), layout.row_count()) ? 1 : 0;
  MPI_Allreduce(MPI_IN_PLACE, &ok, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
  row.match = ok == 1;
  row.note = suite == "strong" ? "fixed global field"
             : suite == "weak" ? "fixed rows per rank"
                               : "fixed global field, steps_per_sync steps per exchange";
  emit(config, out, row);
}

}  // namespace

int main(int argc, char** argv) {
  int provided = 0;
  MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided);
  Config config;
  MPI_Comm_rank(MPI_COMM_WORLD, &config.rank);
  MPI_Comm_size(MPI_COMM_WORLD, &config.size);
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--quick") {
      config.quick = true;
    } else if (arg == "--out" && i + 1 < argc) {
      config.out = argv[++i];
    } else if (arg == "--threads" && i + 1 < argc) {
      config.threads = static_cast<std::size_t>(std::stoul(argv[++i]));
    }
  }
  config.reps = config.quick ? 3 : 7;
  std::ofstream out;
  if (config.rank == 0) {
    out.open(config.out.empty() ? std::string("distributed.jsonl") : config.out, std::ios::app);
  }
  const std::size_t cols = 4096;
  const std::size_t strong_rows = config.quick ? 512 : 4096;  // 2 Mi or 16 Mi sites
  const std::size_t weak_rows = config.quick ? 256 : 1024;    // per rank: 1 Mi or 4 Mi sites
  pingpong(config, out);
  {
    const dashi::TernaryField global = global_field(dashi::Shape{strong_rows, cols});
    distributed_row(config, out, "strong", global, 1, 1);
    for (const std::size_t per_sync : {1U, 2U, 4U, 8U}) {
      distributed_row(config, out, "iterated", global, 8, per_sync);
    }
  }
  {
    const dashi::TernaryField global =
        global_field(dashi::Shape{weak_rows * static_cast<std::size_t>(config.size), cols});
    distributed_row(config, out, "weak", global, 1, 1);
  }
  MPI_Finalize();
  return 0;
}
