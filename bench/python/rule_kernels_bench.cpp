// SPDX-License-Identifier: Apache-2.0
// Rule kernels on one core, fields in cache: Rule1D (radius 1, 2, 3) on 1-D fields and
// Totalistic2D (with Majority3x3 beside it) on 2-D fields, on each instruction-set path the
// CPU has. items_per_second is sites per second.
//
//   rule_kernels_bench --benchmark_filter=... [--benchmark_format=json]

#include <benchmark/benchmark.h>

#include <cstddef>
#include <cstdint>
#include <dashi/kernel.hpp>
#include <string>
#include <vector>

namespace {

using dashi::Shape;
using dashi::TernaryField;
using dashi::detail::Isa;

std::uint64_t next(std::uint64_t& state) {
  std::uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

TernaryField field(const Shape& shape, std::uint64_t seed) {
  std::vector<std::int8_t> values(shape.size());
  for (auto& v : values) {
    const std::uint64_t r = next(seed);
    v = r % 10 < 3 ? std::int8_t{0} : ((r >> 32) & 1U) != 0 ? std::int8_t{1} : std::int8_t{-1};
  }
  return TernaryField::from_signed(std::span<const std::int8_t>(values), shape);
}

template <std::size_t R>
std::vector<std::int8_t> rule_table(std::uint64_t seed) {
  std::vector<std::int8_t> table(dashi::kernels::Rule1D<R>::table_size);
  for (std::size_t e = 0; e < table.size(); ++e) {
    const bool centre_zero = (e / dashi::detail::pow3(R)) % 3 == 1;
    table[e] = centre_zero ? std::int8_t{0} : static_cast<std::int8_t>(next(seed) % 3) - 1;
  }
  return table;
}

bool skip_unavailable(benchmark::State& state, Isa isa) {
  if (isa > dashi::detail::rule_isa()) {
    state.SkipWithError("instruction set not available on this CPU");
    return true;
  }
  return false;
}

template <std::size_t R>
void BM_rule1d(benchmark::State& state) {
  const auto isa = static_cast<Isa>(state.range(0));
  if (skip_unavailable(state, isa)) {
    return;
  }
  const auto n = static_cast<std::size_t>(state.range(1));
  const TernaryField in = field(Shape{n}, 1);
  TernaryField out = TernaryField::zeros(in.shape());
  const dashi::kernels::Rule1D<R> rule(rule_table<R>(7));
  for (auto _ : state) {
    rule.apply_with(isa, in.view(), out.span());
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(n));
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(2 * n));
}

void BM_totalistic2d(benchmark::State& state) {
  const auto isa = static_cast<Isa>(state.range(0));
  if (skip_unavailable(state, isa)) {
    return;
  }
  const auto side = static_cast<std::size_t>(state.range(1));
  const TernaryField in = field(Shape{side, side}, 2);
  TernaryField out = TernaryField::zeros(in.shape());
  constexpr auto majority = dashi::kernels::Totalistic2D::majority_table();
  const dashi::kernels::Totalistic2D rule(majority);
  for (auto _ : state) {
    rule.apply_with(isa, in.view(), out.span());
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(in.size()));
}

void BM_majority3x3(benchmark::State& state) {
  const auto side = static_cast<std::size_t>(state.range(0));
  const TernaryField in = field(Shape{side, side}, 2);
  TernaryField out = TernaryField::zeros(in.shape());
  const dashi::kernels::Majority3x3 kernel;
  for (auto _ : state) {
    kernel(in.view(), out.span());
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(in.size()));
}

// Arguments: instruction set (0 portable, 1 AVX2, 2 AVX-512) × sites (in L1 and in L2).
BENCHMARK(BM_rule1d<1>)->ArgsProduct({{0, 1, 2}, {16384, 262144}});
BENCHMARK(BM_rule1d<2>)->ArgsProduct({{0, 1, 2}, {16384, 262144}});
BENCHMARK(BM_rule1d<3>)->ArgsProduct({{0}, {16384}});
BENCHMARK(BM_totalistic2d)->ArgsProduct({{0, 1, 2}, {128, 512}});
BENCHMARK(BM_majority3x3)->Arg(128)->Arg(512);

}  // namespace

BENCHMARK_MAIN();
