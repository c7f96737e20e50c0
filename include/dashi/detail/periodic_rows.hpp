// SPDX-License-Identifier: Apache-2.0
#pragma once

/// @file
/// Periodic halos along axis 0: the rows of an extended block taken modulo the field's rows,
/// copied in as few runs as the wrap allows. One loop for every layout (bytes here, bit
/// planes in `bits/detail/advance.hpp`, packed rows in `pq/adapters.hpp`). Below the carrier:
/// plain pointers and sizes.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>

namespace dashi::detail {

/// The row `depth` rows before `first_row` on a periodic axis of `rows` rows (`rows` ≥ 1,
/// `first_row` < `rows`; `depth` may exceed `rows`): where a block's periodic halo starts.
[[nodiscard]] inline std::size_t periodic_row_before(std::size_t first_row, std::size_t depth,
                                                     std::size_t rows) noexcept {
  return (first_row + rows - depth % rows) % rows;
}

/// Calls `copy_run(from_row, to_row, count)` for the runs that fill rows `[0, ext_rows)` of an
/// extended block with rows `start, start + 1, ...` of a field of `rows` rows taken modulo
/// `rows` (`rows` ≥ 1): the first run from `start % rows`, every later one from row 0.
/// Throws what `copy_run` throws.
template <class CopyRun>
void for_each_periodic_run(std::size_t rows, std::size_t start, std::size_t ext_rows,
                           CopyRun&& copy_run) {
  std::size_t done = 0;
  std::size_t row = start % rows;
  while (done < ext_rows) {
    const std::size_t count = std::min(ext_rows - done, rows - row);
    copy_run(row, done, count);
    done += count;
    row = 0;
  }
}

/// Fills the `ext_rows` rows at `to` with rows `start, start + 1, ...` of the `rows` rows at
/// `from` (`rows` ≥ 1) taken modulo `rows`: a periodic halo. Rows are `row_elems` bytes;
/// `from` and `to` do not overlap. Never throws.
inline void copy_rows_periodic(const std::int8_t* from, std::size_t rows, std::size_t row_elems,
                               std::size_t start, std::int8_t* to, std::size_t ext_rows) noexcept {
  for_each_periodic_run(
      rows, start, ext_rows, [&](std::size_t row, std::size_t at, std::size_t count) {
        std::memcpy(to + at * row_elems, from + row * row_elems, count * row_elems);
      });
}

}  // namespace dashi::detail
