// SPDX-License-Identifier: Apache-2.0
#pragma once

/// @file
/// The plain loops a user writes by hand, with the semantics of the shipped kernels (sign
/// flip negates every byte, clamp is the sign, left neighbour is `LeftNeighbor` on a 1-D
/// field). They are *not* the shipped kernels' inner loops: the compiler vectorises them for
/// the TU's target (SSE2 by default), so a ratio against them measures the kernel and the
/// executor together. The fair peers, which run the shipped inner loop, are in
/// `same_loop.hpp`.

#include <cstddef>
#include <cstdint>

#include "../inputs.hpp"

namespace dashi_bench::peers {

/// Kernel `k` (one with `has_plain_loop(k)`) over sites `[first, last)` of a 1-D field as a
/// plain loop; the left neighbour reads `in[first - 1]` when `first > 0`.
inline void plain_range(KernelId k, const std::int8_t* in, std::int8_t* out, std::size_t first,
                        std::size_t last) noexcept {
  switch (k) {
    case KernelId::sign_flip:
      for (std::size_t i = first; i < last; ++i) {
        out[i] = static_cast<std::int8_t>(-in[i]);
      }
      return;
    case KernelId::clamp:
      for (std::size_t i = first; i < last; ++i) {
        out[i] = static_cast<std::int8_t>((in[i] > 0) - (in[i] < 0));
      }
      return;
    case KernelId::left_neighbor:
      if (first == last) {
        return;
      }
      if (first == 0) {
        out[0] = in[0];  // sign(in[0] + 0)
        first = 1;
      }
      for (std::size_t i = first; i < last; ++i) {
        const int sum = in[i] + in[i - 1];
        const int sign = (sum > 0) - (sum < 0);
        out[i] = static_cast<std::int8_t>(in[i] == 0 ? 0 : sign);
      }
      return;
    default:  // no plain loop: the bench never asks for one
      return;
  }
}

}  // namespace dashi_bench::peers
