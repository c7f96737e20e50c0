// SPDX-License-Identifier: Apache-2.0
// PQ codec (docs/PQ_FORMAT.md §1): round trips against a bit-by-bit reference packer, over
// every small size, block boundaries, ranks, sparsities, block sizes, worker counts
// and both kernel paths.

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <dashi/pq/codec.hpp>
#include <initializer_list>
#include <optional>
#include <ostream>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "support/names.hpp"
#include "support/seeded.hpp"

namespace dashi::detail {
/// Test names and failure messages show a level by its name.
void PrintTo(Isa isa, std::ostream* os) { *os << isa_name(isa); }
}  // namespace dashi::detail

namespace {

using namespace dashi_test;

namespace pq = dashi::pq;
using dashi::detail::Isa;
using dashi::pq::detail::Tuning;

using Sizes = std::initializer_list<std::size_t>;

constexpr std::array<double, 4> zero_fractions = {0.0, 0.5, 0.9, 1.0};
constexpr std::array<std::uint32_t, 3> block_sizes = {64, 4096, 65536};

/// docs/PQ_FORMAT.md §1 written out bit by bit.
struct Reference {
  std::vector<std::uint64_t> p;
  std::vector<std::uint64_t> q;
  std::vector<std::uint64_t> o;
  std::uint64_t support = 0;
};

Reference reference_pack(TernaryView field, std::uint32_t block) {
  const std::size_t n = field.size();
  Reference ref;
  ref.p.assign((n + 63) / 64, 0);
  const std::size_t blocks = (n + block - 1) / block;
  std::vector<std::uint64_t> signs;
  for (std::size_t i = 0; i < n; ++i) {
    if (i % block == 0) {
      ref.o.push_back(ref.support);
    }
    const std::int8_t v = field.value(i);
    if (v != 0) {
      ref.p[i / 64] |= std::uint64_t{1} << (i % 64);
      if (ref.support % 64 == 0) {
        ref.q.push_back(0);
      }
      if (v > 0) {
        ref.q.back() |= std::uint64_t{1} << (ref.support % 64);
      }
      ++ref.support;
    }
  }
  ref.o.push_back(ref.support);
  EXPECT_EQ(ref.o.size(), blocks + 1);
  return ref;
}

std::string hex(std::uint64_t word) {
  constexpr const char* digits = "0123456789abcdef";
  std::string text = "0x";
  for (int shift = 60; shift >= 0; shift -= 4) {
    text += digits[(word >> shift) & 0xFU];
  }
  return text;
}

testing::AssertionResult same_words(const char* what, std::span<const std::uint64_t> actual,
                                    const std::vector<std::uint64_t>& expected) {
  if (actual.size() != expected.size()) {
    return testing::AssertionFailure()
           << what << ": " << actual.size() << " words, expected " << expected.size();
  }
  for (std::size_t w = 0; w < expected.size(); ++w) {
    if (actual[w] != expected[w]) {
      return testing::AssertionFailure() << what << " word " << w << " is " << hex(actual[w])
                                         << ", expected " << hex(expected[w]);
    }
  }
  return testing::AssertionSuccess();
}

testing::AssertionResult matches_reference(const pq::PackedField& packed, TernaryView field) {
  const Reference ref = reference_pack(field, packed.block_sites());
  if (!(packed.shape() == field.shape())) {
    return testing::AssertionFailure()
           << "shape " << packed.shape().to_string() << ", expected " << field.shape().to_string();
  }
  if (packed.support_count() != ref.support) {
    return testing::AssertionFailure()
           << "support " << packed.support_count() << ", expected " << ref.support;
  }
  if (auto r = same_words("P", packed.p_words(), ref.p); !r) {
    return r;
  }
  if (auto r = same_words("Q", packed.q_words(), ref.q); !r) {
    return r;
  }
  return same_words("O", packed.offsets(), ref.o);
}

/// Equal values, or a failure naming the first bad site.
testing::AssertionResult same_sites(TernaryView expected, TernaryView actual) {
  if (!(expected.shape() == actual.shape())) {
    return testing::AssertionFailure() << "shape " << actual.shape().to_string() << ", expected "
                                       << expected.shape().to_string();
  }
  for (std::size_t i = 0; i < expected.size(); ++i) {
    if (expected.value(i) != actual.value(i)) {
      return testing::AssertionFailure()
             << "first bad site " << i << " of " << expected.size() << ": got "
             << int{actual.value(i)} << ", expected " << int{expected.value(i)};
    }
  }
  return testing::AssertionSuccess();
}

/// `decode_site` agrees with the field at every site (or a strided subset plus the
/// first and last block when the field is large).
testing::AssertionResult random_access_matches(const pq::PackedField& packed, TernaryView field) {
  const std::size_t n = field.size();
  const std::size_t stride = n <= 20000 ? 1 : 7;
  const std::size_t block = packed.block_sites();
  for (std::size_t i = 0; i < n; ++i) {
    const bool edge =
        i < std::min<std::size_t>(block, 4096) || i + std::min<std::size_t>(block, 4096) >= n;
    if (!edge && i % stride != 0) {
      continue;
    }
    if (pq::decode_site(packed, i) != field.value(i)) {
      return testing::AssertionFailure()
             << "decode_site: first bad site " << i << ": got " << int{pq::decode_site(packed, i)}
             << ", expected " << int{field.value(i)};
    }
  }
  return testing::AssertionSuccess();
}

std::string path_name(const testing::TestParamInfo<Isa>& info) {
  return dashi::detail::isa_name(info.param);
}

/// The paths this process can run (capped by `DASHI_ISA`), portable first.
std::vector<Isa> runnable_paths() {
  std::vector<Isa> paths;
  for (const Isa path : {Isa::portable, Isa::avx2, Isa::avx512}) {
    if (path <= dashi::pq::detail::codec_isa()) {
      paths.push_back(path);
    }
  }
  return paths;
}

/// Runs each test once per kernel path; a path is skipped (and says so) only when this
/// CPU, or `DASHI_ISA`, rules it out.
class PqCodecPath : public testing::TestWithParam<Isa> {
 protected:
  void SetUp() override {
    if (GetParam() > dashi::pq::detail::codec_isa()) {
      GTEST_SKIP() << "the " << dashi::detail::isa_name(GetParam())
                   << " path cannot run here (CPU or DASHI_ISA); best is "
                   << dashi::detail::isa_name(dashi::pq::detail::codec_isa());
    }
  }
  [[nodiscard]] Tuning tuning() const { return Tuning{.isa = GetParam()}; }

  void check_round_trip(const TernaryField& field, std::uint32_t block) {
    const pq::PackedField packed =
        dashi::pq::detail::encode_with(field, {.block_sites = block}, tuning());
    ASSERT_TRUE(matches_reference(packed, field)) << "n = " << field.size() << ", B = " << block;
    const TernaryField back = dashi::pq::detail::decode_with(packed, {}, tuning());
    ASSERT_TRUE(same_sites(field, back)) << "n = " << field.size() << ", B = " << block;
    ASSERT_TRUE(random_access_matches(packed, field))
        << "n = " << field.size() << ", B = " << block;
  }
};

INSTANTIATE_TEST_SUITE_P(Paths, PqCodecPath, testing::Values(Isa::portable, Isa::avx2, Isa::avx512),
                         path_name);

TEST_P(PqCodecPath, RoundTripsEverySizeUpTo300) {
  std::uint64_t seed = 1;
  for (std::size_t n = 0; n <= 300; ++n) {
    for (const double zeros : zero_fractions) {
      for (const std::uint32_t block : block_sizes) {
        check_round_trip(random_field(Shape{n}, zeros, seed++), block);
        if (HasFatalFailure()) {
          return;
        }
      }
    }
  }
}

TEST_P(PqCodecPath, RoundTripsAroundBlockAndWordBoundaries) {
  std::uint64_t seed = 1000;
  for (const std::uint32_t block32 : block_sizes) {
    const std::size_t block = block32;
    std::vector<std::size_t> sizes = {block - 1, block,         block + 1,     2 * block - 1,
                                      2 * block, 2 * block + 1, 3 * block + 63};
    for (const std::size_t words : Sizes{1, 2, 3, 7, 63, 64, 65, 129}) {
      for (const std::size_t n : {64 * words - 1, 64 * words, 64 * words + 1}) {
        sizes.push_back(n);
      }
    }
    for (const std::size_t n : sizes) {
      for (const double zeros : zero_fractions) {
        check_round_trip(random_field(Shape{n}, zeros, seed++), block32);
        if (HasFatalFailure()) {
          return;
        }
      }
    }
  }
}

TEST_P(PqCodecPath, RoundTripsRanks1To4) {
  const std::vector<Shape> shapes = {
      Shape{97},   Shape{7, 13},   Shape{3, 5, 7},    Shape{2, 3, 4, 5},  Shape{65, 64}, Shape{0},
      Shape{3, 0}, Shape{0, 5, 2}, Shape{1, 1, 1, 1}, Shape{17, 3, 2, 9}, Shape{128, 33}};
  std::uint64_t seed = 2000;
  for (const Shape& shape : shapes) {
    for (const double zeros : zero_fractions) {
      for (const std::uint32_t block : block_sizes) {
        check_round_trip(random_field(shape, zeros, seed++), block);
        if (HasFatalFailure()) {
          return;
        }
      }
    }
  }
}

TEST_P(PqCodecPath, ByteIdenticalForEveryWorkerCount) {
  // Small tasks force the multi-task path (sign streams merged across task borders,
  // tasks without any supported site) on fields small enough to sweep.
  std::uint64_t seed = 3000;
  for (const std::size_t n : Sizes{65, 1000, 4097, 9000, 20001}) {
    for (const double zeros : zero_fractions) {
      for (const std::uint32_t block : {64U, 128U, 4096U}) {
        const TernaryField field = random_field(Shape{n}, zeros, seed++);
        const pq::PackedField single = dashi::pq::detail::encode_with(
            field, {.block_sites = block, .num_workers = 1}, tuning());
        ASSERT_TRUE(matches_reference(single, field)) << "n = " << n << ", B = " << block;
        for (const std::size_t workers : Sizes{1, 2, 3, 8}) {
          for (const std::size_t per_worker : Sizes{1, 3}) {
            const Tuning small{.isa = GetParam(),
                               .parallel_min_sites = 0,
                               .task_min_sites = 64,
                               .tasks_per_worker = per_worker};
            const pq::PackedField packed = dashi::pq::detail::encode_with(
                field, {.block_sites = block, .num_workers = workers}, small);
            ASSERT_TRUE(matches_reference(packed, field))
                << "n = " << n << ", B = " << block << ", workers = " << workers
                << ", tasks per worker = " << per_worker;
            ASSERT_EQ(pq::to_bytes(packed), pq::to_bytes(single));
            const TernaryField back =
                dashi::pq::detail::decode_with(packed, {.num_workers = workers}, small);
            ASSERT_TRUE(same_sites(field, back)) << "n = " << n << ", workers = " << workers;
          }
        }
      }
    }
  }
}

TEST_P(PqCodecPath, DecodesAnySiteRange) {
  std::mt19937_64 rng(4000);
  for (const std::uint32_t block : {64U, 4096U}) {
    for (const double zeros : zero_fractions) {
      const std::size_t n = 64 * 70 + 37;
      const TernaryField field = random_field(Shape{n}, zeros, rng());
      const pq::PackedField packed =
          dashi::pq::detail::encode_with(field, {.block_sites = block}, tuning());
      for (int trial = 0; trial < 300; ++trial) {
        const std::size_t first = rng() % (n + 1);
        const std::size_t count = rng() % (n - first + 1);
        std::vector<std::int8_t> out(count + 1, 42);
        dashi::pq::detail::decode_sites(packed, first, count, out.data(), GetParam());
        for (std::size_t i = 0; i < count; ++i) {
          ASSERT_EQ(out[i], field.value(first + i))
              << "first bad site " << first + i << " decoding [" << first << ", " << first + count
              << ")";
        }
        ASSERT_EQ(out[count], 42) << "wrote past the range";
      }
    }
  }
}

TEST_P(PqCodecPath, LargeFieldsTakeThePrefetchAndStreamingBranches) {
  // Above 2^21 sites the encoder prefetches; above 2^23 the decoder writes with
  // non-temporal stores when the destination is 32-byte aligned.
  const std::size_t n = (std::size_t{1} << 23) + 4099;
  const TernaryField field = random_field(Shape{n}, 0.5, 4500);
  const pq::PackedField packed = dashi::pq::detail::encode_with(field, {}, tuning());
  ASSERT_TRUE(matches_reference(packed, field));
  for (const std::size_t workers : Sizes{1, 2}) {
    ASSERT_TRUE(same_sites(
        field, dashi::pq::detail::decode_with(packed, {.num_workers = workers}, tuning())))
        << "workers = " << workers;
  }
  std::vector<std::int8_t> unaligned(n + 1);
  dashi::pq::detail::decode_all_into(packed, unaligned.data() + 1, 1, tuning());
  ASSERT_TRUE(same_sites(field, TernaryView::unchecked(unaligned.data() + 1, Shape{n})));
}

TEST(PqCodec, PublicApiIsByteIdenticalAcrossWorkersOnLargeFields) {
  const std::size_t n = 3 * (std::size_t{1} << 16) + 123;
  std::uint64_t seed = 5000;
  for (const double zeros : {0.0, 0.5, 0.9}) {
    const TernaryField field = random_field(Shape{n}, zeros, seed++);
    for (const std::uint32_t block : block_sizes) {
      const pq::PackedField single = pq::encode(field, {.block_sites = block, .num_workers = 1});
      ASSERT_TRUE(matches_reference(single, field));
      for (const std::size_t workers : Sizes{0, 2, 3, 8}) {
        const pq::PackedField packed =
            pq::encode(field, {.block_sites = block, .num_workers = workers});
        ASSERT_TRUE(packed == single) << "B = " << block << ", workers = " << workers;
        ASSERT_EQ(pq::to_bytes(packed), pq::to_bytes(single));
        ASSERT_TRUE(same_sites(field, pq::decode(packed, {.num_workers = workers})))
            << "B = " << block << ", workers = " << workers;
      }
    }
  }
}

TEST(PqCodec, EveryRunnablePathAgreesWithThePortableOne) {
  const Tuning portable{.isa = Isa::portable};
  std::string ran = "portable";
  for (const Isa path : runnable_paths()) {
    if (path == Isa::portable) {
      continue;
    }
    ran += std::string(", ") + dashi::detail::isa_name(path);
    const Tuning fast{.isa = path};
    std::uint64_t seed = 6000;
    for (std::size_t n = 0; n < 2000; n += 37) {
      for (const double zeros : {0.0, 0.3, 0.5, 0.9, 0.99, 1.0}) {
        const TernaryField field = random_field(Shape{n}, zeros, seed++);
        for (const std::uint32_t block : {64U, 128U}) {
          const pq::PackedField a =
              dashi::pq::detail::encode_with(field, {.block_sites = block}, portable);
          const pq::PackedField b =
              dashi::pq::detail::encode_with(field, {.block_sites = block}, fast);
          ASSERT_TRUE(a == b) << ran << ": n = " << n << ", zeros = " << zeros;
          ASSERT_TRUE(same_sites(dashi::pq::detail::decode_with(a, {}, portable),
                                 dashi::pq::detail::decode_with(a, {}, fast)))
              << ran << ": n = " << n << ", zeros = " << zeros;
        }
      }
    }
    // Every path reads support from bit 0 and the sign from bit 7 of each byte, so they
    // agree even on bytes that are not trits (a precondition violation).
    std::mt19937_64 rng(7);
    std::vector<std::int8_t> bytes(1000);
    for (auto& b : bytes) {
      b = static_cast<std::int8_t>(rng() & 0xFFU);
    }
    const TernaryView raw = TernaryView::unchecked(bytes.data(), Shape{bytes.size()});
    EXPECT_TRUE(dashi::pq::detail::encode_with(raw, {}, portable) ==
                dashi::pq::detail::encode_with(raw, {}, fast))
        << dashi::detail::isa_name(path);
    // Large outputs take the streaming stores: aligned and unaligned destinations.
    const TernaryField big = random_field(Shape{(std::size_t{1} << 23) + 77}, 0.5, 9);
    const pq::PackedField packed = dashi::pq::detail::encode_with(big, {}, fast);
    EXPECT_TRUE(packed == dashi::pq::detail::encode_with(big, {}, portable));
    std::vector<std::int8_t> out(big.size() + 128);
    for (const std::size_t shift : {std::size_t{0}, std::size_t{1}, std::size_t{32}}) {
      auto* dst = reinterpret_cast<std::int8_t*>(
          (reinterpret_cast<std::uintptr_t>(out.data()) + 63) / 64 * 64 + shift);
      dashi::pq::detail::decode_all_into(packed, dst, 1, fast);
      ASSERT_TRUE(std::equal(dst, dst + big.size(), big.data())) << "shift " << shift;
    }
  }
  std::printf("codec paths run against the portable one: %s (DASHI_ISA=%s)\n", ran.c_str(),
              std::getenv("DASHI_ISA") != nullptr ? std::getenv("DASHI_ISA") : "unset");
  RecordProperty("codec_paths", ran);
}

TEST(PqCodec, AutomaticPathIsTheBestRunnableOne) {
  const Isa best = dashi::pq::detail::codec_isa();
  EXPECT_EQ(dashi::pq::detail::resolve_isa(std::nullopt), best);
  EXPECT_EQ(runnable_paths().back(), best);
  EXPECT_EQ(dashi::pq::detail::resolve_isa(Isa::portable), Isa::portable);
  if (dashi::detail::cpu_features().fast_pext_pdep) {
    EXPECT_EQ(best, dashi::detail::active_isa());
  } else {
    EXPECT_EQ(best, Isa::portable);
  }
  for (const Isa path : {Isa::avx2, Isa::avx512}) {
    if (path > best) {
      EXPECT_THROW((void)dashi::pq::detail::resolve_isa(path), std::invalid_argument);
    }
  }
}

TEST(PqCodec, PextIsAvoidedWhereItIsMicrocoded) {
  using dashi::detail::CpuVendor;
  using dashi::detail::pext_pdep_is_fast;
  EXPECT_FALSE(pext_pdep_is_fast(true, CpuVendor::amd, 0x17));  // Zen 1/2
  EXPECT_FALSE(pext_pdep_is_fast(true, CpuVendor::amd, 0x15));  // Excavator
  EXPECT_FALSE(pext_pdep_is_fast(true, CpuVendor::hygon, 0x18));
  EXPECT_TRUE(pext_pdep_is_fast(true, CpuVendor::amd, 0x19));  // Zen 3/4
  EXPECT_TRUE(pext_pdep_is_fast(true, CpuVendor::amd, 0x1A));  // Zen 5
  EXPECT_TRUE(pext_pdep_is_fast(true, CpuVendor::intel, 6));
  EXPECT_FALSE(pext_pdep_is_fast(false, CpuVendor::intel, 6));
  const auto& cpu = dashi::detail::cpu_features();
  EXPECT_EQ(cpu.fast_pext_pdep, pext_pdep_is_fast(cpu.bmi2, cpu.vendor, cpu.family));
}

TEST(PqCodec, DecodeSiteThrowsOutOfRange) {
  const TernaryField field = random_field(Shape{100}, 0.5, 8);
  const pq::PackedField packed = pq::encode(field);
  EXPECT_THROW((void)pq::decode_site(packed, 100), std::out_of_range);
  EXPECT_THROW((void)pq::decode_site(packed, static_cast<std::size_t>(-1)), std::out_of_range);
  EXPECT_THROW((void)pq::decode_site(pq::PackedField{}, 0), std::out_of_range);
  EXPECT_NO_THROW((void)pq::decode_site(packed, 99));
}

TEST(PqCodec, RejectsInvalidBlockSizes) {
  const TernaryField field = random_field(Shape{10}, 0.5, 9);
  for (const std::uint32_t bad :
       {0U, 1U, 32U, 63U, 96U, 100U, 4095U, 65537U, 131072U, 0x80000000U}) {
    try {
      (void)pq::encode(field, {.block_sites = bad});
      ADD_FAILURE() << "block_sites = " << bad << " was accepted";
    } catch (const std::invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find("block_sites"), std::string::npos) << e.what();
    }
  }
  for (const std::uint32_t good : {64U, 128U, 1024U, 65536U}) {
    EXPECT_NO_THROW((void)pq::encode(field, {.block_sites = good, .num_workers = 0}));
  }
}

TEST(PqCodec, DecodeReadsOnlyTheWorkerCount) {
  const TernaryField field = random_field(Shape{5, 77}, 0.5, 10);
  const pq::PackedField packed = pq::encode(field, {.block_sites = 128});
  EXPECT_TRUE(same_sites(field, pq::decode(packed, {.block_sites = 3, .num_workers = 0})));
}

TEST(PqCodec, MetadataCostsExactly64BitsPerBlock) {
  for (const std::uint32_t block : {64U, 256U, 4096U, 65536U}) {
    const std::size_t n = 3 * std::size_t{block} + 5;
    const TernaryField field = random_field(Shape{n}, 0.5, block);
    const pq::PackedField packed = pq::encode(field, {.block_sites = block});
    const pq::EntropyReport report = pq::entropy_report(packed);
    EXPECT_EQ(report.metadata_bits_per_site, 64.0 / block);
    EXPECT_EQ(packed.block_count(), std::size_t{4});
    EXPECT_EQ(packed.offsets().size(), std::size_t{5});
    EXPECT_EQ(packed.p_words().size(), (n + 63) / 64);
    EXPECT_EQ(packed.q_words().size(), (packed.support_count() + 63) / 64);
    const double words = static_cast<double>(packed.p_words().size() + packed.q_words().size() +
                                             packed.offsets().size());
    EXPECT_DOUBLE_EQ(packed.bits_per_site(), 64.0 * words / static_cast<double>(n));
  }
  EXPECT_EQ(pq::entropy_report(pq::PackedField{}).metadata_bits_per_site, 64.0 / 4096);
  EXPECT_EQ(pq::PackedField{}.bits_per_site(), 0.0);
}

TEST(PqCodec, EntropyReportMatchesDirectComputation) {
  std::uint64_t seed = 11;
  for (const double zeros : {0.0, 0.1, 0.5, 0.9, 0.999, 1.0}) {
    const TernaryField field = random_field(Shape{100, 100}, zeros, seed++);
    const pq::PackedField packed = pq::encode(field, {.block_sites = 1024});
    const pq::EntropyReport report = pq::entropy_report(packed);
    std::size_t supported = 0;
    for (std::size_t i = 0; i < field.size(); ++i) {
      supported += field.value(i) != 0 ? 1U : 0U;
    }
    const double s = static_cast<double>(supported) / static_cast<double>(field.size());
    const double h =
        (s > 0 ? -s * std::log2(s) : 0.0) + (s < 1 ? -(1 - s) * std::log2(1 - s) : 0.0);
    EXPECT_DOUBLE_EQ(report.support_fraction, s);
    EXPECT_NEAR(report.entropy_bits_per_site, h + s, 1e-12);
    EXPECT_DOUBLE_EQ(report.packed_bits_per_site, 1.0 + s);
    EXPECT_EQ(report.metadata_bits_per_site, 64.0 / 1024);
    EXPECT_NEAR(report.overhead_bits_per_site, 1.0 + s + 64.0 / 1024 - (h + s), 1e-12);
    EXPECT_GE(report.overhead_bits_per_site, 0.0);
  }
  const pq::EntropyReport all_zero = pq::entropy_report(pq::encode(TernaryField::zeros(Shape{50})));
  EXPECT_EQ(all_zero.entropy_bits_per_site, 0.0);
  EXPECT_EQ(all_zero.packed_bits_per_site, 1.0);
}

TEST(PqCodec, PackedFieldIsARegularValue) {
  const pq::PackedField empty;
  EXPECT_TRUE(empty == pq::encode(TernaryField::zeros(Shape{0})));
  EXPECT_EQ(empty.size(), std::size_t{0});
  EXPECT_EQ(empty.offsets().size(), std::size_t{1});
  EXPECT_EQ(pq::decode(empty).size(), std::size_t{0});

  const TernaryField field = random_field(Shape{9, 31}, 0.5, 12);
  pq::PackedField packed = pq::encode(field, {.block_sites = 64});
  const pq::PackedField copy = packed;
  EXPECT_TRUE(copy == packed);
  EXPECT_FALSE(copy == pq::encode(field, {.block_sites = 128}));
  EXPECT_FALSE(copy == pq::encode(TernaryField::from_signed(field.values(), Shape{31, 9}),
                                  {.block_sites = 64}));
  pq::PackedField moved = std::move(packed);
  EXPECT_TRUE(moved == copy);
  EXPECT_TRUE(same_sites(field, pq::decode(moved)));
  packed = copy;  // a moved-from field is assignable
  EXPECT_TRUE(packed == copy);
}

}  // namespace
