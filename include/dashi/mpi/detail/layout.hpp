// SPDX-License-Identifier: Apache-2.0
#pragma once

/// @file
/// `SlabLayout`: which rank owns which rows of axis 0, with the communicators and the row
/// datatype the distributed functions use.

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <dashi/carrier.hpp>
#include <dashi/mpi/detail/agree.hpp>
#include <dashi/mpi/detail/handles.hpp>
#include <dashi/mpi/detail/mpi_c.hpp>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

namespace dashi::mpi {

class SlabLayout;

namespace detail {

/// MPI objects a layout owns, shared by its copies: a duplicate of the user's communicator
/// for the library's own collectives (so its messages never meet the user's), the two
/// Cartesian communicators of the halo exchange (open ends and periodic), and the datatype of
/// one row. All return errors instead of aborting.
struct LayoutResources {
  Comm internal;
  Comm clip_cart;
  Comm periodic_cart;
  Datatype row;
};

/// The library's access to a layout's internals.
struct LayoutAccess {
  static const LayoutResources& resources(const SlabLayout& layout);
};

[[nodiscard]] inline Comm duplicate_returning_errors(MPI_Comm comm) {
  MPI_Comm dup = MPI_COMM_NULL;
  check_mpi(MPI_Comm_dup(comm, &dup), "MPI_Comm_dup");
  Comm owned(dup);
  check_mpi(MPI_Comm_set_errhandler(dup, MPI_ERRORS_RETURN), "MPI_Comm_set_errhandler");
  return owned;
}

[[nodiscard]] inline Comm cartesian(MPI_Comm comm, int size, bool periodic) {
  std::array<int, 1> dims = {size};
  std::array<int, 1> periods = {periodic ? 1 : 0};
  MPI_Comm cart = MPI_COMM_NULL;
  check_mpi(MPI_Cart_create(comm, 1, dims.data(), periods.data(), 0, &cart), "MPI_Cart_create");
  Comm owned(cart);
  check_mpi(MPI_Comm_set_errhandler(cart, MPI_ERRORS_RETURN), "MPI_Comm_set_errhandler");
  return owned;
}

/// FNV-1a over 64-bit values: one number that every rank can compare.
[[nodiscard]] inline std::uint64_t digest(std::span<const std::size_t> values) noexcept {
  std::uint64_t hash = 1469598103934665603ULL;
  for (const std::size_t value : values) {
    hash ^= static_cast<std::uint64_t>(value);
    hash *= 1099511628211ULL;
  }
  return hash;
}

}  // namespace detail

/// Who owns which rows of axis 0 of a global field split over the ranks of a communicator:
/// rank r owns the contiguous rows `[first_row(r), first_row(r) + row_count(r))`, in rank
/// order, together covering the field. A cheap, copyable value (copies share the MPI objects).
///
/// The constructors are collective over `comm` (all ranks with the same arguments): they
/// throw the same `std::invalid_argument` on every rank when the global shapes or the splits
/// differ between ranks or a split does not add up, and `std::runtime_error` when MPI fails
/// (`std::bad_alloc` on a rank that cannot allocate the layout's few words is not agreed).
/// Queries are thread-safe and never throw (all but `local_shape()` are `noexcept`). The
/// layout must be destroyed before `MPI_Finalize`, or it leaves its communicators to MPI.
class SlabLayout {
 public:
  /// The balanced split: rank r owns rows `[R*r/P, R*(r+1)/P)` of the `R` rows.
  SlabLayout(MPI_Comm comm, Shape global) : SlabLayout(comm, global, {}, false) {}

  /// A user split: rank r owns `rows_per_rank[r]` rows (P entries adding up to the rows;
  /// entries may be 0).
  SlabLayout(MPI_Comm comm, Shape global, std::span<const std::size_t> rows_per_rank)
      : SlabLayout(comm, global, rows_per_rank, true) {}

  /// The communicator the layout was made for (the user's; the library talks on duplicates).
  [[nodiscard]] MPI_Comm comm() const noexcept { return comm_; }
  /// This process's rank in `comm()`.
  [[nodiscard]] int rank() const noexcept { return rank_; }
  /// Number of ranks of `comm()`.
  [[nodiscard]] int size() const noexcept { return size_; }
  /// Shape of the whole field.
  [[nodiscard]] Shape global_shape() const noexcept { return global_; }
  /// Shape of this rank's slab: the global shape with `row_count()` rows.
  [[nodiscard]] Shape local_shape() const { return global_.with_rows(row_count()); }
  /// First global row this rank owns.
  [[nodiscard]] std::size_t first_row() const noexcept { return first_row(rank_); }
  /// Rows this rank owns.
  [[nodiscard]] std::size_t row_count() const noexcept { return row_count(rank_); }
  /// First global row rank `r` owns; `0 <= r < size()` is a precondition (0 otherwise).
  [[nodiscard]] std::size_t first_row(int r) const noexcept {
    return valid(r) ? first_[static_cast<std::size_t>(r)] : 0;
  }
  /// Rows rank `r` owns; `0 <= r < size()` is a precondition (0 otherwise).
  [[nodiscard]] std::size_t row_count(int r) const noexcept {
    return valid(r) ? first_[static_cast<std::size_t>(r) + 1] - first_[static_cast<std::size_t>(r)]
                    : 0;
  }
  /// The rank owning global row `row < global_shape().rows()` (binary search).
  [[nodiscard]] int owner_of_row(std::size_t row) const noexcept {
    std::size_t low = 0;
    auto high = static_cast<std::size_t>(size_);
    while (high - low > 1) {  // first_[low] <= row < first_[high]
      const std::size_t mid = (low + high) / 2;
      (first_[mid] <= row ? low : high) = mid;
    }
    // Empty slabs share their first row with the next: skip to the one that holds `row`.
    while (low + 1 < static_cast<std::size_t>(size_) && first_[low + 1] <= row) {
      ++low;
    }
    return static_cast<int>(low);
  }

 private:
  friend struct detail::LayoutAccess;

  SlabLayout(MPI_Comm comm, Shape global, std::span<const std::size_t> rows_per_rank, bool user)
      : comm_(comm), global_(global) {
    auto resources = std::make_shared<detail::LayoutResources>();
    resources->internal = detail::duplicate_returning_errors(comm);
    const MPI_Comm internal = resources->internal.get();
    detail::check_mpi(MPI_Comm_rank(internal, &rank_), "MPI_Comm_rank");
    detail::check_mpi(MPI_Comm_size(internal, &size_), "MPI_Comm_size");
    const auto ranks = static_cast<std::size_t>(size_);
    const std::size_t rows = global.rows();
    std::string error;
    first_.assign(ranks + 1, 0);
    if (user) {
      std::size_t sum = 0;
      bool overflow = false;
      for (const std::size_t count : rows_per_rank) {
        overflow = overflow || count > rows - std::min(rows, sum);
        sum += count;
      }
      if (rows_per_rank.size() != ranks) {
        error = "dashi::mpi::SlabLayout: rows_per_rank has " +
                std::to_string(rows_per_rank.size()) + " entries for " + std::to_string(ranks) +
                " ranks";
      } else if (overflow || sum != rows) {
        error =
            "dashi::mpi::SlabLayout: rows_per_rank adds up to " +
            (overflow ? std::string("more than ") + std::to_string(rows) : std::to_string(sum)) +
            " rows, the global shape " + global.to_string() + " has " + std::to_string(rows);
      } else {
        for (std::size_t r = 0; r < ranks; ++r) {
          first_[r + 1] = first_[r] + rows_per_rank[r];
        }
      }
    } else {
      for (std::size_t r = 0; r <= ranks; ++r) {
        // R*r/P without overflow: R = qP + m gives qr + mr/P.
        first_[r] = rows / ranks * r + rows % ranks * r / ranks;
      }
    }
    const std::array<std::size_t, Shape::max_rank + 1> extents = {global.rank(), global[0],
                                                                  global[1], global[2], global[3]};
    const std::array<detail::Agreed, 3> agreed = {
        {{"the global shape", detail::digest(extents)},
         {"the split (rows_per_rank)", user ? detail::digest(rows_per_rank) : 0},
         {"the kind of split (balanced or rows_per_rank)", user ? 1U : 0U}}};
    detail::agree(internal, "dashi::mpi::SlabLayout", error, agreed);
    resources->clip_cart = detail::cartesian(internal, size_, false);
    resources->periodic_cart = detail::cartesian(internal, size_, true);
    resources->row = detail::bytes_type(global.row_elems());
    resources_ = std::move(resources);
  }

  [[nodiscard]] bool valid(int r) const noexcept { return r >= 0 && r < size_; }

  MPI_Comm comm_;
  int rank_ = 0;
  int size_ = 1;
  Shape global_;
  std::vector<std::size_t> first_;  // first_[r] = first row of rank r; first_[P] = rows
  std::shared_ptr<const detail::LayoutResources> resources_;
};

inline const detail::LayoutResources& detail::LayoutAccess::resources(const SlabLayout& layout) {
  return *layout.resources_;
}

}  // namespace dashi::mpi
