// SPDX-License-Identifier: Apache-2.0
// Compile-only: the deprecated path <dashi/execution/compose.hpp> (kept for one release) still
// gives every name of <dashi/kernels/compose.hpp>, and the same entities. Its note is silenced
// here; the hygiene test `deprecated_headers` checks that the note is printed and never fails
// a -Werror build.

#define DASHI_NO_DEPRECATED_HEADER_MESSAGES
#include <cstddef>
#include <dashi/execution/compose.hpp>
#include <type_traits>

namespace dashi_compile_tests {

/// Radius 1, into form.
struct DeprecatedPathRadiusOne {
  static constexpr std::size_t radius = 1;
  void operator()(dashi::TernaryView, dashi::TernarySpan) const {}
};

using DeprecatedPathChain = dashi::ComposedKernel<DeprecatedPathRadiusOne, DeprecatedPathRadiusOne>;
static_assert(
    std::is_same_v<decltype(dashi::compose(DeprecatedPathRadiusOne{}, DeprecatedPathRadiusOne{})),
                   DeprecatedPathChain>);
static_assert(DeprecatedPathChain::radius == 2);
static_assert(dashi::IntoKernel<DeprecatedPathChain>);

}  // namespace dashi_compile_tests
