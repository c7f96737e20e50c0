// SPDX-License-Identifier: Apache-2.0
#pragma once

/// @file
/// `dashi::kernels::Totalistic2D`: an outer-totalistic 3×3 rule on 2-D fields given by a
/// 3×17 table at run time (`Majority3x3` is one such table). The table index of a site is
/// `16 x + s + 25` where `s` is the 3×3 sum including the centre `x`, which equals
/// `17 (x + 1) + (s - x) + 8`, the row-major index of `table[x + 1][neighbour sum + 8]`;
/// it is looked up with byte shuffles (`pshufb` on four 16-byte parts with AVX2, one
/// `vpermb` with AVX-512 VBMI), chosen at run time, or by a portable scalar path.

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <dashi/bits/detail/rule_circuits.hpp>
#include <dashi/bits/field.hpp>
#include <dashi/carrier.hpp>
#include <dashi/kernels/rule1d.hpp>
#include <dashi/simd/dispatch.hpp>
#include <dashi/simd/isa.hpp>
#include <dashi/simd/x86.hpp>
#include <span>
#include <stdexcept>
#include <string>

namespace dashi::detail {

/// Table index of site `c` of row `mid` (rows above/below present when not null; columns
/// beyond `[0, cols)` read 0).
[[nodiscard]] [[gnu::always_inline]] DASHI_DETAIL_TARGET_PORTABLE inline std::size_t
totalistic_index(const std::int8_t* up, const std::int8_t* mid, const std::int8_t* down,
                 std::size_t c, std::size_t cols) noexcept {
  int sum = 0;
  const std::size_t lo = c == 0 ? 0 : c - 1;
  const std::size_t hi = c + 1 < cols ? c + 1 : c;
  for (std::size_t j = lo; j <= hi; ++j) {
    sum += mid[j];
    if (up != nullptr) {
      sum += up[j];
    }
    if (down != nullptr) {
      sum += down[j];
    }
  }
  // Masked to the 64-entry padded table: a non-trit input never reads outside it.
  return static_cast<std::size_t>(16 * mid[c] + sum + 25) & 63U;
}

/// Portable path for columns `[first, last)` of one row.
[[gnu::always_inline]] DASHI_DETAIL_TARGET_PORTABLE inline void totalistic_columns_portable(
    const std::int8_t* up, const std::int8_t* mid, const std::int8_t* down, std::int8_t* out,
    std::size_t first, std::size_t last, std::size_t cols, const std::int8_t* table) noexcept {
  for (std::size_t c = first; c < last; ++c) {
    out[c] = table[totalistic_index(up, mid, down, c, cols)];
  }
}

/// Portable path for one row.
[[gnu::always_inline]] DASHI_DETAIL_TARGET_PORTABLE inline void totalistic_row_portable(
    const std::int8_t* up, const std::int8_t* mid, const std::int8_t* down, std::int8_t* out,
    std::size_t cols, const std::int8_t* table) noexcept {
  totalistic_columns_portable(up, mid, down, out, 0, cols, cols, table);
}

#if DASHI_DETAIL_X86
/// Adds the three horizontally adjacent windows of `row` around column `c` to `sum`.
[[nodiscard]] [[gnu::always_inline]] DASHI_DETAIL_TARGET_AVX2_EXACT inline x86::u8x32
add_window_avx2(x86::u8x32 sum, const std::int8_t* row, std::size_t c) noexcept {
  const auto* p = row + c;
  return sum + x86::load32(p - 1) + x86::load32(p) + x86::load32(p + 1);
}

/// AVX2 path for columns `[first, cols)` of one row (`first` ≥ 1): 32 at a time while the
/// window stays inside the row, the rest one by one.
template <bool HasUp, bool HasDown>
DASHI_DETAIL_TARGET_AVX2_EXACT void totalistic_columns_avx2(
    const std::int8_t* up, const std::int8_t* mid, const std::int8_t* down, std::int8_t* out,
    std::size_t first, std::size_t cols, const std::int8_t* table) noexcept {
  TableParts<x86::u8x32, 4> parts;
  load_parts_avx2(table, parts);
  const x86::u8x32 bias = x86::u8x32{} + 25;
  // Columns [first, cols - 1) have both horizontal neighbours: steps of 32 reading columns
  // c - 1 .. c + 32, the last one ending at cols - 1 (overlapping the one before it).
  const std::size_t last = cols - 1;
  if (cols < 1 || first >= last || last - first < 32) {
    totalistic_columns_portable(up, mid, down, out, first, cols, cols, table);
    return;
  }
  for (std::size_t c = first;; c = c + 32 < last - 32 ? c + 32 : last - 32) {
    x86::u8x32 sum = add_window_avx2(bias, mid, c);
    if constexpr (HasUp) {
      sum = add_window_avx2(sum, up, c);
    }
    if constexpr (HasDown) {
      sum = add_window_avx2(sum, down, c);
    }
    const x86::u8x32 x = x86::load32(mid + c);
    // 16 x in bytes: a 16-bit shift, then the bits that crossed a byte boundary cleared.
    const x86::u8x32 x16 =
        reinterpret_cast<x86::u8x32>(reinterpret_cast<x86::u16x16>(x) << 4) & 0xF0;
    x86::store32(out + c, lookup_avx2(parts, sum + x16));
    if (c + 32 == last) {
      break;
    }
  }
  totalistic_columns_portable(up, mid, down, out, last, cols, cols, table);
}

/// AVX2 path for one row.
template <bool HasUp, bool HasDown>
[[gnu::noinline]] DASHI_DETAIL_TARGET_AVX2_EXACT void totalistic_row_avx2(
    const std::int8_t* up, const std::int8_t* mid, const std::int8_t* down, std::int8_t* out,
    std::size_t cols, const std::int8_t* table) noexcept {
  if (cols == 0) {
    return;
  }
  totalistic_columns_portable(up, mid, down, out, 0, 1, cols, table);
  totalistic_columns_avx2<HasUp, HasDown>(up, mid, down, out, 1, cols, table);
}

[[nodiscard]] [[gnu::always_inline]] DASHI_DETAIL_TARGET_AVX512_VBMI_EXACT inline x86::u8x64
add_window_avx512(x86::u8x64 sum, const std::int8_t* row, std::size_t c) noexcept {
  const auto* p = row + c;
  return sum + x86::load64(p - 1) + x86::load64(p) + x86::load64(p + 1);
}

/// AVX-512 VBMI path for one row: 64 columns at a time, one `vpermb` lookup.
template <bool HasUp, bool HasDown>
[[gnu::noinline]] DASHI_DETAIL_TARGET_AVX512_VBMI_EXACT void totalistic_row_avx512(
    const std::int8_t* up, const std::int8_t* mid, const std::int8_t* down, std::int8_t* out,
    std::size_t cols, const std::int8_t* table) noexcept {
  if (cols == 0) {
    return;
  }
  TableParts<x86::u8x64, 1> parts;
  load_parts_avx512(table, parts);
  const x86::u8x64 bias = x86::u8x64{} + 25;
  totalistic_columns_portable(up, mid, down, out, 0, 1, cols, table);
  const std::size_t last = cols - 1;
  if (cols < 66) {
    totalistic_columns_avx2<HasUp, HasDown>(up, mid, down, out, 1, cols, table);
    return;
  }
  // Steps of 64 reading columns c - 1 .. c + 64, the last one ending at cols - 1.
  for (std::size_t c = 1;; c = c + 64 < last - 64 ? c + 64 : last - 64) {
    x86::u8x64 sum = add_window_avx512(bias, mid, c);
    if constexpr (HasUp) {
      sum = add_window_avx512(sum, up, c);
    }
    if constexpr (HasDown) {
      sum = add_window_avx512(sum, down, c);
    }
    const x86::u8x64 x16 =
        reinterpret_cast<x86::u8x64>(reinterpret_cast<x86::u16x32>(x86::load64(mid + c)) << 4) &
        0xF0;
    x86::store64(out + c, lookup_avx512(parts, sum + x16));
    if (c + 64 == last) {
      break;
    }
  }
  totalistic_columns_portable(up, mid, down, out, last, cols, cols, table);
}
#endif

/// One row on the path `isa` names. Not inlined, so its portable loop is compiled for the
/// portable target in every unit (inlined into a caller without a target attribute, it would
/// take the unit's flags).
template <bool HasUp, bool HasDown>
[[gnu::noinline]] DASHI_DETAIL_TARGET_PORTABLE void totalistic_row(
    Isa isa, const std::int8_t* up, const std::int8_t* mid, const std::int8_t* down,
    std::int8_t* out, std::size_t cols, const std::int8_t* table) noexcept {
  dispatch<DASHI_DETAIL_PATHS(&totalistic_row_portable, (&totalistic_row_avx2<HasUp, HasDown>),
                              (&totalistic_row_avx512<HasUp, HasDown>))>(isa, up, mid, down, out,
                                                                         cols, table);
}

/// Rows `[first_row, first_row + out_rows)` of `Totalistic2D` over a `rows × cols` field,
/// into `out` (`out_rows × cols`), on the path `isa` names.
DASHI_DETAIL_TARGET_PORTABLE inline void totalistic_apply(Isa isa, const std::int8_t* in,
                                                          std::size_t rows, std::size_t cols,
                                                          std::size_t first_row,
                                                          std::size_t out_rows, std::int8_t* out,
                                                          const std::int8_t* table) noexcept {
  for (std::size_t r = first_row; r < first_row + out_rows; ++r) {
    const std::int8_t* mid = in + r * cols;
    const std::int8_t* up = r > 0 ? mid - cols : nullptr;
    const std::int8_t* down = r + 1 < rows ? mid + cols : nullptr;
    std::int8_t* dst = out + (r - first_row) * cols;
    if (up != nullptr && down != nullptr) {
      totalistic_row<true, true>(isa, up, mid, down, dst, cols, table);
    } else if (up != nullptr) {
      totalistic_row<true, false>(isa, up, mid, nullptr, dst, cols, table);
    } else if (down != nullptr) {
      totalistic_row<false, true>(isa, nullptr, mid, down, dst, cols, table);
    } else {
      totalistic_row<false, false>(isa, nullptr, mid, nullptr, dst, cols, table);
    }
  }
}

}  // namespace dashi::detail

namespace dashi::kernels {

/// An outer-totalistic rule on 2-D fields (radius 1): `out = table[x + 1][n + 8]`, where
/// `x` is the site and `n` the sum of its 8 neighbours, sites beyond the view reading 0.
/// The table has 51 entries read as `table[3][17]` row-major. Validated at construction, so
/// the kernel keeps the contract by construction (`contract_proven`). Immutable after
/// construction: thread-safe, pure.
class Totalistic2D {
 public:
  static constexpr std::size_t radius = 1;
  static constexpr bool contract_proven = true;
  /// Entries of the table: 3 × 17.
  static constexpr std::size_t table_size = 51;

  /// The table of the 3×3 majority vote, the rule of `Majority3x3`: `table[x + 1][n + 8]` is
  /// 0 where the centre `x` is 0, else the sign of the 3×3 sum `x + n` (0 on a tie).
  /// `Totalistic2D(Totalistic2D::majority_table())` equals `Majority3x3` on every 2-D field.
  /// A constant expression; never throws.
  [[nodiscard]] static constexpr std::array<std::int8_t, table_size> majority_table() noexcept {
    std::array<std::int8_t, table_size> table{};
    for (std::size_t e = 0; e < table_size; ++e) {
      const int x = static_cast<int>(e / 17) - 1;
      const int sum = x + static_cast<int>(e % 17) - 8;
      table[e] = x == 0 ? std::int8_t{0} : static_cast<std::int8_t>((sum > 0) - (sum < 0));
    }
    return table;
  }

  /// Throws `std::invalid_argument` when `table` does not have 51 entries, or naming the
  /// first entry that is not a trit or is non-zero in row 1 (centre 0), which would create
  /// support.
  explicit Totalistic2D(std::span<const std::int8_t> table) {
    const char* where = "dashi::kernels::Totalistic2D";
    if (table.size() != table_size) {
      throw std::invalid_argument(std::string(where) + ": the table has " +
                                  std::to_string(table.size()) +
                                  " entries, expected 51 = 3 x 17 (table[x+1][neighbour sum+8])");
    }
    for (std::size_t e = 0; e < table_size; ++e) {
      const auto x = static_cast<int>(e / 17) - 1;
      const auto sum = static_cast<int>(e % 17) - 8;
      const auto meaning = [&] {
        return "table[" + std::to_string(e / 17) + "][" + std::to_string(e % 17) +
               "]: x=" + std::to_string(x) + ", neighbour sum " + std::to_string(sum);
      };
      detail::check_rule_entry(where, e, meaning, table[e], x == 0);
      table_[e] = table[e];
    }
    circuit_ = dashi::bits::detail::TotalisticCircuit::compile(table_.data());
  }

  /// The table, as given (row-major 3 × 17).
  [[nodiscard]] std::span<const std::int8_t> table() const noexcept {
    return {table_.data(), table_size};
  }

  /// Writes the rule's output for every site of `in` into `out` (same shape, not
  /// overlapping `in`). Throws `std::invalid_argument` for a field that is not 2-D.
  void operator()(TernaryView in, TernarySpan out) const {
    apply_with(detail::rule_isa(), in, 0, out);
  }

  /// Rows `[first_row, first_row + out.shape().rows())` of the result on `in` (the
  /// `RowWindowKernel` form; the window must lie inside `in`). Throws like `operator()`.
  void into_rows(TernaryView in, std::size_t first_row, TernarySpan out) const {
    apply_with(detail::rule_isa(), in, first_row, out);
  }

  /// The same on a chosen instruction set (for tests and benchmarks; `isa` must not exceed
  /// `detail::rule_isa()`): the whole result, or rows from `first_row` as `into_rows`.
  /// Throws like `operator()`.
  void apply_with(detail::Isa isa, TernaryView in, TernarySpan out) const {
    apply_with(isa, in, 0, out);
  }
  /// Rows from `first_row` on a chosen instruction set (see the overload above). Throws like
  /// `operator()`.
  void apply_with(detail::Isa isa, TernaryView in, std::size_t first_row, TernarySpan out) const {
    if (in.shape().rank() != 2) {
      throw std::invalid_argument("dashi::kernels::Totalistic2D needs a 2-D field, got shape " +
                                  in.shape().to_string());
    }
    detail::totalistic_apply(isa, in.data(), in.shape()[0], in.shape()[1], first_row,
                             out.shape().rows(), out.data(), table_.data());
  }

  /// The bit-sliced form (`bits::BitKernel`): 3 x 3 counts in bit-sliced adders select the
  /// table entry through a multiplexer circuit compiled at construction. Throws like
  /// `operator()`.
  void bits(dashi::bits::BitView in, dashi::bits::BitSpan out) const { bits_rows(in, 0, out); }
  /// Rows `[first_row, first_row + out.shape().rows())` of the bit-sliced result
  /// (`bits::BitRowWindowKernel`). Throws like `operator()`.
  void bits_rows(dashi::bits::BitView in, std::size_t first_row, dashi::bits::BitSpan out) const {
    if (in.shape().rank() != 2) {
      throw std::invalid_argument("dashi::kernels::Totalistic2D needs a 2-D field, got shape " +
                                  in.shape().to_string());
    }
    namespace bd = dashi::bits::detail;
    bd::dispatch_bits<bd::TotalisticRows>(&circuit_, in.support_data(), in.sign_data(),
                                          in.shape().rows(), in.slice_words(), first_row,
                                          out.support_data(), out.sign_data(), out.shape().rows());
  }

 private:
  /// The table as logic (see `bits`).
  dashi::bits::detail::TotalisticCircuit circuit_{};
  /// Padded with zeros to 64 entries for the vector lookups.
  alignas(64) std::array<std::int8_t, 64> table_{};
};

}  // namespace dashi::kernels
