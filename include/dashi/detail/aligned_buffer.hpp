// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstddef>
#include <cstring>
#include <limits>
#include <memory>
#include <mutex>
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

/// Freed huge buffers above this size go back to the OS at once (never kept for reuse).
inline constexpr std::size_t max_kept_buffer_bytes = std::size_t{1} << 30;

/// The most recently freed huge buffer (one), kept for the next allocation it fits: a fresh
/// result of the size of one just dropped then reuses pages already mapped and backed,
/// instead of faulting in and zeroing new ones (the cost that made a fresh result several
/// times slower than writing into an existing array). At most one buffer of at most
/// `max_kept_buffer_bytes` is held. Thread-safe. Created on first use and never destroyed,
/// so buffers freed during static destruction still find it.
class KeptHugeBuffer {
 public:
  /// The kept buffer when its capacity lies in [`bytes`, 2 * `bytes`] (then `*capacity` is
  /// set and the buffer is no longer kept), else nullptr.
  [[nodiscard]] void* take(std::size_t bytes, std::size_t* capacity) noexcept {
    const std::lock_guard lock(mutex_);
    if (memory_ == nullptr || capacity_ < bytes || capacity_ / 2 > bytes) {
      return nullptr;
    }
    *capacity = capacity_;
    return std::exchange(memory_, nullptr);
  }
  /// Keeps `memory` (`capacity` bytes, aligned to `huge_page_bytes`), freeing the buffer kept
  /// before; a buffer above `max_kept_buffer_bytes` is freed instead.
  void give(void* memory, std::size_t capacity) noexcept {
    if (capacity > max_kept_buffer_bytes) {
      ::operator delete (memory, std::align_val_t{huge_page_bytes});
      return;
    }
    void* previous = nullptr;
    {
      const std::lock_guard lock(mutex_);
      previous = std::exchange(memory_, memory);
      capacity_ = capacity;
    }
    if (previous != nullptr) {
      ::operator delete (previous, std::align_val_t{huge_page_bytes});
    }
  }

 private:
  std::mutex mutex_;
  void* memory_ = nullptr;
  std::size_t capacity_ = 0;
};

/// The process's `KeptHugeBuffer`.
[[nodiscard]] inline KeptHugeBuffer& kept_huge_buffer() {
  static auto* kept = new KeptHugeBuffer();  // never destroyed (see KeptHugeBuffer)
  return *kept;
}

/// Owning, cache-line aligned array of trivially copyable `T`, left uninitialised on
/// allocation so that outputs written in full are not touched twice (the pages of a result
/// are then first touched by the threads that write them). Buffers of `huge_buffer_bytes`
/// or more are aligned to `huge_page_bytes` and advised to use transparent huge pages, and
/// reuse the most recently freed such buffer when it fits (`KeptHugeBuffer`).
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
      if (bytes >= huge_buffer_bytes) {
        std::size_t capacity = bytes;
        void* memory = kept_huge_buffer().take(bytes, &capacity);
        if (memory == nullptr) {
          memory = ::operator new (bytes, std::align_val_t{huge_page_bytes}, std::nothrow);
          if (memory == nullptr) {
            throw std::bad_alloc();
          }
          advise_huge_pages(memory, bytes);
        }
        data_ = std::unique_ptr<T, Free>(static_cast<T*>(memory), Free{capacity});
      } else {
        void* memory = ::operator new (bytes, std::align_val_t{cache_line_bytes}, std::nothrow);
        if (memory == nullptr) {
          throw std::bad_alloc();
        }
        data_ = std::unique_ptr<T, Free>(static_cast<T*>(memory), Free{0});
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
    std::size_t huge_capacity = 0;  // bytes of a huge buffer (0: cache-line aligned memory)
    void operator()(T* p) const noexcept {
      if (huge_capacity != 0) {
        kept_huge_buffer().give(p, huge_capacity);
      } else {
        ::operator delete (p, std::align_val_t{cache_line_bytes});
      }
    }
  };
  std::unique_ptr<T, Free> data_;
  std::size_t size_ = 0;
};

}  // namespace dashi::detail
