// SPDX-License-Identifier: Apache-2.0
#pragma once

/// @file
/// Helpers of the MPI tests: the world's rank and size, whether every rank holds the same
/// text, the splits every sweep goes through (balanced, uneven, one row per rank, empty
/// slabs) and this rank's rows of a global field. Every rank builds the same global field
/// from the same seed and computes the single-process result itself, so a test compares its
/// own rows without gathering. Collective where they say so (every rank must call them);
/// they throw what SlabLayout throws (std::invalid_argument) and std::bad_alloc.

#include <mpi.h>

#include <cstddef>
#include <cstdint>
#include <dashi/carrier.hpp>
#include <dashi/mpi.hpp>
#include <string>
#include <vector>

#include "support/compare.hpp"

namespace dashi_test {

inline int world_rank() {
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  return rank;
}

inline int world_size() {
  int size = 1;
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  return size;
}

/// True on every rank when all ranks pass the same text (compared through its FNV digest and
/// length, reduced with MAX over each value and its complement). Collective.
inline bool same_on_every_rank(const std::string& text) {
  std::uint64_t digest = 1469598103934665603ULL;
  for (const char c : text) {
    digest = (digest ^ static_cast<unsigned char>(c)) * 1099511628211ULL;
  }
  std::uint64_t values[4] = {digest, ~digest, text.size(), ~std::uint64_t{text.size()}};
  MPI_Allreduce(MPI_IN_PLACE, values, 4, MPI_UINT64_T, MPI_MAX, MPI_COMM_WORLD);
  return values[0] == ~values[1] && values[2] == ~values[3];
}

/// A named split of `rows` rows over `ranks` ranks (empty `rows_per_rank`: the balanced one).
struct Split {
  std::string name;
  std::vector<std::size_t> rows_per_rank;
};

/// The splits of a sweep: balanced; uneven (rank r gets about (r + 1) parts, the remainder
/// on the last); one row per rank but the last (when `rows >= ranks`), and every row on
/// the last rank (when `allow_empty`: the others own nothing).
inline std::vector<Split> splits(std::size_t rows, int ranks, bool allow_empty) {
  const auto p = static_cast<std::size_t>(ranks);
  std::vector<Split> result{{"balanced", {}}};
  {
    std::vector<std::size_t> uneven(p);
    const std::size_t parts = p * (p + 1) / 2;
    std::size_t given = 0;
    for (std::size_t r = 0; r + 1 < p; ++r) {
      uneven[r] = rows * (r + 1) / parts;
      given += uneven[r];
    }
    uneven[p - 1] = rows - given;
    result.push_back({"uneven", uneven});
  }
  if (p > 1 && rows >= p) {
    std::vector<std::size_t> thin(p, 1);
    thin[p - 1] = rows - (p - 1);
    result.push_back({"one row per rank", thin});
    std::vector<std::size_t> thin_last(p, 1);
    thin_last[0] = rows - (p - 1);
    result.push_back({"one row per rank, the rest first", thin_last});
  }
  if (p > 1 && allow_empty) {
    std::vector<std::size_t> last(p, 0);
    last[p - 1] = rows;
    result.push_back({"all on the last rank", last});
  }
  return result;
}

inline dashi::mpi::SlabLayout make_layout(const dashi::Shape& global, const Split& split) {
  if (split.rows_per_rank.empty()) {
    return dashi::mpi::SlabLayout(MPI_COMM_WORLD, global);
  }
  return dashi::mpi::SlabLayout(MPI_COMM_WORLD, global, split.rows_per_rank);
}

/// This rank's rows of `global` under `layout` (a view into `global`).
inline dashi::TernaryView my_rows(const dashi::mpi::SlabLayout& layout, dashi::TernaryView global) {
  return global.rows(layout.first_row(), layout.row_count());
}

/// Empty when this rank's `local` equals its rows of `expected_global`.
inline std::string my_rows_differ(const dashi::mpi::SlabLayout& layout, dashi::TernaryView local,
                                  dashi::TernaryView expected_global) {
  return first_difference(local, my_rows(layout, expected_global));
}

}  // namespace dashi_test
