// SPDX-License-Identifier: Apache-2.0
#pragma once

/// @file
/// Kernels: the concepts and traits of `kernel_concepts.hpp`, the contract checks and
/// `apply_kernel`, and the shipped kernels (`kernels/pointwise.hpp`, `kernels/stencils.hpp`,
/// `kernels/rule1d.hpp`, `kernels/totalistic2d.hpp`). To write or constrain a kernel
/// without the shipped kernels' SIMD loops, include `kernel_concepts.hpp` alone.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <dashi/carrier.hpp>
#include <dashi/detail/block_state.hpp>
#include <dashi/detail/byte_simd.hpp>
#include <dashi/kernel_concepts.hpp>
#include <dashi/kernels/pointwise.hpp>
#include <dashi/kernels/rule1d.hpp>
#include <dashi/kernels/stencils.hpp>
#include <dashi/kernels/totalistic2d.hpp>
#include <stdexcept>
#include <string>
#include <type_traits>

namespace dashi {

namespace detail {

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
/// `check_contract` is true. Throws what the kernel throws, `KernelContractError`, or
/// `std::bad_alloc`.
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

}  // namespace dashi
