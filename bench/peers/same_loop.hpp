// SPDX-License-Identifier: Apache-2.0
#pragma once

/// @file
/// The fair peers' unit of work: the shipped kernel's own into form, `kernel(in, out)`,
/// applied to a range of rows, exactly as the executor applies it to one block. Pointwise
/// kernels write the core rows in place, row-window kernels (`into_rows`) write them from
/// the rows plus their halo; other kernels with a radius run on the rows plus their halo
/// into per-thread scratch and the core is copied out (what the executor does for each). Outputs of
/// the executor's streaming size stream their stores here too, so both sides run the same compiled
/// loop with the same store policy and a ratio of their times isolates the scheduling.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <dashi/carrier.hpp>
#include <dashi/kernel.hpp>
#include <vector>

namespace dashi_bench::peers {

/// Runs `kernel` on rows `[first_row, first_row + row_count)` of `in`, writing the same rows
/// of `out` (which must not overlap `in`). Thread-safe for disjoint row ranges. Throws what
/// the kernel throws.
template <class K>
void apply_rows(const K& kernel, dashi::TernaryView in, dashi::TernarySpan out,
                std::size_t first_row, std::size_t row_count) {
  if (row_count == 0) {
    return;
  }
  constexpr std::size_t radius = dashi::kernel_radius_v<K>;
  const dashi::TernarySpan core_out = out.rows(first_row, row_count);
  // The executor's store policy for a block of a large output (one line, the only use of an
  // internal name in the bench: the declaration of the output being written).
  const bool stream = out.size() >= dashi::detail::streaming_store_bytes;
  const dashi::detail::StreamingOutput streaming(
      stream ? core_out.data() : nullptr, stream ? core_out.data() + core_out.size() : nullptr);
  const std::size_t rows = in.shape().rows();
  const std::size_t first = first_row > radius ? first_row - radius : 0;
  const std::size_t last = std::min(rows, first_row + row_count + radius);
  const dashi::TernaryView extended = in.rows(first, last - first);
  if constexpr (radius == 0) {
    kernel(extended, core_out);
  } else if constexpr (dashi::RowWindowKernel<K>) {
    kernel.into_rows(extended, first_row - first, core_out);
  } else {
    thread_local std::vector<std::int8_t> scratch;
    if (scratch.size() < extended.size()) {
      scratch.resize(extended.size());
    }
    kernel(extended, dashi::TernarySpan::unchecked(scratch.data(), extended.shape()));
    const std::size_t row_elems = in.shape().row_elems();
    std::copy_n(scratch.data() + (first_row - first) * row_elems, core_out.size(), core_out.data());
  }
}

/// Rows `[first, first + count)` of part `part` of `parts` equal contiguous shares.
struct RowRange {
  std::size_t first = 0;
  std::size_t count = 0;
};

[[nodiscard]] inline RowRange share_of(std::size_t rows, std::size_t part,
                                       std::size_t parts) noexcept {
  const std::size_t base = rows / parts;
  const std::size_t extra = rows % parts;
  const std::size_t first = part * base + std::min(part, extra);
  return {first, base + (part < extra ? 1 : 0)};
}

}  // namespace dashi_bench::peers
