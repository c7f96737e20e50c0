// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstddef>
#include <cstring>
#include <limits>
#include <memory>
#include <new>
#include <utility>

#if defined(__linux__) && defined(__GLIBC__)
// madvise(2), declared as <sys/mman.h> declares it (the core headers include no OS header).
extern "C" int madvise(void* address, std::size_t length, int advice) noexcept;
#endif

namespace dashi::detail {

/// Cache-line size used for the alignment of owned storage.
inline constexpr std::size_t cache_line_bytes = 64;

/// Buffers of at least this many bytes are aligned to `huge_page_bytes` and asked to be
/// backed by transparent huge pages (as numpy does): a fresh 100 MB result then faults in
/// 2 MiB at a time instead of 4 KiB, which is most of the cost of allocating it.
inline constexpr std::size_t huge_buffer_bytes = std::size_t{4} << 20;
/// The size of an x86-64 (and common AArch64) transparent huge page.
inline constexpr std::size_t huge_page_bytes = std::size_t{2} << 20;

/// Asks the OS to back [`memory`, `memory + bytes`) with transparent huge pages, where it
/// can (Linux with glibc: `madvise(MADV_HUGEPAGE)`; elsewhere nothing). A hint: failure is
/// ignored. `memory` is aligned to `huge_page_bytes`; only whole huge pages are advised.
inline void advise_huge_pages(void* memory, std::size_t bytes) noexcept {
#if defined(__linux__) && defined(__GLIBC__)
  constexpr int madv_hugepage = 14;  // MADV_HUGEPAGE on every Linux architecture
  const std::size_t whole = bytes - bytes % huge_page_bytes;
  if (whole != 0) {
    static_cast<void>(::madvise(memory, whole, madv_hugepage));
  }
#else
  static_cast<void>(memory);
  static_cast<void>(bytes);
#endif
}

/// Owning, cache-line aligned array of trivially copyable `T`, left uninitialised on
/// allocation so that outputs written in full are not touched twice (the pages of a result
/// are then first touched by the threads that write them). Buffers of `huge_buffer_bytes`
/// or more are aligned to `huge_page_bytes` and advised to use transparent huge pages.
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
      const std::size_t bytes = count * sizeof(T);
      const std::size_t alignment = bytes >= huge_buffer_bytes ? huge_page_bytes : cache_line_bytes;
      void* memory = ::operator new (bytes, std::align_val_t{alignment}, std::nothrow);
      if (memory == nullptr) {
        throw std::bad_alloc();
      }
      data_ = std::unique_ptr<T, Free>(static_cast<T*>(memory), Free{alignment});
      if (alignment == huge_page_bytes) {
        advise_huge_pages(memory, bytes);
      }
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
    std::size_t alignment = cache_line_bytes;  // the alignment the memory was allocated with
    void operator()(T* p) const noexcept { ::operator delete (p, std::align_val_t{alignment}); }
  };
  std::unique_ptr<T, Free> data_;
  std::size_t size_ = 0;
};

}  // namespace dashi::detail
