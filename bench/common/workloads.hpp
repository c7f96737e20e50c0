// SPDX-License-Identifier: Apache-2.0
#pragma once

/// @file
/// Seeded, reproducible 1-D input fields for the bench (the workloads of the Python
/// dashiCORE bench): `random_sparse` and `clustered_sparse`. The generator is SplitMix64,
/// so a (workload, n, sparsity, seed) gives the same field on every machine and compiler.

#include <cstddef>
#include <cstdint>
#include <dashi/carrier.hpp>
#include <stdexcept>
#include <string>
#include <string_view>

namespace dashi_bench {

/// The input generators.
enum class Workload : std::uint8_t {
  random_sparse,    ///< i.i.d. sites: 0 with probability `sparsity`, else ±1 with equal odds
  clustered_sparse  ///< runs of 8 sites sharing one sign, each run kept with probability 1 −
                    ///< sparsity
};

[[nodiscard]] inline std::string_view workload_name(Workload w) noexcept {
  return w == Workload::random_sparse ? "random_sparse" : "clustered_sparse";
}

/// SplitMix64: a tiny, fast, well-mixed 64-bit generator with a fully specified output.
class SplitMix64 {
 public:
  explicit SplitMix64(std::uint64_t seed) noexcept : state_(seed) {}
  std::uint64_t operator()() noexcept {
    std::uint64_t z = (state_ += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }

 private:
  std::uint64_t state_;
};

namespace detail {

/// `sparsity` as a threshold on a uniform 32-bit draw: a draw below it means "zero".
[[nodiscard]] inline std::uint64_t zero_threshold(double sparsity) {
  if (!(sparsity >= 0.0 && sparsity <= 1.0)) {
    throw std::invalid_argument("dashi_bench: sparsity must lie in [0, 1], got " +
                                std::to_string(sparsity));
  }
  return static_cast<std::uint64_t>(sparsity * 4294967296.0);
}

/// Stream seed for one (workload, seed) pair, so the two workloads never share draws.
[[nodiscard]] inline std::uint64_t stream_seed(Workload w, std::uint64_t seed) noexcept {
  return seed * 0xD1B54A32D192ED03ULL + (w == Workload::random_sparse ? 0x1234ULL : 0x5678ULL);
}

}  // namespace detail

/// `n` i.i.d. sites: 0 with probability `sparsity`, otherwise -1 or +1 with equal odds.
/// Throws `std::invalid_argument` for a sparsity outside [0, 1].
[[nodiscard]] inline dashi::TernaryField random_sparse(std::size_t n, double sparsity,
                                                       std::uint64_t seed) {
  const std::uint64_t threshold = detail::zero_threshold(sparsity);
  dashi::TernaryField field = dashi::TernaryField::uninitialized(dashi::Shape{n});
  std::int8_t* out = field.data();
  SplitMix64 rng(detail::stream_seed(Workload::random_sparse, seed));
  for (std::size_t i = 0; i < n; ++i) {
    const std::uint64_t r = rng();
    const bool zero = (r >> 32) < threshold;
    const auto sign = static_cast<std::int8_t>((r & 1U) != 0 ? 1 : -1);
    out[i] = zero ? std::int8_t{0} : sign;
  }
  return field;
}

/// `n` sites in runs of 8 (the last run may be shorter): each run is kept with probability
/// 1 − `sparsity` and then holds one random sign on all its sites, otherwise it is all 0.
/// Throws `std::invalid_argument` for a sparsity outside [0, 1].
[[nodiscard]] inline dashi::TernaryField clustered_sparse(std::size_t n, double sparsity,
                                                          std::uint64_t seed) {
  constexpr std::size_t run = 8;
  const std::uint64_t threshold = detail::zero_threshold(sparsity);
  dashi::TernaryField field = dashi::TernaryField::uninitialized(dashi::Shape{n});
  std::int8_t* out = field.data();
  SplitMix64 rng(detail::stream_seed(Workload::clustered_sparse, seed));
  for (std::size_t first = 0; first < n; first += run) {
    const std::uint64_t r = rng();
    const bool zero = (r >> 32) < threshold;
    const auto value = zero ? std::int8_t{0} : static_cast<std::int8_t>((r & 1U) != 0 ? 1 : -1);
    const std::size_t end = first + run < n ? first + run : n;
    for (std::size_t i = first; i < end; ++i) {
      out[i] = value;
    }
  }
  return field;
}

/// The field of workload `w`.
[[nodiscard]] inline dashi::TernaryField make_workload(Workload w, std::size_t n, double sparsity,
                                                       std::uint64_t seed) {
  return w == Workload::random_sparse ? random_sparse(n, sparsity, seed)
                                      : clustered_sparse(n, sparsity, seed);
}

}  // namespace dashi_bench
