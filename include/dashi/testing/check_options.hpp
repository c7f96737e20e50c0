// SPDX-License-Identifier: Apache-2.0
#pragma once

/// @file
/// `dashi::testing::CheckOptions`: what `check_kernel` varies (the seed of its random fields)
/// and how far it goes (the largest field it builds).

#include <cstddef>
#include <cstdint>
#include <string>

namespace dashi::testing {

/// Options of `check_kernel`. Designated initialisers read well:
/// `check_kernel(k, {.seed = 7, .max_sites = 4096})`.
struct CheckOptions {
  /// Seed of the random fields and of the shuffled block orders: the same seed checks the
  /// same fields on every machine.
  std::uint64_t seed = 0;
  /// Sites of the largest field (at least 1). Shapes with more sites are left out; the
  /// default reaches the sizes at which the executor runs blocks on several threads.
  std::size_t max_sites = std::size_t{1} << 16;
};

namespace detail {

/// `options` as text, for messages: "seed = 0, max_sites = 65536".
[[nodiscard]] inline std::string describe(const CheckOptions& options) {
  return "seed = " + std::to_string(options.seed) +
         ", max_sites = " + std::to_string(options.max_sites);
}

}  // namespace detail

}  // namespace dashi::testing
