// SPDX-License-Identifier: Apache-2.0
#pragma once

/// @file
/// Periodic halos along axis 0: the rows of an extended block taken modulo the field's rows,
/// copied in as few runs as the wrap allows. One loop for every layout (dense bytes here,
/// bit planes in `bits/detail/advance.hpp`).

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <dashi/carrier.hpp>

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

/// Fills `to` (rows of `from`'s row shape, any count) with rows `start, start + 1, ...` of
/// `from` taken modulo its rows: a periodic halo. `from` must have at least one row and not
/// overlap `to`. Never throws.
inline void copy_rows_periodic(TernaryView from, std::size_t start, TernarySpan to) noexcept {
  const std::size_t row_elems = from.shape().row_elems();
  for_each_periodic_run(from.shape().rows(), start, to.shape().rows(),
                        [&](std::size_t row, std::size_t at, std::size_t count) {
                          std::memcpy(to.data() + at * row_elems, from.data() + row * row_elems,
                                      count * row_elems);
                        });
}

}  // namespace dashi::detail
