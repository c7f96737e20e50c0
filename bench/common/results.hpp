// SPDX-License-Identifier: Apache-2.0
#pragma once

/// @file
/// From repetitions to results, in one place: a row's summary (median, spread, the load it
/// ran under, noisy or not, speedup), its JSONL line, its console line, and the reporter
/// that collects Google Benchmark's runs, prints progress and finishes rows group by group.

#include <benchmark/benchmark.h>

#include <cstddef>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "state.hpp"

namespace dashi_bench {

/// Fills `record.summary` from its samples; the speedup's reference is the summarised
/// dense-1t row of the same input and kernel (iterated suite: the step loop of the case).
void summarise(RowRecord& record);

/// One JSON object, keys sorted, in the schema of the original dashiCORE bench.
[[nodiscard]] std::string jsonl_line(const RowRecord& record);

/// A console line of at most 120 columns.
[[nodiscard]] std::string console_line(const RowRecord& record);
[[nodiscard]] std::string console_header();

/// A JSON string literal, a number (`null` when not finite), and a sorted JSON object.
[[nodiscard]] std::string json_string(std::string_view text);
[[nodiscard]] std::string json_number(double value);
class JsonObject {
 public:
  JsonObject& raw(std::string key, std::string value);
  JsonObject& str(std::string key, std::string_view value);
  JsonObject& num(std::string key, double value);
  JsonObject& integer(std::string key, std::uint64_t value);
  JsonObject& boolean(std::string key, bool value);
  [[nodiscard]] std::string text() const;

 private:
  std::vector<std::pair<std::string, std::string>> fields_;
};

/// Collects the runs, one per (row, repetition) instance, and when a group has run all its
/// repetitions summarises its rows, writes their JSONL lines and prints their console lines.
/// A progress line (instances done / total, elapsed, ETA) goes to stderr.
class Collector : public benchmark::BenchmarkReporter {
 public:
  Collector(std::unique_ptr<benchmark::BenchmarkReporter> json_display, std::ofstream* jsonl,
            std::vector<double> instance_costs);

  bool ReportContext(const Context& context) override;
  void ReportRuns(const std::vector<Run>& runs) override;
  void Finalize() override;

  /// Indices (into `global().rows`) of the rows in the order they finished.
  [[nodiscard]] const std::vector<std::size_t>& finished() const noexcept { return finished_; }

 private:
  void finish_group();
  void progress(bool force);

  std::unique_ptr<benchmark::BenchmarkReporter> json_display_;  // --benchmark_format=json
  std::ofstream* jsonl_;
  std::vector<double> costs_;  // estimated seconds of each instance, in run order
  double total_cost_ = 0.0;
  double done_cost_ = 0.0;
  std::size_t done_ = 0;
  std::size_t open_group_ = static_cast<std::size_t>(-1);
  std::vector<std::size_t> open_rows_;
  std::vector<std::size_t> finished_;
  double start_s_ = 0.0;
  double last_progress_s_ = 0.0;
  bool tty_ = false;
  bool header_ = false;
};

}  // namespace dashi_bench
