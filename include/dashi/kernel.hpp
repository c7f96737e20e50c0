// SPDX-License-Identifier: Apache-2.0
#pragma once

/// @file
/// Kernel concepts, locality radius, contract checks and the shipped reference kernels.

#include <algorithm>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <dashi/carrier.hpp>
#include <dashi/detail/byte_simd.hpp>
#include <dashi/detail/stencil_simd.hpp>
#include <dashi/kernels/rule1d.hpp>
#include <dashi/kernels/totalistic2d.hpp>
#include <stdexcept>
#include <string>
#include <type_traits>

namespace dashi {

/// A kernel broke its contract: it changed the shape, created support or wrote a value
/// outside {-1, 0, +1}. The message names the block and the (global) site.
class KernelContractError : public std::logic_error {
 public:
  using std::logic_error::logic_error;
};

/// Functional kernel: `TernaryField k(TernaryView block)` (the seed's `K(block) -> Carrier`).
template <class K>
concept Kernel = requires(const K& k, TernaryView in) {
  { k(in) } -> std::same_as<TernaryField>;
};

/// Into kernel: `void k(TernaryView in, TernarySpan out)`; `out` has `in`'s shape and the
/// kernel writes every site of it. No allocation.
template <class K>
concept IntoKernel = requires(const K& k, TernaryView in, TernarySpan out) {
  { k(in, out) } -> std::same_as<void>;
};

/// Either kernel form: what every entry point accepts. When a type models both, the into
/// form is used.
template <class K>
concept AnyKernel = Kernel<K> || IntoKernel<K>;

namespace detail {
template <class K>
concept NamesRadius = requires {
  K::radius;
};  // any member called `radius`
template <class K>
concept DeclaresRadius = requires {
  typename std::integral_constant<std::size_t, K::radius>;  // a constant, static member
};
template <class K>
concept NamesContractProven = requires {
  K::contract_proven;
};
template <class K>
concept DeclaresContractProven = requires {
  typename std::bool_constant<K::contract_proven>;  // a constant, static member
};
}  // namespace detail

/// Sentence shown when a kernel's `radius` is not a usable constant.
#define DASHI_KERNEL_RADIUS_REQUIREMENT                                                 \
  "dashi: a kernel's radius must be a non-negative constant expression: declare it as " \
  "static constexpr std::size_t radius = <n>;"

/// Sentence shown when a kernel's `contract_proven` is not a usable constant.
#define DASHI_KERNEL_CONTRACT_PROVEN_REQUIREMENT                                    \
  "dashi: a kernel's contract_proven must be a constant expression: declare it as " \
  "static constexpr bool contract_proven = true;"

/// Locality radius of `K`: `K::radius` when declared, else 0 (pointwise). A kernel of
/// radius r reads at most r axis-0 slices on each side of the site it writes. A `radius`
/// member that is not a non-negative constant expression (a non-`constexpr` static, a
/// non-static member) is a compile error, never a silent 0.
template <class K>
inline constexpr std::size_t kernel_radius_v = [] {
  using Plain = std::remove_cvref_t<K>;
  if constexpr (detail::DeclaresRadius<Plain>) {
    return static_cast<std::size_t>(Plain::radius);
  } else {
    static_assert(!detail::NamesRadius<Plain>, DASHI_KERNEL_RADIUS_REQUIREMENT);
    return std::size_t{0};
  }
}();

/// True when `K` declares `static constexpr bool contract_proven = true`: the kernel keeps
/// the contract (shape, values in {-1,0,1}, no support created) by construction on every
/// valid input, so the executor skips its per-block check. Declare it only with a proof —
/// the shipped kernels do, and their tests check it. A `contract_proven` member that is not
/// a constant expression is a compile error.
template <class K>
inline constexpr bool kernel_contract_proven_v = [] {
  using Plain = std::remove_cvref_t<K>;
  if constexpr (detail::DeclaresContractProven<Plain>) {
    return static_cast<bool>(Plain::contract_proven);
  } else {
    static_assert(!detail::NamesContractProven<Plain>, DASHI_KERNEL_CONTRACT_PROVEN_REQUIREMENT);
    return false;
  }
}();

/// Sentence shown by each entry point's `static_assert` when a type is not a kernel.
#define DASHI_KERNEL_REQUIREMENT                                                        \
  "dashi: a kernel must be callable as TernaryField(TernaryView) or void(TernaryView, " \
  "TernarySpan)"

namespace detail {

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

/// Throws `KernelContractError` naming the current block unless `result == expected`.
inline void check_kernel_shape(const Shape& expected, const Shape& result) {
  if (!(result == expected)) {
    throw KernelContractError("dashi: kernel changed the shape of block " +
                              std::to_string(CurrentBlock::index()) + " from " +
                              expected.to_string() + " to " + result.to_string());
  }
}

/// Runs `kernel` on `in`, writing `out` (same shape). Functional kernels' results are
/// checked for shape and copied. Throws what the kernel throws, or `KernelContractError`
/// when a functional kernel returns another shape.
template <class K>
void apply_into(const K& kernel, TernaryView in, TernarySpan out) {
  if constexpr (IntoKernel<K>) {
    kernel(in, out);
  } else {
    const TernaryField result = kernel(in);
    check_kernel_shape(in.shape(), result.shape());
    std::copy_n(result.data(), result.size(), out.data());
  }
}

/// Checks the contract for sites `[0, n)` of `in`/`out`: values stay in {-1,0,1} and no
/// support is created. `first_site` is the global index of site 0, used in the message.
/// A vectorised scan first; the slow path only runs to name the first bad site.
inline void check_contract(const std::int8_t* in, const std::int8_t* out, std::size_t n,
                           std::size_t block_index, std::size_t first_site) {
  if (!contract_violated(in, out, n)) {
    return;
  }
  for (std::size_t j = 0; j < n; ++j) {
    if (!is_trit(out[j])) {
      throw KernelContractError("dashi: kernel wrote value " + std::to_string(out[j]) +
                                " (not a trit) at site " + std::to_string(first_site + j) +
                                " in block " + std::to_string(block_index));
    }
    if (out[j] != 0 && in[j] == 0) {
      throw KernelContractError("dashi: kernel created support from nothing at site " +
                                std::to_string(first_site + j) + " in block " +
                                std::to_string(block_index) + " (input 0, output " +
                                std::to_string(out[j]) + "); kernels must not create support");
    }
  }
}

}  // namespace detail

/// Runs `kernel` once on the whole of `input` on the calling thread: the monolithic
/// reference every parallel path is compared with. Checks the contract when
/// `check_contract` is true. Throws what the kernel throws, or `KernelContractError`.
template <class K>
[[nodiscard]] TernaryField apply_kernel(const K& kernel, TernaryView input,
                                        bool check_contract = true) {
  static_assert(AnyKernel<K>, DASHI_KERNEL_REQUIREMENT);
  TernaryField output = TernaryField::uninitialized(input.shape());
  detail::apply_into(kernel, input, output.span());
  if (check_contract) {
    detail::check_contract(input.data(), output.data(), input.size(), 0, 0);
  }
  return output;
}

namespace detail {
/// The byte maps of the pointwise kernels (see `map_bytes_generic` for why they are structs).
struct NegateBytes {
  [[gnu::always_inline]] DASHI_DETAIL_TARGET_PORTABLE void operator()(bytes32& v) const noexcept {
    v = -v;
  }
};
/// Comparisons give -1 for true: sign(v) = (v < 0) - (v > 0) in mask arithmetic.
struct SignBytes {
  [[gnu::always_inline]] DASHI_DETAIL_TARGET_PORTABLE void operator()(bytes32& v) const noexcept {
    v = (v < 0) - (v > 0);
  }
};
struct NonnegativeBytes {
  [[gnu::always_inline]] DASHI_DETAIL_TARGET_PORTABLE void operator()(bytes32& v) const noexcept {
    v = -(v > 0);
  }
};
}  // namespace detail

/// Reference kernels. All are stateless, thread-safe and pure, and keep the contract by
/// construction (`contract_proven`).
namespace kernels {

/// `s -> -s` (an involution; radius 0).
struct SignFlip {
  static constexpr bool contract_proven = true;
  void operator()(TernaryView in, TernarySpan out) const noexcept {
    detail::map_bytes(in.data(), out.data(), in.size(), detail::NegateBytes{});
  }
};

/// The Python `ClampKernel`: the sign of every supported site forced to ±1, 0 off
/// support. Identity on valid carriers, hence idempotent (radius 0).
struct Clamp {
  static constexpr bool contract_proven = true;
  void operator()(TernaryView in, TernarySpan out) const noexcept {
    detail::map_bytes(in.data(), out.data(), in.size(), detail::SignBytes{});
  }
};

/// `-1 -> 0`, otherwise unchanged (idempotent; radius 0).
struct ClampNonnegative {
  static constexpr bool contract_proven = true;
  void operator()(TernaryView in, TernarySpan out) const noexcept {
    detail::map_bytes(in.data(), out.data(), in.size(), detail::NonnegativeBytes{});
  }
};

/// Radius-1 stencil along axis 0 (the Python `LeftNeighbor`): on support,
/// `out[i] = sign(s[i] + s[i-1])` with `s[-1] = 0` at the view's edge; off support 0.
/// For rank > 1 the neighbour is the previous axis-0 slice at the same position.
struct LeftNeighbor {
  static constexpr std::size_t radius = 1;
  static constexpr bool contract_proven = true;
  void operator()(TernaryView in, TernarySpan out) const noexcept {
    detail::left_neighbor(in.data(), out.data(), in.size(), in.shape().row_elems());
  }
};

/// Radius-1, 2-D majority vote: on support, the sign of the sum of the 3×3 neighbourhood
/// (clipped at the view's edges), 0 on a tie; off support 0. Never creates support.
/// Throws `std::invalid_argument` for a field that is not 2-D.
struct Majority3x3 {
  static constexpr std::size_t radius = 1;
  static constexpr bool contract_proven = true;
  void operator()(TernaryView in, TernarySpan out) const {
    if (in.shape().rank() != 2) {
      throw std::invalid_argument("dashi::kernels::Majority3x3 needs a 2-D field, got shape " +
                                  in.shape().to_string());
    }
    detail::majority3x3(in.data(), out.data(), in.shape()[0], in.shape()[1]);
  }
};

}  // namespace kernels

}  // namespace dashi
