// SPDX-License-Identifier: Apache-2.0
// Compiled to an object by exact_codegen.py with plain and with wide -m / -march flags: every
// instruction-set clone of the byte maps, scans, stencils, rule kernels and PQ codec is
// instantiated here, and the
// script checks that each one holds only the instructions of its exact level.

#include <cstddef>
#include <cstdint>
#include <dashi/detail/byte_simd.hpp>
#include <dashi/detail/checked_map.hpp>
#include <dashi/detail/stencil_simd.hpp>
#include <dashi/detail/trit_scan.hpp>
#include <dashi/kernels/pointwise.hpp>
#include <dashi/kernels/rule1d.hpp>
#include <dashi/kernels/totalistic2d.hpp>
#include <dashi/pq/codec.hpp>
#include <dashi/pq/detail/crc32c.hpp>
#include <dashi/pq/detail/popcount.hpp>
#include <dashi/pq/detail/superblock_plan.hpp>
#include <vector>

namespace {

template <class Rule>
std::size_t run_rule(const Rule& rule, const dashi::TernaryField& in) {
  dashi::TernaryField out = dashi::TernaryField::zeros(in.shape());
  std::size_t support = 0;
  for (const auto isa :
       {dashi::detail::Isa::portable, dashi::detail::Isa::avx2, dashi::detail::Isa::avx512}) {
    if (isa <= dashi::detail::rule_isa()) {
      rule.apply_with(isa, in.view(), out.span());
      support += out.count_support();
    }
  }
  return support;
}

}  // namespace

int main() {
  const dashi::TernaryField line = dashi::TernaryField::zeros(dashi::Shape{std::size_t{4096}});
  const dashi::TernaryField grid = dashi::TernaryField::zeros(dashi::Shape{96, 96});
  std::size_t support = 0;
  support += run_rule(dashi::kernels::Rule1D<1>(std::vector<std::int8_t>(27, 0)), line);
  support += run_rule(dashi::kernels::Rule1D<2>(std::vector<std::int8_t>(243, 0)), line);
  support += run_rule(dashi::kernels::Totalistic2D(std::vector<std::int8_t>(51, 0)), grid);
  // The codec kernels on every path, decoding with and without streaming stores.
  std::vector<std::uint64_t> p(64 + 1);
  std::vector<std::uint64_t> q(64 + 2);
  std::vector<std::uint64_t> offsets(2);
  std::vector<std::int8_t> decoded(line.size());
  for (const auto path :
       {dashi::pq::detail::CodecPath::portable, dashi::pq::detail::CodecPath::avx2,
        dashi::pq::detail::CodecPath::avx512}) {
    if (dashi::pq::detail::codec_path_available(path)) {
      const std::uint64_t bits = dashi::pq::detail::encode_kernel(
          path, line.data(), line.size(), p.data(), q.data(), 6, offsets.data());
      for (const bool stream : {false, true}) {
        dashi::pq::detail::decode_kernel(path, p.data(), line.size(), q.data(), 0, decoded.data(),
                                         stream);
      }
      support += bits + static_cast<std::size_t>(decoded[0] != 0);
    }
  }
  // The byte maps, scans and stencils (their dispatch names every entry point).
  std::vector<std::int8_t> out(line.size());
  dashi::detail::map_bytes(line.data(), out.data(), line.size(), dashi::detail::SignBytes{});
  support += dashi::detail::map_bytes_checked(line.data(), out.data(), line.size(),
                                              dashi::detail::NegateBytes{})
                 ? 0
                 : 1;
  support += dashi::detail::contract_violated(line.data(), out.data(), line.size()) ? 1 : 0;
  support += dashi::detail::l1_distance(line.data(), out.data(), line.size());
  support += dashi::detail::first_non_trit(line.data(), line.size()).value_or(0);
  support += dashi::detail::count_nonzero(line.data(), line.size());
  dashi::detail::left_neighbor(grid.data(), out.data(), grid.size(), 96);
  dashi::detail::majority3x3(grid.data(), out.data(), 96, 96, 0, 96);
  std::vector<std::uint8_t> counts(64);
  dashi::pq::detail::count_words(line.data(), line.size(), counts.data());
  const std::vector<std::uint64_t> words(64, 1);
  support += dashi::pq::detail::popcount_words(words.data(), words.size());
  support += dashi::pq::detail::crc32c(counts.data(), counts.size()) & 1U;
  return support == 64 ? 0 : 1;  // all fields are zero: 64 set bits, from popcount_words
}
