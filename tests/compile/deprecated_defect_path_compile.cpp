// SPDX-License-Identifier: Apache-2.0
// Compile-only: the deprecated path <dashi/execution/defect.hpp> (kept for one release) still
// gives every name of <dashi/metrics.hpp> — defect_local, defect_aggregate, is_fixed_point,
// mdl_score, mdl_compare, MdlChoice — with the same signatures. Its note is silenced here; the
// hygiene test `deprecated_headers` checks that the note is printed and never fails a -Werror
// build.

#define DASHI_NO_DEPRECATED_HEADER_MESSAGES
#include <cstdint>
#include <dashi/execution/defect.hpp>
#include <type_traits>
#include <vector>

namespace dashi_compile_tests {

using dashi::TernaryView;

static_assert(std::is_same_v<decltype(&dashi::defect_local),
                             std::vector<std::uint8_t> (*)(TernaryView, TernaryView)>);
static_assert(std::is_same_v<decltype(&dashi::defect_aggregate),
                             std::uint64_t (*)(TernaryView, TernaryView)>);
static_assert(std::is_same_v<decltype(&dashi::mdl_score), double (*)(TernaryView) noexcept>);
static_assert(std::is_same_v<decltype(&dashi::mdl_compare),
                             dashi::MdlChoice (*)(TernaryView, TernaryView) noexcept>);
static_assert(dashi::MdlChoice::a != dashi::MdlChoice::tie);

/// A pointwise kernel, for `is_fixed_point`.
struct DeprecatedPathIdentity {
  void operator()(TernaryView, dashi::TernarySpan) const {}
};
static_assert(
    std::is_same_v<decltype(dashi::is_fixed_point(DeprecatedPathIdentity{}, TernaryView{})), bool>);

}  // namespace dashi_compile_tests
