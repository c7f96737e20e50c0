// SPDX-License-Identifier: Apache-2.0
#pragma once

/// @file
/// `dashi::kernels::Rule1D<R>`: a local rule along axis 0 given by a table at run time, so
/// new rules (from C++ or Python) run at compiled speed. The neighbourhood index is computed
/// 32 or 64 sites at a time and looked up with byte shuffles (`pshufb` on split 16-byte
/// tables with AVX2, `vpermb`/`vpermi2b` with AVX-512 VBMI), chosen at run time; a portable
/// scalar path serves every other CPU. Also holds the rule kernels' level (`rule_isa()`) and
/// the lookup primitives shared with `Totalistic2D`.

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <dashi/bits/detail/rule_circuits.hpp>
#include <dashi/bits/field.hpp>
#include <dashi/carrier.hpp>
#include <dashi/simd/dispatch.hpp>
#include <dashi/simd/isa.hpp>
#include <dashi/simd/x86.hpp>
#include <span>
#include <stdexcept>
#include <string>
#include <type_traits>

namespace dashi::detail {

/// The rule kernels' level on the running CPU: `Isa::avx512` needs the VBMI level
/// (`avx512_vbmi_active()`: `vpermb`/`vpermi2b`), else it is `active_isa()` capped at
/// `Isa::avx2`, so `DASHI_ISA` caps it like every other dispatch. Thread-safe.
[[nodiscard]] inline Isa rule_isa() noexcept {
  if (avx512_vbmi_active()) {
    return Isa::avx512;
  }
  return active_isa() >= Isa::avx2 ? Isa::avx2 : Isa::portable;
}

/// 3^e for small e.
[[nodiscard]] constexpr std::size_t pow3(std::size_t e) noexcept {
  std::size_t p = 1;
  for (std::size_t i = 0; i < e; ++i) {
    p *= 3;
  }
  return p;
}

/// Throws `std::invalid_argument` from `where` unless `value` is a trit and, when
/// `centre_is_zero`, is 0. `entry` is the table index; `meaning()` says what it stands for
/// (only called to build the message).
template <class Meaning>
void check_rule_entry(const char* where, std::size_t entry, Meaning meaning, std::int8_t value,
                      bool centre_is_zero) {
  if (value < -1 || value > 1) {
    throw std::invalid_argument(std::string(where) + ": table entry " + std::to_string(entry) +
                                " (" + meaning() + ") is " + std::to_string(value) +
                                ", not a trit (expected -1, 0 or 1)");
  }
  if (centre_is_zero && value != 0) {
    throw std::invalid_argument(std::string(where) + ": table entry " + std::to_string(entry) +
                                " (" + meaning() + ") is " + std::to_string(value) +
                                " where the centre is 0: the rule would create support");
  }
}

// ---------------------------------------------------------------------------------------
// Rule1D: sites [first, last) of `in` whose neighbour k (k = 0 .. 2R, offset (k - R) *
// stride) exists when bit k of `present` is set and reads 0 otherwise; site i is written to
// `out[i - first]`.
// ---------------------------------------------------------------------------------------

/// Portable path: one site at a time. Inputs are trits by contract; a byte outside {-1,0,1}
/// still indexes inside the table (as do the vector paths, whose lookups cover all 256 byte
/// values), so invalid input gives unspecified trits, never an out-of-bounds read.
template <std::size_t R>
[[gnu::always_inline]] DASHI_DETAIL_TARGET_PORTABLE inline void rule1d_segment_portable(
    const std::int8_t* in, std::int8_t* out, std::size_t first, std::size_t last,
    std::size_t stride, unsigned present, const std::int8_t* table) noexcept {
  for (std::size_t i = first; i < last; ++i) {
    std::size_t index = 0;
    for (std::size_t k = 0; k <= 2 * R; ++k) {
      unsigned digit = 1;
      if (((present >> k) & 1U) != 0) {
        digit = static_cast<std::uint8_t>(in[i + k * stride - R * stride] + 1);
        digit = digit > 2 ? 1U : digit;  // a non-trit input reads as 0: never outside the table
      }
      index = index * 3 + digit;
    }
    out[i - first] = table[index];
  }
}

#if DASHI_DETAIL_X86

/// The `T` parts of a lookup table, one register each. A C array rather than `std::array`:
/// the standard library's accessors have no target attribute, so in a `-march=native` unit
/// they could not be inlined into the exact kernels and would stay calls in the loops.
template <class Vec, std::size_t T>
struct TableParts {
  Vec part[T];  // NOLINT(modernize-avoid-c-arrays): see above
};

/// 32 table bytes `table[16 * j .. 16 * j + 15]` looked up by `index` (< 16 * T) with
/// `pshufb` on each 16-byte part, keeping the part that `index >> 4` names.
template <std::size_t T>
[[nodiscard]] [[gnu::always_inline]] DASHI_DETAIL_TARGET_AVX2_EXACT inline x86::u8x32 lookup_avx2(
    const TableParts<x86::u8x32, T>& parts, x86::u8x32 index) noexcept {
  const x86::u8x32 low = index & 0x0F;
  // A 16-bit shift, then the bits that crossed a byte boundary cleared (`vpsrlw`, `vpand`).
  const x86::u8x32 high =
      reinterpret_cast<x86::u8x32>(reinterpret_cast<x86::u16x16>(index) >> 4) & 0x0F;
  x86::u8x32 result{};
  for (std::size_t j = 0; j < T; ++j) {
    const auto mine = reinterpret_cast<x86::u8x32>(high == static_cast<std::uint8_t>(j));
    result |= x86::shuffle_bytes(parts.part[j], low) & mine;
  }
  return result;
}

/// Loads the `T` 16-byte parts of `table`, each broadcast to both lanes.
template <std::size_t T>
[[gnu::always_inline]] DASHI_DETAIL_TARGET_AVX2_EXACT inline void load_parts_avx2(
    const std::int8_t* table, TableParts<x86::u8x32, T>& parts) noexcept {
  for (std::size_t j = 0; j < T; ++j) {
    parts.part[j] = x86::broadcast16(table + 16 * j);
  }
}

/// `3 * v + d` in bytes (wrapping, exact while the result stays below 256).
[[nodiscard]] [[gnu::always_inline]] DASHI_DETAIL_TARGET_AVX2_EXACT inline x86::u8x32
times3_plus_avx2(x86::u8x32 v, x86::u8x32 d) noexcept {
  return v + v + v + d;
}

/// AVX2 path for R = 1 or 2: 32 sites per step, `pshufb` lookup in 16-byte parts.
template <std::size_t R>
[[gnu::noinline]] DASHI_DETAIL_TARGET_AVX2_EXACT void rule1d_segment_avx2(
    const std::int8_t* in, std::int8_t* out, std::size_t first, std::size_t last,
    std::size_t stride, unsigned present, const std::int8_t* table) noexcept {
  constexpr std::size_t parts_count = (pow3(2 * R + 1) + 15) / 16;
  TableParts<x86::u8x32, parts_count> parts;
  load_parts_avx2(table, parts);
  const x86::u8x32 one = x86::u8x32{} + 1;
  if (last - first < 32) {
    rule1d_segment_portable<R>(in, out, first, last, stride, present, table);
    return;
  }
  // Steps of 32 sites; the last one ends at `last`, overlapping the one before it.
  for (std::size_t i = first;; i = i + 32 < last - 32 ? i + 32 : last - 32) {
    x86::u8x32 index{};
    for (std::size_t k = 0; k <= 2 * R; ++k) {
      x86::u8x32 digit = one;
      if (((present >> k) & 1U) != 0) {
        digit = x86::load32(in + i + k * stride - R * stride) + one;
      }
      index = times3_plus_avx2(index, digit);
    }
    x86::store32(out + (i - first), lookup_avx2(parts, index));
    if (i + 32 == last) {
      return;
    }
  }
}

/// 64 bytes of `table` (64 · T entries, T = 1 or 4) looked up by `index` with `vpermb`
/// (T = 1) or two `vpermi2b` and a blend on bit 7 (T = 4).
template <std::size_t T>
[[nodiscard]] [[gnu::always_inline]] DASHI_DETAIL_TARGET_AVX512_VBMI_EXACT inline x86::u8x64
lookup_avx512(const TableParts<x86::u8x64, T>& parts, x86::u8x64 index) noexcept {
  static_assert(T == 1 || T == 4);
  if constexpr (T == 1) {
    return x86::permute_bytes(parts.part[0], index);
  } else {
    const x86::u8x64 low = x86::permute_bytes2(parts.part[0], index, parts.part[1]);
    const x86::u8x64 high = x86::permute_bytes2(parts.part[2], index, parts.part[3]);
    return x86::blend_bytes(x86::sign_bits(index), low, high);
  }
}

template <std::size_t T>
[[gnu::always_inline]] DASHI_DETAIL_TARGET_AVX512_VBMI_EXACT inline void load_parts_avx512(
    const std::int8_t* table, TableParts<x86::u8x64, T>& parts) noexcept {
  for (std::size_t j = 0; j < T; ++j) {
    parts.part[j] = x86::load64(table + 64 * j);
  }
}

[[nodiscard]] [[gnu::always_inline]] DASHI_DETAIL_TARGET_AVX512_VBMI_EXACT inline x86::u8x64
times3_plus_avx512(x86::u8x64 v, x86::u8x64 d) noexcept {
  return v + v + v + d;
}

/// AVX-512 VBMI path for R = 1 or 2: 64 sites per step.
template <std::size_t R>
[[gnu::noinline]] DASHI_DETAIL_TARGET_AVX512_VBMI_EXACT void rule1d_segment_avx512(
    const std::int8_t* in, std::int8_t* out, std::size_t first, std::size_t last,
    std::size_t stride, unsigned present, const std::int8_t* table) noexcept {
  constexpr std::size_t parts_count = R == 1 ? 1 : 4;
  TableParts<x86::u8x64, parts_count> parts;
  load_parts_avx512(table, parts);
  const x86::u8x64 one = x86::u8x64{} + 1;
  if (last - first < 64) {
    rule1d_segment_avx2<R>(in, out, first, last, stride, present, table);
    return;
  }
  // Steps of 64 sites; the last one ends at `last`, overlapping the one before it.
  for (std::size_t i = first;; i = i + 64 < last - 64 ? i + 64 : last - 64) {
    x86::u8x64 index{};
    for (std::size_t k = 0; k <= 2 * R; ++k) {
      x86::u8x64 digit = one;
      if (((present >> k) & 1U) != 0) {
        digit = x86::load64(in + i + k * stride - R * stride) + one;
      }
      index = times3_plus_avx512(index, digit);
    }
    x86::store64(out + (i - first), lookup_avx512(parts, index));
    if (i + 64 == last) {
      return;
    }
  }
}
#endif

/// One segment on the path `isa` names (radius 3 always takes the portable path: its
/// 2187-entry table does not fit in registers). Inlined into `rule1d_apply`, where the
/// inner segment's `present` is a constant the portable loop folds.
template <std::size_t R>
[[gnu::always_inline]] DASHI_DETAIL_TARGET_PORTABLE inline void rule1d_segment(
    Isa isa, const std::int8_t* in, std::int8_t* out, std::size_t first, std::size_t last,
    std::size_t stride, unsigned present, const std::int8_t* table) noexcept {
  if constexpr (R <= 2) {
    dispatch<DASHI_DETAIL_PATHS(&rule1d_segment_portable<R>, &rule1d_segment_avx2<R>,
                                &rule1d_segment_avx512<R>)>(isa, in, out, first, last, stride,
                                                            present, table);
  } else {
    (void)isa;
    rule1d_segment_portable<R>(in, out, first, last, stride, present, table);
  }
}

/// The neighbours that exist for row `r` of `rows`: bit k for the row at offset k - R.
template <std::size_t R>
[[nodiscard]] [[gnu::always_inline]] DASHI_DETAIL_TARGET_PORTABLE inline unsigned rule1d_present(
    std::size_t r, std::size_t rows) noexcept {
  unsigned present = 0;
  for (std::size_t k = 0; k <= 2 * R; ++k) {
    if (r + k >= R && r + k - R < rows) {
      present |= 1U << k;
    }
  }
  return present;
}

/// Rows `[first_row, first_row + out_rows)` of `Rule1D<R>` over `rows` slices of `stride`
/// sites, into `out`, on the path `isa` names. Rows whose neighbours all exist form one
/// segment; each edge row (at most R at each end) is its own segment with the missing
/// neighbours reading 0. Not inlined, so its portable loops are compiled for the portable
/// target in every unit (inlined into a caller without a target, they would take the unit's
/// flags).
template <std::size_t R>
[[gnu::noinline]] DASHI_DETAIL_TARGET_PORTABLE void rule1d_apply(
    Isa isa, const std::int8_t* in, std::size_t rows, std::size_t stride, std::size_t first_row,
    std::size_t out_rows, std::int8_t* out, const std::int8_t* table) noexcept {
  if (out_rows == 0 || stride == 0) {
    return;
  }
  constexpr unsigned all = (1U << (2 * R + 1)) - 1U;
  const std::size_t end = first_row + out_rows;
  // Rows [R, rows - R) have every neighbour.
  const std::size_t inner_first = first_row > R ? first_row : R;
  const std::size_t inner_end = rows > R ? (end < rows - R ? end : rows - R) : 0;
  const bool has_inner = inner_first < inner_end;
  const std::size_t head_end = has_inner ? inner_first : end;
  for (std::size_t r = first_row; r < head_end; ++r) {
    rule1d_segment<R>(isa, in, out + (r - first_row) * stride, r * stride, (r + 1) * stride, stride,
                      rule1d_present<R>(r, rows), table);
  }
  if (!has_inner) {
    return;
  }
  rule1d_segment<R>(isa, in, out + (inner_first - first_row) * stride, inner_first * stride,
                    inner_end * stride, stride, all, table);
  for (std::size_t r = inner_end; r < end; ++r) {
    rule1d_segment<R>(isa, in, out + (r - first_row) * stride, r * stride, (r + 1) * stride, stride,
                      rule1d_present<R>(r, rows), table);
  }
}

}  // namespace dashi::detail

namespace dashi::kernels {

/// A radius-`R` rule along axis 0 (R = 1, 2 or 3) defined by a table of 3^(2R+1) trits:
/// `out[i] = table[index]` where `index` reads the neighbourhood `x[i-R] .. x[i+R]` (axis-0
/// neighbours: for rank > 1 the slices before and after at the same position) as base-3
/// digits `x + 1`, most significant first; sites beyond the view read 0. Validated at
/// construction, so the kernel keeps the contract by construction (`contract_proven`).
/// Immutable after construction: thread-safe, pure.
template <std::size_t R>
class Rule1D {
  static_assert(R >= 1 && R <= 3, "dashi::kernels::Rule1D: the radius must be 1, 2 or 3");

 public:
  static constexpr std::size_t radius = R;
  static constexpr bool contract_proven = true;
  /// Entries of the table: 3^(2R+1) (27, 243 or 2187).
  static constexpr std::size_t table_size = detail::pow3(2 * R + 1);

  /// Throws `std::invalid_argument` when `table` does not have `table_size` entries, or
  /// naming the first entry that is not a trit or is non-zero where the centre is 0 (which
  /// would create support).
  explicit Rule1D(std::span<const std::int8_t> table) {
    const std::string where = "dashi::kernels::Rule1D<" + std::to_string(R) + ">";
    if (table.size() != table_size) {
      throw std::invalid_argument(where + ": the table has " + std::to_string(table.size()) +
                                  " entries, expected " + std::to_string(table_size) + " = 3^(2*" +
                                  std::to_string(R) + "+1)");
    }
    for (std::size_t e = 0; e < table_size; ++e) {
      const std::size_t centre_digit = (e / detail::pow3(R)) % 3;
      detail::check_rule_entry(
          where.c_str(), e, [e] { return neighbourhood(e); }, table[e], centre_digit == 1);
      table_[e] = table[e];
    }
    if constexpr (R == 1) {
      circuit_ = dashi::bits::detail::Rule1Circuit::compile(table_.data());
    }
  }

  /// The table, as given.
  [[nodiscard]] std::span<const std::int8_t> table() const noexcept {
    return {table_.data(), table_size};
  }

  /// The neighbourhood `x[i-R], ..., x[i+R]` that table entry `e` stands for, as text
  /// ("x[i-1]=-1, x[i]=0, x[i+1]=1").
  [[nodiscard]] static std::string neighbourhood(std::size_t e) {
    std::string text;
    for (std::size_t k = 0; k <= 2 * R; ++k) {
      const auto value = static_cast<int>((e / detail::pow3(2 * R - k)) % 3) - 1;
      const auto offset = static_cast<int>(k) - static_cast<int>(R);
      if (k != 0) {
        text.append(", ");
      }
      text.append("x[i");
      if (offset > 0) {
        text.push_back('+');
      }
      if (offset != 0) {
        text.append(std::to_string(offset));
      }
      text.append("]=");
      text.append(std::to_string(value));
    }
    return text;
  }

  /// Writes the rule's output for every site of `in` into `out` (same shape, not
  /// overlapping `in`).
  void operator()(TernaryView in, TernarySpan out) const noexcept {
    apply_with(detail::rule_isa(), in, 0, out);
  }

  /// Rows `[first_row, first_row + out.shape().rows())` of the result on `in` (the
  /// `RowWindowKernel` form; the window must lie inside `in`, `out` must not overlap it).
  void into_rows(TernaryView in, std::size_t first_row, TernarySpan out) const noexcept {
    apply_with(detail::rule_isa(), in, first_row, out);
  }

  /// The same on a chosen instruction set (for tests and benchmarks; `isa` must not exceed
  /// `detail::rule_isa()`): the whole result, or rows from `first_row` as `into_rows`.
  void apply_with(detail::Isa isa, TernaryView in, TernarySpan out) const noexcept {
    apply_with(isa, in, 0, out);
  }
  /// Rows from `first_row` on a chosen instruction set (see the overload above).
  void apply_with(detail::Isa isa, TernaryView in, std::size_t first_row,
                  TernarySpan out) const noexcept {
    detail::rule1d_apply<R>(isa, in.data(), in.shape().rows(), in.shape().row_elems(), first_row,
                            out.shape().rows(), out.data(), table_.data());
  }

  /// The bit-sliced form (`bits::BitKernel`, radius 1 only): the table compiled to a
  /// multiplexer circuit over the neighbourhood's planes at construction. Radii 2 and 3 stay
  /// on the byte lookup, which their 243- and 2187-leaf circuits would not beat.
  void bits(dashi::bits::BitView in, dashi::bits::BitSpan out) const noexcept requires(R == 1) {
    bits_rows(in, 0, out);
  }
  /// Rows `[first_row, first_row + out.shape().rows())` of the bit-sliced result
  /// (`bits::BitRowWindowKernel`, radius 1 only).
  void bits_rows(dashi::bits::BitView in, std::size_t first_row,
                 dashi::bits::BitSpan out) const noexcept requires(R == 1) {
    namespace bd = dashi::bits::detail;
    if (in.shape().rank() == 1) {
      bd::dispatch_bits<bd::Rule1Run>(&circuit_, in.support_data(), in.sign_data(), in.words(),
                                      first_row / bd::word_sites, out.support_data(),
                                      out.sign_data(), out.words());
      bd::clear_run_padding(out);
    } else {
      bd::dispatch_bits<bd::Rule1Slices>(&circuit_, in.support_data(), in.sign_data(), in.words(),
                                         in.slice_words(), first_row, out.support_data(),
                                         out.sign_data(), out.shape().rows());
    }
  }

 private:
  struct NoCircuit {};
  /// The radius-1 table as logic (see `bits`).
  [[no_unique_address]] std::conditional_t<R == 1, dashi::bits::detail::Rule1Circuit, NoCircuit>
      circuit_{};
  /// Padded to whole 64-byte parts, zeros after the table, for the vector lookups.
  static constexpr std::size_t padded_size = (table_size + 63) / 64 * 64;
  alignas(64) std::array<std::int8_t, padded_size> table_{};
};

}  // namespace dashi::kernels
