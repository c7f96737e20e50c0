// SPDX-License-Identifier: Apache-2.0
#pragma once

/// @file
/// The halo exchange along axis 0 on a Cartesian communicator: each rank sends its first and
/// last `depth` rows to the previous and next rank and receives theirs. At clipped ends the
/// neighbour is `MPI_PROC_NULL` (nothing moves); on the periodic communicator the first and
/// last rank are neighbours, also when they are the same rank (P = 1).

#include <cstddef>
#include <cstdint>
#include <dashi/carrier.hpp>
#include <dashi/mpi/detail/handles.hpp>
#include <dashi/mpi/detail/mpi_c.hpp>

namespace dashi::mpi::detail {

/// The previous and next rank along axis 0 (`MPI_PROC_NULL` beyond a clipped end).
struct Neighbours {
  int previous = MPI_PROC_NULL;
  int next = MPI_PROC_NULL;
};

[[nodiscard]] inline Neighbours neighbours(MPI_Comm cart) {
  Neighbours result;
  check_mpi(MPI_Cart_shift(cart, 0, 1, &result.previous, &result.next), "MPI_Cart_shift");
  return result;
}

inline constexpr int tag_towards_next = 101;      // my last rows: the next rank's halo before
inline constexpr int tag_towards_previous = 102;  // my first rows: the previous rank's halo after

/// Posts the exchange of `depth` rows (each of datatype `row`) with both neighbours:
/// receives into `before` (the previous rank's last rows) and `after` (the next rank's first
/// rows), sends the first and last `depth` rows of `owned` (which must hold at least `depth`
/// rows when a neighbour exists). Complete with `requests.wait()` before touching the buffers.
inline void post_halo_exchange(MPI_Comm cart, MPI_Datatype row, const Neighbours& peers,
                               TernaryView owned, std::size_t depth, std::int8_t* before,
                               std::int8_t* after, Requests& requests) {
  const int count = static_cast<int>(depth);
  const std::size_t row_elems = owned.shape().row_elems();
  const std::int8_t* first = owned.data();
  const std::int8_t* last = owned.data() + (owned.shape().rows() - depth) * row_elems;
  if (peers.previous != MPI_PROC_NULL) {
    check_mpi(MPI_Irecv(before, count, row, peers.previous, tag_towards_next, cart, requests.add()),
              "MPI_Irecv");
  }
  if (peers.next != MPI_PROC_NULL) {
    check_mpi(MPI_Irecv(after, count, row, peers.next, tag_towards_previous, cart, requests.add()),
              "MPI_Irecv");
    check_mpi(MPI_Isend(last, count, row, peers.next, tag_towards_next, cart, requests.add()),
              "MPI_Isend");
  }
  if (peers.previous != MPI_PROC_NULL) {
    check_mpi(
        MPI_Isend(first, count, row, peers.previous, tag_towards_previous, cart, requests.add()),
        "MPI_Isend");
  }
}

}  // namespace dashi::mpi::detail
