// SPDX-License-Identifier: Apache-2.0
#pragma once

/// @file
/// PQ-FS checkpoint files (PQ_FORMAT.md §3): a 4096-byte header, then fixed-size
/// self-contained superblocks, each packing as many sites as fit. `write_file` and the
/// streaming `FileWriter` write them atomically (temporary file, fsync, rename); `PqFile`
/// validates and reads them, whole or by rows, decoding only the superblocks it needs.
///
/// The file is a pure function of the field and `sb_bytes`: identical whatever the worker
/// count and however a `FileWriter` is fed.
///
/// System headers: on POSIX systems this header includes `<unistd.h>` (positioned reads
/// and writes, fsync); it keeps `<fcntl.h>` and `<sys/stat.h>` (and macros such as
/// `st_mtime`) out of the including translation unit. Elsewhere it uses `<fstream>`.

#include <algorithm>
#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <dashi/carrier.hpp>
#include <dashi/execution/thread_pool.hpp>
#include <dashi/pq/codec.hpp>
#include <dashi/pq/detail/file_format.hpp>
#include <dashi/pq/detail/file_io.hpp>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace dashi::pq {
class PqFile;
}  // namespace dashi::pq

namespace dashi::pq::detail {

/// Counters of the superblock reads of a `PqFile` (tests use them to show that
/// `read_rows` reads O(log count) headers and only the superblocks it decodes).
struct FileStats {
  std::uint64_t header_reads = 0;      ///< 64-byte superblock header reads
  std::uint64_t superblock_reads = 0;  ///< whole-superblock reads (each decoded)
};

/// Reads the counters of `file`.
[[nodiscard]] inline FileStats file_stats(const pq::PqFile& file) noexcept;

}  // namespace dashi::pq::detail

namespace dashi::pq {

/// Options of PQ-FS writers and readers. Aggregate: `write_file(p, x, {.sb_bytes = 1 << 20})`.
struct FileOptions {
  /// Bytes per superblock (writers only; a reader takes it from the file): a multiple of
  /// 4096 in [4096, 2^28], else `std::invalid_argument`. Larger superblocks cost less
  /// metadata and fewer reads; smaller ones make `read_rows` of a few rows cheaper.
  std::uint32_t sb_bytes = 262144;
  /// Threads used to build (writers) or decode (readers) superblocks, on
  /// `dashi::default_thread_pool()`; 0 means `std::thread::hardware_concurrency()`.
  /// Never changes a file or a result.
  std::size_t num_workers = 1;
};

/// Streaming PQ-FS writer: the field of `shape` arrives as whole axis-0 rows, in order,
/// any number at a time, so a field larger than memory can be written. Memory is bounded
/// by a few superblocks' worth of sites (about `8 × sb_bytes` sites each), whatever the
/// field size. The output is byte-identical to `write_file` on the same field, however
/// the rows are chunked.
///
/// Writes go to a temporary file in the target's folder; `finish()` commits it atomically
/// (fsync, rename over the target, fsync of the folder). Until then the target is
/// untouched, and destroying an unfinished writer (or an exception) removes the
/// temporary file. Not thread-safe: use one writer from one thread at a time. Move-only.
class FileWriter {
 public:
  /// Creates the temporary file for a field of `shape` at `path`. Throws
  /// `std::invalid_argument` for a bad `options.sb_bytes`, `std::system_error` (naming
  /// the path) when the file cannot be created or `path` is a folder.
  FileWriter(const std::filesystem::path& path, const Shape& shape, const FileOptions& options = {})
      : path_(path), shape_(shape), sb_bytes_(options.sb_bytes) {
    detail::check_sb_bytes(options.sb_bytes, where);
    workers_ = detail::resolve_workers(options.num_workers);
    path_kind_ = detail::resolve_path(detail::CodecPath::automatic);
    const std::uint64_t most = detail::sb_max_sites(sb_bytes_) + 64;
    batch_ = std::max<std::size_t>(1, 2 * workers_);
    threshold_ = std::max<std::uint64_t>(most, (batch_ + 1) * most / 2);
    output_ = std::make_unique<detail::FileOutput>(path_, where);
    const std::array<std::byte, detail::file_header_bytes> placeholder{};
    output_->write(placeholder.data(), placeholder.size());
  }

  FileWriter(const FileWriter&) = delete;
  FileWriter& operator=(const FileWriter&) = delete;
  /// Takes over the file being written; the moved-from writer throws `std::logic_error`
  /// on `append` and `finish`.
  FileWriter(FileWriter&&) noexcept = default;
  /// Abandons the file this writer was writing (its temporary file is removed) and takes
  /// over `other`'s.
  FileWriter& operator=(FileWriter&&) noexcept = default;
  /// Removes the temporary file unless `finish()` succeeded. Never throws.
  ~FileWriter() = default;

  /// The shape of the field being written.
  [[nodiscard]] const Shape& shape() const noexcept { return shape_; }
  /// Axis-0 rows appended so far.
  [[nodiscard]] std::size_t rows_appended() const noexcept { return rows_appended_; }

  /// Appends whole axis-0 rows: `rows.shape()` must equal `shape()` but for axis 0.
  /// Builds and writes every superblock the rows complete (on `num_workers` threads).
  /// Throws `std::invalid_argument` for a row shape mismatch, `std::out_of_range` when the
  /// rows pass the end of axis 0, `std::logic_error` after `finish()` or after an earlier
  /// failure, `std::system_error` on an I/O error (the writer is then unusable; its
  /// temporary file is removed on destruction).
  void append(TernaryView rows) {
    check_usable("append");
    if (rows.shape().rank() != shape_.rank() ||
        !std::equal(rows.shape().extents().begin() + 1, rows.shape().extents().end(),
                    shape_.extents().begin() + 1)) {
      throw std::invalid_argument(std::string(where) + ": rows of shape " +
                                  rows.shape().to_string() + " do not fit a field of shape " +
                                  shape_.to_string());
    }
    if (rows.shape().rows() > shape_.rows() - rows_appended_) {
      throw std::out_of_range(
          std::string(where) + ": appending " + std::to_string(rows.shape().rows()) +
          " rows after " + std::to_string(rows_appended_) + " passes the " +
          std::to_string(shape_.rows()) + " rows of shape " + shape_.to_string());
    }
    failed_ = true;  // until this append completes
    const std::int8_t* data = rows.data();
    std::uint64_t left = rows.size();
    while (left != 0) {
      const bool completes = next_site_ + staged_ + left == shape_.size();
      if (staged_ == 0 && (left >= threshold_ || completes)) {
        // Straight from the caller's memory; only the undecided tail is copied.
        const std::uint64_t used = flush(data, left);
        data += used;
        left -= used;
        stage(data, left);
        left = 0;
      } else {
        const std::uint64_t take = std::min(left, threshold_ - staged_);
        stage(data, take);
        data += take;
        left -= take;
        if (staged_ == threshold_) {
          const std::uint64_t used = flush(staging_.get(), staged_);
          staged_ -= used;
          std::memmove(staging_.get(), staging_.get() + used, static_cast<std::size_t>(staged_));
        }
      }
    }
    rows_appended_ += rows.shape().rows();
    failed_ = false;
  }

  /// Writes the remaining superblocks and the file header, then commits: fsync, rename
  /// onto the target (replacing any file there), fsync of the folder. Throws
  /// `std::logic_error` when rows are missing (the writer stays usable: append them and
  /// call again) or after `finish()`, `std::system_error` on an I/O error (the target is
  /// untouched).
  void finish() {
    check_usable("finish");
    if (rows_appended_ != shape_.rows()) {
      throw std::logic_error(
          std::string(where) + ": finish() after " + std::to_string(rows_appended_) + " of " +
          std::to_string(shape_.rows()) + " rows of shape " + shape_.to_string());
    }
    failed_ = true;
    if (staged_ != 0) {
      const std::uint64_t used = flush(staging_.get(), staged_);
      staged_ -= used;
    }
    if (next_site_ != shape_.size()) {
      throw std::logic_error(std::string(where) + ": internal error: sites left unwritten");
    }
    const auto header = detail::make_file_header(shape_, support_, index_, sb_bytes_);
    output_->write_at(0, header.data(), header.size());
    output_->commit();
    finished_ = true;
    failed_ = false;
    staging_.reset();
  }

 private:
  static constexpr const char* where = "dashi::pq::FileWriter";

  void check_usable(const char* what) const {
    if (!output_) {
      throw std::logic_error(std::string(where) + ": " + what + " on a moved-from writer");
    }
    if (finished_) {
      throw std::logic_error(std::string(where) + ": " + what + " after finish()");
    }
    if (failed_) {
      throw std::logic_error(std::string(where) + ": " + what +
                             " after an earlier failure; the writer is unusable");
    }
  }

  void stage(const std::int8_t* data, std::uint64_t count) {
    if (count == 0) {
      return;
    }
    if (!staging_) {
      staging_ =
          std::make_unique_for_overwrite<std::int8_t[]>(static_cast<std::size_t>(threshold_));
    }
    std::memcpy(staging_.get() + staged_, data, static_cast<std::size_t>(count));
    staged_ += count;
  }

  /// Plans, builds and writes every superblock that `src[0, available)` (the sites from
  /// `next_site_` on) decides; returns the sites written.
  std::uint64_t flush(const std::int8_t* src, std::uint64_t available) {
    const std::uint64_t remaining = shape_.size() - next_site_;
    const bool complete = available == remaining;
    const auto words =
        static_cast<std::size_t>(complete ? detail::ceil_div(available, 64) : available / 64);
    counts_.resize(words);
    constexpr std::size_t words_per_task = std::size_t{1} << 14;
    const std::size_t count_tasks = words / words_per_task + (words % words_per_task != 0 ? 1 : 0);
    const auto count_sites =
        static_cast<std::size_t>(complete ? available : 64 * std::uint64_t{words});
    run(count_tasks, [&](std::size_t t) {
      const std::size_t first = t * words_per_task;
      const std::size_t last_site = std::min(count_sites, (first + words_per_task) * 64);
      detail::count_words(src + first * 64, last_site - first * 64, counts_.data() + first);
    });
    plan_.clear();
    const std::uint64_t planned =
        detail::plan_superblocks(counts_, available, remaining, sb_bytes_, next_site_, plan_);
    if (buffers_.empty() && !plan_.empty()) {
      buffers_.resize(batch_);
      q_scratch_.resize(batch_);
    }
    const std::size_t sb_words = detail::sb_buffer_words(sb_bytes_);
    const auto q_words = static_cast<std::size_t>(detail::sb_max_sites(sb_bytes_) / 64 + 3);
    for (std::size_t first = 0; first < plan_.size(); first += batch_) {
      const std::size_t count = std::min(batch_, plan_.size() - first);
      run(count, [&](std::size_t j) {
        if (!buffers_[j]) {
          buffers_[j] = std::make_unique_for_overwrite<std::uint64_t[]>(sb_words);
          q_scratch_[j] = std::make_unique_for_overwrite<std::uint64_t[]>(q_words);
        }
        const detail::SuperblockPlanEntry& entry = plan_[first + j];
        detail::build_superblock(src + entry.offset, entry, index_ + first + j, sb_bytes_,
                                 path_kind_, buffers_[j].get(), q_scratch_[j].get());
      });
      for (std::size_t j = 0; j < count; ++j) {
        output_->write(buffers_[j].get(), static_cast<std::size_t>(sb_bytes_));
        support_ += plan_[first + j].support;
      }
    }
    index_ += plan_.size();
    next_site_ += planned;
    return planned;
  }

  template <class F>
  void run(std::size_t count, F&& body) {
    if (workers_ <= 1 || count <= 1) {
      for (std::size_t i = 0; i < count; ++i) {
        body(i);
      }
      return;
    }
    default_thread_pool().parallel_for(count, body, workers_);
  }

  std::filesystem::path path_;
  Shape shape_;
  std::uint64_t sb_bytes_ = 0;
  std::size_t workers_ = 1;
  detail::CodecPath path_kind_ = detail::CodecPath::scalar;
  std::size_t batch_ = 1;        // superblocks built at once
  std::uint64_t threshold_ = 0;  // staged sites that trigger a flush
  std::unique_ptr<detail::FileOutput> output_;
  std::unique_ptr<std::int8_t[]> staging_;  // undecided sites, `staged_` of them
  std::uint64_t staged_ = 0;
  std::uint64_t next_site_ = 0;  // sites already in written superblocks
  std::uint64_t index_ = 0;      // superblocks written
  std::uint64_t support_ = 0;    // supported sites written
  std::size_t rows_appended_ = 0;
  bool finished_ = false;
  bool failed_ = false;
  std::vector<std::uint8_t> counts_;
  std::vector<detail::SuperblockPlanEntry> plan_;
  std::vector<std::unique_ptr<std::uint64_t[]>> buffers_;
  std::vector<std::unique_ptr<std::uint64_t[]>> q_scratch_;
};

/// Writes `field` to `path` as a PQ-FS file (PQ_FORMAT §3), atomically: a temporary file
/// in the same folder, flushed and fsync'ed, renamed over `path`, then the folder
/// fsync'ed. A crash or an exception never leaves a partial file under `path` nor damages
/// a file already there. Superblocks are built on `options.num_workers` threads; the bytes
/// never depend on it. O(n). Throws `std::invalid_argument` for a bad `options.sb_bytes`,
/// `std::system_error` naming the path on an I/O error (missing folder, no permission,
/// full disk, `path` is a folder), `std::bad_alloc`. Thread-safe: concurrent writes to
/// one path each use their own temporary file, and the last rename wins.
inline void write_file(const std::filesystem::path& path, TernaryView field,
                       const FileOptions& options = {}) {
  FileWriter writer(path, field.shape(), options);
  writer.append(field);
  writer.finish();
}

/// A PQ-FS file opened for reading. The constructor validates the file header (magic,
/// version, flags, rank, extents against n_sites, SB_BYTES, superblock count against
/// n_sites, file length = 4096 + count × SB_BYTES, CRC, zero padding); each superblock is
/// validated in full (header, counts, position, CRCs, zero padding and unused bits) when
/// it is read. Malformed content throws `FormatError` naming the superblock (in the
/// message) and the field; I/O failures throw `std::system_error` naming the path.
/// Nothing is allocated beyond what the file length implies.
///
/// Thread-safety: reads use positioned reads (`pread`) and keep no shared cursor, so one
/// `PqFile` may be read from several threads at once. The file must not be modified
/// while open (a change is reported as `FormatError` at worst). Move-only.
class PqFile {
 public:
  /// Opens and validates the header of `path`. Only `options.num_workers` is read (the
  /// threads of `read_all` and `read_rows`). Throws `FormatError` (bad or truncated
  /// header, wrong length) or `std::system_error` (missing file, no permission, a folder).
  explicit PqFile(const std::filesystem::path& path, const FileOptions& options = {})
      : input_(path, std::string(base_where)),
        workers_(detail::resolve_workers(options.num_workers)),
        path_kind_(detail::resolve_path(detail::CodecPath::automatic)),
        stats_(std::make_unique<Stats>()) {
    const std::string where_text = where();
    std::array<std::byte, detail::file_header_bytes> header{};
    const std::size_t got = input_.read_at(0, header.data(), header.size(), where_text);
    if (got < header.size()) {
      throw FormatError(where_text.c_str(), "file_header", got,
                        "the file has " + std::to_string(got) +
                            " bytes, fewer than the 4096-byte file header (truncated)");
    }
    info_ = detail::parse_file_header(header.data(), input_.length(), where_text.c_str());
  }

  PqFile(const PqFile&) = delete;
  PqFile& operator=(const PqFile&) = delete;
  /// Takes over the open file; a moved-from `PqFile` may only be destroyed or assigned to.
  PqFile(PqFile&&) noexcept = default;
  /// Closes this file and takes over `other`'s.
  PqFile& operator=(PqFile&&) noexcept = default;
  /// Closes the file.
  ~PqFile() = default;

  /// Shape of the stored field.
  [[nodiscard]] Shape shape() const noexcept { return info_.shape; }
  /// Number of sites.
  [[nodiscard]] std::size_t size() const noexcept { return static_cast<std::size_t>(info_.sites); }
  /// Number of supported sites, from the file header (checked against the superblocks
  /// by `read_all`).
  [[nodiscard]] std::uint64_t support_count() const noexcept { return info_.support; }
  /// Number of superblocks.
  [[nodiscard]] std::uint64_t superblock_count() const noexcept { return info_.count; }
  /// SB_BYTES of the file.
  [[nodiscard]] std::uint32_t sb_bytes() const noexcept {
    return static_cast<std::uint32_t>(info_.sb_bytes);
  }
  /// The path the file was opened with.
  [[nodiscard]] const std::filesystem::path& path() const noexcept { return input_.path(); }

  /// Reads and decodes the whole field, superblocks in parallel on `num_workers` threads
  /// of the default pool. Validates every superblock, their order and contiguity, and
  /// n_support. O(n). Throws `FormatError`, `std::system_error`, `std::bad_alloc`.
  /// Thread-safe.
  [[nodiscard]] TernaryField read_all() const {
    TernaryField out = TernaryField::uninitialized(info_.shape);
    if (info_.count != 0) {
      const std::uint64_t support = decode(0, info_.count, 0, info_.sites, out.data());
      if (support != info_.support) {
        const std::string where_text = where();
        throw FormatError(where_text.c_str(), "n_support", 64,
                          "n_support is " + std::to_string(info_.support) +
                              " but the superblocks hold " + std::to_string(support) +
                              " supported sites");
      }
    }
    return out;
  }

  /// Reads axis-0 rows `[first_row, first_row + count)`: a binary search over superblock
  /// headers (O(log superblocks) header reads) finds the superblocks holding those sites,
  /// and only they are read, validated and decoded (in parallel on `num_workers`
  /// threads). Throws `std::out_of_range` when the rows pass the end of axis 0,
  /// `FormatError`, `std::system_error`, `std::bad_alloc`. Thread-safe.
  [[nodiscard]] TernaryField read_rows(std::size_t first_row, std::size_t count) const {
    const Shape& shape = info_.shape;
    if (first_row > shape.rows() || count > shape.rows() - first_row) {
      throw std::out_of_range(std::string(base_where) + ": rows [" + std::to_string(first_row) +
                              ", " + std::to_string(first_row) + " + " + std::to_string(count) +
                              ") pass the end of axis 0 of shape " + shape.to_string() + " in '" +
                              input_.path().string() + "'");
    }
    TernaryField out = TernaryField::uninitialized(shape.with_rows(count));
    const std::uint64_t lo = std::uint64_t{first_row} * shape.row_elems();
    const std::uint64_t hi = lo + out.size();
    if (hi == lo) {
      return out;
    }
    // Superblock 0 starts at site 0; find the last one starting at or before `lo`, then
    // the first one starting at or after `hi` (or the end).
    const std::uint64_t first_sb = last_starting_at_or_before(lo, 0);
    const std::uint64_t end_sb = last_starting_at_or_before(hi - 1, first_sb) + 1;
    (void)decode(first_sb, end_sb, lo, hi, out.data());
    return out;
  }

 private:
  friend detail::FileStats detail::file_stats(const PqFile& file) noexcept;

  struct Stats {
    std::atomic<std::uint64_t> header_reads{0};
    std::atomic<std::uint64_t> superblock_reads{0};
  };

  static constexpr const char* base_where = "dashi::pq::PqFile";

  [[nodiscard]] std::string where() const {
    return std::string(base_where) + " '" + input_.path().string() + "'";
  }
  [[nodiscard]] std::string where(std::uint64_t index) const {
    return where() + ", superblock " + std::to_string(index);
  }
  [[nodiscard]] std::uint64_t offset_of(std::uint64_t index) const noexcept {
    return detail::file_header_bytes + index * info_.sb_bytes;
  }

  [[noreturn]] void truncated(std::uint64_t index, std::size_t got) const {
    const std::string where_text = where(index);
    throw FormatError(where_text.c_str(), "superblock",
                      static_cast<std::size_t>(offset_of(index) + got),
                      "the file ended inside the superblock (truncated while open)");
  }

  /// Reads and validates the header of superblock `index`.
  [[nodiscard]] detail::SuperblockInfo read_header(std::uint64_t index) const {
    std::array<std::byte, detail::sb_header_bytes> header{};
    const std::string where_text = where(index);
    stats_->header_reads.fetch_add(1, std::memory_order_relaxed);
    const std::size_t got =
        input_.read_at(offset_of(index), header.data(), header.size(), where_text);
    if (got != header.size()) {
      truncated(index, got);
    }
    return detail::parse_superblock_header(header.data(), index, info_, offset_of(index),
                                           where_text.c_str());
  }

  /// The last superblock in [from, count) whose first_site is at most `site`, found by
  /// binary search (superblock `from` must start at or before `site`).
  [[nodiscard]] std::uint64_t last_starting_at_or_before(std::uint64_t site,
                                                         std::uint64_t from) const {
    std::uint64_t low = from;
    std::uint64_t high = info_.count;  // exclusive
    while (high - low > 1) {
      const std::uint64_t mid = low + (high - low) / 2;
      if (read_header(mid).first_site <= site) {
        low = mid;
      } else {
        high = mid;
      }
    }
    return low;
  }

  /// Reads, validates and decodes superblocks [first, end) into `dst`, which receives
  /// sites [lo, hi) (the superblocks must cover them contiguously). Returns their total
  /// support count. Superblocks are split into contiguous groups, one task each; the
  /// group boundaries are read first so that the tasks write disjoint ranges.
  std::uint64_t decode(std::uint64_t first, std::uint64_t end, std::uint64_t lo, std::uint64_t hi,
                       std::int8_t* dst) const {
    const auto count = static_cast<std::size_t>(end - first);
    const std::size_t groups = std::min(workers_, count);
    const auto group_first = [&](std::size_t g) {
      return first + static_cast<std::uint64_t>(count / groups * g + std::min(g, count % groups));
    };
    // Boundaries: the first site of each group's first superblock, and where the last
    // group ends (the next superblock's first site, or n).
    std::vector<std::uint64_t> bounds(groups + 1);
    for (std::size_t g = 0; g <= groups; ++g) {
      const std::uint64_t index = group_first(g);
      bounds[g] = index == info_.count ? info_.sites : read_header(index).first_site;
      if (g != 0 && bounds[g] <= bounds[g - 1]) {
        const std::string where_text = where(index);
        throw FormatError(where_text.c_str(), "first_site",
                          static_cast<std::size_t>(offset_of(index) + 24),
                          "superblocks out of order: first_site " + std::to_string(bounds[g]) +
                              " does not follow " + std::to_string(bounds[g - 1]));
      }
    }
    if (bounds[0] > lo || bounds[groups] < hi) {
      const std::string where_text = where(first);
      throw FormatError(where_text.c_str(), "first_site",
                        static_cast<std::size_t>(offset_of(first) + 24),
                        "superblocks out of order: superblocks " + std::to_string(first) + " to " +
                            std::to_string(end - 1) + " do not cover sites " + std::to_string(lo) +
                            " to " + std::to_string(hi - 1));
    }
    std::vector<std::uint64_t> support(groups, 0);
    auto body = [&](std::size_t g) {
      const std::size_t words = detail::sb_buffer_words(info_.sb_bytes);
      std::unique_ptr<std::uint64_t[]> sb = std::make_unique_for_overwrite<std::uint64_t[]>(words);
      sb[words - 2] = 0;
      sb[words - 1] = 0;
      std::uint64_t expected = bounds[g];
      for (std::uint64_t index = group_first(g); index < group_first(g + 1); ++index) {
        const std::string where_text = where(index);
        const std::uint64_t base = offset_of(index);
        stats_->superblock_reads.fetch_add(1, std::memory_order_relaxed);
        const auto size = static_cast<std::size_t>(info_.sb_bytes);
        if (const std::size_t got = input_.read_at(base, sb.get(), size, where_text); got != size) {
          truncated(index, got);
        }
        const auto* bytes = reinterpret_cast<const std::byte*>(sb.get());
        const detail::SuperblockInfo sb_info =
            detail::parse_superblock_header(bytes, index, info_, base, where_text.c_str());
        if (sb_info.first_site != expected) {
          throw FormatError(where_text.c_str(), "first_site", static_cast<std::size_t>(base + 24),
                            "superblocks out of order: first_site is " +
                                std::to_string(sb_info.first_site) + ", expected " +
                                std::to_string(expected) + " (the end of the previous superblock)");
        }
        if (sb_info.sites > bounds[g + 1] - expected) {
          throw FormatError(where_text.c_str(), "site_count", static_cast<std::size_t>(base + 32),
                            "site_count " + std::to_string(sb_info.sites) +
                                " overlaps the next superblock, which starts at site " +
                                std::to_string(bounds[g + 1]));
        }
        detail::check_superblock_payload(sb.get(), sb_info, info_.sb_bytes, base,
                                         where_text.c_str());
        const std::uint64_t from = std::max(lo, sb_info.first_site);
        const std::uint64_t to = std::min(hi, sb_info.first_site + sb_info.sites);
        if (from < to) {
          detail::words_le(
              sb.get() + detail::sb_header_bytes / 8,
              static_cast<std::size_t>(info_.sb_bytes / 8 - detail::sb_header_bytes / 8));
          detail::decode_superblock_slice(path_kind_, sb.get(), sb_info, from - sb_info.first_site,
                                          to - sb_info.first_site,
                                          dst + static_cast<std::size_t>(from - lo));
        }
        support[g] += sb_info.support;
        expected += sb_info.sites;
      }
      if (expected != bounds[g + 1]) {
        const std::uint64_t last = group_first(g + 1) - 1;
        const std::string where_text = where(last);
        throw FormatError(where_text.c_str(), "site_count",
                          static_cast<std::size_t>(offset_of(last) + 32),
                          "the superblock ends at site " + std::to_string(expected) +
                              " but the next one starts at site " + std::to_string(bounds[g + 1]));
      }
    };
    if (groups <= 1) {
      body(0);
    } else {
      default_thread_pool().parallel_for(groups, body, groups);
    }
    std::uint64_t total = 0;
    for (const std::uint64_t s : support) {
      total += s;
    }
    return total;
  }

  detail::FileInput input_;
  detail::FileInfo info_;
  std::size_t workers_ = 1;
  detail::CodecPath path_kind_ = detail::CodecPath::scalar;
  std::unique_ptr<Stats> stats_;
};

}  // namespace dashi::pq

namespace dashi::pq::detail {

[[nodiscard]] inline FileStats file_stats(const pq::PqFile& file) noexcept {
  return {file.stats_->header_reads.load(std::memory_order_relaxed),
          file.stats_->superblock_reads.load(std::memory_order_relaxed)};
}

}  // namespace dashi::pq::detail
