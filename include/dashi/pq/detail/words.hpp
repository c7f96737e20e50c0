// SPDX-License-Identifier: Apache-2.0
#pragma once

/// @file
/// `Words`: the owning u64 array behind the P, Q and O sections of a packed field.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <new>
#include <utility>

namespace dashi::pq::detail {

/// Owning array of `std::uint64_t` with a size and a capacity, left uninitialised on
/// allocation (outputs are written in full). `assign_uninitialized` reuses the storage
/// when it is large enough, so a packed field re-encoded in place allocates nothing;
/// `shrink_to_fit` gives back what an encoder over-allocated, in place (`realloc`).
/// Throws `std::bad_alloc`. Not thread-safe for concurrent writes to the same word.
class Words {
 public:
  Words() noexcept = default;
  explicit Words(std::size_t count) { assign_uninitialized(count); }
  Words(const Words& other) : Words(other.size_) {
    if (size_ != 0) {
      std::memcpy(data_, other.data_, size_ * sizeof(std::uint64_t));
    }
  }
  Words& operator=(const Words& other) {
    if (this != &other) {
      Words copy(other);
      swap(copy);
    }
    return *this;
  }
  Words(Words&& other) noexcept
      : data_(std::exchange(other.data_, nullptr)),
        size_(std::exchange(other.size_, 0)),
        capacity_(std::exchange(other.capacity_, 0)) {}
  Words& operator=(Words&& other) noexcept {
    Words moved(std::move(other));
    swap(moved);
    return *this;
  }
  ~Words() { std::free(data_); }

  void swap(Words& other) noexcept {
    std::swap(data_, other.data_);
    std::swap(size_, other.size_);
    std::swap(capacity_, other.capacity_);
  }

  /// Makes the array `count` words long, contents unspecified: no allocation when the
  /// capacity suffices, else new storage (the old contents are not kept). Throws
  /// `std::bad_alloc`, leaving the array empty.
  void assign_uninitialized(std::size_t count) {
    if (count <= capacity_) {
      size_ = count;
      return;
    }
    if (count > std::numeric_limits<std::size_t>::max() / sizeof(std::uint64_t)) {
      throw std::bad_alloc();
    }
    std::free(std::exchange(data_, nullptr));
    size_ = 0;
    capacity_ = 0;
    data_ = static_cast<std::uint64_t*>(std::malloc(count * sizeof(std::uint64_t)));
    if (data_ == nullptr) {
      throw std::bad_alloc();
    }
    size_ = count;
    capacity_ = count;
  }

  /// Sets the size to `count` (at most the capacity), keeping the storage. Never throws.
  void resize_within_capacity(std::size_t count) noexcept {
    size_ = count <= capacity_ ? count : capacity_;
  }

  /// Returns the storage past `size()` to the allocator; the data never moves more than
  /// `realloc` decides. Never throws.
  void shrink_to_fit() noexcept {
    if (size_ == capacity_) {
      return;
    }
    if (size_ == 0) {
      std::free(std::exchange(data_, nullptr));
      capacity_ = 0;
      return;
    }
    if (void* smaller = std::realloc(data_, size_ * sizeof(std::uint64_t))) {
      data_ = static_cast<std::uint64_t*>(smaller);
      capacity_ = size_;
    }
  }

  [[nodiscard]] std::uint64_t* data() noexcept { return data_; }
  [[nodiscard]] const std::uint64_t* data() const noexcept { return data_; }
  [[nodiscard]] std::size_t size() const noexcept { return size_; }
  [[nodiscard]] std::size_t capacity() const noexcept { return capacity_; }
  [[nodiscard]] std::uint64_t& operator[](std::size_t i) noexcept { return data_[i]; }
  [[nodiscard]] std::uint64_t operator[](std::size_t i) const noexcept { return data_[i]; }

 private:
  std::uint64_t* data_ = nullptr;
  std::size_t size_ = 0;
  std::size_t capacity_ = 0;
};

}  // namespace dashi::pq::detail
