// SPDX-License-Identifier: Apache-2.0
#pragma once

/// @file
/// References written independently of the executor: periodic padding by hand, one
/// monolithic kernel call per step (step loops, fixed point searches), and the blockwise
/// split / apply / recombine of the partition functions in a given block order. Each
/// throws what the kernel throws, KernelContractError when it breaks the contract, and
/// std::bad_alloc; thread-safe when the kernel is.

#include <algorithm>
#include <cstddef>
#include <dashi/carrier.hpp>
#include <dashi/execution/iterate.hpp>
#include <dashi/kernel.hpp>
#include <dashi/partition.hpp>
#include <utility>
#include <vector>

#include "support/builders.hpp"

namespace dashi_test {

/// `field` padded along axis 0 by `halo` rows on each side, wrapping around: padded row
/// `p` is row `(p - halo) mod rows` (several times around when `halo > rows`). `field`
/// must have at least one row.
inline dashi::TernaryField pad_periodic(dashi::TernaryView field, std::size_t halo) {
  const std::size_t rows = field.shape().rows();
  const std::size_t row_elems = field.shape().row_elems();
  dashi::TernaryField padded =
      dashi::TernaryField::uninitialized(field.shape().with_rows(rows + 2 * halo));
  for (std::size_t p = 0; p < rows + 2 * halo; ++p) {
    // (p - halo) mod rows without unsigned wrap-around: add a multiple of rows first.
    const std::size_t source = (p + rows * (halo / rows + 1) - halo) % rows;
    std::copy_n(field.data() + source * row_elems, row_elems, padded.data() + p * row_elems);
  }
  return padded;
}

/// Reference result of `kernel` under `Boundary::periodic` with `halo`: the kernel applied
/// to the periodically padded field, then cropped back.
template <class K>
dashi::TernaryField periodic_reference(const K& kernel, dashi::TernaryView field,
                                       std::size_t halo) {
  if (field.size() == 0) {
    return dashi::apply_kernel(kernel, field);
  }
  const dashi::TernaryField padded = pad_periodic(field, halo);
  const dashi::TernaryField result = dashi::apply_kernel(kernel, padded.view());
  return copy_rows(result.view(), halo, field.shape().rows());
}

/// One monolithic application of `kernel`: on the field itself (`clip`), or on the field
/// padded periodically by `halo` rows and cropped back (`periodic`).
template <class K>
dashi::TernaryField reference_step(const K& kernel, dashi::TernaryView x, dashi::Boundary boundary,
                                   std::size_t halo) {
  if (boundary == dashi::Boundary::clip) {
    return dashi::apply_kernel(kernel, x);
  }
  return periodic_reference(kernel, x, halo);
}

/// The states `x_0 = x, x_1, ..., x_steps` of the monolithic step loop.
template <class K>
std::vector<dashi::TernaryField> reference_trajectory(
    const K& kernel, dashi::TernaryView x, std::size_t steps,
    dashi::Boundary boundary = dashi::Boundary::clip,
    std::size_t halo = dashi::kernel_radius_v<K>) {
  std::vector<dashi::TernaryField> states;
  states.reserve(steps + 1);
  states.push_back(copy_of(x));
  for (std::size_t s = 0; s < steps; ++s) {
    states.push_back(reference_step(kernel, states.back().view(), boundary, halo));
  }
  return states;
}

/// The state after `steps` monolithic applications.
template <class K>
dashi::TernaryField reference_iterate(const K& kernel, dashi::TernaryView x, std::size_t steps,
                                      dashi::Boundary boundary = dashi::Boundary::clip,
                                      std::size_t halo = dashi::kernel_radius_v<K>) {
  dashi::TernaryField state = copy_of(x);
  for (std::size_t s = 0; s < steps; ++s) {
    state = reference_step(kernel, state.view(), boundary, halo);
  }
  return state;
}

/// Monolithic fixed point search: the first `k <= max_steps` with `K(x_k) == x_k`
/// (`found`), else `max_steps` (`!found`); `state` is `x_k`.
struct ReferenceFixedPoint {
  dashi::TernaryField state;
  std::size_t steps = 0;
  bool found = false;
};

template <class K>
ReferenceFixedPoint reference_fixed_point(const K& kernel, dashi::TernaryView x,
                                          std::size_t max_steps,
                                          dashi::Boundary boundary = dashi::Boundary::clip,
                                          std::size_t halo = dashi::kernel_radius_v<K>) {
  ReferenceFixedPoint result{copy_of(x), 0, false};
  for (std::size_t k = 0; k < max_steps; ++k) {
    dashi::TernaryField next = reference_step(kernel, result.state.view(), boundary, halo);
    if (next == result.state) {
      result.found = true;
      return result;
    }
    result.state = std::move(next);
    result.steps = k + 1;
  }
  return result;
}

/// `kernel` applied block by block with the partition functions: `split_with_halo`, one
/// `apply_kernel` per block in `order`, `crop_halo`, `recombine`.
template <class K>
dashi::TernaryField blockwise(const K& kernel, dashi::TernaryView input, std::size_t block_elems,
                              std::size_t halo, const std::vector<std::size_t>& order) {
  const auto blocks = dashi::split_with_halo(input, block_elems, halo);
  std::vector<dashi::TernaryField> results(blocks.size());
  for (const std::size_t i : order) {
    results[i] = dashi::apply_kernel(kernel, blocks[i].input);
  }
  std::vector<dashi::TernaryView> cores;
  for (std::size_t i = 0; i < blocks.size(); ++i) {
    cores.push_back(dashi::crop_halo(blocks[i].block, results[i]));
  }
  return dashi::recombine(cores, input.shape());
}

}  // namespace dashi_test
