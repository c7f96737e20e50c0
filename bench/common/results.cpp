// SPDX-License-Identifier: Apache-2.0
#include "results.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <iostream>

#if defined(__unix__) || defined(__APPLE__)
#  include <unistd.h>
#endif

#include "../suites/suites.hpp"

namespace dashi_bench {

// ---------------------------------------------------------------------------------------
// JSON
// ---------------------------------------------------------------------------------------

std::string json_string(std::string_view text) {
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

std::string json_number(double value) {
  if (!std::isfinite(value)) {
    return "null";
  }
  char text[32];
  std::snprintf(text, sizeof text, "%.9g", value);
  return text;
}

JsonObject& JsonObject::raw(std::string key, std::string value) {
  for (auto& field : fields_) {
    if (field.first == key) {
      field.second = std::move(value);
      return *this;
    }
  }
  fields_.emplace_back(std::move(key), std::move(value));
  return *this;
}
JsonObject& JsonObject::str(std::string key, std::string_view value) {
  return raw(std::move(key), json_string(value));
}
JsonObject& JsonObject::num(std::string key, double value) {
  return raw(std::move(key), json_number(value));
}
JsonObject& JsonObject::integer(std::string key, std::uint64_t value) {
  return raw(std::move(key), std::to_string(value));
}
JsonObject& JsonObject::boolean(std::string key, bool value) {
  return raw(std::move(key), value ? "true" : "false");
}
std::string JsonObject::text() const {
  auto sorted = fields_;
  std::sort(sorted.begin(), sorted.end());
  std::string out = "{";
  bool first = true;
  for (const auto& [key, value] : sorted) {
    out += (first ? "" : ", ") + json_string(key) + ": " + value;
    first = false;
  }
  return out + "}";
}

namespace {

[[nodiscard]] std::string hex64(std::uint64_t value) {
  char text[24];
  std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(value));
  return text;
}

[[nodiscard]] double median_of(std::vector<double> values) {
  if (values.empty()) {
    return 0.0;
  }
  std::sort(values.begin(), values.end());
  const std::size_t mid = values.size() / 2;
  return values.size() % 2 == 1 ? values[mid] : 0.5 * (values[mid - 1] + values[mid]);
}

[[nodiscard]] const char* env_or(const char* name, const char* fallback) {
  const char* value = std::getenv(name);  // NOLINT(concurrency-mt-unsafe): read before threads
  return value != nullptr && *value != '\0' ? value : fallback;
}

[[nodiscard]] long cache_size([[maybe_unused]] int name) {
#if defined(_SC_LEVEL1_DCACHE_SIZE)
  const long value = sysconf(name);
  return value > 0 ? value : 0;
#else
  return 0;
#endif
}

[[nodiscard]] std::string cpu_meta() {
  JsonObject cpu;
#if defined(_SC_LEVEL1_DCACHE_SIZE)
  cpu.integer("L1_Data", static_cast<std::uint64_t>(cache_size(_SC_LEVEL1_DCACHE_SIZE)));
  cpu.integer("L2_Unified", static_cast<std::uint64_t>(cache_size(_SC_LEVEL2_CACHE_SIZE)));
  cpu.integer("L3_Unified", static_cast<std::uint64_t>(cache_size(_SC_LEVEL3_CACHE_SIZE)));
  cpu.integer("line_size", static_cast<std::uint64_t>(cache_size(_SC_LEVEL1_DCACHE_LINESIZE)));
#endif
  cpu.integer("hardware_concurrency", hardware_threads());
  static const std::string model = cpu_model();
  static const std::string isa = isa_text();
  cpu.str("model", model).str("isa", isa).str("dashi_isa", env_or("DASHI_ISA", "unset"));
  return cpu.text();
}

/// The threads that actually run: the pool caps at its workers plus the caller.
[[nodiscard]] std::size_t effective_threads(const Row& row) {
  if (row.backend != Backend::dashi && row.backend != Backend::step_loop) {
    return row.threads;
  }
  return std::min(row.threads, global().pool->size() + 1);
}

}  // namespace

// ---------------------------------------------------------------------------------------
// Summaries
// ---------------------------------------------------------------------------------------

void summarise(RowRecord& record) {
  const State& g = global();
  Summary& s = record.summary;
  const Row& row = record.row;
  s = Summary{};
  s.done = true;
  std::vector<double> times;
  std::vector<double> loads;
  std::vector<double> shares;
  std::vector<double> encode;
  std::vector<double> decode;
  std::vector<double> kernel;
  for (const Sample& sample : record.samples) {
    if (sample.error) {
      s.error = true;
      s.error_message = sample.error_message;
      if (sample.hash_out && *sample.hash_out != sample.hash_ref) {
        s.mismatch = true;
      }
      continue;
    }
    const double per_call = sample.per_call_s();
    times.push_back(1e3 * per_call);
    const double iterations = static_cast<double>(std::max<std::int64_t>(1, sample.iterations));
    encode.push_back(1e3 * sample.phases.encode / iterations);
    decode.push_back(1e3 * sample.phases.decode / iterations);
    kernel.push_back(1e3 * (sample.phased ? sample.phases.kernel / iterations : per_call));
    if (sample.loadavg >= 0.0) {
      loads.push_back(sample.loadavg);
    }
    if (sample.wall_s > 0.0 && sample.thread_cpu_s >= 0.0) {
      shares.push_back(std::min(1.0, sample.thread_cpu_s / sample.wall_s));
    }
    s.quiesce_ms = std::max(s.quiesce_ms, sample.quiesce_ms);
  }
  if (record.samples.empty()) {
    s.error = true;
    s.error_message = "no repetition ran";
  }
  s.runs_ms = times;
  if (!times.empty()) {
    std::sort(s.runs_ms.begin(), s.runs_ms.end());
    s.median_ms = median_of(times);
    s.min_ms = s.runs_ms.front();
    s.max_ms = s.runs_ms.back();
    s.spread = s.median_ms > 0.0 ? (s.max_ms - s.min_ms) / s.median_ms : 0.0;
    s.phases_ms = {median_of(encode), median_of(kernel), median_of(decode)};
  }
  s.loadavg = loads.empty() ? -1.0 : median_of(loads);
  s.cpu_share = shares.empty() ? -1.0 : median_of(shares);
  // Others' share of the machine from the first repetition's start to the last one's end:
  // the rows interleaved in between are this process's, so they are not counted.
  for (const Sample& sample : record.samples) {
    if (!sample.error) {
      const Sample* last = &sample;
      for (const Sample& later : record.samples) {
        if (!later.error) {
          last = &later;
        }
      }
      s.others_share = others_share(sample.before, last->after);
      break;
    }
  }
  // Noisy: a spread or a load that makes the median unreliable.
  std::string reason;
  if (times.size() >= 3 && s.spread > g.config.noisy_spread) {
    char text[64];
    std::snprintf(text, sizeof text, "spread %.0f%%", 100.0 * s.spread);
    reason = text;
  }
  if (s.others_share > g.config.noisy_load) {
    char text[64];
    std::snprintf(text, sizeof text, "%sother load %.0f%%", reason.empty() ? "" : ", ",
                  100.0 * s.others_share);
    reason += text;
  }
  if (row.threads == 1 && s.cpu_share >= 0.0 && s.cpu_share < 0.85 && !row.dispatch_empty) {
    char text[64];
    std::snprintf(text, sizeof text, "%spreempted (%.0f%% CPU)", reason.empty() ? "" : ", ",
                  100.0 * s.cpu_share);
    reason += text;
  }
  s.noisy = !reason.empty() && !s.error;
  s.noisy_reason = reason;

  // Speedup over the reference of the case.
  if (!s.error && s.median_ms > 0.0 && !row.no_output() && row.suite != Suite::codec) {
    for (const RowRecord& other : g.rows) {
      if (!other.summary.done || other.summary.error || other.summary.median_ms <= 0.0) {
        continue;
      }
      const Row& o = other.row;
      const bool reference =
          row.suite == Suite::iterated
              ? (o.suite == Suite::iterated && o.backend == Backend::step_loop &&
                 o.kernel == row.kernel && o.n == row.n && o.threads == row.threads &&
                 o.steps == row.steps)
              : (o.suite == Suite::sweep && o.mode == Mode::dense_1t &&
                 o.backend == Backend::dashi && !o.no_output() && o.kernel == row.kernel &&
                 o.workload == row.workload && o.n == row.n && o.sparsity == row.sparsity);
      if (reference) {
        s.speedup = other.summary.median_ms / s.median_ms;
        break;
      }
    }
  }
}

// ---------------------------------------------------------------------------------------
// JSONL
// ---------------------------------------------------------------------------------------

std::string jsonl_line(const RowRecord& record) {
  const State& g = global();
  const Row& row = record.row;
  const Summary& s = record.summary;
  const Sample* last = nullptr;
  for (const Sample& sample : record.samples) {
    if (!sample.error || last == nullptr) {
      last = &sample;
    }
  }
  const Sample empty;
  const Sample& sample = last != nullptr ? *last : empty;
  const double seconds = 1e-3 * s.median_ms;
  const double updates = static_cast<double>(row.n) * static_cast<double>(row.steps);
  const double sites_per_s = seconds > 0.0 && !row.dispatch_empty ? updates / seconds : 0.0;
  const bool has_hash = sample.hash_out.has_value();
  const bool match = !s.error && has_hash && *sample.hash_out == sample.hash_ref;
  std::string runs = "[";
  for (std::size_t i = 0; i < s.runs_ms.size(); ++i) {
    runs += (i == 0 ? "" : ", ") + json_number(s.runs_ms[i]);
  }
  runs += "]";

  JsonObject meta;
  meta.str("benchmark", row.name)
      .raw("cpu", cpu_meta())
      .str("workload", row.no_output() ? "zeros" : workload_name(row.workload))
      .integer("seed", g.config.seed)
      .integer("iterations",
               static_cast<std::uint64_t>(std::max<std::int64_t>(0, sample.iterations)))
      .integer("repetitions", record.samples.size())
      .raw("t_total_ms_runs", runs)
      .num("t_total_ms_min", s.min_ms)
      .num("t_total_ms_max", s.max_ms)
      .num("spread", s.spread)
      .boolean("noisy", s.noisy)
      .str("noisy_reason", s.noisy_reason)
      .num("others_cpu_share", s.others_share >= 0.0 ? s.others_share : std::nan(""))
      .num("cpu_share_calling_thread", s.cpu_share >= 0.0 ? s.cpu_share : std::nan(""))
      .num("quiesce_ms_max", s.quiesce_ms)
      .num("loadavg_1min", s.loadavg >= 0.0 ? s.loadavg : std::nan(""))
      .integer("pool_workers", g.pool->size())
      .integer("effective_threads", effective_threads(row))
      .integer("auto_block_elems", dashi::auto_block_elems())
      .str("pipeline", pipeline_name(row.pipeline))
      .num("bytes_per_iter", sample.bytes_per_iter)
      .num("GB_per_s", seconds > 0.0 ? sample.bytes_per_iter / seconds * 1e-9 : 0.0)
      .num("Gsites_per_s", sites_per_s * 1e-9)
      .num(row.suite == Suite::iterated ? "speedup_vs_step_loop" : "speedup_vs_dense_1t",
           s.speedup ? *s.speedup : std::nan(""))
      .num("cpu_ms_calling_thread",
           sample.iterations > 0
               ? 1e3 * sample.thread_cpu_s / static_cast<double>(sample.iterations)
               : std::nan(""))
      .num("real_ms", s.median_ms)
      .boolean("quick", g.config.quick)
      .str("tier", g.plan.tier)
      .str("same_inner_loop", row.backend == Backend::plain || row.backend == Backend::omp_plain
                                  ? "no: plain loop"
                                  : "yes")
      .str("omp_wait_policy", env_or("OMP_WAIT_POLICY", "default"))
      .str("gomp_spincount", env_or("GOMP_SPINCOUNT", "default"))
      .str("between_rows", "quiesce: wait until the process's other threads are idle");
  if (row.suite == Suite::iterated || is_2d(row.kernel)) {
    meta.str("shape", shape_for(row.kernel, row.n).to_string());
  }
  if (row.pipeline != Pipeline::none) {
    meta.integer("pq_block_sites", row.pq_block_sites)
        .num("entropy_bits_per_site", sample.entropy_bits ? *sample.entropy_bits : std::nan(""))
        .num("overhead_bits_per_site", sample.entropy_bits && sample.bits_per_site
                                           ? *sample.bits_per_site - *sample.entropy_bits
                                           : std::nan(""))
        .boolean("fused", row.pipeline == Pipeline::packed && pq_packed_fused())
        .boolean("codec_into", pq_codec_into());
  }
  if (s.error) {
    meta.str("error", s.error_message);
  }
  if (row.dispatch_empty) {
    meta.str("note", "empty region: dispatch and join only, no output to compare");
  }
  if (row.copy) {
    meta.str("note", "memcpy of N bytes on one thread: the copy bandwidth, no kernel");
  }

  const char* memory_mode = "dense";
  switch (row.pipeline) {
    case Pipeline::roundtrip:
      memory_mode = "pq_roundtrip";
      break;
    case Pipeline::packed:
      memory_mode = "pq_packed";
      break;
    case Pipeline::encode:
      memory_mode = "pq_encode";
      break;
    case Pipeline::decode:
      memory_mode = "pq_decode";
      break;
    case Pipeline::none:
      break;
  }
  JsonObject line;
  line.str("suite", suite_name(row.suite))
      .str("mode", row.dispatch_empty          ? "dispatch"
                   : row.copy                  ? "copy"
                   : row.suite == Suite::codec ? "codec"
                                               : mode_name(row.mode))
      .str("backend", backend_name(row.backend))
      .integer("size", row.n)
      .num("sparsity", row.sparsity)
      .integer("batch_count", 1)
      .integer("block_elems", row.block_elems)
      .str("device", "cpu")
      .integer("run", 0)
      .str("memory_mode", memory_mode)
      .num("t_encode_ms", s.phases_ms.encode)
      .num("t_kernel_ms", s.phases_ms.kernel)
      .num("t_decode_ms", s.phases_ms.decode)
      .num("t_total_ms", s.median_ms)
      .integer("threads", row.threads)
      .str("kernel", row.dispatch_empty          ? "empty"
                     : row.copy                  ? "copy"
                     : row.suite == Suite::codec ? "codec"
                                                 : kernel_name(row.kernel))
      .str("workload", row.no_output() ? "zeros" : workload_name(row.workload))
      .integer("steps", row.steps)
      .integer("steps_per_sync", row.steps_per_sync)
      .num("sites_per_s", sites_per_s)
      .num("bits_per_site",
           row.no_output() ? std::nan("") : (sample.bits_per_site ? *sample.bits_per_site : 8.0))
      .raw("meta", meta.text());
  if (row.no_output()) {
    line.str("hash_out", "").str("hash_ref", "").raw("match", "null");
  } else {
    line.str("hash_out", has_hash ? hex64(*sample.hash_out) : "")
        .str("hash_ref", has_hash ? hex64(sample.hash_ref) : "")
        .boolean("match", match);
  }
  return line.text();
}

// ---------------------------------------------------------------------------------------
// Console
// ---------------------------------------------------------------------------------------

std::string console_header() {
  char line[160];
  std::snprintf(line, sizeof line, "%-52s %11s %7s %8s %8s  %s", "row", "median ms", "spread",
                "Gsite/s", "speedup", "notes");
  return line;
}

std::string console_line(const RowRecord& record) {
  const Row& row = record.row;
  const Summary& s = record.summary;
  std::string name = short_name(row);
  if (name.size() > 52) {
    name = name.substr(0, 51) + "~";
  }
  char line[200];
  if (s.error) {
    std::string message = s.error_message.substr(0, 48);
    std::snprintf(line, sizeof line, "%-52s ERROR %s", name.c_str(), message.c_str());
    return line;
  }
  char gsites[16] = "-";
  if (!row.dispatch_empty && s.median_ms > 0.0) {
    std::snprintf(
        gsites, sizeof gsites, "%.2f",
        static_cast<double>(row.n) * static_cast<double>(row.steps) / (1e-3 * s.median_ms) * 1e-9);
  }
  char speedup[16] = "-";
  if (s.speedup) {
    std::snprintf(speedup, sizeof speedup, "%.2fx", *s.speedup);
  }
  const std::string notes = s.noisy ? "noisy: " + s.noisy_reason : "";
  std::snprintf(line, sizeof line, "%-52s %11.4g %6.0f%% %8s %8s  %.28s", name.c_str(), s.median_ms,
                100.0 * s.spread, gsites, speedup, notes.c_str());
  return line;
}

// ---------------------------------------------------------------------------------------
// The collector
// ---------------------------------------------------------------------------------------

Collector::Collector(std::unique_ptr<benchmark::BenchmarkReporter> json_display,
                     std::ofstream* jsonl, std::vector<double> instance_costs)
    : json_display_(std::move(json_display)), jsonl_(jsonl), costs_(std::move(instance_costs)) {
  for (const double c : costs_) {
    total_cost_ += c;
  }
  start_s_ = cpu_snapshot().wall_s;
#if defined(__unix__) || defined(__APPLE__)
  tty_ = isatty(STDERR_FILENO) != 0;
#endif
}

bool Collector::ReportContext(const Context& context) {
  if (json_display_) {
    return json_display_->ReportContext(context);
  }
  return true;
}

void Collector::ReportRuns(const std::vector<Run>& runs) {
  if (json_display_) {
    json_display_->ReportRuns(runs);
  }
  State& g = global();
  for (const Run& run : runs) {
    if (run.run_type == Run::RT_Aggregate) {
      continue;
    }
    RowRecord& record = g.rows[g.current_row];
    if (record.row.group != open_group_) {
      finish_group();
      open_group_ = record.row.group;
    }
    if (std::find(open_rows_.begin(), open_rows_.end(), g.current_row) == open_rows_.end()) {
      open_rows_.push_back(g.current_row);
    }
    Sample sample = g.current;
    if (run.error_occurred) {
      sample.error = true;
      if (sample.error_message.empty()) {
        sample.error_message = run.error_message;
      }
    }
    record.samples.push_back(std::move(sample));
    if (done_ < costs_.size()) {
      done_cost_ += costs_[done_];
    }
    ++done_;
  }
  progress(false);
}

void Collector::finish_group() {
  State& g = global();
  for (const std::size_t index : open_rows_) {
    RowRecord& record = g.rows[index];
    summarise(record);
    if (record.summary.error) {
      g.failed = true;
    }
    if (jsonl_ != nullptr) {
      *jsonl_ << jsonl_line(record) << '\n';
    }
    if (tty_) {
      std::cerr << "\r\033[K" << std::flush;
    }
    if (!header_) {
      (json_display_ ? std::cerr : std::cout) << console_header() << '\n';
      header_ = true;
    }
    (json_display_ ? std::cerr : std::cout) << console_line(record) << std::endl;
    finished_.push_back(index);
  }
  if (jsonl_ != nullptr) {
    jsonl_->flush();
  }
  open_rows_.clear();
  progress(true);
}

void Collector::progress(bool force) {
  const double now = cpu_snapshot().wall_s;
  if (!tty_ && !force) {
    return;
  }
  if (!tty_ && now - last_progress_s_ < 10.0 && done_ < costs_.size()) {
    return;
  }
  last_progress_s_ = now;
  const double elapsed = now - start_s_;
  const double fraction = total_cost_ > 0.0 ? done_cost_ / total_cost_ : 1.0;
  const double eta = fraction > 0.0 ? elapsed / fraction - elapsed : 0.0;
  char line[160];
  std::snprintf(line, sizeof line, "[%zu/%zu runs, %zu rows done] %.0f s elapsed, ETA %.0f s",
                done_, costs_.size(), finished_.size(), elapsed, std::max(0.0, eta));
  if (tty_) {
    std::cerr << "\r\033[K" << line << std::flush;
  } else {
    std::cerr << line << '\n';
  }
}

void Collector::Finalize() {
  finish_group();
  if (tty_) {
    std::cerr << "\r\033[K" << std::flush;
  }
  if (json_display_) {
    json_display_->Finalize();
  }
}

}  // namespace dashi_bench
