// SPDX-License-Identifier: Apache-2.0
#pragma once

/// @file
/// What a bit-sliced kernel is: the concepts `BitKernel` and `BitRowWindowKernel`.

#include <concepts>
#include <cstddef>
#include <dashi/bits/field.hpp>

namespace dashi::bits {

/// A kernel with a bit-sliced form: `k.bits(in, out)` writes into `out` (of `in`'s shape)
/// the planes of what its dense form writes on `unpack(in)`, byte for byte after `unpack`,
/// with canonical output planes. The executor's plane overloads accept any `BitKernel`.
template <class K>
concept BitKernel = requires(const K& k, BitView in, BitSpan out) {
  { k.bits(in, out) } -> std::same_as<void>;
};

/// A bit kernel with a radius may also write a window of rows alone:
/// `k.bits_rows(in, first_row, out)` writes rows `[first_row, first_row + out rows)` of what
/// `k.bits(in, full)` would write (the meaning of `into_rows`). For rank 1 the window starts
/// on a word (`first_row` a multiple of 64) and ends on one or at the field's end.
template <class K>
concept BitRowWindowKernel = BitKernel<K> &&
    requires(const K& k, BitView in, std::size_t first_row, BitSpan out) {
  { k.bits_rows(in, first_row, out) } -> std::same_as<void>;
};

/// Sentence shown by the plane overloads' `static_assert` when a type has no bit form.
#define DASHI_BIT_KERNEL_REQUIREMENT                                                           \
  "dashi: a kernel run on bit planes must offer void bits(dashi::bits::BitView, "              \
  "dashi::bits::BitSpan) const (the shipped SignFlip, Clamp, ClampNonnegative, LeftNeighbor, " \
  "Majority3x3, Rule1D<1> and Totalistic2D do)"

}  // namespace dashi::bits
