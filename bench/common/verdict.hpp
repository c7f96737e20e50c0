// SPDX-License-Identifier: Apache-2.0
#pragma once

/// @file
/// The verdict, computed here and nowhere else: per N which mode is fastest on the
/// reference case, and the executor and codec figures against their targets. Rows marked
/// noisy decide nothing; the verdict names the ones it left out. It is printed at the end of
/// the run and written to the JSONL file (suite "verdict"), which is what `report.py` shows.

#include <cstddef>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "state.hpp"

namespace dashi_bench {

/// The case the per-N table and the ratios are read on.
struct ReferenceCase {
  KernelId kernel = KernelId::sign_flip;
  Workload workload = Workload::random_sparse;
  double sparsity = 0.5;
};

/// One line of the per-N table: the best time of each mode (ms; empty when not measured
/// or when every candidate row was noisy) and the fastest.
struct QuestionLine {
  std::size_t n = 0;
  std::vector<std::pair<std::string, std::optional<double>>> cells;  // label, ms
  std::vector<std::string> cell_notes;                               // "@2", "noisy", ""
  std::string fastest;
};

/// One figure held to a target.
struct Figure {
  std::string name;
  std::optional<double> value;
  std::string unit;               // "x" (ratio), "us", "Gsites/s"
  std::string target;             // "<= 1.0", "" for a comparison figure
  std::string status;             // met, missed ..., not decided (noisy ...), not measured, -
  std::vector<std::string> rows;  // benchmark names it rests on
};

struct Verdict {
  ReferenceCase reference;
  std::vector<QuestionLine> question;
  std::vector<Figure> figures;
  std::vector<std::string> left_out;  // noisy rows the verdict ignored
  std::size_t rows = 0;
  std::size_t errors = 0;
  std::size_t noisy = 0;
};

[[nodiscard]] Verdict compute_verdict(const std::vector<RowRecord>& rows, const Plan& plan);
void print_verdict(std::ostream& out, const Verdict& verdict);
/// The verdict as JSONL lines (suite "verdict").
[[nodiscard]] std::vector<std::string> verdict_jsonl(const Verdict& verdict);

}  // namespace dashi_bench
