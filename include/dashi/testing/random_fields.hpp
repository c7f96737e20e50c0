// SPDX-License-Identifier: Apache-2.0
#pragma once

/// @file
/// The seeded fields and block orders of `check_kernel`: SplitMix64, fully specified, so the
/// same seed checks the same fields and orders on every machine and compiler.

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <dashi/carrier.hpp>
#include <utility>
#include <vector>

namespace dashi::testing::detail {

/// SplitMix64 (no implementation-defined distributions). Not thread-safe; cheap to copy.
class SplitMix64 {
 public:
  explicit SplitMix64(std::uint64_t seed) noexcept : state_(seed) {}
  std::uint64_t next() noexcept {
    std::uint64_t z = (state_ += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }
  /// Uniform in `[0, bound)`; `bound > 0`.
  std::size_t below(std::size_t bound) noexcept {
    return static_cast<std::size_t>(next() % static_cast<std::uint64_t>(bound));
  }

 private:
  std::uint64_t state_;
};

/// The generator of field `field` of a check seeded with `seed`.
[[nodiscard]] inline SplitMix64 field_rng(std::uint64_t seed, std::size_t field) noexcept {
  SplitMix64 mix(seed ^ 0x6A09E667F3BCC909ULL);
  for (std::size_t i = 0; i <= field; ++i) {
    mix.next();
  }
  return SplitMix64(mix.next() + static_cast<std::uint64_t>(field));
}

/// A field filled with `value` (any byte: the output buffers are filled with a poison byte
/// before a kernel writes them). Throws `std::bad_alloc`.
[[nodiscard]] inline TernaryField filled_field(const Shape& shape, std::int8_t value) {
  TernaryField field = TernaryField::uninitialized(shape);
  std::fill_n(field.span().data(), field.size(), value);
  return field;
}

/// Field `field` of a check seeded with `seed`: zeros with a probability that changes from
/// field to field (3/8, 1/8 or 6/8), random signs elsewhere. Throws `std::bad_alloc`.
[[nodiscard]] inline TernaryField random_field(const Shape& shape, std::uint64_t seed,
                                               std::size_t field) {
  static constexpr std::array<std::uint64_t, 3> zero_eighths = {3, 1, 6};
  const std::uint64_t zeros = zero_eighths[field % 3];
  SplitMix64 rng = detail::field_rng(seed, field);
  TernaryField result = TernaryField::uninitialized(shape);
  std::int8_t* out = result.span().data();
  for (std::size_t i = 0; i < result.size(); ++i) {
    const std::uint64_t r = rng.next();
    out[i] = (r & 7U) < zeros        ? std::int8_t{0}
             : ((r >> 32) & 1U) != 0 ? std::int8_t{1}
                                     : std::int8_t{-1};
  }
  return result;
}

/// A seeded shuffle (Fisher–Yates) of `0, 1, ..., n - 1`. Throws `std::bad_alloc`.
[[nodiscard]] inline std::vector<std::size_t> shuffled_order(std::size_t n, std::uint64_t seed) {
  std::vector<std::size_t> order(n);
  for (std::size_t i = 0; i < n; ++i) {
    order[i] = i;
  }
  SplitMix64 rng(seed ^ 0xBB67AE8584CAA73BULL);
  for (std::size_t i = n; i > 1; --i) {
    std::swap(order[i - 1], order[rng.below(i)]);
  }
  return order;
}

/// `n - 1, ..., 1, 0`. Throws `std::bad_alloc`.
[[nodiscard]] inline std::vector<std::size_t> reversed_order(std::size_t n) {
  std::vector<std::size_t> order(n);
  for (std::size_t i = 0; i < n; ++i) {
    order[i] = n - 1 - i;
  }
  return order;
}

}  // namespace dashi::testing::detail
