// SPDX-License-Identifier: Apache-2.0
#pragma once

/// @file
/// `RemoteError` and the collective agreement on kernel failures: every rank learns which
/// rank failed first, that rank rethrows its own exception, the others throw `RemoteError`.

#include <array>
#include <cstddef>
#include <cstdint>
#include <dashi/distributed/detail/agree.hpp>
#include <dashi/distributed/detail/handles.hpp>
#include <dashi/distributed/detail/mpi_c.hpp>
#include <exception>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

namespace dashi::mpi {

/// Thrown on every rank but the failing one when a kernel (or a reduction's map) failed on
/// another rank: `rank()` is the rank that failed, `block()` the index of the failing block
/// in that rank's own partition of its slab, `message()` the `what()` of its exception.
class RemoteError : public std::runtime_error {
 public:
  RemoteError(int rank, std::size_t block, const std::string& message)
      : std::runtime_error("dashi::mpi: rank " + std::to_string(rank) + " failed in block " +
                           std::to_string(block) + ": " + message),
        rank_(rank),
        block_(block),
        message_(message) {}
  /// The rank whose block failed first.
  [[nodiscard]] int rank() const noexcept { return rank_; }
  /// The failing block's index in that rank's partition of its own slab.
  [[nodiscard]] std::size_t block() const noexcept { return block_; }
  /// The failing rank's exception text.
  [[nodiscard]] const std::string& message() const noexcept { return message_; }

 private:
  int rank_;
  std::size_t block_;
  std::string message_;
};

namespace detail {

inline constexpr std::uint64_t no_failure = std::numeric_limits<std::uint64_t>::max();

/// A rank's first failure during one collective step: the step it happened at (0 for a
/// single application), the block, and the exception.
struct Failure {
  std::uint64_t step = no_failure;
  std::uint64_t block = no_failure;
  std::exception_ptr error;

  /// Keeps the earlier of `*this` and (step, block, error): earliest step, then lowest block.
  void keep_first(std::uint64_t at_step, std::uint64_t at_block, std::exception_ptr at_error) {
    if (at_step < step || (at_step == step && at_block < block)) {
      step = at_step;
      block = at_block;
      error = std::move(at_error);
    }
  }
};

/// The text of an exception, for the other ranks.
[[nodiscard]] inline std::string what_of(const std::exception_ptr& error) {
  try {
    std::rethrow_exception(error);
  } catch (const std::exception& e) {
    return e.what();
  } catch (...) {
    return "an exception not derived from std::exception";
  }
}

/// Collective: returns when no rank failed. Otherwise the first failure — earliest step,
/// then lowest rank, then lowest block — is rethrown unchanged on its rank, and every other
/// rank throws `RemoteError` naming that rank, block and message. Communicator stays usable.
inline void agree_on_failures(MPI_Comm comm, const Failure& local) {
  int rank = 0;
  int size = 1;
  check_mpi(MPI_Comm_rank(comm, &rank), "MPI_Comm_rank");
  check_mpi(MPI_Comm_size(comm, &size), "MPI_Comm_size");
  const std::array<std::uint64_t, 2> mine = {local.error ? local.step : no_failure,
                                             local.error ? local.block : no_failure};
  std::vector<std::uint64_t> all(2 * static_cast<std::size_t>(size));
  check_mpi(MPI_Allgather(mine.data(), 2, MPI_UINT64_T, all.data(), 2, MPI_UINT64_T, comm),
            "MPI_Allgather");
  int first = -1;
  for (int r = 0; r < size; ++r) {
    const std::size_t at = 2 * static_cast<std::size_t>(r);
    if (all[at + 1] == no_failure) {
      continue;
    }
    if (first < 0 || all[at] < all[2 * static_cast<std::size_t>(first)]) {
      first = r;
    }
  }
  if (first < 0) {
    return;
  }
  const auto block = static_cast<std::size_t>(all[2 * static_cast<std::size_t>(first) + 1]);
  const std::string text =
      broadcast_text(comm, first, rank, first == rank ? what_of(local.error) : "");
  if (first == rank) {
    std::rethrow_exception(local.error);
  }
  throw RemoteError(first, block, text);
}

}  // namespace detail
}  // namespace dashi::mpi
