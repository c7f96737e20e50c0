// SPDX-License-Identifier: Apache-2.0
#pragma once

/// @file
/// What a kernel is, without any implementation: the concepts `Kernel`, `IntoKernel`,
/// `AnyKernel`, `RowWindowKernel`, the traits `kernel_radius_v` and `kernel_contract_proven_v`,
/// `KernelContractError` and the requirement sentences. Include this header (rather than
/// `kernel.hpp`, which adds the contract checks and the shipped kernels with their SIMD
/// loops) to write or constrain kernels.

#include <concepts>
#include <cstddef>
#include <dashi/carrier.hpp>
#include <stdexcept>
#include <type_traits>

namespace dashi {

/// A kernel broke its contract: it changed the shape, created support or wrote a value
/// outside {-1, 0, +1}. The message names the block and the (global) site.
class KernelContractError : public std::logic_error {
 public:
  using std::logic_error::logic_error;
};

/// Functional kernel: `TernaryField k(TernaryView block)` (the `K(block) -> Carrier` of
/// docs/design.md §0).
template <class K>
concept Kernel = requires(const K& k, TernaryView in) {
  { k(in) } -> std::same_as<TernaryField>;
};

/// Into kernel: `void k(TernaryView in, TernarySpan out)`; `out` has `in`'s shape and the
/// kernel writes every site of it. The form for kernels that need no allocation (the
/// concept cannot check it: the executors' no-allocation guarantees hold only when the
/// kernel allocates nothing; `compose` leases per-thread scratch and `pq::roundtrip`
/// allocates on every call).
template <class K>
concept IntoKernel = requires(const K& k, TernaryView in, TernarySpan out) {
  { k(in, out) } -> std::same_as<void>;
};

/// Either kernel form: what every entry point accepts. When a type models both, the into
/// form is used.
template <class K>
concept AnyKernel = Kernel<K> || IntoKernel<K>;

/// Row-window kernel, an optional refinement of `IntoKernel` for kernels with a radius:
/// `k.into_rows(in, first_row, out)` writes rows `[first_row, first_row + out.shape().rows())`
/// of what `k(in, full)` would write into a full-size `full`, and nothing else; `out` has
/// `in`'s shape but for its row count. The executors prefer it for blocks with halos, so the
/// core of a block lands straight in the output instead of passing through scratch. Its rows
/// must equal the into form's, byte for byte: the contract sweeps compare both with the
/// monolithic run.
template <class K>
concept RowWindowKernel = IntoKernel<K> &&
    requires(const K& k, TernaryView in, std::size_t first_row, TernarySpan out) {
  { k.into_rows(in, first_row, out) } -> std::same_as<void>;
};

namespace detail {
/// `K` has a member called `radius` (of any kind).
template <class K>
concept NamesRadius = requires {
  K::radius;
};
/// `K::radius` is a static data member (a non-static one is not tested further: naming it
/// as a constant is a hard error on some compilers).
template <class K>
concept StaticRadius = NamesRadius<K> && !std::is_member_pointer_v<decltype(&K::radius)>;
template <class K>
concept DeclaresRadius = StaticRadius<K> && requires {
  typename std::integral_constant<std::size_t, K::radius>;  // a constant, static member
};
template <class K>
concept NamesContractProven = requires {
  K::contract_proven;
};
template <class K>
concept StaticContractProven =
    NamesContractProven<K> && !std::is_member_pointer_v<decltype(&K::contract_proven)>;
template <class K>
concept DeclaresContractProven = StaticContractProven<K> && requires {
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

}  // namespace dashi
