// SPDX-License-Identifier: Apache-2.0
#pragma once

/// @file
/// The kernels the bench runs: their names, the shape an N-site workload takes for each, and
/// `with_kernel`, which hands the shipped kernel object of an id to a generic body.

#include <array>
#include <cstddef>
#include <cstdint>
#include <dashi/carrier.hpp>
#include <dashi/kernel.hpp>
#include <span>
#include <string_view>

#if __has_include(<dashi/kernels/rule1d.hpp>) && __has_include(<dashi/kernels/totalistic2d.hpp>)
#  include <dashi/kernels/rule1d.hpp>
#  include <dashi/kernels/totalistic2d.hpp>
#  define DASHI_BENCH_HAVE_RULES 1
#else
#  define DASHI_BENCH_HAVE_RULES 0
#endif

namespace dashi_bench {

/// The kernels the bench runs.
enum class KernelId : std::uint8_t {
  sign_flip,      ///< `dashi::kernels::SignFlip`
  clamp,          ///< `dashi::kernels::Clamp`
  left_neighbor,  ///< `dashi::kernels::LeftNeighbor` (radius 1, 1-D)
  majority3x3,    ///< `dashi::kernels::Majority3x3` (radius 1, 2-D)
  rule1d,         ///< `dashi::kernels::Rule1D<1>` with the 1-D majority table (radius 1)
  totalistic2d    ///< `dashi::kernels::Totalistic2D` with a majority table (radius 1, 2-D)
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
    case KernelId::rule1d:
      return "rule1d_r1";
    case KernelId::totalistic2d:
      return "totalistic2d";
  }
  return "?";
}

/// True for the kernels with a plain loop a user would write by hand (`peers/plain.hpp`).
[[nodiscard]] constexpr bool has_plain_loop(KernelId k) noexcept {
  return k == KernelId::sign_flip || k == KernelId::clamp || k == KernelId::left_neighbor;
}

/// Columns of the 2-D fields (`majority3x3` and `totalistic2d` run on N / 1000 rows).
inline constexpr std::size_t columns_2d = 1000;

[[nodiscard]] constexpr bool is_2d(KernelId k) noexcept {
  return k == KernelId::majority3x3 || k == KernelId::totalistic2d;
}

/// The shape of an N-site workload for `kernel`: rows × 1000 for the 2-D kernels, 1-D
/// otherwise. N must be a multiple of 1000 for the 2-D shape.
[[nodiscard]] inline dashi::Shape shape_for(KernelId kernel, std::size_t n) {
  if (is_2d(kernel)) {
    return dashi::Shape{n / columns_2d, columns_2d};
  }
  return dashi::Shape{n};
}

#if DASHI_BENCH_HAVE_RULES

/// The radius-1 rule of the bench: on support, the sign of the sum of the three sites
/// (base-3 digits x + 1 of x[i-1], x[i], x[i+1], most significant first); off support 0.
[[nodiscard]] inline const dashi::kernels::Rule1D<1>& rule1d_kernel() {
  static const dashi::kernels::Rule1D<1> kernel = [] {
    std::array<std::int8_t, 27> table{};
    for (int l = -1; l <= 1; ++l) {
      for (int c = -1; c <= 1; ++c) {
        for (int r = -1; r <= 1; ++r) {
          const int sum = l + c + r;
          const auto index = static_cast<std::size_t>(9 * (l + 1) + 3 * (c + 1) + (r + 1));
          table[index] = static_cast<std::int8_t>(c == 0 ? 0 : (sum > 0) - (sum < 0));
        }
      }
    }
    return dashi::kernels::Rule1D<1>(std::span<const std::int8_t>(table));
  }();
  return kernel;
}

/// The 2-D totalistic rule of the bench: on support, the sign of the site plus the sum of
/// its 8 neighbours; off support 0 (`table[x + 1][sum + 8]`).
[[nodiscard]] inline const dashi::kernels::Totalistic2D& totalistic2d_kernel() {
  static const dashi::kernels::Totalistic2D kernel = [] {
    std::array<std::int8_t, 51> table{};
    for (int x = -1; x <= 1; ++x) {
      for (int sum = -8; sum <= 8; ++sum) {
        const int total = x + sum;
        const auto index = static_cast<std::size_t>(17 * (x + 1) + (sum + 8));
        table[index] = static_cast<std::int8_t>(x == 0 ? 0 : (total > 0) - (total < 0));
      }
    }
    return dashi::kernels::Totalistic2D(std::span<const std::int8_t>(table));
  }();
  return kernel;
}

#endif

/// True when the kernel `k` is built into this binary.
[[nodiscard]] constexpr bool kernel_available(KernelId k) noexcept {
  return (k != KernelId::rule1d && k != KernelId::totalistic2d) || DASHI_BENCH_HAVE_RULES != 0;
}

/// Calls `f` with the shipped kernel object of `id` (nothing for a kernel not built in).
template <class F>
void with_kernel(KernelId id, F&& f) {
  switch (id) {
    case KernelId::sign_flip:
      f(dashi::kernels::SignFlip{});
      return;
    case KernelId::clamp:
      f(dashi::kernels::Clamp{});
      return;
    case KernelId::left_neighbor:
      f(dashi::kernels::LeftNeighbor{});
      return;
    case KernelId::majority3x3:
      f(dashi::kernels::Majority3x3{});
      return;
    case KernelId::rule1d:
#if DASHI_BENCH_HAVE_RULES
      f(rule1d_kernel());
#endif
      return;
    case KernelId::totalistic2d:
#if DASHI_BENCH_HAVE_RULES
      f(totalistic2d_kernel());
#endif
      return;
  }
}

}  // namespace dashi_bench
