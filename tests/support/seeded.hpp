// SPDX-License-Identifier: Apache-2.0
#pragma once

/// @file
/// Seeded randomness shared by the tests and the fuzz corpus generator: SplitMix64 (fully
/// specified, so every platform and compiler builds the same fields), a field with a given
/// percentage of supported sites and a field with a given fraction of zeros. The fuzz
/// corpora and the tests' recorded values depend on these exact sequences
/// (tests/unit/support_seeded_test.cpp pins them). Thread-safe: no shared state.

#include <cstddef>
#include <cstdint>
#include <dashi/carrier.hpp>
#include <dashi/testing/random_fields.hpp>
#include <span>
#include <vector>

namespace dashi_test {

/// SplitMix64: deterministic and portable (no implementation-defined distributions). The
/// generator of `dashi::testing` (the same sequence, so the tests and `check_kernel` draw
/// alike), plus `unit()`. Not thread-safe; cheap to copy.
class Rng : public dashi::testing::detail::SplitMix64 {
 public:
  using SplitMix64::SplitMix64;
  /// Uniform in [0, 1): the top 53 bits of `next()`.
  double unit() noexcept { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
};

/// Field of `shape` with about `percent`% supported sites and random signs. Throws what
/// `TernaryField::from_signed` throws (std::bad_alloc).
inline dashi::TernaryField percent_field(const dashi::Shape& shape, unsigned percent,
                                         std::uint64_t seed) {
  Rng rng(seed);
  std::vector<std::int8_t> values(shape.size());
  for (auto& v : values) {
    const std::uint64_t r = rng.next();
    v = r % 100 >= percent      ? std::int8_t{0}
        : ((r >> 32) & 1U) != 0 ? std::int8_t{1}
                                : std::int8_t{-1};
  }
  return dashi::TernaryField::from_signed(std::span<const std::int8_t>(values), shape);
}

/// Random values of `count` sites: 0 with probability `sparsity`, else ±1 with equal odds.
inline std::vector<std::int8_t> random_values(std::size_t count, double sparsity,
                                              std::uint64_t seed) {
  Rng rng(seed);
  std::vector<std::int8_t> values(count);
  for (auto& v : values) {
    if (rng.unit() < sparsity) {
      v = 0;
    } else {
      v = (rng.next() & 1U) != 0 ? std::int8_t{1} : std::int8_t{-1};
    }
  }
  return values;
}

/// Seeded random field of `shape` (see `random_values`). Throws std::bad_alloc.
inline dashi::TernaryField random_field(const dashi::Shape& shape, double sparsity,
                                        std::uint64_t seed) {
  const auto values = random_values(shape.size(), sparsity, seed);
  return dashi::TernaryField::from_signed(std::span<const std::int8_t>(values), shape);
}

}  // namespace dashi_test
