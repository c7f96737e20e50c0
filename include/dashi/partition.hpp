// SPDX-License-Identifier: Apache-2.0
#pragma once

/// @file
/// The partition of a field into blocks of whole axis-0 slices, with halos:
/// `split_with_halo`, `crop_halo`, `recombine`. A partition is a pure function of
/// `(shape, block_sites)`: it never depends on the number of workers.

#include <algorithm>
#include <cstddef>
#include <dashi/carrier.hpp>
#include <fstream>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

namespace dashi {

/// One block: its core rows and its extended rows (core plus halo, clipped to the field).
struct Block {
  std::size_t index = 0;           ///< position in the partition (0-based)
  std::size_t first_row = 0;       ///< first core row (axis 0)
  std::size_t row_count = 0;       ///< core rows
  std::size_t halo_first_row = 0;  ///< first row of the extended block
  std::size_t halo_row_count = 0;  ///< rows of the extended block

  /// Rows of halo before the core inside the extended block.
  [[nodiscard]] std::size_t halo_before() const noexcept { return first_row - halo_first_row; }
  friend bool operator==(const Block&, const Block&) = default;
};

namespace detail {

/// The size in bytes of CPU 0's level-2 cache as Linux reports it
/// (`/sys/devices/system/cpu/cpu0/cache/index*/`), or 0 when unknown. Read with the
/// standard library only, so no OS header enters the user's translation unit.
[[nodiscard]] inline std::size_t l2_cache_bytes() noexcept {
  try {
    for (int index = 0; index < 8; ++index) {
      const std::string dir = "/sys/devices/system/cpu/cpu0/cache/index" + std::to_string(index);
      std::ifstream level_file(dir + "/level");
      std::ifstream type_file(dir + "/type");
      std::ifstream size_file(dir + "/size");
      int level = 0;
      std::string type;
      std::size_t size = 0;
      std::string unit;
      if (!(level_file >> level) || !(type_file >> type) || !(size_file >> size)) {
        continue;
      }
      size_file >> unit;  // "K" or "M" follows the number directly ("1024K")
      if (level != 2 || type == "Instruction") {
        continue;
      }
      const std::size_t scale = unit == "M" ? std::size_t{1} << 20 : std::size_t{1} << 10;
      return size * scale;
    }
  } catch (...) {  // allocation failures: the size stays unknown
  }
  return 0;
}

}  // namespace detail

/// Sites (bytes) of one automatic block: a quarter of CPU 0's level-2 cache as Linux reports
/// it (on some CPUs shared by several cores), clamped to [32 KiB, 1 MiB] (256 KiB when the
/// cache size is unknown). Constant for a process. The same size serves single passes and
/// iterations: the pool's static schedule hands each thread a contiguous run of blocks, so a
/// single pass streams as with one block per thread, while L2-sized blocks keep temporal
/// blocking, the contract check's read-back of a block and the per-worker scratch of kernels
/// with halos in L2.
[[nodiscard]] inline std::size_t auto_block_elems() noexcept {
  static const std::size_t elems = [] {
    const std::size_t l2 = detail::l2_cache_bytes();
    const std::size_t bytes = l2 > 0 ? l2 / 4 : std::size_t{1} << 18;
    return std::clamp(bytes, std::size_t{1} << 15, std::size_t{1} << 20);
  }();
  return elems;
}

/// The partition of `shape` into blocks of `ceil(block_sites / row_elems)` whole axis-0
/// slices (at least 1); the last block holds the remainder. `block_sites == 0` selects
/// `auto_block_elems()`. Cheap value type; all members are `noexcept` and thread-safe.
class Partition {
 public:
  /// The partition of `shape` into blocks of `block_sites` sites rounded up to whole slices
  /// (0 → `auto_block_elems()`).
  Partition(const Shape& shape, std::size_t block_sites) noexcept
      : rows_(shape.rows()), row_elems_(shape.row_elems()) {
    const std::size_t elems = block_sites == 0 ? auto_block_elems() : block_sites;
    const std::size_t per_row = std::max<std::size_t>(row_elems_, 1);
    rows_per_block_ = std::max<std::size_t>(1, elems / per_row + (elems % per_row != 0));
  }

  /// Rows (axis-0 slices) in every block but possibly the last.
  [[nodiscard]] std::size_t rows_per_block() const noexcept { return rows_per_block_; }
  /// Number of blocks; 0 for a field without sites.
  [[nodiscard]] std::size_t block_count() const noexcept {
    if (rows_ == 0 || row_elems_ == 0) {
      return 0;
    }
    return rows_ / rows_per_block_ + (rows_ % rows_per_block_ != 0);
  }
  /// Block `index` with `halo` rows on each side, clipped to the field's edges.
  /// `index < block_count()` is a precondition.
  [[nodiscard]] Block block(std::size_t index, std::size_t halo) const noexcept {
    Block b;
    b.index = index;
    b.first_row = index * rows_per_block_;
    b.row_count = std::min(rows_per_block_, rows_ - b.first_row);
    b.halo_first_row = b.first_row - std::min(halo, b.first_row);
    const std::size_t end = b.first_row + b.row_count;
    const std::size_t halo_end = end + std::min(halo, rows_ - end);
    b.halo_row_count = halo_end - b.halo_first_row;
    return b;
  }

 private:
  std::size_t rows_;
  std::size_t row_elems_;
  std::size_t rows_per_block_ = 1;
};

/// A block of a partition with the view of its extended rows.
struct HaloBlock {
  Block block;        ///< the rows it covers
  TernaryView input;  ///< view of the extended rows (no copy)
};

/// Splits `input` into the blocks of `Partition(input.shape(), block_sites)`, each
/// extended by `halo` rows on each side and clipped at the field's edges. The views point
/// into `input`. Throws `std::bad_alloc` only.
[[nodiscard]] inline std::vector<HaloBlock> split_with_halo(TernaryView input,
                                                            std::size_t block_sites,
                                                            std::size_t halo) {
  const Partition partition(input.shape(), block_sites);
  std::vector<HaloBlock> blocks;
  blocks.reserve(partition.block_count());
  for (std::size_t i = 0; i < partition.block_count(); ++i) {
    const Block b = partition.block(i, halo);
    blocks.push_back({b, input.rows(b.halo_first_row, b.halo_row_count)});
  }
  return blocks;
}

/// The core rows of `result`, the output of a kernel run on `block`'s extended rows.
/// Throws `std::invalid_argument` when `result` does not have the extended block's rows.
[[nodiscard]] inline TernaryView crop_halo(const Block& block, TernaryView result) {
  if (result.shape().rows() != block.halo_row_count) {
    throw std::invalid_argument("dashi::crop_halo: result of block " + std::to_string(block.index) +
                                " has " + std::to_string(result.shape().rows()) +
                                " rows, expected " + std::to_string(block.halo_row_count));
  }
  return result.rows(block.halo_before(), block.row_count);
}

/// Writes `cores` one after another (index order) along axis 0 into `output`.
/// Throws `std::invalid_argument` when a core's slices do not match `output`'s or the rows
/// do not add up to `output`'s rows.
inline void recombine(std::span<const TernaryView> cores, TernarySpan output) {
  const Shape& shape = output.shape();
  std::size_t row = 0;
  for (std::size_t i = 0; i < cores.size(); ++i) {
    const Shape& core = cores[i].shape();
    if (!(core.with_rows(0) == shape.with_rows(0)) || core.rows() > shape.rows() - row) {
      throw std::invalid_argument("dashi::recombine: core " + std::to_string(i) + " of shape " +
                                  core.to_string() + " does not fit output " + shape.to_string() +
                                  " at row " + std::to_string(row));
    }
    std::copy_n(cores[i].data(), cores[i].size(), output.rows(row, core.rows()).data());
    row += core.rows();
  }
  if (row != shape.rows()) {
    throw std::invalid_argument("dashi::recombine: cores cover " + std::to_string(row) +
                                " rows, output has " + std::to_string(shape.rows()));
  }
}

/// Recombines `cores` into a new field of `shape`. Throws like the span overload, and
/// `std::bad_alloc`.
[[nodiscard]] inline TernaryField recombine(std::span<const TernaryView> cores, Shape shape) {
  TernaryField output = TernaryField::uninitialized(shape);
  recombine(cores, output.span());
  return output;
}

}  // namespace dashi
