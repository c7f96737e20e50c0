// SPDX-License-Identifier: Apache-2.0
#pragma once

/// @file
/// What a bench row is: the fields that identify it, its name (the protocol `report.py`
/// reads back from Google Benchmark JSON) and the group it is interleaved with.

#include <cstddef>
#include <cstdint>
#include <sstream>
#include <string>
#include <string_view>

#include "kernels.hpp"
#include "workloads.hpp"

namespace dashi_bench {

enum class Suite : std::uint8_t { sweep, block_sweep, dispatch, iterated, codec };
enum class Mode : std::uint8_t { dense_1t, dense_mt, pq_1t, pq_mt, iterated };
constexpr std::size_t mode_count = 5;

/// Who runs the row.
enum class Backend : std::uint8_t {
  dashi,            ///< the library (kernel, executor, codec)
  serial,           ///< the shipped inner loop over the executor's blocks, calling thread only
  plain,            ///< the plain loop a user writes (not the shipped inner loop)
  omp,              ///< OpenMP, the shipped inner loop, one share per thread
  omp_plain,        ///< the plain loop under `omp parallel for schedule(static)`
  tbb,              ///< oneTBB parallel_for, default partitioner, the shipped inner loop
  tbb_static,       ///< oneTBB parallel_for, static_partitioner, the shipped inner loop
  std_par,          ///< std::for_each(std::execution::par), the shipped inner loop
  memcpy,           ///< std::memcpy of N bytes: the copy bandwidth
  step_loop,        ///< the naive loop of run_kernel_parallel calls (iterated suite)
  codec_reference,  ///< a hand-written reference codec loop (codec suite)
};

/// What a row's timed call does with PQ.
enum class Pipeline : std::uint8_t { none, roundtrip, packed, encode, decode };

[[nodiscard]] std::string_view mode_name(Mode m) noexcept;
[[nodiscard]] std::string_view backend_name(Backend b) noexcept;
[[nodiscard]] std::string_view pipeline_name(Pipeline p) noexcept;
[[nodiscard]] std::string_view suite_name(Suite s) noexcept;

/// True for the backends that are a peer of the library (not the library itself).
[[nodiscard]] constexpr bool is_peer(Backend b) noexcept {
  return b != Backend::dashi && b != Backend::memcpy && b != Backend::step_loop;
}

/// `0`, `0.5`, `0.9`: the shortest text of a number.
[[nodiscard]] inline std::string format_number(double value) {
  std::ostringstream out;
  out << value;
  return out.str();
}

/// One benchmark row: everything that identifies it.
struct Row {
  std::string name;
  std::size_t group = 0;  ///< rows of a group are interleaved repetition by repetition
  Suite suite = Suite::sweep;
  Mode mode = Mode::dense_1t;
  Backend backend = Backend::dashi;
  Pipeline pipeline = Pipeline::none;
  KernelId kernel = KernelId::sign_flip;
  Workload workload = Workload::random_sparse;
  std::size_t n = 0;
  std::size_t threads = 1;
  std::size_t block_elems = 0;  ///< executor block (0 = automatic)
  double sparsity = 0.0;
  std::uint32_t pq_block_sites = 4096;  ///< codec block (PQ rows)
  bool dispatch_empty = false;          ///< dispatch + join of an empty kernel or region
  bool copy = false;                    ///< memcpy of N bytes
  std::size_t steps = 1;                ///< kernel applications per call (iterated suite)
  std::size_t steps_per_sync = 1;       ///< temporal blocking depth (iterated suite)

  /// Rows without a kernel output to compare with the reference.
  [[nodiscard]] bool no_output() const noexcept { return dispatch_empty || copy; }
};

/// The benchmark name of a row, e.g.
/// `dense_mt/sign_flip/random_sparse/N:1000000/threads:2/block:0/sparsity:0.5`.
[[nodiscard]] std::string row_name(const Row& row);

/// A name short enough for a 120-column console line.
[[nodiscard]] std::string short_name(const Row& row);

/// `1e6` for powers of ten, `2^20` for powers of two, the number otherwise.
[[nodiscard]] std::string format_size(std::size_t n);

}  // namespace dashi_bench
