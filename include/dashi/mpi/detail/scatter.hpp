// SPDX-License-Identifier: Apache-2.0
#pragma once

/// @file
/// `scatter` and `gather`: a global field moved between one root rank and the ranks' slabs,
/// in units of one row (an MPI datatype), so counts stay small for big fields.

#include <array>
#include <climits>
#include <cstddef>
#include <dashi/carrier.hpp>
#include <dashi/mpi/detail/agree.hpp>
#include <dashi/mpi/detail/failure.hpp>
#include <dashi/mpi/detail/handles.hpp>
#include <dashi/mpi/detail/layout.hpp>
#include <dashi/mpi/detail/mpi_c.hpp>
#include <string>
#include <vector>

namespace dashi::mpi {

namespace detail {

/// Row counts and first rows of every rank as MPI `int`s (in rows); false when some does
/// not fit, in which case the transfer goes point to point with one slab datatype per rank.
[[nodiscard]] inline bool row_counts(const SlabLayout& layout, std::vector<int>& counts,
                                     std::vector<int>& firsts) {
  counts.resize(static_cast<std::size_t>(layout.size()));
  firsts.resize(counts.size());
  for (int r = 0; r < layout.size(); ++r) {
    const std::size_t end = layout.first_row(r) + layout.row_count(r);
    if (end > static_cast<std::size_t>(INT_MAX)) {
      return false;
    }
    counts[static_cast<std::size_t>(r)] = static_cast<int>(layout.row_count(r));
    firsts[static_cast<std::size_t>(r)] = static_cast<int>(layout.first_row(r));
  }
  return true;
}

inline void check_root(const SlabLayout& layout, const char* where, int root, std::string& error) {
  if (error.empty() && (root < 0 || root >= layout.size())) {
    error = std::string(where) + ": root " + std::to_string(root) + " is not a rank of the " +
            std::to_string(layout.size()) + " ranks";
  }
}

}  // namespace detail

/// Collective: rank `root`'s `global` (the layout's global shape; read on the root only) cut
/// into the ranks' slabs; returns this rank's rows. Throws the same `std::invalid_argument`
/// on every rank for a bad root or a root field of another shape; `std::runtime_error` when
/// MPI fails. When a rank cannot allocate its rows, it throws `std::bad_alloc` and every
/// other rank `RemoteError` naming it (agreed before anything moves: one small all-gather).
[[nodiscard]] inline TernaryField scatter(const SlabLayout& layout, TernaryView global,
                                          int root = 0) {
  const char* where = "dashi::mpi::scatter";
  const detail::LayoutResources& resources = detail::LayoutAccess::resources(layout);
  const MPI_Comm comm = resources.internal.get();
  std::string error;
  detail::check_root(layout, where, root, error);
  if (error.empty() && layout.rank() == root && !(global.shape() == layout.global_shape())) {
    error = std::string(where) + ": the root's field has shape " + global.shape().to_string() +
            ", the layout's global shape is " + layout.global_shape().to_string();
  }
  const std::array<detail::Agreed, 1> agreed = {{{"the root", static_cast<std::uint64_t>(root)}}};
  detail::agree(comm, where, error, agreed);
  TernaryField local;
  std::vector<int> counts;
  std::vector<int> firsts;
  bool fits = false;
  std::vector<detail::Datatype> types;
  detail::Requests requests;
  detail::agree_on_local_step(comm, [&] {
    local = TernaryField::uninitialized(layout.local_shape());
    fits = detail::row_counts(layout, counts, firsts);
    types.reserve(static_cast<std::size_t>(layout.size()));
    requests.reserve(static_cast<std::size_t>(layout.size()));
  });
  if (layout.global_shape().size() == 0) {
    return local;
  }
  const MPI_Datatype row = resources.row.get();
  if (fits) {
    detail::check_mpi(MPI_Scatterv(global.data(), counts.data(), firsts.data(), row, local.data(),
                                   static_cast<int>(layout.row_count()), row, root, comm),
                      "MPI_Scatterv");
    return local;
  }
  const std::size_t row_bytes = layout.global_shape().row_elems();
  if (layout.rank() == root) {
    for (int r = 0; r < layout.size(); ++r) {
      types.push_back(detail::bytes_type(layout.row_count(r) * row_bytes));
      detail::check_mpi(MPI_Isend(global.data() + layout.first_row(r) * row_bytes, 1,
                                  types.back().get(), r, 0, comm, requests.add()),
                        "MPI_Isend");
    }
    const detail::Datatype mine = detail::bytes_type(local.size());
    detail::check_mpi(MPI_Recv(local.data(), 1, mine.get(), root, 0, comm, MPI_STATUS_IGNORE),
                      "MPI_Recv");
    requests.wait();
  } else {
    const detail::Datatype mine = detail::bytes_type(local.size());
    detail::check_mpi(MPI_Recv(local.data(), 1, mine.get(), root, 0, comm, MPI_STATUS_IGNORE),
                      "MPI_Recv");
  }
  return local;
}

/// Collective: the ranks' slabs (`local` of the layout's local shape on each) put together
/// on rank `root`, which gets the whole field; the other ranks get an empty field. Throws
/// the same `std::invalid_argument` on every rank for a bad root or a slab of the wrong
/// shape; `std::runtime_error` when MPI fails. When the root cannot allocate the field, it
/// throws `std::bad_alloc` and every other rank `RemoteError` naming it.
[[nodiscard]] inline TernaryField gather(const SlabLayout& layout, TernaryView local,
                                         int root = 0) {
  const char* where = "dashi::mpi::gather";
  const detail::LayoutResources& resources = detail::LayoutAccess::resources(layout);
  const MPI_Comm comm = resources.internal.get();
  std::string error;
  detail::check_root(layout, where, root, error);
  if (error.empty() && !(local.shape() == layout.local_shape())) {
    error = std::string(where) + ": rank " + std::to_string(layout.rank()) +
            " passed a slab of shape " + local.shape().to_string() + ", its rows are " +
            layout.local_shape().to_string();
  }
  const std::array<detail::Agreed, 1> agreed = {{{"the root", static_cast<std::uint64_t>(root)}}};
  detail::agree(comm, where, error, agreed);
  TernaryField global;
  std::vector<int> counts;
  std::vector<int> firsts;
  bool fits = false;
  detail::Requests requests;
  detail::agree_on_local_step(comm, [&] {
    if (layout.rank() == root) {
      global = TernaryField::uninitialized(layout.global_shape());
    }
    fits = detail::row_counts(layout, counts, firsts);
    requests.reserve(1);
  });
  if (layout.global_shape().size() == 0) {
    return global;
  }
  const MPI_Datatype row = resources.row.get();
  if (fits) {
    detail::check_mpi(MPI_Gatherv(local.data(), static_cast<int>(layout.row_count()), row,
                                  global.data(), counts.data(), firsts.data(), row, root, comm),
                      "MPI_Gatherv");
    return global;
  }
  const std::size_t row_bytes = layout.global_shape().row_elems();
  const detail::Datatype mine = detail::bytes_type(local.size());
  detail::check_mpi(MPI_Isend(local.data(), 1, mine.get(), root, 1, comm, requests.add()),
                    "MPI_Isend");
  if (layout.rank() == root) {
    for (int r = 0; r < layout.size(); ++r) {
      const detail::Datatype slab = detail::bytes_type(layout.row_count(r) * row_bytes);
      detail::check_mpi(MPI_Recv(global.data() + layout.first_row(r) * row_bytes, 1, slab.get(), r,
                                 1, comm, MPI_STATUS_IGNORE),
                        "MPI_Recv");
    }
  }
  requests.wait();
  return global;
}

}  // namespace dashi::mpi
