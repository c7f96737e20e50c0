// SPDX-License-Identifier: Apache-2.0
// Unit tests of `detail::map_bytes_checked` (<dashi/detail/checked_map.hpp>): on every path the
// CPU has (portable, AVX2, AVX2 with streaming stores) it writes what `map_bytes` writes for
// valid input and reports false for every non-trit byte value at every position of every
// size around the vector widths, at unaligned starts.

#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>
#include <dashi/detail/checked_map.hpp>
#include <dashi/kernel.hpp>
#include <iostream>
#include <string>
#include <vector>

#include "support/seeded.hpp"

namespace {

using dashi::detail::NegateBytes;

struct Path {
  const char* name;
  bool (*run)(const std::int8_t*, std::int8_t*, std::size_t, NegateBytes);
};

std::vector<Path> paths() {
  std::vector<Path> all = {{"portable", dashi::detail::map_bytes_checked_portable<NegateBytes>}};
#if DASHI_DETAIL_X86
  if (dashi::detail::active_isa() >= dashi::detail::Isa::avx2) {
    all.push_back({"avx2", dashi::detail::map_bytes_checked_avx2<NegateBytes>});
    all.push_back({"avx2-streaming", dashi::detail::map_bytes_checked_streaming_avx2<NegateBytes>});
  }
#endif
  for (const Path& p : all) {
    std::cout << "[ path ] map_bytes_checked " << p.name << "\n";
  }
  return all;
}

std::vector<std::int8_t> random_trits(std::size_t n, std::uint64_t seed) {
  dashi_test::Rng rng(seed);
  std::vector<std::int8_t> v(n);
  for (auto& x : v) {
    x = static_cast<std::int8_t>(static_cast<int>(rng.below(3)) - 1);
  }
  return v;
}

TEST(CheckedMap, ValidInputMapsLikeMapBytes) {
  for (const Path& path : paths()) {
    for (std::size_t n = 0; n <= 200; ++n) {
      for (const std::size_t offset : {0U, 1U, 31U}) {
        const std::vector<std::int8_t> in = random_trits(n + offset, n);
        std::vector<std::int8_t> out(n + offset + 1, std::int8_t{9});
        std::vector<std::int8_t> expected(n, 0);
        dashi::detail::map_bytes(in.data() + offset, expected.data(), n, NegateBytes{});
        ASSERT_TRUE(path.run(in.data() + offset, out.data() + offset, n, NegateBytes{}))
            << path.name << " n=" << n;
        ASSERT_EQ(std::vector<std::int8_t>(out.data() + offset, out.data() + offset + n), expected)
            << path.name << " n=" << n << " offset=" << offset;
        ASSERT_EQ(out[offset + n], 9) << path.name << ": wrote past the end";
      }
    }
  }
}

TEST(CheckedMap, EveryNonTritAtEveryPositionIsReported) {
  for (const Path& path : paths()) {
    for (const std::size_t n : {1U, 31U, 32U, 33U, 95U, 130U}) {
      std::vector<std::int8_t> in = random_trits(n + 1, 7 * n);
      std::vector<std::int8_t> out(n + 1);
      for (std::size_t where = 0; where < n; ++where) {
        for (int value = -128; value <= 127; ++value) {
          const auto byte = static_cast<std::int8_t>(value);
          const std::int8_t saved = in[1 + where];
          in[1 + where] = byte;
          const bool valid = path.run(in.data() + 1, out.data(), n, NegateBytes{});
          in[1 + where] = saved;
          ASSERT_EQ(valid, value >= -1 && value <= 1)
              << path.name << " n=" << n << " site " << where << " value " << value;
        }
      }
    }
  }
}

TEST(CheckedMap, LargeStreamedOutputsReportABadByteAnywhere) {
  const std::size_t n = (std::size_t{1} << 20) + 77;
  std::vector<std::int8_t> in = random_trits(n, 5);
  std::vector<std::int8_t> out(n);
  for (const Path& path : paths()) {
    EXPECT_TRUE(path.run(in.data(), out.data(), n, NegateBytes{})) << path.name;
    for (const std::size_t where : {std::size_t{0}, std::size_t{12345}, n - 40, n - 1}) {
      in[where] = 2;
      EXPECT_FALSE(path.run(in.data(), out.data(), n, NegateBytes{}))
          << path.name << " site " << where;
      in[where] = 0;
    }
  }
}

}  // namespace
