// SPDX-License-Identifier: Apache-2.0
#pragma once

/// @file
/// The suites: each adds its rows (in groups whose repetitions are interleaved) and runs
/// one repetition of one of its rows.

#include <benchmark/benchmark.h>

#include <cstddef>
#include <vector>

#include "../common/row.hpp"
#include "../common/state.hpp"

namespace dashi_bench {

/// Rows being planned, each with its group.
class RowList {
 public:
  /// Starts a new group: the rows added next are interleaved with each other.
  void new_group() { ++group_; }
  void add(Row row) {
    row.group = group_;
    row.name = row_name(row);
    rows_.push_back(std::move(row));
  }
  [[nodiscard]] std::vector<Row>& rows() noexcept { return rows_; }

 private:
  std::vector<Row> rows_;
  std::size_t group_ = 0;
};

// dense: dense-1t, dense-mt and their peers (same inner loop and plain loops), the rule
// kernels, the executor block sweep and memcpy.
void add_dense_rows(const Config& config, const Plan& plan, RowList& rows);
void run_dense(benchmark::State& state, const Row& row, Sample& sample);

// pq: the roundtrip and packed pipelines on 1 and T threads, the codec block sweep, and the
// single-core codec rows against a hand-written reference when one is built in.
void add_pq_rows(const Config& config, const Plan& plan, RowList& rows);
void run_pq(benchmark::State& state, const Row& row, Sample& sample);
/// True when the PQ rows use encode_into / decode_into (no allocation per call).
[[nodiscard]] bool pq_codec_into() noexcept;
/// True when the hand-written AVX-512/BMI2 reference codec loop runs on this CPU.
[[nodiscard]] bool pq_reference_available() noexcept;
/// True when the packed pipeline is the executor's fused packed overload.
[[nodiscard]] bool pq_packed_fused() noexcept;

// iterated: run_kernel_iterated against the naive step loop.
void add_iterated_rows(const Config& config, const Plan& plan, RowList& rows);
void run_iterated(benchmark::State& state, const Row& row, Sample& sample);

// dispatch: dispatch + join of an empty kernel, and the empty regions of OpenMP and TBB.
void add_dispatch_rows(const Config& config, const Plan& plan, RowList& rows);
void run_dispatch(benchmark::State& state, const Row& row, Sample& sample);

}  // namespace dashi_bench
