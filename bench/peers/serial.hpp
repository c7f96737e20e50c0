// SPDX-License-Identifier: Apache-2.0
#pragma once

/// @file
/// The serial peer: the bench kernels as the plain loops a user would write by hand,
/// with the semantics of the shipped `dashi::kernels` (sign flip negates every byte,
/// clamp is the sign, left neighbour is `dashi::kernels::LeftNeighbor` on a 1-D field).

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace dashi_bench {

/// The kernels the bench runs.
enum class KernelId : std::uint8_t {
  sign_flip,      ///< `dashi::kernels::SignFlip`
  clamp,          ///< `dashi::kernels::Clamp`
  left_neighbor,  ///< `dashi::kernels::LeftNeighbor` (radius 1)
  majority3x3     ///< `dashi::kernels::Majority3x3` (2-D, radius 1; iterated suite only, no peer)
};

[[nodiscard]] inline std::string_view kernel_name(KernelId k) noexcept {
  switch (k) {
    case KernelId::sign_flip:
      return "sign_flip";
    case KernelId::clamp:
      return "clamp";
    case KernelId::left_neighbor:
      return "left_neighbor";
    case KernelId::majority3x3:
      return "majority3x3";
  }
  return "?";
}

namespace peers {

/// `out[i] = -in[i]` for `i` in `[first, last)`.
inline void sign_flip_range(const std::int8_t* in, std::int8_t* out, std::size_t first,
                            std::size_t last) noexcept {
  for (std::size_t i = first; i < last; ++i) {
    out[i] = static_cast<std::int8_t>(-in[i]);
  }
}

/// `out[i] = sign(in[i])` for `i` in `[first, last)`.
inline void clamp_range(const std::int8_t* in, std::int8_t* out, std::size_t first,
                        std::size_t last) noexcept {
  for (std::size_t i = first; i < last; ++i) {
    out[i] = static_cast<std::int8_t>((in[i] > 0) - (in[i] < 0));
  }
}

/// `out[i] = in[i] == 0 ? 0 : sign(in[i] + in[i - 1])` with `in[-1] = 0`, for `i` in
/// `[first, last)`; reads `in[first - 1]` when `first > 0`.
inline void left_neighbor_range(const std::int8_t* in, std::int8_t* out, std::size_t first,
                                std::size_t last) noexcept {
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
}

/// Runs kernel `k` over sites `[first, last)` of a 1-D field (the 1-D kernels only).
inline void run_range(KernelId k, const std::int8_t* in, std::int8_t* out, std::size_t first,
                      std::size_t last) noexcept {
  switch (k) {
    case KernelId::sign_flip:
      sign_flip_range(in, out, first, last);
      return;
    case KernelId::clamp:
      clamp_range(in, out, first, last);
      return;
    case KernelId::left_neighbor:
      left_neighbor_range(in, out, first, last);
      return;
    case KernelId::majority3x3:  // 2-D: the bench never asks a peer for it
      return;
  }
}

/// The serial peer: one plain loop over the whole field on the calling thread.
inline void run_serial(KernelId k, const std::int8_t* in, std::int8_t* out,
                       std::size_t n) noexcept {
  run_range(k, in, out, 0, n);
}

}  // namespace peers
}  // namespace dashi_bench
