// SPDX-License-Identifier: Apache-2.0
#pragma once

/// @file
/// `compose(k1, k2, ...)`: a kernel applying several kernels in order on one block while it
/// is in cache. Its radius is the sum of theirs, so the executor gives each block enough
/// halo for the whole chain and the result equals applying the kernels one after another;
/// each stage that is not contract-proven is checked, so the chain fails where the kernels
/// applied one after another would.

#include <array>
#include <cstddef>
#include <cstdint>
#include <dashi/carrier.hpp>
#include <dashi/detail/byte_simd.hpp>
#include <dashi/detail/scratch.hpp>
#include <dashi/kernel.hpp>
#include <string>
#include <tuple>
#include <utility>

namespace dashi {

namespace detail {

/// Throws `KernelContractError` naming stage `stage` (1-based) of a `count`-stage chain when
/// its output `out` breaks the contract for its input `in` (`n` sites of the block's
/// extended rows).
inline void check_compose_stage(const std::int8_t* in, const std::int8_t* out, std::size_t n,
                                std::size_t stage, std::size_t count) {
  if (!contract_violated(in, out, n)) {
    return;
  }
  const std::string where = "dashi::compose: stage " + std::to_string(stage) + " of " +
                            std::to_string(count) + " broke the kernel contract in block " +
                            std::to_string(CurrentBlock::index()) + ": ";
  for (std::size_t j = 0; j < n; ++j) {
    if (!is_trit(out[j])) {
      throw KernelContractError(where + "it wrote value " + std::to_string(out[j]) +
                                " (not a trit) at site " + std::to_string(j) +
                                " of the block's extended rows");
    }
    if (out[j] != 0 && in[j] == 0) {
      throw KernelContractError(where + "it created support from nothing at site " +
                                std::to_string(j) + " of the block's extended rows (input 0, " +
                                "output " + std::to_string(out[j]) + ")");
    }
  }
}

}  // namespace detail

/// The kernel returned by `compose`. Into form; thread-safe when its kernels are.
template <class... K>
class ComposedKernel {
 public:
  /// Sum of the radii.
  static constexpr std::size_t radius = (kernel_radius_v<K> + ... + 0);
  /// Proven when every kernel of the chain is.
  static constexpr bool contract_proven = (kernel_contract_proven_v<K> && ...);

  /// The chain `kernels`, applied left to right (made by `compose`). Throws what moving a
  /// kernel throws.
  explicit ComposedKernel(K... kernels) : kernels_(std::move(kernels)...) {}

  /// Applies the kernels in order: the first reads `in`, the last writes `out`, the
  /// intermediate results live in the calling thread's scratch. Every stage whose kernel is
  /// not contract-proven is checked against its own input. Throws what a kernel throws,
  /// `KernelContractError` when a stage breaks the contract (naming the stage) or a
  /// functional kernel changes the shape, and `std::bad_alloc`.
  void operator()(TernaryView in, TernarySpan out) const {
    const detail::ScratchLease::Level level;
    const detail::ScratchLease first(in.size(), 0);
    const detail::ScratchLease second(in.size(), 1);
    const std::array<std::int8_t*, 2> buffers = {first.data(), second.data()};
    TernaryView current = in;
    std::size_t stage = 0;
    const auto apply_one = [&](const auto& kernel) {
      const bool last = stage + 1 == sizeof...(K);
      const TernarySpan target =
          last ? out : TernarySpan::unchecked(buffers[stage % 2], in.shape());
      detail::apply_into(kernel, current, target);
      if constexpr (!kernel_contract_proven_v<decltype(kernel)>) {
        detail::check_compose_stage(current.data(), target.data(), in.size(), stage + 1,
                                    sizeof...(K));
      }
      current = target.view();
      ++stage;
    };
    std::apply([&](const auto&... kernels) { (apply_one(kernels), ...); }, kernels_);
  }

 private:
  std::tuple<K...> kernels_;
};

/// A kernel applying `kernels` in order (left to right); radius = sum of radii.
/// `run_kernel_parallel(compose(a, b), x)` equals `b` applied to `a` applied to `x`.
template <class... K>
[[nodiscard]] ComposedKernel<K...> compose(K... kernels) {
  static_assert(sizeof...(K) >= 1, "dashi::compose needs at least one kernel");
  static_assert((AnyKernel<K> && ...), DASHI_KERNEL_REQUIREMENT);
  return ComposedKernel<K...>(std::move(kernels)...);
}

}  // namespace dashi
