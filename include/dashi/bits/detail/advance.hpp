// SPDX-License-Identifier: Apache-2.0
#pragma once

/// @file
/// One block of the plane executor: take the block's rows and halos (views into the input,
/// or a periodic copy), run the bit kernel `steps` times with the valid rows shrinking by the
/// halo at each step, check the contract on the core, and land the core in the output. A
/// single pass is the case `steps == 1`. For rank 1 every row count here (block starts,
/// halos) is a whole number of 64-site words, so no view ever splits a word.

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <dashi/bits/detail/contract.hpp>
#include <dashi/bits/detail/copy_bits.hpp>
#include <dashi/bits/field.hpp>
#include <dashi/bits/kernel.hpp>
#include <dashi/detail/block_state.hpp>
#include <dashi/detail/periodic_rows.hpp>
#include <dashi/detail/scratch.hpp>
#include <dashi/execution/cpu_parallel.hpp>
#include <dashi/kernel_concepts.hpp>
#include <dashi/partition.hpp>
#include <limits>

namespace dashi::bits::detail {

/// Rows per halo and block unit: 64 sites (one word) for rank 1, one slice otherwise.
[[nodiscard]] inline std::size_t row_quantum(const Shape& shape) noexcept {
  return shape.rank() == 1 ? word_sites : 1;
}

/// `x` rounded up to a multiple of `q`, saturating at the largest multiple.
[[nodiscard]] constexpr std::size_t round_up(std::size_t x, std::size_t q) noexcept {
  const std::size_t top = std::numeric_limits<std::size_t>::max() / q * q;
  return x > top ? top : (x + q - 1) / q * q;
}

/// `a * b`, saturating.
[[nodiscard]] constexpr std::size_t saturating_product(std::size_t a, std::size_t b) noexcept {
  return b != 0 && a > std::numeric_limits<std::size_t>::max() / b
             ? std::numeric_limits<std::size_t>::max()
             : a * b;
}

/// The partition of the plane executor: the dense rule, with the block size of a 1-D field
/// rounded up to whole words.
[[nodiscard]] inline Partition bit_partition(const Shape& shape, std::size_t block_elems) noexcept {
  const std::size_t elems = block_elems == 0 ? auto_block_elems() : block_elems;
  return {shape, round_up(elems, row_quantum(shape))};
}

/// Both planes of a field of `shape` in a thread's scratch slot.
class ScratchPlanes {
 public:
  ScratchPlanes(const Shape& shape, std::size_t slot)
      : shape_(shape),
        stride_(round_up(layout_of(shape).words(), 8)),
        lease_(2 * stride_ * sizeof(std::uint64_t), slot) {}
  [[nodiscard]] BitSpan span() const noexcept {
    auto* words = reinterpret_cast<std::uint64_t*>(lease_.data());
    return BitSpan::unchecked(words, words + stride_, shape_);
  }

 private:
  Shape shape_;
  std::size_t stride_;
  dashi::detail::ScratchLease lease_;
};

/// Copies rows `[first, first + count)` of `from` into rows `[at, at + count)` of `to`
/// (the same row length), both planes.
inline void copy_rows(BitView from, std::size_t first, BitSpan to, std::size_t at,
                      std::size_t count) {
  if (from.shape().rank() == 1 && first % word_sites == 0 && at % word_sites == 0) {
    // Whole words, then the last one cut at `count` (its padding bits 0).
    const std::size_t whole = count / word_sites;
    const std::size_t f = first / word_sites;
    const std::size_t t = at / word_sites;
    std::memcpy(to.support_data() + t, from.support_data() + f, whole * sizeof(std::uint64_t));
    std::memcpy(to.sign_data() + t, from.sign_data() + f, whole * sizeof(std::uint64_t));
    if (count % word_sites != 0) {
      const std::uint64_t mask = last_word_mask(count);
      to.support_data()[t + whole] = from.support_data()[f + whole] & mask;
      to.sign_data()[t + whole] = from.sign_data()[f + whole] & mask;
    }
    return;
  }
  if (from.shape().rank() == 1) {
    copy_bits(to.support_data(), at, from.support_data(), first, count);
    copy_bits(to.sign_data(), at, from.sign_data(), first, count);
    return;
  }
  const std::size_t words = from.slice_words();
  std::memcpy(to.support_data() + at * words, from.support_data() + first * words,
              count * words * sizeof(std::uint64_t));
  std::memcpy(to.sign_data() + at * words, from.sign_data() + first * words,
              count * words * sizeof(std::uint64_t));
}

/// Fills `to` (of `ext_rows` rows) with rows `start, start + 1, ...` of `from` taken
/// modulo its rows: a periodic halo. The padding bits of `to` end up 0.
inline void copy_rows_periodic(BitView from, std::size_t start, BitSpan to, std::size_t ext_rows) {
  const std::size_t rows = from.shape().rows();
  if (from.shape().rank() == 1) {  // zero the last word first: copy_bits keeps the other bits
    const std::size_t words = to.words();
    if (words != 0) {
      to.support_data()[words - 1] = 0;
      to.sign_data()[words - 1] = 0;
    }
  }
  dashi::detail::for_each_periodic_run(rows, start, ext_rows,
                                       [&](std::size_t row, std::size_t at, std::size_t count) {
                                         copy_rows(from, row, to, at, count);
                                       });
}

/// Runs `kernel` on `in`, writing all of `out` (same shape).
template <class K>
void apply_bits(const K& kernel, BitView in, BitSpan out) {
  kernel.bits(in, out);
}

/// Advances block `index` of `partition` by `steps` steps from `src` and writes its core
/// into `dst`. `halo` is the effective halo in rows (sites for rank 1); `step_reached`
/// follows the step being computed. Throws what the kernel throws, `KernelContractError`,
/// or `std::bad_alloc`.
template <class K>
void advance_bit_block(const K& kernel, BitView src, BitSpan dst, const Partition& partition,
                       std::size_t index, std::size_t halo, std::size_t steps,
                       const ParallelOptions& options, std::size_t& step_reached) {
  const dashi::detail::ScratchLease::Level level;
  const dashi::detail::CurrentBlock current_block(index);
  const Shape& shape = src.shape();
  const std::size_t rows = shape.rows();
  const std::size_t unit = round_up(halo, row_quantum(shape));  // shrink per step
  const std::size_t depth = saturating_product(unit, steps);
  const bool periodic = options.boundary == Boundary::periodic && halo != 0;
  const Block block = partition.block(index, periodic ? 0 : depth);
  std::size_t ext_rows = block.halo_row_count;
  std::size_t core_first = block.halo_before();
  std::size_t after = 0;  // rows after the core in a periodic copy
  if (periodic) {
    // For rank 1 the rows after the core are padded so that the copy ends on a word.
    after = round_up(block.row_count + depth, row_quantum(shape)) - block.row_count;
    ext_rows = depth + block.row_count + after;
    core_first = depth;
  }
  const Shape ext_shape = shape.with_rows(ext_rows);
  const ScratchPlanes first(ext_shape, 0);
  const ScratchPlanes second(ext_shape, 1);
  BitView current;
  if (periodic) {
    copy_rows_periodic(src, dashi::detail::periodic_row_before(block.first_row, depth, rows),
                       first.span(), ext_rows);
    current = first.span().view();
  } else {
    current = src.rows(block.halo_first_row, block.halo_row_count);
  }
  const bool low_edge = !periodic && block.halo_first_row == 0;
  const bool high_edge = !periodic && block.halo_first_row + block.halo_row_count == rows;
  const bool check = options.check_contract && !kernel_contract_proven_v<K>;
  const std::array<BitSpan, 2> targets = {periodic ? second.span() : first.span(),
                                          periodic ? first.span() : second.span()};
  const BitSpan dst_core = dst.rows(block.first_row, block.row_count);
  const std::size_t first_site = block.first_row * shape.row_elems();
  // A 1-D core that ends inside a word shares it with halo sites unless the rows end there.
  const std::size_t core_end = core_first + block.row_count;
  const bool own_last_word =
      shape.rank() != 1 || core_end % word_sites == 0 || core_end == ext_rows;
  std::size_t low = 0;
  std::size_t high = ext_rows;
  bool wrote_dst = false;
  for (std::size_t step = 0; step < steps; ++step) {
    step_reached = step;
    // The last step writes straight into `dst` when its rows are exactly the core or the
    // kernel can write the core rows alone; earlier steps ping-pong in scratch.
    const bool exact = low == core_first && high - low == block.row_count;
    const bool direct = step + 1 == steps && (exact || BitRowWindowKernel<K>);
    const BitSpan target = targets[step % 2];
    const BitView in = current.rows(low, high - low);
    if constexpr (BitRowWindowKernel<K>) {
      if (direct && !exact) {
        kernel.bits_rows(in, core_first - low, dst_core);
      }
    }
    if (!direct || exact) {
      apply_bits(kernel, in, direct ? dst_core : target.rows(low, high - low));
    }
    if (check) {
      const BitView core_out =
          direct ? dst_core.view() : target.view().rows(core_first, block.row_count);
      check_bit_contract(current.rows(core_first, block.row_count), core_out, index, first_site,
                         direct || own_last_word);
    }
    wrote_dst = direct;
    current = target.view();
    low += low_edge ? 0 : unit;
    high -= high_edge ? 0 : unit;
  }
  if (!wrote_dst) {
    copy_rows(current, core_first, dst_core, 0, block.row_count);
  }
}

}  // namespace dashi::bits::detail
