// SPDX-License-Identifier: Apache-2.0
// Every instruction-set path of the bit planes' byte and PQ loops (pack, unpack, the PQ bridge
// both ways) against the portable one, on each level this process can run (`DASHI_ISA` caps
// it; the suite also runs under each cap). The bit-sliced kernels' paths are checked against
// the dense kernels in bits_kernels_test.cpp.

#include <gtest/gtest.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <dashi/bits.hpp>
#include <dashi/bits/detail/pack_loops.hpp>
#include <dashi/bits/detail/pq_bridge.hpp>
#include <dashi/pq/codec.hpp>
#include <dashi/simd/cpu_features.hpp>
#include <dashi/simd/isa.hpp>
#include <string>
#include <vector>

#include "support/fields.hpp"

namespace {

namespace bd = dashi::bits::detail;
using dashi::Shape;
using dashi::TernaryField;
using dashi::bits::BitField;
using dashi::detail::Isa;
using dashi_test::random_field;

/// Packs `n` bytes with the path of `isa`; returns false when a byte is not a trit.
bool pack_with(Isa isa, const std::int8_t* in, std::size_t n, std::uint64_t* s, std::uint64_t* g) {
  switch (isa) {
#if DASHI_DETAIL_X86
    case Isa::avx512:
      return !bd::pack_run_avx512(in, n, s, g);
    case Isa::avx2:
      return !bd::pack_run_avx2(in, n, s, g);
#endif
    default:
      return !bd::pack_run_portable(in, n, s, g);
  }
}

void unpack_with(Isa isa, const std::uint64_t* s, const std::uint64_t* g, std::size_t n,
                 std::int8_t* out) {
  switch (isa) {
#if DASHI_DETAIL_X86
    case Isa::avx512:
      bd::unpack_run_avx512(s, g, n, out);
      return;
    case Isa::avx2:
      bd::unpack_run_avx2(s, g, n, out);
      return;
#endif
    default:
      bd::unpack_run_portable(s, g, n, out);
  }
}

/// The levels above portable that `best` allows, in increasing order.
std::vector<Isa> levels_above_portable(Isa best) {
  std::vector<Isa> levels;
#if DASHI_DETAIL_X86
  for (const Isa isa : {Isa::avx2, Isa::avx512}) {
    if (isa <= best) {
      levels.push_back(isa);
    }
  }
#endif
  (void)best;
  return levels;
}

TEST(BitPaths, EveryRunnablePackAndUnpackPathAgreesWithThePortableOne) {
  std::string ran = "portable";
  for (const Isa isa : levels_above_portable(dashi::detail::active_isa())) {
    ran += std::string(", ") + dashi::detail::isa_name(isa);
    std::uint64_t seed = 300;
    for (const std::size_t n :
         std::vector<std::size_t>{0, 1, 63, 64, 65, 127, 128, 129, 200, 1000}) {
      for (const double zeros : {0.0, 0.5, 1.0}) {
        TernaryField field = random_field(Shape{n}, zeros, seed++);
        const std::size_t words = n / 64 + 2;
        for (const bool corrupt : {false, true}) {
          if (corrupt && n != 0) {
            field.data()[n - 1] = 2;  // a byte that is not a trit, in the tail word
          }
          std::vector<std::uint64_t> s0(words, 7);
          std::vector<std::uint64_t> g0(words, 7);
          std::vector<std::uint64_t> s1(words, 7);
          std::vector<std::uint64_t> g1(words, 7);
          const bool ok0 = pack_with(Isa::portable, field.data(), n, s0.data(), g0.data());
          const bool ok1 = pack_with(isa, field.data(), n, s1.data(), g1.data());
          ASSERT_EQ(ok0, !(corrupt && n != 0)) << "n = " << n;
          ASSERT_EQ(ok1, ok0) << dashi::detail::isa_name(isa) << ": n = " << n;
          if (!ok0) {
            continue;  // the words are unspecified
          }
          ASSERT_EQ(s1, s0) << dashi::detail::isa_name(isa) << ": n = " << n;
          ASSERT_EQ(g1, g0) << dashi::detail::isa_name(isa) << ": n = " << n;
          std::vector<std::int8_t> out0(n + 1, 42);
          std::vector<std::int8_t> out1(n + 1, 42);
          unpack_with(Isa::portable, s0.data(), g0.data(), n, out0.data());
          unpack_with(isa, s0.data(), g0.data(), n, out1.data());
          ASSERT_EQ(out1, out0) << dashi::detail::isa_name(isa) << ": n = " << n;
          ASSERT_EQ(out1[n], 42) << "a byte past the end was written";
        }
      }
    }
  }
  std::printf("bit-plane pack paths run against the portable one: %s\n", ran.c_str());
}

TEST(BitPaths, EveryRunnablePqBridgePathAgreesWithThePortableOne) {
#if DASHI_DETAIL_X86
  if (dashi::detail::pext_pdep_isa() < Isa::avx2) {
    GTEST_SKIP() << "the BMI2 bridge cannot run here (CPU or DASHI_ISA)";
  }
  std::uint64_t seed = 500;
  for (const Shape& shape : {Shape{1000}, Shape{7, 70}, Shape{3, 130}}) {
    for (const double zeros : {0.0, 0.5, 0.9}) {
      const TernaryField field = random_field(shape, zeros, seed++);
      const std::size_t n = field.size();
      const dashi::pq::PackedField packed =
          dashi::pq::encode(field, {.block_sites = 64, .num_workers = 1});
      const std::uint64_t* p = packed.p_words().data();
      const std::uint64_t* q = dashi::pq::detail::Access::q_data(packed);
      // PQ to planes: windows at every offset within a word, and across words and rows.
      for (const std::size_t site : {std::size_t{0}, std::size_t{1}, std::size_t{63},
                                     std::size_t{64}, std::size_t{70}, std::size_t{129}}) {
        for (const std::size_t count : {std::size_t{1}, std::size_t{64}, n - site}) {
          BitField a = BitField::zeros(shape);
          BitField b = BitField::zeros(shape);
          const std::uint64_t qpos = dashi::bits::detail::q_position(packed, site);
          const std::uint64_t end_a =
              bd::pq_read_portable(p, q, site, qpos, count, bd::run_of(a.span()), site);
          const std::uint64_t end_b =
              bd::pq_read_bmi2(p, q, site, qpos, count, bd::run_of(b.span()), site);
          ASSERT_EQ(end_b, end_a) << "site " << site << ", count " << count;
          ASSERT_TRUE(a == b) << "site " << site << ", count " << count;
        }
      }
      // Planes to PQ: the whole run, blocks of 64 and 128 sites.
      const BitField planes = dashi::bits::pack(field.view());
      for (const unsigned shift : {0U, 1U}) {
        const std::size_t words = n / 64 + 2;
        std::vector<std::uint64_t> p0(words, 7);
        std::vector<std::uint64_t> p1(words, 7);
        std::vector<std::uint64_t> q0(words, 7);
        std::vector<std::uint64_t> q1(words, 7);
        std::vector<std::uint64_t> o0(words, 7);
        std::vector<std::uint64_t> o1(words, 7);
        const std::uint64_t total0 = bd::pq_write_portable(bd::run_of(planes.view()), 0, n,
                                                           p0.data(), q0.data(), shift, o0.data());
        const std::uint64_t total1 = bd::pq_write_bmi2(bd::run_of(planes.view()), 0, n, p1.data(),
                                                       q1.data(), shift, o1.data());
        ASSERT_EQ(total1, total0);
        ASSERT_EQ(total0, field.count_support());
        ASSERT_EQ(p1, p0);
        ASSERT_EQ(o1, o0);
        const std::size_t used = total0 / 64 + (total0 % 64 != 0);
        ASSERT_TRUE(
            std::equal(q0.begin(), q0.begin() + static_cast<std::ptrdiff_t>(used), q1.begin()));
      }
    }
  }
#else
  GTEST_SKIP() << "no BMI2 bridge on this target";
#endif
}

}  // namespace
