// SPDX-License-Identifier: Apache-2.0
#pragma once

/// @file
/// `validate` (are these planes canonical?) and `fingerprint` (the dense fingerprint,
/// computed from the planes).

#include <algorithm>
#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <dashi/bits/detail/pack_loops.hpp>
#include <dashi/bits/field.hpp>
#include <dashi/carrier.hpp>
#include <string>

namespace dashi::bits {

/// Throws `CarrierError` unless `view`'s planes are canonical: no sign bit off support
/// (naming the first such site) and no padding bit set past a slice's last site (naming the
/// slice and the bit). Every other function of `dashi::bits` assumes canonical planes. O(n);
/// thread-safe.
inline void validate(BitView view) {
  const detail::PlaneLayout layout = view.layout();
  const std::uint64_t last = detail::last_word_mask(layout.slice_sites);
  for (std::size_t i = 0; i < layout.slices; ++i) {
    for (std::size_t w = 0; w < layout.slice_words; ++w) {
      const std::size_t at = i * layout.slice_words + w;
      const std::uint64_t s = view.support_data()[at];
      const std::uint64_t g = view.sign_data()[at];
      const std::uint64_t used = w + 1 == layout.slice_words ? last : ~std::uint64_t{0};
      if (const std::uint64_t stray = g & ~s & used) {
        const std::size_t site =
            i * layout.slice_sites + 64 * w + static_cast<std::size_t>(std::countr_zero(stray));
        throw CarrierError("dashi::bits::validate: sign bit set off support at site " +
                           std::to_string(site) + " of shape " + view.shape().to_string());
      }
      if (const std::uint64_t padding = (s | g) & ~used) {
        throw CarrierError("dashi::bits::validate: padding bit " +
                           std::to_string(std::countr_zero(padding)) + " of word " +
                           std::to_string(w) + " of slice " + std::to_string(i) +
                           " is set (a slice holds " + std::to_string(layout.slice_sites) +
                           " sites) in shape " + view.shape().to_string());
      }
    }
  }
}

/// `dashi::fingerprint(unpack(view))`, without the dense field: the planes are unpacked a
/// few thousand sites at a time. O(n); thread-safe.
[[nodiscard]] inline std::uint64_t fingerprint(BitView view) noexcept {
  constexpr std::size_t piece = 4096;  // sites unpacked at a time: a multiple of 64
  dashi::detail::Fingerprinter fingerprinter(view.shape());
  alignas(64) std::array<std::int8_t, 2 * piece> buffer;
  std::size_t held = 0;
  const detail::PlaneLayout layout = view.layout();
  for (std::size_t i = 0; i < layout.slices; ++i) {
    for (std::size_t first = 0; first < layout.slice_sites; first += piece) {
      const std::size_t n = std::min(piece, layout.slice_sites - first);
      const std::size_t word = i * layout.slice_words + first / 64;
      detail::unpack_run(view.support_data() + word, view.sign_data() + word, n,
                         buffer.data() + held);
      held += n;
      if (held >= piece) {
        const std::size_t fed = held - held % 32;
        fingerprinter.feed(buffer.data(), fed);
        std::memmove(buffer.data(), buffer.data() + fed, held - fed);
        held -= fed;
      }
    }
  }
  fingerprinter.feed(buffer.data(), held);
  return fingerprinter.finish();
}

}  // namespace dashi::bits
