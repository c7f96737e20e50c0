// SPDX-License-Identifier: Apache-2.0
#pragma once

/// @file
/// Collective argument checks: every rank learns the same verdict from one small
/// all-reduce, so a bad argument on one rank throws the same `std::invalid_argument` on
/// every rank instead of leaving the others waiting in a collective call.

#include <cstddef>
#include <cstdint>
#include <dashi/mpi/detail/handles.hpp>
#include <dashi/mpi/detail/mpi_c.hpp>
#include <limits>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

namespace dashi::mpi::detail {

/// One value that every rank must pass identically, with the name used in the message.
struct Agreed {
  const char* name;
  std::uint64_t value;
};

/// Broadcasts `text` from `root` (its length first); returns it on every rank.
[[nodiscard]] inline std::string broadcast_text(MPI_Comm comm, int root, int rank,
                                                const std::string& text) {
  std::uint64_t length = rank == root ? text.size() : 0;
  check_mpi(MPI_Bcast(&length, 1, MPI_UINT64_T, root, comm), "MPI_Bcast");
  std::string result = rank == root ? text : std::string(static_cast<std::size_t>(length), '\0');
  if (length != 0) {
    check_mpi(MPI_Bcast(result.data(), static_cast<int>(length), MPI_CHAR, root, comm),
              "MPI_Bcast");
  }
  return result;
}

/// Collective: returns normally on every rank, or throws the same `std::invalid_argument`
/// on every rank. `local_error` is this rank's own complaint (empty when none); `agreed` are
/// values every rank must pass identically (same names in the same order on every rank).
/// The lowest complaining rank's text wins; otherwise the first value that differs between
/// ranks is named with its smallest and largest value. `where` prefixes generated texts.
inline void agree(MPI_Comm comm, const char* where, const std::string& local_error,
                  std::span<const Agreed> agreed) {
  int rank = 0;
  check_mpi(MPI_Comm_rank(comm, &rank), "MPI_Comm_rank");
  // One MAX all-reduce: [~first complaining rank, v..., ~v...] gives the lowest complaining
  // rank and each value's maximum and minimum.
  std::vector<std::uint64_t> table(1 + 2 * agreed.size());
  table[0] = local_error.empty() ? 0 : ~static_cast<std::uint64_t>(rank);
  for (std::size_t i = 0; i < agreed.size(); ++i) {
    table[1 + i] = agreed[i].value;
    table[1 + agreed.size() + i] = ~agreed[i].value;
  }
  check_mpi(MPI_Allreduce(MPI_IN_PLACE, table.data(), static_cast<int>(table.size()), MPI_UINT64_T,
                          MPI_MAX, comm),
            "MPI_Allreduce");
  if (table[0] != 0) {
    const int root = static_cast<int>(~table[0]);
    throw std::invalid_argument(broadcast_text(comm, root, rank, local_error));
  }
  for (std::size_t i = 0; i < agreed.size(); ++i) {
    const std::uint64_t largest = table[1 + i];
    const std::uint64_t smallest = ~table[1 + agreed.size() + i];
    if (largest != smallest) {
      throw std::invalid_argument(std::string(where) + ": " + agreed[i].name +
                                  " differs between ranks (from " + std::to_string(smallest) +
                                  " to " + std::to_string(largest) + ")");
    }
  }
}

}  // namespace dashi::mpi::detail
