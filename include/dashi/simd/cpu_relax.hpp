// SPDX-License-Identifier: Apache-2.0
#pragma once

/// @file
/// The spin-wait hint of the thread pool, here because it is a compiler builtin (the SIMD
/// layer holds all of them). Thread-safe, no throw.

namespace dashi::detail {

/// One spin-wait step: a pause hint where the CPU has one.
inline void cpu_relax() noexcept {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#endif
}

}  // namespace dashi::detail
