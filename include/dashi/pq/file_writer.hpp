// SPDX-License-Identifier: Apache-2.0
#pragma once

/// @file
/// PQ-FS writers (docs/PQ_FORMAT.md §3): `write_file` and the streaming `FileWriter`, which
/// write a file atomically (temporary file, fsync, rename). The file is a pure function
/// of the field and `sb_bytes`: identical whatever the worker count and however a
/// `FileWriter` is fed. Also reached through `<dashi/pq/file.hpp>`.
///
/// System headers: on POSIX systems `<unistd.h>` (see `<dashi/pq/file.hpp>`).

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <dashi/carrier.hpp>
#include <dashi/detail/aligned_buffer.hpp>
#include <dashi/execution/thread_pool.hpp>
#include <dashi/pq/detail/driver.hpp>
#include <dashi/pq/detail/file_io.hpp>
#include <dashi/pq/detail/file_layout.hpp>
#include <dashi/pq/detail/superblock.hpp>
#include <dashi/pq/detail/superblock_plan.hpp>
#include <dashi/pq/file_options.hpp>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace dashi::pq {

/// Streaming PQ-FS writer: the field of `shape` arrives as whole axis-0 rows, in order,
/// any number at a time, so a field larger than memory can be written. With `w` worker
/// threads, memory is bounded by about `w + 1` superblocks' worth of staged sites (about
/// `8 × sb_bytes` sites each), `2w` superblock buffers (with their scratch, about
/// `2 × sb_bytes` bytes each) and one byte per 64 sites of the largest `append`, whatever
/// the field size. The output is byte-identical to `write_file` on the same field, however
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
  FileWriter(std::filesystem::path path, const Shape& shape, const FileOptions& options = {})
      : path_(std::move(path)), shape_(shape), sb_bytes_(options.sb_bytes) {
    detail::check_sb_bytes(options.sb_bytes, where);
    workers_ = detail::resolve_workers(options.num_workers);
    isa_ = detail::codec_isa();
    const std::uint64_t most = detail::sb_max_sites(sb_bytes_) + 64;
    batch_ = std::max<std::size_t>(1, 2 * workers_);
    threshold_ = std::max<std::uint64_t>(most, (batch_ + 1) * most / 2);
    output_ = std::make_unique<detail::FileOutput>(path_, where);
    const std::array<std::byte, detail::file_header::bytes> placeholder{};
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
  /// Throws `std::invalid_argument` for a row shape mismatch and `std::out_of_range` when
  /// the rows pass the end of axis 0 (the writer stays usable), `std::logic_error` after
  /// `finish()` or after an earlier failure. Any other exception makes the writer unusable
  /// (its temporary file is removed on destruction): `std::system_error` on an I/O error or
  /// when the default pool's workers cannot start, `std::bad_alloc`, and
  /// `std::invalid_argument` when the rows hold bytes that are not trits (possible only
  /// through `TernaryView::unchecked`).
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
          const std::uint64_t used = flush(staging_.data(), staged_);
          staged_ -= used;
          std::memmove(staging_.data(), staging_.data() + used, static_cast<std::size_t>(staged_));
        }
      }
    }
    rows_appended_ += rows.shape().rows();
    failed_ = false;
  }

  /// Writes the remaining superblocks and the file header, then commits: fsync, rename
  /// onto the target (replacing any file there), fsync of the folder. Throws
  /// `std::logic_error` when rows are missing (the writer stays usable: append them and
  /// call again) or after `finish()` or an earlier failure. Any other exception makes the
  /// writer unusable: `std::system_error` on an I/O error (the target is untouched, except
  /// when only the final sync of the folder fails, after the rename: the target then already
  /// holds the new file) or when the default pool's workers cannot start, `std::bad_alloc`,
  /// and `std::invalid_argument` when the rows held bytes that are not trits (possible only
  /// through `TernaryView::unchecked`).
  void finish() {
    check_usable("finish");
    if (rows_appended_ != shape_.rows()) {
      throw std::logic_error(
          std::string(where) + ": finish() after " + std::to_string(rows_appended_) + " of " +
          std::to_string(shape_.rows()) + " rows of shape " + shape_.to_string());
    }
    failed_ = true;
    if (staged_ != 0) {
      const std::uint64_t used = flush(staging_.data(), staged_);
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
    staging_ = dashi::detail::AlignedBuffer<std::int8_t>();
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
    if (staging_.data() == nullptr) {
      staging_ = dashi::detail::AlignedBuffer<std::int8_t>(static_cast<std::size_t>(threshold_));
    }
    std::memcpy(staging_.data() + staged_, data, static_cast<std::size_t>(count));
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
    const std::size_t q_words = detail::sb_q_scratch_words(sb_bytes_);
    for (std::size_t first = 0; first < plan_.size(); first += batch_) {
      const std::size_t count = std::min(batch_, plan_.size() - first);
      run(count, [&](std::size_t j) {
        if (buffers_[j].data() == nullptr) {
          buffers_[j] = dashi::detail::AlignedBuffer<std::uint64_t>(sb_words);
          q_scratch_[j] = dashi::detail::AlignedBuffer<std::uint64_t>(q_words);
        }
        const detail::SuperblockPlanEntry& entry = plan_[first + j];
        detail::build_superblock(src + entry.offset, entry, index_ + first + j, sb_bytes_, isa_,
                                 buffers_[j].data(), q_scratch_[j].data());
      });
      for (std::size_t j = 0; j < count; ++j) {
        output_->write(buffers_[j].data(), static_cast<std::size_t>(sb_bytes_));
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
  detail::Isa isa_ = detail::Isa::portable;
  std::size_t batch_ = 1;        // superblocks built at once
  std::uint64_t threshold_ = 0;  // staged sites that trigger a flush
  std::unique_ptr<detail::FileOutput> output_;
  dashi::detail::AlignedBuffer<std::int8_t> staging_;  // undecided sites, `staged_` of them
  std::uint64_t staged_ = 0;
  std::uint64_t next_site_ = 0;  // sites already in written superblocks
  std::uint64_t index_ = 0;      // superblocks written
  std::uint64_t support_ = 0;    // supported sites written
  std::size_t rows_appended_ = 0;
  bool finished_ = false;
  bool failed_ = false;
  std::vector<std::uint8_t> counts_;
  std::vector<detail::SuperblockPlanEntry> plan_;
  std::vector<dashi::detail::AlignedBuffer<std::uint64_t>> buffers_;
  std::vector<dashi::detail::AlignedBuffer<std::uint64_t>> q_scratch_;
};

/// Writes `field` to `path` as a PQ-FS file (docs/PQ_FORMAT.md §3), atomically: a temporary file
/// in the same folder, flushed and fsync'ed, renamed over `path`, then the folder
/// fsync'ed. A crash or an exception never leaves a partial file under `path`; a file
/// already there is either untouched or, if only the final sync of the folder fails (after
/// the rename), already replaced by the complete new file. Superblocks are built on
/// `options.num_workers` threads; the bytes never depend on it. O(n). Throws
/// `std::invalid_argument` for a bad `options.sb_bytes` or when `field` holds bytes that are
/// not trits (possible only through `TernaryView::unchecked`), `std::system_error` naming
/// the path on an I/O error (missing folder, no permission, full disk, `path` is a folder)
/// or when the default pool's workers cannot start, `std::bad_alloc`. Thread-safe:
/// concurrent writes to one path each use their own temporary file, and the last rename
/// wins.
inline void write_file(const std::filesystem::path& path, TernaryView field,
                       const FileOptions& options = {}) {
  FileWriter writer(path, field.shape(), options);
  writer.append(field);
  writer.finish();
}

}  // namespace dashi::pq
