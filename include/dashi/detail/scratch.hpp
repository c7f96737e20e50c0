// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstddef>
#include <cstdint>
#include <dashi/detail/aligned_buffer.hpp>
#include <vector>

namespace dashi::detail {

/// Per-thread scratch memory reused across blocks and calls. Leases nest (a kernel may
/// call the executor again on the same thread), each nesting level keeping its own
/// buffers, so an outer block's scratch is never handed to an inner one.
class ScratchLease {
  struct Arena {
    std::vector<AlignedBuffer<std::int8_t>> buffers;
    std::size_t depth = 0;
  };
  static Arena& arena() noexcept {
    thread_local Arena instance;
    return instance;
  }

 public:
  /// Leases at least `bytes` bytes; `slot` distinguishes buffers used at the same time
  /// by one block (e.g. 0 = padded input, 1 = extended output). Throws `std::bad_alloc`.
  ScratchLease(std::size_t bytes, std::size_t slot) : arena_(arena()) {
    const std::size_t level = arena_.depth * slots_per_level + slot;
    if (arena_.buffers.size() <= level) {
      arena_.buffers.resize(level + 1);
    }
    AlignedBuffer<std::int8_t>& buffer = arena_.buffers[level];
    if (buffer.size() < bytes) {
      buffer = AlignedBuffer<std::int8_t>(bytes);
    }
    data_ = buffer.data();
  }
  ScratchLease(const ScratchLease&) = delete;
  ScratchLease& operator=(const ScratchLease&) = delete;
  ~ScratchLease() = default;

  [[nodiscard]] std::int8_t* data() const noexcept { return data_; }

  /// Marks the start of a block run on this thread: leases taken inside use a deeper level.
  class Level {
   public:
    Level() noexcept : arena_(arena()) { ++arena_.depth; }
    Level(const Level&) = delete;
    Level& operator=(const Level&) = delete;
    ~Level() { --arena_.depth; }

   private:
    Arena& arena_;
  };

 private:
  static constexpr std::size_t slots_per_level = 2;

  Arena& arena_;
  std::int8_t* data_ = nullptr;
};

}  // namespace dashi::detail
