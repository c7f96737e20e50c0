// SPDX-License-Identifier: Apache-2.0
// Scale (opt-in, label `scale`): fields of more than 2^32 sites through the executor, the
// PQ codec, serialisation and PQ-FS files, so that any index or count kept in 32 bits
// shows up. Needs about 10 GB of free memory and a few minutes; each phase prints its
// wall time.
//
// Site i holds a pure function of i (`site_value`), so results are checked against the
// formula without a second copy of the input, and sites i and i + 2^32 differ in general
// (an index that wraps at 2^32 reads the wrong value).

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <dashi/execution/cpu_parallel.hpp>
#include <dashi/kernel.hpp>
#include <dashi/pq/codec.hpp>
#include <dashi/pq/file.hpp>
#include <filesystem>
#include <fstream>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "support/names.hpp"

namespace {

using namespace dashi_test;

namespace pq = dashi::pq;

constexpr std::uint64_t kTwo32 = std::uint64_t{1} << 32;
/// 1-D: 2^32 + 4096 + 7 sites (not a multiple of 64, nor of the PQ block size).
constexpr std::size_t kSites1 = kTwo32 + 4096 + 7;
/// 2-D: 65537 × 65537 = 4 295 098 369 sites; neither extent fits 16 bits.
constexpr std::size_t kSide2 = 65537;
constexpr std::size_t kChunk = std::size_t{1} << 26;  // sites per parallel verification task

/// The value of site `i`: 2 bits of SplitMix64(i / 32), so about half the sites are
/// supported and the field never repeats with period 2^32.
[[nodiscard]] inline std::uint64_t mix(std::uint64_t x) noexcept {
  std::uint64_t z = x * 0x9E3779B97F4A7C15ULL + 0x9E3779B97F4A7C15ULL;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}
/// 2-bit code → value: 1 → +1, 2 → −1, 0 and 3 → 0 (a table: the codes are random, so
/// branches would mispredict half the time).
[[nodiscard]] inline std::int8_t code_value(std::uint64_t code) noexcept {
  constexpr std::int8_t values[4] = {0, 1, -1, 0};
  return values[code & 3U];
}
[[nodiscard]] inline std::int8_t site_value(std::uint64_t i) noexcept {
  return code_value((mix(i >> 5) >> (2 * (i & 31))) & 3U);
}

ThreadPool& pool() {
  static ThreadPool instance;  // hardware_concurrency workers
  return instance;
}

/// Wall-clock phases, printed as they end.
class Phase {
 public:
  explicit Phase(std::string name) : name_(std::move(name)), start_(Clock::now()) {}
  Phase(const Phase&) = delete;
  Phase& operator=(const Phase&) = delete;
  ~Phase() {
    const double seconds = std::chrono::duration<double>(Clock::now() - start_).count();
    std::printf("[scale] %-58s %8.2f s\n", name_.c_str(), seconds);
    std::fflush(stdout);
  }

 private:
  using Clock = std::chrono::steady_clock;
  std::string name_;
  Clock::time_point start_;
};

/// Runs `body(first, count)` over [0, n) in chunks on the pool.
template <class F>
void for_chunks(std::size_t n, F body) {
  const std::size_t chunks = n / kChunk + (n % kChunk != 0 ? 1 : 0);
  pool().parallel_for(chunks, [&](std::size_t c) {
    const std::size_t first = c * kChunk;
    body(first, std::min(kChunk, n - first));
  });
}

/// The lowest site in [0, n) where `bad(i)` holds, if any (checked in parallel chunks).
template <class Bad>
std::optional<std::size_t> first_bad_site(std::size_t n, Bad bad) {
  std::atomic<std::size_t> lowest{std::numeric_limits<std::size_t>::max()};
  for_chunks(n, [&](std::size_t first, std::size_t count) {
    for (std::size_t i = first; i < first + count; ++i) {
      if (bad(i)) {
        std::size_t seen = lowest.load();
        while (i < seen && !lowest.compare_exchange_weak(seen, i)) {
        }
        return;
      }
    }
  });
  const std::size_t site = lowest.load();
  return site == std::numeric_limits<std::size_t>::max() ? std::nullopt
                                                         : std::optional<std::size_t>(site);
}

/// The field of `shape` holding `site_value(i)` at site i.
TernaryField make_field(const Shape& shape) {
  TernaryField field = TernaryField::uninitialized(shape);
  std::int8_t* data = field.data();
  const std::size_t n = field.size();
  for_chunks(n, [&](std::size_t first, std::size_t count) {  // kChunk is a multiple of 32
    for (std::size_t i = first; i < first + count; i += 32) {
      const std::uint64_t bits = mix(i >> 5);
      const std::size_t run = std::min<std::size_t>(32, first + count - i);
      for (std::size_t k = 0; k < run; ++k) {
        data[i + k] = code_value((bits >> (2 * k)) & 3U);
      }
    }
  });
  return field;
}

/// Sites worth a close look: both sides of 2^32 and of the last PQ block, the ends, and a
/// seeded spread (half of it above 2^32).
std::vector<std::size_t> probe_sites(std::size_t n) {
  std::vector<std::size_t> sites = {0,
                                    1,
                                    63,
                                    64,
                                    4095,
                                    4096,
                                    kTwo32 - 65,
                                    kTwo32 - 64,
                                    kTwo32 - 1,
                                    kTwo32,
                                    kTwo32 + 1,
                                    kTwo32 + 63,
                                    kTwo32 + 64,
                                    kTwo32 + 4095,
                                    kTwo32 + 4096,
                                    n - 4097,
                                    n - 65,
                                    n - 2,
                                    n - 1};
  std::uint64_t state = 12345;
  for (int k = 0; k < 20000; ++k) {
    state = mix(state);
    sites.push_back(k % 2 == 0 ? static_cast<std::size_t>(state % n)
                               : static_cast<std::size_t>(kTwo32 + state % (n - kTwo32)));
  }
  return sites;
}

std::uint64_t available_memory_bytes() {
  std::ifstream meminfo("/proc/meminfo");
  std::string key;
  std::uint64_t kib = 0;
  std::string unit;
  while (meminfo >> key >> kib >> unit) {
    if (key == "MemAvailable:") {
      return kib * 1024;
    }
  }
  const long pages = ::sysconf(_SC_AVPHYS_PAGES);
  const long page = ::sysconf(_SC_PAGESIZE);
  return pages > 0 && page > 0
             ? static_cast<std::uint64_t>(pages) * static_cast<std::uint64_t>(page)
             : 0;
}

/// True when at least `gib` GiB are free (below that the kernel would kill the process).
bool enough_memory(std::uint64_t gib) { return available_memory_bytes() >= (gib << 30); }

std::string describe(std::optional<std::size_t> site, const char* what) {
  return site ? std::string(what) + " first differs at site " + std::to_string(*site) : "";
}

/// SignFlip and LeftNeighbor on `input` through the executor: every site checked against
/// the formula, and support counts.
void check_executor(const TernaryField& input) {
  const std::size_t n = input.size();
  const std::size_t stride = input.shape().row_elems();
  const std::size_t support = [&] {
    const Phase phase("count_support of the input");
    return input.count_support();
  }();
  for (const std::size_t i : probe_sites(n)) {
    ASSERT_EQ(input.value(i), site_value(i)) << "site " << i;
  }
  EXPECT_GT(support, n / 2 - n / 100);
  EXPECT_LT(support, n / 2 + n / 100);
  {
    TernaryField flipped;
    {
      const Phase phase("run_kernel_parallel(SignFlip)");
      flipped = dashi::run_kernel_parallel(pool(), kernels::SignFlip{}, input);
    }
    ASSERT_EQ(flipped.shape(), input.shape());
    const Phase phase("check SignFlip (every site) and counts");
    const std::int8_t* in = input.data();
    const std::int8_t* out = flipped.data();
    const auto bad = first_bad_site(n, [&](std::size_t i) { return out[i] != -in[i]; });
    EXPECT_FALSE(bad) << describe(bad, "SignFlip");
    EXPECT_EQ(flipped.count_support(), support);
    for (const std::size_t i : probe_sites(n)) {
      ASSERT_EQ(flipped.value(i), -input.value(i)) << "site " << i;
    }
  }
  {
    TernaryField left;
    {
      const Phase phase("run_kernel_parallel(LeftNeighbor), radius 1");
      left = dashi::run_kernel_parallel(pool(), kernels::LeftNeighbor{}, input);
    }
    const Phase phase("check LeftNeighbor (every site)");
    const std::int8_t* in = input.data();
    const std::int8_t* out = left.data();
    const auto bad = first_bad_site(n, [&](std::size_t i) {
      const int s = in[i];
      const int sum = s + (i >= stride ? in[i - stride] : 0);
      return out[i] != (s & 1) * ((sum > 0) - (sum < 0));  // s & 1: 1 on support, else 0
    });
    EXPECT_FALSE(bad) << describe(bad, "LeftNeighbor");
  }
}

/// encode (1 and all workers) → decode → decode_site → to_bytes → from_bytes on `input`.
void check_codec(const TernaryField& input) {
  const std::size_t n = input.size();
  pq::PackedField packed;
  {
    const Phase phase("pq::encode, all workers");
    packed = pq::encode(input, {.num_workers = 0});
  }
  ASSERT_EQ(packed.size(), n);
  ASSERT_EQ(packed.shape(), input.shape());
  ASSERT_EQ(packed.support_count(), input.count_support());
  ASSERT_EQ(packed.offsets().back(), packed.support_count());
  {
    pq::PackedField single;
    {
      const Phase phase("pq::encode, 1 worker");
      single = pq::encode(input, {.num_workers = 1});
    }
    EXPECT_TRUE(single == packed) << "encode differs between 1 and all workers";
  }
  {
    const Phase phase("pq::decode_site at probe sites (half above 2^32)");
    for (const std::size_t i : probe_sites(n)) {
      ASSERT_EQ(pq::decode_site(packed, i), input.value(i)) << "site " << i;
    }
  }
  {
    TernaryField decoded;
    {
      const Phase phase("pq::decode, all workers");
      decoded = pq::decode(packed, {.num_workers = 0});
    }
    ASSERT_EQ(decoded.shape(), input.shape());
    const Phase phase("compare decode with the input in chunks");
    std::atomic<std::size_t> bad_chunk{std::numeric_limits<std::size_t>::max()};
    for_chunks(n, [&](std::size_t first, std::size_t count) {
      if (std::memcmp(decoded.data() + first, input.data() + first, count) != 0) {
        std::size_t seen = bad_chunk.load();
        while (first < seen && !bad_chunk.compare_exchange_weak(seen, first)) {
        }
      }
    });
    EXPECT_EQ(bad_chunk.load(), std::numeric_limits<std::size_t>::max())
        << "decode differs in the chunk starting at site " << bad_chunk.load();
  }
  {
    std::vector<std::byte> bytes;
    {
      const Phase phase("pq::to_bytes");
      bytes = pq::to_bytes(packed);
    }
    std::uint64_t n_sites = 0;
    std::memcpy(&n_sites, bytes.data() + 56, 8);  // little-endian machine
    EXPECT_EQ(n_sites, n);
    pq::PackedField parsed;
    {
      const Phase phase("pq::from_bytes");
      parsed = pq::from_bytes(bytes);
    }
    EXPECT_TRUE(parsed == packed) << "from_bytes(to_bytes(p)) != p";
    for (const std::size_t i : probe_sites(n)) {
      ASSERT_EQ(pq::decode_site(parsed, i), input.value(i)) << "site " << i;
    }
  }
}

TEST(LargeField, OneDimensionalThroughTheExecutor) {
  if (!enough_memory(10)) {
    GTEST_SKIP() << "needs 10 GiB of free memory, " << (available_memory_bytes() >> 20)
                 << " MiB available";
  }
  const Phase total("total: 1-D executor");
  TernaryField input;
  {
    const Phase phase("make the 1-D field of 2^32 + 4103 sites");
    input = make_field(Shape{kSites1});
  }
  check_executor(input);
}

TEST(LargeField, OneDimensionalThroughTheCodec) {
  if (!enough_memory(11)) {
    GTEST_SKIP() << "needs 11 GiB of free memory, " << (available_memory_bytes() >> 20)
                 << " MiB available";
  }
  const Phase total("total: 1-D codec");
  TernaryField input;
  {
    const Phase phase("make the 1-D field of 2^32 + 4103 sites");
    input = make_field(Shape{kSites1});
  }
  check_codec(input);
}

TEST(LargeField, TwoDimensionalThroughTheExecutorAndTheCodec) {
  if (!enough_memory(11)) {
    GTEST_SKIP() << "needs 11 GiB of free memory, " << (available_memory_bytes() >> 20)
                 << " MiB available";
  }
  const Phase total("total: 2-D executor and codec");
  TernaryField input;
  {
    const Phase phase("make the 65537 x 65537 field");
    input = make_field(Shape{kSide2, kSide2});
  }
  ASSERT_GT(input.size(), kTwo32);
  check_executor(input);
  {
    // Majority3x3 (2-D, radius 1): rows around site 2^32, the last rows, and a spread of
    // sites, against a direct evaluation of the 3×3 rule.
    TernaryField majority;
    {
      const Phase phase("run_kernel_parallel(Majority3x3)");
      majority = dashi::run_kernel_parallel(pool(), kernels::Majority3x3{}, input);
    }
    const auto expected = [&](std::size_t r, std::size_t c) {
      int sum = 0;
      for (std::size_t rr = r == 0 ? 0 : r - 1; rr <= std::min(r + 1, kSide2 - 1); ++rr) {
        for (std::size_t cc = c == 0 ? 0 : c - 1; cc <= std::min(c + 1, kSide2 - 1); ++cc) {
          sum += site_value(rr * kSide2 + cc);
        }
      }
      return site_value(r * kSide2 + c) == 0 ? 0 : (sum > 0) - (sum < 0);
    };
    std::vector<std::size_t> rows = {
        0, 1, kTwo32 / kSide2 - 1, kTwo32 / kSide2, kTwo32 / kSide2 + 1, kSide2 - 2, kSide2 - 1};
    for (const std::size_t r : rows) {
      for (std::size_t c = 0; c < kSide2; ++c) {
        ASSERT_EQ(majority.value(r * kSide2 + c), expected(r, c)) << "row " << r << " col " << c;
      }
    }
    for (const std::size_t i : probe_sites(input.size())) {
      ASSERT_EQ(majority.value(i), expected(i / kSide2, i % kSide2)) << "site " << i;
    }
  }
  check_codec(input);
}

TEST(LargeField, PqFileOfMoreThanTwoTo32Sites) {
  if (!enough_memory(10)) {
    GTEST_SKIP() << "needs 10 GiB of free memory, " << (available_memory_bytes() >> 20)
                 << " MiB available";
  }
  const Phase total("total: 1-D PQ-FS file");
  const std::filesystem::path path =
      std::filesystem::temp_directory_path() /
      ("dashi_large_field_test_" + std::to_string(::getpid()) + ".pqfs");
  {
    TernaryField input;
    {
      const Phase phase("make the 1-D field of 2^32 + 4103 sites");
      input = make_field(Shape{kSites1});
    }
    const Phase phase("pq::write_file, all workers");
    pq::write_file(path, input, {.num_workers = 0});
  }
  {
    const pq::PqFile file(path, {.num_workers = 0});
    ASSERT_EQ(file.size(), kSites1);
    const std::size_t first = kTwo32 - 5000;
    TernaryField rows;
    {
      const Phase phase("PqFile::read_rows across site 2^32 and to the end");
      rows = file.read_rows(first, kSites1 - first);
    }
    const auto bad = first_bad_site(
        rows.size(), [&](std::size_t i) { return rows.value(i) != site_value(first + i); });
    EXPECT_FALSE(bad) << describe(bad, "read_rows");
    TernaryField all;
    {
      const Phase phase("PqFile::read_all, all workers");
      all = file.read_all();
    }
    const Phase phase("check read_all (every site)");
    const auto bad_all =
        first_bad_site(all.size(), [&](std::size_t i) { return all.value(i) != site_value(i); });
    EXPECT_FALSE(bad_all) << describe(bad_all, "read_all");
    EXPECT_EQ(all.count_support(), file.support_count());
  }
  std::filesystem::remove(path);
}

}  // namespace
