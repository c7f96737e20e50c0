// SPDX-License-Identifier: Apache-2.0
// Compiled to an object by exact_codegen.py with plain and with wide -m / -march flags: every
// instruction-set clone of the byte maps, scans, stencils, rule kernels, PQ codec and bit planes
// (pack and unpack, the PQ bridge, the bit-sliced kernels) is instantiated here, and the script
// checks that each one holds only the instructions of its exact level.

#include <cstddef>
#include <cstdint>
#include <dashi/bits.hpp>
#include <dashi/detail/byte_simd.hpp>
#include <dashi/detail/checked_map.hpp>
#include <dashi/detail/stencil_simd.hpp>
#include <dashi/detail/trit_scan.hpp>
#include <dashi/kernels/pointwise.hpp>
#include <dashi/kernels/rule1d.hpp>
#include <dashi/kernels/stencils.hpp>
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
  for (const auto isa :
       {dashi::detail::Isa::portable, dashi::detail::Isa::avx2, dashi::detail::Isa::avx512}) {
    if (isa <= dashi::pq::detail::codec_isa()) {
      const std::uint64_t bits = dashi::pq::detail::encode_kernel(
          isa, line.data(), line.size(), p.data(), q.data(), 6, offsets.data());
      for (const bool stream : {false, true}) {
        dashi::pq::detail::decode_kernel(isa, p.data(), line.size(), q.data(), 0, decoded.data(),
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
  // The bit planes: pack and unpack, the PQ bridge both ways, and every bit-sliced kernel
  // (their dispatch names the entry point of every level), on a run and on slices.
  const dashi::bits::BitField line_bits = dashi::bits::pack(line.view());
  const dashi::bits::BitField grid_bits = dashi::bits::pack(grid.view());
  dashi::bits::BitField line_out = dashi::bits::BitField::zeros(line.shape());
  dashi::bits::BitField grid_out = dashi::bits::BitField::zeros(grid.shape());
  const dashi::pq::PackedField packed =
      dashi::bits::to_pq(line_bits.view(), dashi::pq::PqOptions{.num_workers = 1});
  support += dashi::bits::from_pq(packed).view().count_support();
  support += dashi::bits::unpack(grid_bits.view()).count_support();
  dashi::kernels::SignFlip{}.bits(line_bits.view(), line_out.span());
  dashi::kernels::Clamp{}.bits(line_bits.view(), line_out.span());
  dashi::kernels::ClampNonnegative{}.bits(line_bits.view(), line_out.span());
  dashi::kernels::LeftNeighbor{}.bits(line_bits.view(), line_out.span());
  dashi::kernels::LeftNeighbor{}.bits(grid_bits.view(), grid_out.span());
  dashi::kernels::Majority3x3{}.bits(grid_bits.view(), grid_out.span());
  const dashi::kernels::Rule1D<1> rule(std::vector<std::int8_t>(27, 0));
  rule.bits(line_bits.view(), line_out.span());
  rule.bits(grid_bits.view(), grid_out.span());
  dashi::kernels::Totalistic2D(std::vector<std::int8_t>(51, 0))
      .bits(grid_bits.view(), grid_out.span());
  support += line_out.view().count_support() + grid_out.view().count_support();
  return support == 64 ? 0 : 1;  // all fields are zero: 64 set bits, from popcount_words
}
