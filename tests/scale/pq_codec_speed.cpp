// SPDX-License-Identifier: Apache-2.0
// PQ codec speed, side by side in one process (a measurement, not a test: it asserts only
// that the outputs agree). One core, 2^20 sites in cache: `pq::encode_into` /
// `pq::decode_into` against the hand-written AVX-512/BMI2 loop of
// bench/peers/pq_avx512_reference.hpp; then 2^27 sites from memory into caller buffers on
// 1 and 2 workers. Prints the codec path, medians and ratios.
//
//   pq_codec_speed [sites_in_cache_log2=20] [sites_from_memory_log2=27]

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <dashi/pq/codec.hpp>
#include <vector>

#include "../../bench/peers/pq_avx512_reference.hpp"
#include "support/seeded.hpp"

namespace {

using Clock = std::chrono::steady_clock;

template <class F>
double median_seconds(int repeats, F&& body) {
  std::vector<double> times;
  for (int r = 0; r < repeats; ++r) {
    const auto start = Clock::now();
    body();
    times.push_back(std::chrono::duration<double>(Clock::now() - start).count());
  }
  std::sort(times.begin(), times.end());
  return times[times.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  const unsigned small_log2 = argc > 1 ? static_cast<unsigned>(std::atoi(argv[1])) : 20;
  const unsigned large_log2 = argc > 2 ? static_cast<unsigned>(std::atoi(argv[2])) : 27;
  std::printf("codec path: %s\n", dashi::detail::isa_name(dashi::pq::detail::codec_isa()));
  int failures = 0;
  // ---- in cache, one core -------------------------------------------------------------
  {
    const std::size_t n = std::size_t{1} << small_log2;
    const dashi::TernaryField field = dashi_test::percent_field(dashi::Shape{n}, 50, 1);
    const dashi::pq::PqOptions options{.block_sites = 4096, .num_workers = 1};
    dashi::pq::PackedField packed;
    dashi::TernaryField out = dashi::TernaryField::uninitialized(field.shape());
    const int repeats = 301;
    dashi::pq::encode_into(field.view(), packed, options);
    const double lib_encode =
        median_seconds(repeats, [&] { dashi::pq::encode_into(field.view(), packed, options); });
    const double lib_decode =
        median_seconds(repeats, [&] { dashi::pq::decode_into(packed, out.span(), options); });
    failures += out == field ? 0 : 1;
    std::printf("in cache, 1 core, n = 2^%u, s = 0.5:\n", small_log2);
    std::printf("  library encode_into %7.2f Gsites/s, decode_into %7.2f Gsites/s\n",
                static_cast<double>(n) / lib_encode * 1e-9,
                static_cast<double>(n) / lib_decode * 1e-9);
    if (pq_reference::available()) {
      std::vector<std::uint64_t> p(n / 64), q(n / 64 + 2), o(n / 4096 + 2);
      std::vector<std::int8_t> back(n);
      const double ref_encode = median_seconds(repeats, [&] {
        (void)pq_reference::encode(field.data(), n, p.data(), q.data(), o.data(), 6);
      });
      const double ref_decode = median_seconds(
          repeats, [&] { pq_reference::decode(p.data(), q.data(), n, back.data()); });
      failures += std::equal(p.begin(), p.end(), packed.p_words().begin()) ? 0 : 1;
      failures += std::equal(back.begin(), back.end(), field.data()) ? 0 : 1;
      std::printf("  reference encode    %7.2f Gsites/s, decode      %7.2f Gsites/s\n",
                  static_cast<double>(n) / ref_encode * 1e-9,
                  static_cast<double>(n) / ref_decode * 1e-9);
      std::printf("  time ratio library / reference: encode %.3f, decode %.3f\n",
                  lib_encode / ref_encode, lib_decode / ref_decode);
    } else {
      std::printf("  (no AVX-512BW + BMI2 here: no reference loop)\n");
    }
  }
  // ---- from memory, caller buffers ----------------------------------------------------
  {
    const std::size_t n = std::size_t{1} << large_log2;
    const dashi::TernaryField field = dashi_test::percent_field(dashi::Shape{n}, 50, 2);
    dashi::TernaryField out = dashi::TernaryField::uninitialized(field.shape());
    for (const std::size_t workers : {std::size_t{1}, std::size_t{2}}) {
      const dashi::pq::PqOptions options{.block_sites = 4096, .num_workers = workers};
      dashi::pq::PackedField packed;
      dashi::pq::encode_into(field.view(), packed, options);
      dashi::pq::decode_into(packed, out.span(), options);  // pages of `out` touched once
      const double encode =
          median_seconds(7, [&] { dashi::pq::encode_into(field.view(), packed, options); });
      const double decode =
          median_seconds(7, [&] { dashi::pq::decode_into(packed, out.span(), options); });
      failures += out == field ? 0 : 1;
      std::printf(
          "from memory, n = 2^%u, %zu worker(s): encode_into %6.2f Gsites/s, "
          "decode_into %6.2f Gsites/s\n",
          large_log2, workers, static_cast<double>(n) / encode * 1e-9,
          static_cast<double>(n) / decode * 1e-9);
    }
  }
  if (failures != 0) {
    std::printf("MISMATCH: %d outputs differ\n", failures);
  }
  return failures == 0 ? 0 : 1;
}
