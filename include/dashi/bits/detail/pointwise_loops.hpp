// SPDX-License-Identifier: Apache-2.0
#pragma once

/// @file
/// The bit-sliced pointwise maps: each output word pair is a logic function of the input
/// word pair at the same position, so one loop runs over the planes' words whatever the
/// shape (padding bits stay 0: every map sends 0, 0 to 0, 0). Thread-safe, no throw.

#include <cstddef>
#include <cstdint>
#include <dashi/bits/detail/lanes.hpp>

namespace dashi::bits::detail {

/// `s -> -s`: the support is kept, the sign flips on it.
struct NegateWords {
  template <class V>
  [[gnu::always_inline]] DASHI_DETAIL_TARGET_PORTABLE static void apply(const V& s, const V& g,
                                                                        V& out_s,
                                                                        V& out_g) noexcept {
    out_s = s;
    out_g = s & ~g;
  }
};

/// The identity on canonical planes (the `Clamp` kernel).
struct CopyWords {
  template <class V>
  [[gnu::always_inline]] DASHI_DETAIL_TARGET_PORTABLE static void apply(const V& s, const V& g,
                                                                        V& out_s,
                                                                        V& out_g) noexcept {
    out_s = s;
    out_g = g;
  }
};

/// `-1 -> 0`: the support shrinks to the positive sites.
struct NonnegativeWords {
  template <class V>
  [[gnu::always_inline]] DASHI_DETAIL_TARGET_PORTABLE static void apply(const V& s, const V& g,
                                                                        V& out_s,
                                                                        V& out_g) noexcept {
    out_s = s & g;
    out_g = g;
  }
};

/// The loop of a pointwise map `Op` over `words` words of both planes.
template <class Op>
struct MapWords {
  template <class V>
  [[gnu::always_inline]] DASHI_DETAIL_TARGET_PORTABLE static void run(const std::uint64_t* s,
                                                                      const std::uint64_t* g,
                                                                      std::uint64_t* out_s,
                                                                      std::uint64_t* out_g,
                                                                      std::size_t words) noexcept {
    constexpr std::size_t lanes = lanes_of<V>;
    std::size_t k = 0;
    for (; k + lanes <= words; k += lanes) {
      V cs;
      V cg;
      load(cs, s + k);
      load(cg, g + k);
      V os;
      V og;
      Op::template apply<V>(cs, cg, os, og);
      store<V>(out_s + k, os);
      store<V>(out_g + k, og);
    }
    for (; k < words; ++k) {
      std::uint64_t os = 0;
      std::uint64_t og = 0;
      Op::template apply<std::uint64_t>(s[k], g[k], os, og);
      out_s[k] = os;
      out_g[k] = og;
    }
  }
};

/// Applies `Op` to `words` words of the planes `s`, `g` into `out_s`, `out_g`.
template <class Op>
inline void map_words(const std::uint64_t* s, const std::uint64_t* g, std::uint64_t* out_s,
                      std::uint64_t* out_g, std::size_t words) noexcept {
  dispatch_bits<MapWords<Op>>(s, g, out_s, out_g, words);
}

}  // namespace dashi::bits::detail
