// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstddef>
#include <cstring>
#include <limits>
#include <memory>
#include <new>
#include <utility>

namespace dashi::detail {

/// Cache-line size used for the alignment of owned storage.
inline constexpr std::size_t cache_line_bytes = 64;

/// Owning, cache-line aligned array of trivially copyable `T`, left uninitialised on
/// allocation so that outputs written in full are not touched twice.
/// Throws `std::bad_alloc` when memory runs out (the allocation uses the `nothrow` form of
/// `operator new` and throws itself, so a sanitizer run with `allocator_may_return_null=1`
/// sees the same exception). Not thread-safe for concurrent writes.
template <class T>
class AlignedBuffer {
 public:
  AlignedBuffer() = default;
  explicit AlignedBuffer(std::size_t count) : size_(count) {
    if (count != 0) {
      if (count > std::numeric_limits<std::size_t>::max() / sizeof(T)) {
        throw std::bad_alloc();
      }
      void* memory =
          ::operator new (count * sizeof(T), std::align_val_t{cache_line_bytes}, std::nothrow);
      if (memory == nullptr) {
        throw std::bad_alloc();
      }
      data_.reset(static_cast<T*>(memory));
    }
  }
  AlignedBuffer(const AlignedBuffer& other) : AlignedBuffer(other.size_) {
    if (size_ != 0) {
      std::memcpy(data_.get(), other.data_.get(), size_ * sizeof(T));
    }
  }
  AlignedBuffer& operator=(const AlignedBuffer& other) {
    if (this != &other) {
      AlignedBuffer copy(other);
      *this = std::move(copy);
    }
    return *this;
  }
  AlignedBuffer(AlignedBuffer&& other) noexcept
      : data_(std::move(other.data_)), size_(std::exchange(other.size_, 0)) {}
  AlignedBuffer& operator=(AlignedBuffer&& other) noexcept {
    data_ = std::move(other.data_);
    size_ = std::exchange(other.size_, 0);
    return *this;
  }
  ~AlignedBuffer() = default;

  [[nodiscard]] T* data() noexcept { return data_.get(); }
  [[nodiscard]] const T* data() const noexcept { return data_.get(); }
  [[nodiscard]] std::size_t size() const noexcept { return size_; }

 private:
  struct Free {
    void operator()(T* p) const noexcept {
      ::operator delete (p, std::align_val_t{cache_line_bytes});
    }
  };
  std::unique_ptr<T, Free> data_;
  std::size_t size_ = 0;
};

}  // namespace dashi::detail
