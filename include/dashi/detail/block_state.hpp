// SPDX-License-Identifier: Apache-2.0
#pragma once

/// @file
/// What the executor tells the code running inside one of its blocks, per thread and scoped:
/// the block's index (`CurrentBlock`, for error messages from deep inside a block) and the
/// large output the block writes into (`StreamingOutput`, so byte maps may stream their
/// stores). Set by the executors (`run_kernel_parallel`, the iteration driver, the packed
/// and distributed executors); read by `kernel.hpp`'s checks, `compose` and the byte maps.

#include <cstddef>
#include <cstdint>

namespace dashi::detail {

/// The index of the block the calling thread is running, for the error messages of code
/// deep inside a block (such as `compose`); 0 outside the executor. Scoped: nested runs
/// restore the outer index.
class CurrentBlock {
 public:
  explicit CurrentBlock(std::size_t index) noexcept : previous_(slot()) { slot() = index; }
  CurrentBlock(const CurrentBlock&) = delete;
  CurrentBlock& operator=(const CurrentBlock&) = delete;
  ~CurrentBlock() { slot() = previous_; }
  [[nodiscard]] static std::size_t index() noexcept { return slot(); }

 private:
  static std::size_t& slot() noexcept {
    thread_local std::size_t current = 0;
    return current;
  }
  std::size_t previous_;
};

/// Declares, for the calling thread and its scope, the one large output `[first, last)` a
/// block of the executor writes into: byte maps writing inside it stream their stores even
/// when the block itself is small. Writes elsewhere (a kernel's own scratch) are unaffected.
/// Nestable; restores the previous range on exit.
class StreamingOutput {
 public:
  StreamingOutput(const std::int8_t* first, const std::int8_t* last) noexcept : previous_(range()) {
    range() = {first, last};
  }
  StreamingOutput(const StreamingOutput&) = delete;
  StreamingOutput& operator=(const StreamingOutput&) = delete;
  ~StreamingOutput() { range() = previous_; }

  /// True when `[out, out + n)` lies in the declared output.
  [[nodiscard]] static bool covers(const std::int8_t* out, std::size_t n) noexcept {
    const Range r = range();
    const auto first = reinterpret_cast<std::uintptr_t>(r.first);
    const auto p = reinterpret_cast<std::uintptr_t>(out);
    return first <= p && p + n <= reinterpret_cast<std::uintptr_t>(r.last);
  }

 private:
  struct Range {
    const std::int8_t* first = nullptr;
    const std::int8_t* last = nullptr;
  };
  static Range& range() noexcept {
    thread_local Range current;
    return current;
  }
  Range previous_;
};

}  // namespace dashi::detail
