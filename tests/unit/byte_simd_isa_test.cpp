// SPDX-License-Identifier: Apache-2.0
// Unit tests of the instruction-set paths of <dashi/detail/byte_simd.hpp> and
// <dashi/detail/trit_scan.hpp>: every level the CPU (and DASHI_ISA) allows, called directly,
// against scalar references and the portable path: the byte maps (plain and streaming
// stores), the contract scan, the L1 distance, the first non-trit and the support count,
// for every length up to 300 and a few large ones, unaligned starts and every byte value.
// The automatic dispatch is checked too, and the dispatch helper and the level names of
// <dashi/simd/>; the suite runs again under DASHI_ISA (see tests/CMakeLists.txt), and prints
// which paths ran.

#include <gtest/gtest.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <dashi/detail/byte_simd.hpp>
#include <dashi/detail/trit_scan.hpp>
#include <dashi/kernels/pointwise.hpp>
#include <dashi/simd/dispatch.hpp>
#include <dashi/simd/isa.hpp>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "support/seeded.hpp"

namespace dashi::detail {
/// Test names and failure messages show a level by its name.
void PrintTo(Isa isa, std::ostream* os) { *os << isa_name(isa); }
}  // namespace dashi::detail

namespace {

using dashi::detail::Isa;
using dashi::detail::isa_name;
using dashi_test::Rng;

/// Lengths 0..300 (every vector tail and a few whole vectors of each width), then lengths
/// around the 4 KiB blocks of the trit scan and a large odd one.
std::vector<std::size_t> lengths() {
  std::vector<std::size_t> n;
  for (std::size_t i = 0; i <= 300; ++i) {
    n.push_back(i);
  }
  for (const std::size_t large : {4095U, 4096U, 4097U, 8191U, 8192U + 65U, 100003U}) {
    n.push_back(large);
  }
  return n;
}

/// Offsets of the first byte from a 64-byte boundary.
constexpr std::size_t offsets[] = {0, 1, 31, 33, 63};

/// Bytes before and after each range, which no path may write.
constexpr std::size_t guard = 80;
constexpr std::int8_t guard_value = 0x5A;

/// A buffer whose range `[offset, offset + n)` starts `offset` bytes after a 64-byte
/// boundary, with `guard` bytes of `guard_value` on each side.
class Buffer {
 public:
  Buffer(std::size_t n, std::size_t offset)
      : storage_(n + 2 * guard + 128, guard_value), n_(n), offset_(offset) {}
  std::int8_t* data() noexcept {
    const auto base = reinterpret_cast<std::uintptr_t>(storage_.data()) + guard;
    return reinterpret_cast<std::int8_t*>((base + 63) / 64 * 64 + offset_);
  }
  [[nodiscard]] std::size_t size() const noexcept { return n_; }
  /// True when every byte outside the range still holds `guard_value`.
  [[nodiscard]] bool guards_intact() {
    const std::int8_t* first = data();
    for (const std::int8_t* p = storage_.data(); p < storage_.data() + storage_.size(); ++p) {
      if ((p < first || p >= first + n_) && *p != guard_value) {
        return false;
      }
    }
    return true;
  }

 private:
  std::vector<std::int8_t> storage_;
  std::size_t n_;
  std::size_t offset_;
};

/// Random trits (zero with probability about 1/3).
void fill_trits(std::int8_t* p, std::size_t n, std::uint64_t seed) {
  Rng rng(seed);
  for (std::size_t i = 0; i < n; ++i) {
    p[i] = static_cast<std::int8_t>(static_cast<int>(rng.below(3)) - 1);
  }
}

/// Every byte value in turn from a seeded start, so each length holds all of them that fit.
void fill_every_byte(std::int8_t* p, std::size_t n, std::uint64_t seed) {
  const auto start = static_cast<unsigned>(seed * 97U);
  for (std::size_t i = 0; i < n; ++i) {
    p[i] = static_cast<std::int8_t>(static_cast<std::uint8_t>(start + i));
  }
}

bool is_trit(int v) { return v >= -1 && v <= 1; }

// ----------------------------------------------------------------------------------------
// The paths of each level, called directly.

/// The levels that may run here: the portable one, and each above it up to `active_isa()`.
std::vector<Isa> runnable_levels() {
  std::vector<Isa> levels = {Isa::portable};
#if DASHI_DETAIL_X86
  for (const Isa level : {Isa::avx2, Isa::avx512}) {
    if (level <= dashi::detail::active_isa()) {
      levels.push_back(level);
    }
  }
#endif
  return levels;
}

/// The byte map of `level`, with streaming stores when `streaming` (AVX2 and AVX-512 only).
template <class Op>
void map_with(Isa level, bool streaming, const std::int8_t* in, std::int8_t* out, std::size_t n,
              Op op) {
  namespace d = dashi::detail;
  if (streaming) {
    d::dispatch<DASHI_DETAIL_PATHS(&d::map_bytes_portable<Op>, &d::map_bytes_streaming_avx2<Op>,
                                   &d::map_bytes_streaming_avx512<Op>)>(level, in, out, n, op);
  } else {
    d::dispatch<DASHI_DETAIL_PATHS(&d::map_bytes_portable<Op>, &d::map_bytes_avx2<Op>,
                                   &d::map_bytes_avx512<Op>)>(level, in, out, n, op);
  }
}

bool contract_with(Isa level, const std::int8_t* in, const std::int8_t* out, std::size_t n) {
  namespace d = dashi::detail;
  return d::dispatch<DASHI_DETAIL_PATHS(&d::contract_violated_portable, &d::contract_violated_avx2,
                                        &d::contract_violated_avx512)>(level, in, out, n);
}

std::uint64_t l1_with(Isa level, const std::int8_t* a, const std::int8_t* b, std::size_t n) {
  namespace d = dashi::detail;
  return d::dispatch<DASHI_DETAIL_PATHS(&d::l1_distance_portable, &d::l1_distance_avx2,
                                        &d::l1_distance_avx512)>(level, a, b, n);
}

std::size_t first_non_trit_with(Isa level, const std::int8_t* data, std::size_t n) {
  namespace d = dashi::detail;
  return d::dispatch<DASHI_DETAIL_PATHS(&d::first_non_trit_portable, &d::first_non_trit_avx2,
                                        &d::first_non_trit_avx512)>(level, data, n);
}

std::size_t count_nonzero_with(Isa level, const std::int8_t* data, std::size_t n) {
  namespace d = dashi::detail;
  return d::dispatch<DASHI_DETAIL_PATHS(&d::count_nonzero_portable, &d::count_nonzero_avx2,
                                        &d::count_nonzero_avx512)>(level, data, n);
}

// ----------------------------------------------------------------------------------------
// Scalar references.

std::int8_t negate_ref(std::int8_t v) { return static_cast<std::int8_t>(-v); }  // wraps -128
std::int8_t sign_ref(std::int8_t v) { return static_cast<std::int8_t>((v > 0) - (v < 0)); }
std::int8_t nonnegative_ref(std::int8_t v) { return static_cast<std::int8_t>(v > 0 ? 1 : 0); }

bool contract_ref(const std::int8_t* in, const std::int8_t* out, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) {
    if (!is_trit(out[i]) || (out[i] != 0 && in[i] == 0)) {
      return true;
    }
  }
  return false;
}

std::uint64_t l1_ref(const std::int8_t* a, const std::int8_t* b, std::size_t n) {
  std::uint64_t total = 0;
  for (std::size_t i = 0; i < n; ++i) {
    total += static_cast<std::uint64_t>(std::abs(a[i] - b[i]));
  }
  return total;
}

std::size_t first_non_trit_ref(const std::int8_t* data, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) {
    if (!is_trit(data[i])) {
      return i;
    }
  }
  return n;
}

std::size_t count_nonzero_ref(const std::int8_t* data, std::size_t n) {
  return static_cast<std::size_t>(
      std::count_if(data, data + n, [](std::int8_t v) { return v != 0; }));
}

// ----------------------------------------------------------------------------------------
// One suite per level; a level the CPU (or DASHI_ISA) rules out is skipped and says so.

class BytePath : public testing::TestWithParam<Isa> {
 protected:
  void SetUp() override {
    if (GetParam() > dashi::detail::active_isa()) {
      GTEST_SKIP() << "the " << isa_name(GetParam())
                   << " paths cannot run here (CPU or DASHI_ISA); the active level is "
                   << isa_name(dashi::detail::active_isa());
    }
    RecordProperty("isa_path", isa_name(GetParam()));
  }
  [[nodiscard]] Isa level() const { return GetParam(); }
  /// The store kinds of this level: plain, and streaming where the level has it.
  [[nodiscard]] std::vector<bool> store_kinds() const {
    if (level() == Isa::portable) {
      return {false};
    }
    return {false, true};
  }

  /// `op` over every length and offset pair, on every byte value, against `ref` and the
  /// portable path; no byte outside the output range is written.
  template <class Op, class Ref>
  void check_map(Op op, Ref ref, const char* name) {
    for (const bool streaming : store_kinds()) {
      for (const std::size_t n : lengths()) {
        for (const std::size_t in_offset : offsets) {
          const std::size_t out_offset = offsets[(in_offset + n) % std::size(offsets)];
          Buffer in(n, in_offset);
          Buffer out(n, out_offset);
          Buffer portable(n, out_offset);
          fill_every_byte(in.data(), n, n + in_offset);
          map_with(level(), streaming, in.data(), out.data(), n, op);
          dashi::detail::map_bytes_portable(in.data(), portable.data(), n, op);
          const std::string context = std::string(name) + " " + isa_name(level()) +
                                      (streaming ? " streaming" : "") + " n=" + std::to_string(n) +
                                      " in+" + std::to_string(in_offset) + " out+" +
                                      std::to_string(out_offset);
          std::size_t wrong = n;
          for (std::size_t i = 0; i < n; ++i) {
            if (out.data()[i] != ref(in.data()[i])) {
              wrong = i;
              break;
            }
          }
          ASSERT_EQ(wrong, n) << context << ": byte " << wrong << " of "
                              << static_cast<int>(in.data()[wrong]);
          ASSERT_TRUE(std::equal(out.data(), out.data() + n, portable.data())) << context;
          ASSERT_TRUE(out.guards_intact()) << context << ": wrote outside the output";
        }
      }
    }
  }
};

std::string level_name(const testing::TestParamInfo<Isa>& info) { return isa_name(info.param); }

INSTANTIATE_TEST_SUITE_P(Levels, BytePath, testing::Values(Isa::portable, Isa::avx2, Isa::avx512),
                         level_name);

TEST_P(BytePath, NegateMatchesReference) {
  check_map(dashi::detail::NegateBytes{}, negate_ref, "negate");
}

TEST_P(BytePath, SignMatchesReference) { check_map(dashi::detail::SignBytes{}, sign_ref, "sign"); }

TEST_P(BytePath, NonnegativeMatchesReference) {
  check_map(dashi::detail::NonnegativeBytes{}, nonnegative_ref, "nonnegative");
}

TEST_P(BytePath, MapsInPlace) {
  for (const bool streaming : store_kinds()) {
    for (const std::size_t n : {0U, 1U, 63U, 64U, 65U, 200U, 1000U, 4097U}) {
      Buffer data(n, 7);
      fill_every_byte(data.data(), n, n);
      std::vector<std::int8_t> expected(data.data(), data.data() + n);
      std::transform(expected.begin(), expected.end(), expected.begin(), sign_ref);
      map_with(level(), streaming, data.data(), data.data(), n, dashi::detail::SignBytes{});
      EXPECT_TRUE(std::equal(expected.begin(), expected.end(), data.data()))
          << isa_name(level()) << (streaming ? " streaming" : "") << " n=" << n;
      EXPECT_TRUE(data.guards_intact()) << n;
    }
  }
}

TEST_P(BytePath, StreamingStoresOfLargeOutputs) {
  // Outputs past `streaming_store_bytes` at every offset from the 64-byte boundary that
  // splits the head, the streamed middle and the tail differently.
  if (level() == Isa::portable) {
    GTEST_SKIP() << "the portable path has no streaming stores";
  }
  const std::size_t n = dashi::detail::streaming_store_bytes + 77;
  for (const std::size_t out_offset : {0U, 1U, 32U, 63U}) {
    Buffer in(n, 3);
    Buffer out(n, out_offset);
    fill_every_byte(in.data(), n, out_offset);
    map_with(level(), true, in.data(), out.data(), n, dashi::detail::NegateBytes{});
    std::size_t wrong = n;
    for (std::size_t i = 0; i < n; ++i) {
      if (out.data()[i] != negate_ref(in.data()[i])) {
        wrong = i;
        break;
      }
    }
    EXPECT_EQ(wrong, n) << isa_name(level()) << " out+" << out_offset;
    EXPECT_TRUE(out.guards_intact()) << out_offset;
  }
}

TEST_P(BytePath, ContractHoldsForValidOutputs) {
  for (const std::size_t n : lengths()) {
    for (const std::size_t offset : offsets) {
      Buffer in(n, offset);
      Buffer out(n, offsets[(offset + 2) % std::size(offsets)]);
      fill_trits(in.data(), n, n);
      Rng rng(n + offset);
      for (std::size_t i = 0; i < n; ++i) {  // keep, zero or flip each supported site
        const auto choice = rng.below(3);
        out.data()[i] = choice == 0   ? in.data()[i]
                        : choice == 1 ? std::int8_t{0}
                                      : static_cast<std::int8_t>(-in.data()[i]);
      }
      ASSERT_FALSE(contract_with(level(), in.data(), out.data(), n))
          << isa_name(level()) << " n=" << n << " +" << offset;
    }
  }
}

TEST_P(BytePath, ContractFlagsEveryBadByteAtItsPosition) {
  // One bad output byte at each position of each length (the bad values in turn), and the
  // same byte just before and just after the range, which must not count.
  constexpr std::int8_t bad_values[] = {2, -2, 127, -128, 1, -1};  // ±1 over input 0
  for (std::size_t n = 0; n <= 300; ++n) {
    for (const std::size_t offset : {0U, 1U, 63U}) {
      Buffer in(n + 2, offset);
      Buffer out(n + 2, offset + 1);
      fill_trits(in.data(), n + 2, n);
      std::fill_n(out.data(), n + 2, std::int8_t{0});
      for (std::size_t p = 0; p < n; ++p) {
        const std::int8_t bad = bad_values[p % std::size(bad_values)];
        const std::int8_t saved_in = in.data()[p + 1];
        if (is_trit(bad)) {
          in.data()[p + 1] = 0;  // ±1 is bad only where the input has no support
        }
        out.data()[p + 1] = bad;
        ASSERT_TRUE(contract_with(level(), in.data() + 1, out.data() + 1, n))
            << isa_name(level()) << " n=" << n << " bad " << static_cast<int>(bad) << " at " << p;
        out.data()[p + 1] = 0;
        in.data()[p + 1] = saved_in;
      }
      out.data()[0] = 2;
      out.data()[n + 1] = 2;
      ASSERT_FALSE(contract_with(level(), in.data() + 1, out.data() + 1, n))
          << isa_name(level()) << " n=" << n << ": a byte outside the range counted";
    }
  }
}

TEST_P(BytePath, ContractOnEveryByteValue) {
  // Every output value over every input trit, at the first, last and middle positions and
  // the 32- and 64-byte lane boundaries.
  for (const std::size_t n : {1U, 2U, 31U, 32U, 33U, 63U, 64U, 65U, 127U, 128U, 129U, 300U}) {
    Buffer in(n, 1);
    Buffer out(n, 5);
    fill_trits(in.data(), n, n);
    std::copy_n(in.data(), n, out.data());
    for (const std::size_t p : {std::size_t{0}, n / 2, std::size_t{31}, std::size_t{32},
                                std::size_t{63}, std::size_t{64}, n - 1}) {
      if (p >= n) {
        continue;
      }
      const std::int8_t saved_in = in.data()[p];
      for (const int input : {-1, 0, 1}) {
        in.data()[p] = static_cast<std::int8_t>(input);
        for (int value = -128; value <= 127; ++value) {
          out.data()[p] = static_cast<std::int8_t>(value);
          const bool expected = contract_ref(in.data(), out.data(), n);
          ASSERT_EQ(contract_with(level(), in.data(), out.data(), n), expected)
              << isa_name(level()) << " n=" << n << " at " << p << " in " << input << " out "
              << value;
        }
        out.data()[p] = in.data()[p];
      }
      in.data()[p] = saved_in;
      out.data()[p] = saved_in;
    }
  }
}

TEST_P(BytePath, L1DistanceMatchesReference) {
  std::vector<std::size_t> sizes = lengths();
  sizes.push_back((std::size_t{1} << 20) + 5);
  for (const std::size_t n : sizes) {
    for (const std::size_t offset : offsets) {
      Buffer a(n, offset);
      Buffer b(n, offsets[(offset + 1) % std::size(offsets)]);
      fill_trits(a.data(), n, n);
      fill_trits(b.data(), n, n + 1000);
      const std::uint64_t expected = l1_ref(a.data(), b.data(), n);
      ASSERT_EQ(l1_with(level(), a.data(), b.data(), n), expected)
          << isa_name(level()) << " n=" << n << " +" << offset;
    }
  }
  // Every term 2: the byte lanes must be flushed before they overflow.
  for (const std::size_t n : {std::size_t{127 * 64}, std::size_t{127 * 64 + 1},
                              std::size_t{3 * 127 * 64 + 33}, std::size_t{100003}}) {
    const std::vector<std::int8_t> plus(n, 1);
    const std::vector<std::int8_t> minus(n, -1);
    EXPECT_EQ(l1_with(level(), plus.data(), minus.data(), n), 2 * n) << n;
    EXPECT_EQ(l1_with(level(), minus.data(), plus.data(), n), 2 * n) << n;
  }
}

TEST_P(BytePath, FirstNonTritOfValidDataIsTheEnd) {
  for (const std::size_t n : lengths()) {
    for (const std::size_t offset : offsets) {
      Buffer data(n, offset);
      fill_trits(data.data(), n, n);
      ASSERT_EQ(first_non_trit_with(level(), data.data(), n), n)
          << isa_name(level()) << " n=" << n << " +" << offset;
    }
  }
}

TEST_P(BytePath, FirstNonTritAtEveryPosition) {
  // One bad byte at each position of each length up to 300 and around the 4 KiB blocks,
  // a second one after it (the first must be found), and one just past the end (ignored).
  constexpr std::int8_t bad_values[] = {2, -2, 127, -128, 64, -65};
  std::vector<std::size_t> sizes;
  for (std::size_t n = 0; n <= 300; ++n) {
    sizes.push_back(n);
  }
  sizes.push_back(8192 + 65);
  for (const std::size_t n : sizes) {
    for (const std::size_t offset : {0U, 1U, 63U}) {
      Buffer data(n + 1, offset);
      fill_trits(data.data(), n + 1, n + offset);
      data.data()[n] = 2;  // past the end
      ASSERT_EQ(first_non_trit_with(level(), data.data(), n), n)
          << isa_name(level()) << " n=" << n << ": the byte past the end counted";
      for (std::size_t p = 0; p < n; ++p) {
        if (n > 300 && p % 61 != 0 && (p + 70) % 4096 > 140) {
          continue;  // large: every 61st position and all within 70 of a block boundary
        }
        const std::int8_t saved = data.data()[p];
        data.data()[p] = bad_values[p % std::size(bad_values)];
        const std::size_t later = std::min(n - 1, p + 1 + p % 70);
        const std::int8_t saved_later = data.data()[later];
        if (later != p) {
          data.data()[later] = -100;
        }
        ASSERT_EQ(first_non_trit_with(level(), data.data(), n), p)
            << isa_name(level()) << " n=" << n << " +" << offset << " bad at " << p;
        data.data()[later] = saved_later;
        data.data()[p] = saved;
      }
    }
  }
}

TEST_P(BytePath, FirstNonTritOnEveryByteValue) {
  for (const std::size_t n : {1U, 64U, 65U, 300U, 4096U, 4097U, 12289U}) {
    Buffer data(n, 1);
    fill_trits(data.data(), n, n);
    for (const std::size_t p : {std::size_t{0}, n / 2, std::size_t{63}, std::size_t{64},
                                std::size_t{4095}, std::size_t{4096}, n - 1}) {
      if (p >= n) {
        continue;
      }
      const std::int8_t saved = data.data()[p];
      for (int value = -128; value <= 127; ++value) {
        data.data()[p] = static_cast<std::int8_t>(value);
        ASSERT_EQ(first_non_trit_with(level(), data.data(), n), is_trit(value) ? n : p)
            << isa_name(level()) << " n=" << n << " value " << value << " at " << p;
      }
      data.data()[p] = saved;
    }
  }
}

TEST_P(BytePath, CountNonzeroMatchesReference) {
  for (const std::size_t n : lengths()) {
    for (const std::size_t offset : offsets) {
      Buffer data(n, offset);
      fill_every_byte(data.data(), n, n + offset);  // every byte value, one zero per 256
      ASSERT_EQ(count_nonzero_with(level(), data.data(), n), count_nonzero_ref(data.data(), n))
          << isa_name(level()) << " n=" << n << " +" << offset;
      fill_trits(data.data(), n, n + offset);
      ASSERT_EQ(count_nonzero_with(level(), data.data(), n), count_nonzero_ref(data.data(), n))
          << isa_name(level()) << " trits n=" << n << " +" << offset;
    }
  }
}

// ----------------------------------------------------------------------------------------
// The automatic dispatch (the level DASHI_ISA leaves), against the scalar references.

TEST(ByteSimdDispatch, EntryPointsMatchReferences) {
  for (const std::size_t n : lengths()) {
    Buffer a(n, 1);
    Buffer b(n, 2);
    fill_trits(a.data(), n, n);
    fill_trits(b.data(), n, n + 1);
    EXPECT_EQ(dashi::detail::l1_distance(a.data(), b.data(), n), l1_ref(a.data(), b.data(), n));
    EXPECT_EQ(dashi::detail::contract_violated(a.data(), b.data(), n),
              contract_ref(a.data(), b.data(), n))
        << n;
    EXPECT_EQ(dashi::detail::count_nonzero(a.data(), n), count_nonzero_ref(a.data(), n));
    EXPECT_FALSE(dashi::detail::first_non_trit(a.data(), n).has_value()) << n;
    if (n > 0) {
      a.data()[n - 1] = 3;
      EXPECT_EQ(dashi::detail::first_non_trit(a.data(), n), std::optional<std::size_t>(n - 1));
    }
    fill_every_byte(a.data(), n, n);
    EXPECT_EQ(dashi::detail::first_non_trit(a.data(), n).value_or(n),
              first_non_trit_ref(a.data(), n))
        << n;
    EXPECT_EQ(dashi::detail::count_nonzero(a.data(), n), count_nonzero_ref(a.data(), n));
    dashi::detail::map_bytes(a.data(), b.data(), n, dashi::detail::SignBytes{});
    for (std::size_t i = 0; i < n; ++i) {
      ASSERT_EQ(b.data()[i], sign_ref(a.data()[i])) << "n=" << n << " at " << i;
    }
    EXPECT_TRUE(b.guards_intact()) << n;
  }
}

TEST(ByteSimdDispatch, DeclaredStreamingOutputs) {
  // Outputs the executor declares take the streaming stores even when small.
  const std::size_t total = 5000;
  Buffer in(total, 0);
  Buffer out(total, 0);
  fill_every_byte(in.data(), total, 3);
  const dashi::detail::StreamingOutput streaming(out.data(), out.data() + total);
  for (const std::size_t first : {0U, 1U, 7U, 31U, 32U, 33U, 63U, 64U, 65U}) {
    for (const std::size_t n : {1024U, 1025U, 1055U, 1087U, 2048U, 4000U}) {
      ASSERT_TRUE(dashi::detail::stream_stores(out.data() + first, n));
      std::fill_n(out.data(), total, std::int8_t{0});
      dashi::detail::map_bytes(in.data() + first, out.data() + first, n,
                               dashi::detail::NonnegativeBytes{});
      for (std::size_t i = 0; i < total; ++i) {
        const std::int8_t expected =
            i >= first && i < first + n ? nonnegative_ref(in.data()[i]) : std::int8_t{0};
        ASSERT_EQ(out.data()[i], expected) << "first=" << first << " n=" << n << " at " << i;
      }
    }
  }
  EXPECT_TRUE(out.guards_intact());
}

TEST(ByteSimdDispatch, LargeOutputsStream) {
  const std::size_t n = dashi::detail::streaming_store_bytes + 129;
  Buffer in(n, 5);
  Buffer out(n, 9);
  fill_every_byte(in.data(), n, 11);
  ASSERT_TRUE(dashi::detail::stream_stores(out.data(), n));
  dashi::detail::map_bytes(in.data(), out.data(), n, dashi::detail::NegateBytes{});
  std::size_t wrong = n;
  for (std::size_t i = 0; i < n; ++i) {
    if (out.data()[i] != negate_ref(in.data()[i])) {
      wrong = i;
      break;
    }
  }
  EXPECT_EQ(wrong, n);
  EXPECT_TRUE(out.guards_intact());
}

/// An op that takes only 32-byte vectors: the dispatch must leave it the AVX2 and portable
/// paths.
struct Negate32Only {
  [[gnu::always_inline]] DASHI_DETAIL_TARGET_PORTABLE void operator()(
      dashi::detail::bytes32& v) const noexcept {
    v = reinterpret_cast<dashi::detail::bytes32>(-reinterpret_cast<dashi::detail::ubytes32>(v));
  }
};

TEST(ByteSimdDispatch, OpsWithout64ByteFormStillMap) {
  for (const std::size_t n : {0U, 5U, 64U, 100U, 1000U}) {
    Buffer in(n, 0);
    Buffer out(n, 3);
    fill_every_byte(in.data(), n, n);
    dashi::detail::map_bytes(in.data(), out.data(), n, Negate32Only{});
    for (std::size_t i = 0; i < n; ++i) {
      ASSERT_EQ(out.data()[i], negate_ref(in.data()[i])) << n;
    }
  }
}

TEST(ByteSimdDispatch, PrintsThePathsThatRun) {
  std::string ran;
  for (const Isa level : runnable_levels()) {
    ran += std::string(ran.empty() ? "" : ", ") + isa_name(level);
  }
  std::printf("byte map / contract / L1 / trit scan paths run here: %s (CPU: %s, DASHI_ISA=%s)\n",
              ran.c_str(), isa_name(dashi::detail::supported_isa()),
              std::getenv("DASHI_ISA") != nullptr ? std::getenv("DASHI_ISA") : "unset");
  RecordProperty("byte_simd_paths", ran);
  EXPECT_EQ(runnable_levels().back(), dashi::detail::active_isa());
}

}  // namespace

namespace {

// Stand-in entry points for the dispatch helper: each returns its level.
int level_portable(int base) { return base; }
int level_avx2(int base) { return base + 1; }
int level_avx512(int base) { return base + 2; }

TEST(SimdDispatch, CallsTheHighestLevelAtOrBelowTheGivenOne) {
  using dashi::detail::dispatch;
  EXPECT_EQ((dispatch<&level_portable, &level_avx2, &level_avx512>(Isa::portable, 10)), 10);
  EXPECT_EQ((dispatch<&level_portable, &level_avx2, &level_avx512>(Isa::avx2, 10)), 11);
  EXPECT_EQ((dispatch<&level_portable, &level_avx2, &level_avx512>(Isa::avx512, 10)), 12);
}

TEST(SimdDispatch, SkipsTheLevelsARoutineHasNoEntryPointFor) {
  using dashi::detail::dispatch;
  EXPECT_EQ((dispatch<&level_portable, &level_avx2, nullptr>(Isa::avx512, 10)), 11);
  EXPECT_EQ((dispatch<&level_portable, nullptr, &level_avx512>(Isa::avx2, 10)), 10);
  EXPECT_EQ((dispatch<&level_portable, nullptr, nullptr>(Isa::avx512, 10)), 10);
  // The paths macro names the wide entry points only where they exist.
  const int expected = DASHI_DETAIL_X86 ? 12 : 10;
  EXPECT_EQ(
      (dispatch<DASHI_DETAIL_PATHS(&level_portable, &level_avx2, &level_avx512)>(Isa::avx512, 10)),
      expected);
}

TEST(SimdIsa, NamesAndCapsAreOneTable) {
  for (const Isa isa : {Isa::portable, Isa::avx2, Isa::avx512}) {
    EXPECT_EQ(dashi::detail::isa_cap(isa_name(isa)), isa) << isa_name(isa);
  }
  EXPECT_EQ(dashi::detail::isa_cap("sse2"), Isa::avx512);  // unknown: no cap
  EXPECT_EQ(dashi::detail::isa_cap(""), Isa::avx512);
  EXPECT_LE(dashi::detail::active_isa(), dashi::detail::supported_isa());
}

}  // namespace
