// SPDX-License-Identifier: Apache-2.0
#pragma once

/// @file
/// The PQ-FS reader `PqFile` (docs/PQ_FORMAT.md §3): validates a file and reads it whole or by
/// rows, decoding only the superblocks it needs. Also reached through
/// `<dashi/pq/file.hpp>`.
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
#include <dashi/pq/file_options.hpp>
#include <dashi/pq/format_error.hpp>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace dashi::pq {

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
        isa_(detail::codec_isa()) {
    const std::string where_text = where();
    std::array<std::byte, detail::file_header::bytes> header{};
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
  static constexpr const char* base_where = "dashi::pq::PqFile";

  [[nodiscard]] std::string where() const {
    return std::string(base_where) + " '" + input_.path().string() + "'";
  }
  [[nodiscard]] std::string where(std::uint64_t index) const {
    return where() + ", superblock " + std::to_string(index);
  }
  [[nodiscard]] std::uint64_t offset_of(std::uint64_t index) const noexcept {
    return detail::file_header::bytes + index * info_.sb_bytes;
  }

  [[noreturn]] void truncated(std::uint64_t index, std::size_t got) const {
    const std::string where_text = where(index);
    throw FormatError(where_text.c_str(), "superblock",
                      static_cast<std::size_t>(offset_of(index) + got),
                      "the file ended inside the superblock (truncated while open)");
  }

  /// Reads and validates the header of superblock `index`.
  [[nodiscard]] detail::SuperblockInfo read_header(std::uint64_t index) const {
    std::array<std::byte, detail::sb_header::bytes> header{};
    const std::string where_text = where(index);
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
      dashi::detail::AlignedBuffer<std::uint64_t> sb(words);
      sb.data()[words - 2] = 0;
      sb.data()[words - 1] = 0;
      std::uint64_t expected = bounds[g];
      for (std::uint64_t index = group_first(g); index < group_first(g + 1); ++index) {
        const std::string where_text = where(index);
        const std::uint64_t base = offset_of(index);
        const auto size = static_cast<std::size_t>(info_.sb_bytes);
        if (const std::size_t got = input_.read_at(base, sb.data(), size, where_text);
            got != size) {
          truncated(index, got);
        }
        const auto* bytes = reinterpret_cast<const std::byte*>(sb.data());
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
        detail::check_superblock_payload(sb.data(), sb_info, info_.sb_bytes, base,
                                         where_text.c_str());
        const std::uint64_t from = std::max(lo, sb_info.first_site);
        const std::uint64_t to = std::min(hi, sb_info.first_site + sb_info.sites);
        if (from < to) {
          detail::words_le(
              sb.data() + detail::sb_header::bytes / 8,
              static_cast<std::size_t>(info_.sb_bytes / 8 - detail::sb_header::bytes / 8));
          detail::decode_superblock_slice(isa_, sb.data(), sb_info, from - sb_info.first_site,
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
  detail::Isa isa_ = detail::Isa::portable;
};

}  // namespace dashi::pq
