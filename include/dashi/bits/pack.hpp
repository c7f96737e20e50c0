// SPDX-License-Identifier: Apache-2.0
#pragma once

/// @file
/// Between a dense field (one byte per site) and its bit planes: `pack`, `pack_into`,
/// `unpack`, `unpack_into`. Vectorised (AVX-512: 64 sites per instruction; AVX2; a
/// portable path), chosen at run time.

#include <cstddef>
#include <cstdint>
#include <dashi/bits/detail/pack_loops.hpp>
#include <dashi/bits/field.hpp>
#include <dashi/carrier.hpp>
#include <span>
#include <stdexcept>
#include <string>

namespace dashi::bits {

namespace detail {

/// Throws `std::invalid_argument` from `where` unless the two shapes are equal.
inline void check_same_shape(const char* where, const Shape& from, const Shape& to) {
  if (!(from == to)) {
    throw std::invalid_argument(std::string(where) + ": output shape " + to.to_string() +
                                " differs from input shape " + from.to_string());
  }
}

}  // namespace detail

/// Writes the planes of `in` into `out` (of `in`'s shape). Throws `std::invalid_argument` for
/// a shape mismatch and `CarrierError` naming the first value of `in` that is not a trit
/// (`out` is then unspecified). Thread-safe for distinct outputs.
inline void pack_into(TernaryView in, BitSpan out) {
  detail::check_same_shape("dashi::bits::pack_into", in.shape(), out.shape());
  const detail::PlaneLayout layout = out.layout();
  bool trits = true;
  for (std::size_t i = 0; i < layout.slices; ++i) {
    trits &= detail::pack_run(in.data() + i * layout.slice_sites, layout.slice_sites,
                              out.support_data() + i * layout.slice_words,
                              out.sign_data() + i * layout.slice_words);
  }
  if (!trits) {
    dashi::detail::check_trits("dashi::bits::pack", in.values());
  }
}

/// The bit planes of `in`. Throws `CarrierError` naming the first value that is not a trit,
/// and `std::bad_alloc`. Thread-safe.
[[nodiscard]] inline BitField pack(TernaryView in) {
  BitField field = BitField::uninitialized(in.shape());
  pack_into(in, field.span());
  return field;
}

/// Writes the sites of `in` (canonical planes) into `out` (of `in`'s shape). Throws
/// `std::invalid_argument` for a shape mismatch. Thread-safe for distinct outputs.
inline void unpack_into(BitView in, TernarySpan out) {
  detail::check_same_shape("dashi::bits::unpack_into", in.shape(), out.shape());
  const detail::PlaneLayout layout = in.layout();
  for (std::size_t i = 0; i < layout.slices; ++i) {
    detail::unpack_run(in.support_data() + i * layout.slice_words,
                       in.sign_data() + i * layout.slice_words, layout.slice_sites,
                       out.data() + i * layout.slice_sites);
  }
}

/// The dense field of `in` (canonical planes). Throws `std::bad_alloc`. Thread-safe.
[[nodiscard]] inline TernaryField unpack(BitView in) {
  TernaryField field = TernaryField::uninitialized(in.shape());
  unpack_into(in, field.span());
  return field;
}

}  // namespace dashi::bits
