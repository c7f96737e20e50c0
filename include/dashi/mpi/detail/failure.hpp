// SPDX-License-Identifier: Apache-2.0
#pragma once

/// @file
/// `RemoteError` and the one collective agreement on failures (of kernel blocks and of
/// rank-local steps): every rank learns which rank failed first, that rank rethrows its own
/// exception, the others throw `RemoteError`. A rank-local step that can throw runs through
/// `attempt_local` / `agree_on_local_step`, so no rank is ever left waiting for one that
/// failed.

#include <array>
#include <cstddef>
#include <cstdint>
#include <dashi/execution/thread_pool.hpp>
#include <dashi/mpi/detail/agree.hpp>
#include <dashi/mpi/detail/handles.hpp>
#include <dashi/mpi/detail/mpi_c.hpp>
#include <exception>
#include <limits>
#include <span>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace dashi::mpi {

/// Thrown on every rank but the failing one when a step failed on another rank — a kernel
/// block, a reduction's map, or a rank-local step such as an allocation, starting the
/// pool's threads or file I/O: `rank()` is the rank that failed, `block()` the index of the
/// failing block — in that rank's own partition of its slab for the executors, in the global
/// field's partition for `reduce_distributed` (`no_block` when the failure was outside any
/// block) — and `message()` the `what()` of its exception.
class RemoteError : public std::runtime_error {
 public:
  /// `block()` of a failure outside any block.
  static constexpr std::size_t no_block = std::numeric_limits<std::size_t>::max();

  /// The failure of `rank` in `block` (`no_block` outside any block), `message` being that
  /// rank's `what()` text. Throws `std::bad_alloc`.
  RemoteError(int rank, std::size_t block, const std::string& message)
      : std::runtime_error(
            "dashi::mpi: rank " + std::to_string(rank) + " failed" +
            (block == no_block ? std::string() : " in block " + std::to_string(block)) + ": " +
            message),
        rank_(rank),
        block_(block),
        message_(message) {}
  /// The rank that failed first.
  [[nodiscard]] int rank() const noexcept { return rank_; }
  /// The failing block's index (see the class comment), or `no_block`.
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

/// The block of a failure outside any block (a rank-local step): after every real block.
inline constexpr std::uint64_t outside_blocks = RemoteError::no_block;

/// A rank's first failure during one collective step: the step it happened at (0 for a
/// single application), the block (`outside_blocks` for a rank-local step), and the exception.
struct Failure {
  std::uint64_t step = no_failure;
  std::uint64_t block = no_failure;
  std::exception_ptr error;

  /// Keeps the earlier of `*this` and (step, block, error): earliest step, then lowest block.
  void keep_first(std::uint64_t at_step, std::uint64_t at_block, std::exception_ptr at_error) {
    if (!error || at_step < step || (at_step == step && at_block < block)) {
      step = at_step;
      block = at_block;
      error = std::move(at_error);
    }
  }
  /// Keeps the earlier of `*this` and `other` (when `other` failed).
  void keep_first(const Failure& other) {
    if (other.error) {
      keep_first(other.step, other.block, other.error);
    }
  }
};

/// The first of a rank's block failures: earliest step, then lowest block.
[[nodiscard]] inline Failure first_of(std::span<const Failure> failures) {
  Failure first;
  for (const Failure& failure : failures) {
    first.keep_first(failure);
  }
  return first;
}

/// Runs the rank-local `step` (an allocation, starting threads, I/O: anything that can throw
/// on one rank only) and returns its exception as a failure outside any block, or no
/// failure. Never throws: the caller agrees on the result before waiting on another rank.
template <class Step>
[[nodiscard]] Failure attempt_local(Step&& step) noexcept {
  Failure failure;
  try {
    std::forward<Step>(step)();
  } catch (...) {
    failure.keep_first(0, outside_blocks, std::current_exception());
  }
  return failure;
}

/// Runs `block(step_reached)` — one block's work, which sets `step_reached` to the step it is
/// computing — and keeps what it throws in `failure` as a failure of block `index` at that
/// step. Never throws.
template <class Block>
void keep_block_failure(Failure& failure, std::size_t index, Block&& block) noexcept {
  std::size_t step_reached = 0;
  try {
    std::forward<Block>(block)(step_reached);
  } catch (...) {
    failure.keep_first(step_reached, index, std::current_exception());
  }
}

/// One pass of a rank's blocks: `body(i)` for every i in [0, count) on `pool`, at most
/// `threads` at once, each body keeping its block's failure itself (`keep_block_failure`).
/// Returns the failure of starting the pool's threads (outside any block), or no failure.
/// Never throws.
template <class Body>
[[nodiscard]] Failure run_block_pass(ThreadPool& pool, std::size_t count, std::size_t threads,
                                     Body&& body) noexcept {
  return attempt_local([&] { pool.parallel_for(count, std::forward<Body>(body), threads); });
}

/// The rank's first failure after its passes: `started` when a pass could not start, else
/// the first of the blocks' `failures` (earliest step, then lowest block).
[[nodiscard]] inline Failure first_failure(const Failure& started,
                                           std::span<const Failure> failures) {
  return started.error ? started : first_of(failures);
}

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

/// Which rank failed first, and in which block (`rank < 0`: none did).
struct FirstFailure {
  int rank = -1;
  std::uint64_t block = no_failure;
};

/// Collective (one `MPI_Allgather` of two numbers per rank): the first failure of all ranks
/// — earliest step, then lowest rank, then lowest block — the same on every rank.
[[nodiscard]] inline FirstFailure find_first_failure(MPI_Comm comm, const Failure& local) {
  int size = 1;
  check_mpi(MPI_Comm_size(comm, &size), "MPI_Comm_size");
  const std::array<std::uint64_t, 2> mine = {local.error ? local.step : no_failure,
                                             local.error ? local.block : no_failure};
  std::vector<std::uint64_t> all(2 * static_cast<std::size_t>(size));
  check_mpi(MPI_Allgather(mine.data(), 2, MPI_UINT64_T, all.data(), 2, MPI_UINT64_T, comm),
            "MPI_Allgather");
  FirstFailure first;
  std::uint64_t first_step = no_failure;
  for (int r = 0; r < size; ++r) {
    const std::size_t at = 2 * static_cast<std::size_t>(r);
    if (all[at] != no_failure && (first.rank < 0 || all[at] < first_step)) {
      first = {r, all[at + 1]};
      first_step = all[at];
    }
  }
  return first;
}

/// Collective, after `find_first_failure` found `first`: rethrows `local`'s exception
/// unchanged on the failing rank; every other rank throws `RemoteError` naming it.
[[noreturn]] inline void throw_first_failure(MPI_Comm comm, const FirstFailure& first,
                                             const Failure& local) {
  int rank = 0;
  check_mpi(MPI_Comm_rank(comm, &rank), "MPI_Comm_rank");
  const std::string text =
      broadcast_text(comm, first.rank, rank, first.rank == rank ? what_of(local.error) : "");
  if (first.rank == rank) {
    std::rethrow_exception(local.error);
  }
  throw RemoteError(first.rank, static_cast<std::size_t>(first.block), text);
}

/// Collective: returns when no rank failed. Otherwise the first failure — earliest step,
/// then lowest rank, then lowest block — is rethrown unchanged on its rank, and every other
/// rank throws `RemoteError` naming that rank, block and message. Communicator stays usable.
inline void agree_on_failures(MPI_Comm comm, const Failure& local) {
  const FirstFailure first = find_first_failure(comm, local);
  if (first.rank >= 0) {
    throw_first_failure(comm, first, local);
  }
}

/// Collective: runs the rank-local `step` on every rank, then agrees on its failures (one
/// small `MPI_Allgather`): returns on every rank, or the failing rank rethrows its exception
/// and every other rank throws `RemoteError`. Call it before any communication that could
/// wait on a rank whose step failed.
template <class Step>
void agree_on_local_step(MPI_Comm comm, Step&& step) {
  agree_on_failures(comm, attempt_local(std::forward<Step>(step)));
}

}  // namespace detail
}  // namespace dashi::mpi
