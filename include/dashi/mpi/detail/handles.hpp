// SPDX-License-Identifier: Apache-2.0
#pragma once

/// @file
/// Owning handles for MPI objects (communicators, datatypes, requests), the check that turns
/// a failed MPI call into an exception, and the byte datatypes of rows and slabs whose size
/// may exceed what an MPI `int` count can say.

#include <array>
#include <climits>
#include <cstddef>
#include <cstdint>
#include <dashi/mpi/detail/mpi_c.hpp>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace dashi::mpi::detail {

/// True once `MPI_Finalize` was called: handles must not be freed any more.
[[nodiscard]] inline bool mpi_finalized() noexcept {
  int finalized = 0;
  MPI_Finalized(&finalized);
  return finalized != 0;
}

/// Throws `std::runtime_error` naming `what` and MPI's own error text unless `code` is
/// `MPI_SUCCESS`. The library's communicators return errors instead of aborting.
inline void check_mpi(int code, const char* what) {
  if (code == MPI_SUCCESS) {
    return;
  }
  std::array<char, MPI_MAX_ERROR_STRING> text{};
  int length = 0;
  MPI_Error_string(code, text.data(), &length);
  throw std::runtime_error(std::string("dashi::mpi: ") + what + " failed: " +
                           std::string(text.data(), static_cast<std::size_t>(length)));
}

/// An owned communicator (freed on destruction unless MPI is finalized). Move-only.
class Comm {
 public:
  Comm() noexcept = default;
  explicit Comm(MPI_Comm comm) noexcept : comm_(comm) {}
  Comm(const Comm&) = delete;
  Comm& operator=(const Comm&) = delete;
  Comm(Comm&& other) noexcept : comm_(std::exchange(other.comm_, MPI_COMM_NULL)) {}
  Comm& operator=(Comm&& other) noexcept {
    if (this != &other) {
      release();
      comm_ = std::exchange(other.comm_, MPI_COMM_NULL);
    }
    return *this;
  }
  ~Comm() { release(); }
  [[nodiscard]] MPI_Comm get() const noexcept { return comm_; }

 private:
  void release() noexcept {
    if (comm_ != MPI_COMM_NULL && !mpi_finalized()) {
      MPI_Comm_free(&comm_);
    }
    comm_ = MPI_COMM_NULL;
  }
  MPI_Comm comm_ = MPI_COMM_NULL;
};

/// An owned, committed datatype (freed on destruction unless MPI is finalized). Move-only.
class Datatype {
 public:
  Datatype() noexcept = default;
  explicit Datatype(MPI_Datatype type) noexcept : type_(type) {}
  Datatype(const Datatype&) = delete;
  Datatype& operator=(const Datatype&) = delete;
  Datatype(Datatype&& other) noexcept : type_(std::exchange(other.type_, MPI_DATATYPE_NULL)) {}
  Datatype& operator=(Datatype&& other) noexcept {
    if (this != &other) {
      release();
      type_ = std::exchange(other.type_, MPI_DATATYPE_NULL);
    }
    return *this;
  }
  ~Datatype() { release(); }
  [[nodiscard]] MPI_Datatype get() const noexcept { return type_; }

 private:
  void release() noexcept {
    if (type_ != MPI_DATATYPE_NULL && !mpi_finalized()) {
      MPI_Type_free(&type_);
    }
    type_ = MPI_DATATYPE_NULL;
  }
  MPI_Datatype type_ = MPI_DATATYPE_NULL;
};

/// Bytes per piece of a large datatype: a count of pieces and a piece's own count both stay
/// far below `INT_MAX`.
inline constexpr std::size_t type_piece_bytes = std::size_t{1} << 30;

/// A committed datatype of `bytes` contiguous bytes, whatever their number: one contiguous
/// type when `bytes <= piece`, else a contiguous run of `bytes / piece` pieces of `piece`
/// bytes followed (in a struct type) by the remainder. `piece` is a parameter so that tests
/// can exercise the large form with small sizes. Throws `std::runtime_error` when MPI fails,
/// `std::invalid_argument` when `piece` is 0 or above `INT_MAX` or when `bytes` needs more
/// than `INT_MAX` pieces.
[[nodiscard]] inline Datatype bytes_type(std::size_t bytes, std::size_t piece = type_piece_bytes) {
  if (piece == 0 || piece > static_cast<std::size_t>(INT_MAX)) {
    throw std::invalid_argument("dashi::mpi: datatype piece of " + std::to_string(piece) +
                                " bytes is outside 1..INT_MAX");
  }
  MPI_Datatype type = MPI_DATATYPE_NULL;
  if (bytes <= piece) {
    check_mpi(MPI_Type_contiguous(static_cast<int>(bytes), MPI_BYTE, &type), "MPI_Type_contiguous");
    Datatype owned(type);
    check_mpi(MPI_Type_commit(&type), "MPI_Type_commit");
    return owned;
  }
  const std::size_t pieces = bytes / piece;
  const std::size_t rest = bytes % piece;
  if (pieces > static_cast<std::size_t>(INT_MAX)) {
    throw std::invalid_argument("dashi::mpi: " + std::to_string(bytes) +
                                " bytes are too many for one datatype");
  }
  MPI_Datatype piece_type = MPI_DATATYPE_NULL;
  check_mpi(MPI_Type_contiguous(static_cast<int>(piece), MPI_BYTE, &piece_type),
            "MPI_Type_contiguous");
  const Datatype owned_piece(piece_type);
  MPI_Datatype run = MPI_DATATYPE_NULL;
  check_mpi(MPI_Type_contiguous(static_cast<int>(pieces), piece_type, &run), "MPI_Type_contiguous");
  const Datatype owned_run(run);
  if (rest == 0) {
    check_mpi(MPI_Type_dup(run, &type), "MPI_Type_dup");
  } else {
    MPI_Datatype tail = MPI_DATATYPE_NULL;
    check_mpi(MPI_Type_contiguous(static_cast<int>(rest), MPI_BYTE, &tail), "MPI_Type_contiguous");
    const Datatype owned_tail(tail);
    std::array<int, 2> lengths = {1, 1};
    std::array<MPI_Aint, 2> displacements = {0, static_cast<MPI_Aint>(pieces * piece)};
    std::array<MPI_Datatype, 2> types = {run, tail};
    check_mpi(MPI_Type_create_struct(2, lengths.data(), displacements.data(), types.data(), &type),
              "MPI_Type_create_struct");
  }
  Datatype owned(type);
  check_mpi(MPI_Type_commit(&type), "MPI_Type_commit");
  return owned;
}

/// Requests of non-blocking calls, always completed before they go out of scope (so a
/// buffer is never freed under a pending transfer, also when an exception passes).
class Requests {
 public:
  Requests() = default;
  Requests(const Requests&) = delete;
  Requests& operator=(const Requests&) = delete;
  ~Requests() {
    if (!requests_.empty() && !mpi_finalized()) {
      MPI_Waitall(static_cast<int>(requests_.size()), requests_.data(), MPI_STATUSES_IGNORE);
    }
  }
  /// Room for `count` requests, so that `add` does not allocate below it.
  void reserve(std::size_t count) { requests_.reserve(count); }
  /// A slot for the next request.
  [[nodiscard]] MPI_Request* add() {
    requests_.push_back(MPI_REQUEST_NULL);
    return &requests_.back();
  }
  /// Lets pending transfers progress without blocking (call from the thread that posted them).
  void test() {
    if (requests_.empty()) {
      return;
    }
    int done = 0;
    check_mpi(MPI_Testall(static_cast<int>(requests_.size()), requests_.data(), &done,
                          MPI_STATUSES_IGNORE),
              "MPI_Testall");
  }
  /// Blocks until every transfer is done.
  void wait() {
    if (requests_.empty()) {
      return;
    }
    const int code =
        MPI_Waitall(static_cast<int>(requests_.size()), requests_.data(), MPI_STATUSES_IGNORE);
    requests_.clear();
    check_mpi(code, "MPI_Waitall");
  }

 private:
  std::vector<MPI_Request> requests_;
};

}  // namespace dashi::mpi::detail
