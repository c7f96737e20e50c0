// SPDX-License-Identifier: Apache-2.0
#include "verdict.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>

#include "results.hpp"

namespace dashi_bench {

namespace {

using Pred = std::function<bool(const Row&)>;

/// The summarised, error-free rows matching `pred`, split into trusted and noisy.
struct Matches {
  std::vector<const RowRecord*> trusted;
  std::vector<const RowRecord*> noisy;
};

[[nodiscard]] Matches find(const std::vector<RowRecord>& rows, const Pred& pred) {
  Matches m;
  for (const RowRecord& r : rows) {
    if (!r.summary.done || r.summary.error || r.summary.median_ms <= 0.0 || !pred(r.row)) {
      continue;
    }
    (r.summary.noisy ? m.noisy : m.trusted).push_back(&r);
  }
  return m;
}

[[nodiscard]] const RowRecord* fastest(const std::vector<const RowRecord*>& rows) {
  const RowRecord* best = nullptr;
  for (const RowRecord* r : rows) {
    if (best == nullptr || r->summary.median_ms < best->summary.median_ms) {
      best = r;
    }
  }
  return best;
}

[[nodiscard]] std::string status_of(double value, double target, bool lower_is_better) {
  const bool good = lower_is_better ? value <= target : value >= target;
  if (good) {
    return "met";
  }
  char text[64];
  if (lower_is_better) {
    std::snprintf(text, sizeof text, "missed by %.0f%%", 100.0 * (value / target - 1.0));
  } else {
    std::snprintf(text, sizeof text, "missed: %.0f%% of target", 100.0 * value / target);
  }
  return text;
}

class Builder {
 public:
  Builder(const std::vector<RowRecord>& rows, Verdict& verdict) : rows_(rows), verdict_(verdict) {}

  [[nodiscard]] bool reference_case(const Row& r, std::size_t n) const {
    const ReferenceCase& c = verdict_.reference;
    return r.suite == Suite::sweep && !r.no_output() && r.kernel == c.kernel &&
           r.workload == c.workload && r.sparsity == c.sparsity && r.n == n && r.block_elems == 0 &&
           r.pq_block_sites == 4096;
  }

  /// The one row of `pred` (the fastest if several); nullptr when none, and `noisy` set
  /// when only noisy rows match.
  const RowRecord* one(const Pred& pred, bool& noisy) {
    const Matches m = find(rows_, pred);
    if (!m.trusted.empty()) {
      noisy = false;
      return fastest(m.trusted);
    }
    noisy = !m.noisy.empty();
    if (noisy) {
      return fastest(m.noisy);
    }
    return nullptr;
  }

  /// A figure from a numerator and a denominator row (`ratio`), or from one row (`value`).
  void ratio(const std::string& name, const Pred& num, const Pred& den, double target,
             bool is_target = true) {
    Figure f;
    f.name = name;
    f.unit = "x";
    char text[32];
    std::snprintf(text, sizeof text, "<= %.3g", target);
    f.target = is_target ? text : "";
    bool noisy_a = false;
    bool noisy_b = false;
    const RowRecord* a = one(num, noisy_a);
    const RowRecord* b = one(den, noisy_b);
    if (a == nullptr || b == nullptr) {
      f.status = "not measured";
    } else {
      f.value = a->summary.median_ms / b->summary.median_ms;
      f.rows = {a->row.name, b->row.name};
      decide(f, noisy_a || noisy_b, {a, b}, *f.value, target, true, is_target);
    }
    verdict_.figures.push_back(std::move(f));
  }

  void value(const std::string& name, const Pred& pred, const std::string& unit,
             const std::function<double(const RowRecord&)>& compute, std::optional<double> target,
             bool lower_is_better) {
    Figure f;
    f.name = name;
    f.unit = unit;
    if (target) {
      char text[32];
      std::snprintf(text, sizeof text, "%s %.3g", lower_is_better ? "<=" : ">=", *target);
      f.target = text;
    }
    bool noisy = false;
    const RowRecord* r = one(pred, noisy);
    if (r == nullptr) {
      f.status = "not measured";
    } else {
      f.value = compute(*r);
      f.rows = {r->row.name};
      decide(f, noisy, {r}, *f.value, target.value_or(0.0), lower_is_better, target.has_value());
    }
    verdict_.figures.push_back(std::move(f));
  }

  void note_left_out(const RowRecord* r) {
    if (r != nullptr && r->summary.noisy &&
        std::find(verdict_.left_out.begin(), verdict_.left_out.end(), r->row.name) ==
            verdict_.left_out.end()) {
      verdict_.left_out.push_back(r->row.name);
    }
  }

 private:
  void decide(Figure& f, bool noisy, std::initializer_list<const RowRecord*> used, double value,
              double target, bool lower_is_better, bool is_target) {
    if (noisy) {
      f.status = "not decided: noisy";
      for (const RowRecord* r : used) {
        note_left_out(r);
      }
    } else {
      f.status = is_target ? status_of(value, target, lower_is_better) : "-";
    }
  }

  const std::vector<RowRecord>& rows_;
  Verdict& verdict_;
};

[[nodiscard]] double gsites(const RowRecord& r) {
  return static_cast<double>(r.row.n) * static_cast<double>(r.row.steps) /
         (1e-3 * r.summary.median_ms) * 1e-9;
}

}  // namespace

Verdict compute_verdict(const std::vector<RowRecord>& rows, const Plan& plan) {
  Verdict v;
  Builder b(rows, v);
  for (const RowRecord& r : rows) {
    if (!r.summary.done) {
      continue;
    }
    ++v.rows;
    v.errors += r.summary.error ? 1 : 0;
    v.noisy += r.summary.noisy ? 1 : 0;
  }

  // Per N: the fastest mode on the reference case, from trusted rows only.
  auto is = [](const Row& r, Mode m, Backend be, Pipeline p) {
    return r.mode == m && r.backend == be && r.pipeline == p;
  };
  for (const std::size_t n : plan.sizes) {
    QuestionLine line;
    line.n = n;
    const std::pair<const char*, Pred> columns[] = {
        {"dense-1t",
         [&](const Row& r) { return is(r, Mode::dense_1t, Backend::dashi, Pipeline::none); }},
        {"dense-mt",
         [&](const Row& r) { return is(r, Mode::dense_mt, Backend::dashi, Pipeline::none); }},
        {"pq-1t",
         [&](const Row& r) { return is(r, Mode::pq_1t, Backend::dashi, Pipeline::packed); }},
        {"pq-mt",
         [&](const Row& r) { return is(r, Mode::pq_mt, Backend::dashi, Pipeline::packed); }},
        {"pq-mt rt",
         [&](const Row& r) { return is(r, Mode::pq_mt, Backend::dashi, Pipeline::roundtrip); }},
    };
    double best = 0.0;
    for (const auto& column : columns) {
      const char* label = column.first;
      const Pred& pred = column.second;
      const Matches m = find(rows, [&](const Row& r) { return b.reference_case(r, n) && pred(r); });
      const RowRecord* f = fastest(m.trusted);
      for (const RowRecord* noisy : m.noisy) {
        b.note_left_out(noisy);
      }
      std::string note;
      if (f != nullptr) {
        line.cells.emplace_back(label, f->summary.median_ms);
        if (f->row.mode == Mode::dense_mt || f->row.mode == Mode::pq_mt) {
          note = "@" + std::to_string(f->row.threads);
        }
        if (std::string(label) != "pq-mt rt" &&
            (line.fastest.empty() || f->summary.median_ms < best)) {
          line.fastest = label;
          best = f->summary.median_ms;
        }
      } else {
        line.cells.emplace_back(label, std::nullopt);
        note = m.noisy.empty() ? "" : "noisy";
      }
      line.cell_notes.push_back(note);
    }
    if (line.fastest.empty()) {
      line.fastest = "-";
    }
    v.question.push_back(std::move(line));
  }

  // The executor against the runtimes on the same inner loop, 2 threads.
  const ReferenceCase c = v.reference;
  for (const std::size_t n : {std::size_t{1000000}, std::size_t{10000000}}) {
    const std::pair<Backend, const char*> peers[] = {{Backend::omp, "OpenMP"},
                                                     {Backend::tbb, "oneTBB"},
                                                     {Backend::tbb_static, "oneTBB static"},
                                                     {Backend::std_par, "std::execution::par"}};
    for (const auto& [peer, label] : peers) {
      b.ratio(
          "dense-mt / " + std::string(label) + ", " + std::string(kernel_name(c.kernel)) +
              " N=" + format_size(n) + " T=2",
          [&, n = n](const Row& r) {
            return b.reference_case(r, n) && r.mode == Mode::dense_mt &&
                   r.backend == Backend::dashi && r.threads == 2;
          },
          [&, n = n, peer = peer](const Row& r) {
            return b.reference_case(r, n) && r.backend == peer && r.threads == 2;
          },
          1.0);
    }
  }
  b.ratio(
      "dense-mt T=2 / plain serial loop, N=1e4",
      [&](const Row& r) {
        return b.reference_case(r, 10000) && r.mode == Mode::dense_mt &&
               r.backend == Backend::dashi && r.threads == 2;
      },
      [&](const Row& r) { return b.reference_case(r, 10000) && r.backend == Backend::plain; }, 2.0);

  // Dispatch + join of nothing.
  auto empty_of = [](Backend be) {
    return [be](const Row& r) { return r.dispatch_empty && r.backend == be; };
  };
  auto micros = [](const RowRecord& r) { return 1e3 * r.summary.median_ms; };
  b.value("dispatch + join, empty kernel, 2 warm workers", empty_of(Backend::dashi), "us", micros,
          0.3, true);
  b.value("for comparison: empty OpenMP region, 2 threads", empty_of(Backend::omp), "us", micros,
          std::nullopt, true);
  b.value("for comparison: empty oneTBB parallel_for, 2 threads", empty_of(Backend::tbb_static),
          "us", micros, std::nullopt, true);

  // One worker at the largest N.
  std::size_t largest = 0;
  for (const RowRecord& r : rows) {
    if (r.summary.done && b.reference_case(r.row, r.row.n) && r.row.mode == Mode::dense_mt) {
      largest = std::max(largest, r.row.n);
    }
  }
  if (largest != 0) {
    const std::string at = " N=" + format_size(largest);
    b.value(
        "dense-mt, 1 worker, " + std::string(kernel_name(c.kernel)) + at,
        [&](const Row& r) {
          return b.reference_case(r, largest) && r.mode == Mode::dense_mt &&
                 r.backend == Backend::dashi && r.threads == 1;
        },
        "Gsites/s", gsites, largest >= 100000000 ? std::optional<double>(10.0) : std::nullopt,
        false);
    b.value(
        "for comparison: dense-1t (kernel called directly)" + at,
        [&](const Row& r) {
          return b.reference_case(r, largest) && r.mode == Mode::dense_1t &&
                 r.backend == Backend::dashi;
        },
        "Gsites/s", gsites, std::nullopt, false);
    b.value(
        "for comparison: memcpy, 1 thread" + at,
        [&](const Row& r) { return r.copy && r.n == largest; }, "Gsites/s", gsites, std::nullopt,
        false);
  }

  // A radius-1 stencil through the executor (its blocks' cores written straight into the
  // output): against the kernel called directly, and against sign_flip, which moves the same
  // bytes.
  if (largest != 0) {
    const std::string at = " N=" + format_size(largest);
    auto stencil = [&](KernelId kernel, Mode mode, std::size_t threads) {
      return [&, kernel, mode, threads](const Row& r) {
        Row as_reference = r;
        as_reference.kernel = c.kernel;
        return r.kernel == kernel && b.reference_case(as_reference, largest) && r.mode == mode &&
               r.backend == Backend::dashi && (mode == Mode::dense_1t || r.threads == threads);
      };
    };
    b.ratio("left_neighbor: dense-mt, 1 worker / dense-1t" + at,
            stencil(KernelId::left_neighbor, Mode::dense_mt, 1),
            stencil(KernelId::left_neighbor, Mode::dense_1t, 1), 1.05);
    b.ratio("dense-mt T=2: left_neighbor / sign_flip" + at,
            stencil(KernelId::left_neighbor, Mode::dense_mt, 2),
            stencil(c.kernel, Mode::dense_mt, 2), 1.15);
  }

  // The codec on one core.
  for (const std::size_t n : plan.codec_sizes) {
    for (const Pipeline p : {Pipeline::encode, Pipeline::decode}) {
      auto codec_row = [n, p](Backend be) {
        return [n, p, be](const Row& r) {
          return r.suite == Suite::codec && r.n == n && r.pipeline == p && r.backend == be;
        };
      };
      const std::string what =
          "PQ " + std::string(pipeline_name(p)) + ", 1 core, N=" + format_size(n);
      if (n <= (std::size_t{1} << 20)) {
        if (!find(rows, codec_row(Backend::codec_reference)).trusted.empty() ||
            !find(rows, codec_row(Backend::codec_reference)).noisy.empty()) {
          b.ratio(what + ": dashi / hand-written reference", codec_row(Backend::dashi),
                  codec_row(Backend::codec_reference), 1.0);
        }
        b.value(what, codec_row(Backend::dashi), "Gsites/s", gsites, std::nullopt, false);
      } else {
        b.value(what + ", from memory", codec_row(Backend::dashi), "Gsites/s", gsites, 15.0, false);
        b.value("for comparison: hand-written reference, " + what,
                codec_row(Backend::codec_reference), "Gsites/s", gsites, std::nullopt, false);
      }
    }
  }

  // The iterated suite's headline: the best speedup of temporal blocking.
  {
    const Matches m = find(rows, [](const Row& r) {
      return r.suite == Suite::iterated && r.backend == Backend::dashi;
    });
    const RowRecord* best = nullptr;
    for (const RowRecord* r : m.trusted) {
      if (r->summary.speedup && (best == nullptr || *r->summary.speedup > *best->summary.speedup)) {
        best = r;
      }
    }
    Figure f;
    f.unit = "x";
    f.status = "-";
    f.name = "best speedup of run_kernel_iterated over the step loop";
    if (best != nullptr) {
      f.name += " (" + std::string(kernel_name(best->row.kernel)) +
                " N=" + format_size(best->row.n) + " T=" + std::to_string(best->row.threads) +
                " steps=" + std::to_string(best->row.steps) +
                " S=" + std::to_string(best->row.steps_per_sync) + ")";
      f.value = best->summary.speedup;
      f.rows = {best->row.name};
    } else {
      f.status = m.noisy.empty() ? "not measured" : "not decided: noisy";
    }
    if (!m.trusted.empty() || !m.noisy.empty()) {
      v.figures.push_back(std::move(f));
    }
  }
  return v;
}

void print_verdict(std::ostream& out, const Verdict& v) {
  char line[256];
  const ReferenceCase& c = v.reference;
  std::snprintf(
      line, sizeof line,
      "\n=== verdict: %s, %s, sparsity %g; median ms per call; noisy rows decide nothing ===\n",
      std::string(kernel_name(c.kernel)).c_str(), std::string(workload_name(c.workload)).c_str(),
      c.sparsity);
  out << line;
  if (!v.question.empty()) {
    std::snprintf(line, sizeof line, "%-6s", "N");
    out << line;
    for (const auto& [label, value] : v.question.front().cells) {
      std::snprintf(line, sizeof line, " %14s", label.c_str());
      out << line;
      (void)value;
    }
    out << "  fastest\n";
    for (const QuestionLine& q : v.question) {
      std::snprintf(line, sizeof line, "%-6s", format_size(q.n).c_str());
      out << line;
      for (std::size_t i = 0; i < q.cells.size(); ++i) {
        char cell[40];
        if (q.cells[i].second) {
          std::snprintf(cell, sizeof cell, "%.4g%s", *q.cells[i].second, q.cell_notes[i].c_str());
        } else {
          std::snprintf(cell, sizeof cell, "%s",
                        q.cell_notes[i].empty() ? "-" : q.cell_notes[i].c_str());
        }
        std::snprintf(line, sizeof line, " %14s", cell);
        out << line;
      }
      out << "  " << q.fastest << '\n';
    }
    out << "(pq-1t / pq-mt: packed in -> kernel -> packed out; pq-mt rt: encode -> decode -> "
           "kernel; @T: threads)\n";
  }
  out << '\n';
  std::snprintf(line, sizeof line, "%-72s %10s %-9s %s\n", "figure", "measured", "target",
                "status");
  out << line;
  for (const Figure& f : v.figures) {
    char value[32] = "-";
    if (f.value) {
      std::snprintf(value, sizeof value, "%.3g %s", *f.value, f.unit.c_str());
    }
    std::string name = f.name.size() > 72 ? f.name.substr(0, 71) + "~" : f.name;
    std::snprintf(line, sizeof line, "%-72s %10s %-9s %s\n", name.c_str(), value,
                  f.target.empty() ? "-" : f.target.c_str(), f.status.c_str());
    out << line;
  }
  if (!v.left_out.empty()) {
    out << "\nLeft out as noisy: " << v.left_out.size()
        << " rows (all of them in the JSONL verdict record)\n";
    for (std::size_t i = 0; i < v.left_out.size() && i < 8; ++i) {
      const std::string& name = v.left_out[i];
      out << "  " << (name.size() > 116 ? name.substr(0, 115) + "~" : name) << '\n';
    }
    if (v.left_out.size() > 8) {
      out << "  ...\n";
    }
  }
  std::snprintf(line, sizeof line,
                "\n%zu rows: %zu noisy, %zu with an error or a fingerprint mismatch; %zu hardware "
                "threads\n",
                v.rows, v.noisy, v.errors, hardware_threads());
  out << line;
}

std::vector<std::string> verdict_jsonl(const Verdict& v) {
  std::vector<std::string> lines;
  const ReferenceCase& c = v.reference;
  JsonObject ref;
  ref.str("suite", "verdict")
      .str("kind", "reference_case")
      .str("kernel", kernel_name(c.kernel))
      .str("workload", workload_name(c.workload))
      .num("sparsity", c.sparsity)
      .integer("rows", v.rows)
      .integer("noisy", v.noisy)
      .integer("errors", v.errors);
  std::string left = "[";
  for (std::size_t i = 0; i < v.left_out.size(); ++i) {
    left += (i == 0 ? "" : ", ") + json_string(v.left_out[i]);
  }
  ref.raw("left_out", left + "]");
  lines.push_back(ref.text());
  for (const QuestionLine& q : v.question) {
    JsonObject line;
    line.str("suite", "verdict")
        .str("kind", "question")
        .integer("size", q.n)
        .str("fastest", q.fastest);
    std::string cells = "{";
    for (std::size_t i = 0; i < q.cells.size(); ++i) {
      JsonObject cell;
      cell.num("ms", q.cells[i].second ? *q.cells[i].second : std::nan(""))
          .str("note", q.cell_notes[i]);
      cells += (i == 0 ? "" : ", ") + json_string(q.cells[i].first) + ": " + cell.text();
    }
    line.raw("cells", cells + "}");
    lines.push_back(line.text());
  }
  for (const Figure& f : v.figures) {
    JsonObject line;
    std::string used = "[";
    for (std::size_t i = 0; i < f.rows.size(); ++i) {
      used += (i == 0 ? "" : ", ") + json_string(f.rows[i]);
    }
    line.str("suite", "verdict")
        .str("kind", "figure")
        .str("figure", f.name)
        .num("value", f.value ? *f.value : std::nan(""))
        .str("unit", f.unit)
        .str("target", f.target)
        .str("status", f.status)
        .raw("rows", used + "]");
    lines.push_back(line.text());
  }
  return lines;
}

}  // namespace dashi_bench
