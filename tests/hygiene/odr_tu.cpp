// SPDX-License-Identifier: Apache-2.0
// One translation unit of the mixed -march program of hygiene.py's `odr` check: built twice,
// once with -march=native and once without, each copy defining `DASHI_HYGIENE_TU()`. Both
// run the shipped kernels, the contract check and the trit scans over the same field and
// return a fingerprint of every output.

#include <cstddef>
#include <cstdint>
#include <dashi/execution/cpu_parallel.hpp>
#include <dashi/kernel.hpp>
#include <dashi/metrics.hpp>
#include <vector>

#ifndef DASHI_HYGIENE_TU
#  error "define DASHI_HYGIENE_TU to the name of this unit's function"
#endif

namespace {

std::uint64_t mix(std::uint64_t hash, std::uint64_t value) {
  hash ^= value + 0x9E3779B97F4A7C15ULL + (hash << 6) + (hash >> 2);
  return hash;
}

std::uint64_t fold(std::uint64_t hash, const dashi::TernaryField& field) {
  for (std::size_t i = 0; i < field.size(); ++i) {
    hash = mix(hash, static_cast<std::uint64_t>(field.value(i) + 1));
  }
  return hash;
}

/// Not contract-proven, so the executor runs its vectorised contract check on it.
struct Checked {
  static constexpr std::size_t radius = 1;
  void operator()(dashi::TernaryView in, dashi::TernarySpan out) const {
    dashi::kernels::LeftNeighbor{}(in, out);
  }
};

}  // namespace

std::uint64_t DASHI_HYGIENE_TU() {
  const dashi::Shape shape{std::size_t{61}, std::size_t{67}};
  std::vector<std::int8_t> values(shape.size());
  std::uint64_t state = 12345;
  for (auto& v : values) {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    v = static_cast<std::int8_t>(static_cast<int>((state >> 33) % 3) - 1);
  }
  const dashi::TernaryField x = dashi::TernaryField::from_signed(values, shape);
  namespace k = dashi::kernels;
  std::uint64_t hash = 0;
  const dashi::ParallelOptions options{.num_workers = 1, .block_elems = 67 * 7};
  hash = fold(hash, dashi::apply_kernel(k::SignFlip{}, x.view()));
  hash = fold(hash, dashi::apply_kernel(k::Clamp{}, x.view()));
  hash = fold(hash, dashi::apply_kernel(k::ClampNonnegative{}, x.view()));
  hash = fold(hash, dashi::apply_kernel(k::LeftNeighbor{}, x.view()));
  hash = fold(hash, dashi::apply_kernel(k::Majority3x3{}, x.view()));
  hash = fold(hash, dashi::run_kernel_parallel(k::Majority3x3{}, x.view(), options));
  dashi::ThreadPool pool(1);
  hash = fold(hash, dashi::run_kernel_parallel(pool, Checked{}, x.view(), options));
  hash = mix(hash, x.count_support());
  hash = mix(hash, dashi::detail::l1_distance(x.data(), values.data(), x.size()));
  std::vector<std::int8_t> broken = values;
  broken[4000] = 3;
  const auto bad = dashi::detail::first_non_trit(broken.data(), broken.size());
  hash = mix(hash, bad ? *bad : 0);
  return hash;
}
