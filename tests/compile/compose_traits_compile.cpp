// SPDX-License-Identifier: Apache-2.0
// Compile-only: `compose` sums the radii of its kernels, is contract-proven exactly when
// every kernel of the chain is, and is an into kernel whatever forms it composes; the
// shipped kernels declare `contract_proven`; kernel_concepts.hpp alone is enough to write
// and constrain kernels.

#include <cstddef>
#include <dashi/kernel.hpp>
#include <dashi/kernel_concepts.hpp>
#include <dashi/kernels/compose.hpp>
#include <utility>

namespace dashi_compile_tests {

namespace kernels = dashi::kernels;
using dashi::kernel_contract_proven_v;
using dashi::kernel_radius_v;
using dashi::TernaryField;
using dashi::TernarySpan;
using dashi::TernaryView;

/// Radius 2, into form, not contract-proven.
struct RadiusTwo {
  static constexpr std::size_t radius = 2;
  void operator()(TernaryView, TernarySpan) const {}
};
/// Radius 3, into form, not contract-proven.
struct RadiusThree {
  static constexpr std::size_t radius = 3;
  void operator()(TernaryView, TernarySpan) const {}
};
/// Radius 1, functional form, not contract-proven.
struct FunctionalRadiusOne {
  static constexpr std::size_t radius = 1;
  TernaryField operator()(TernaryView in) const { return TernaryField::zeros(in.shape()); }
};
/// Radius 0, functional form, not contract-proven.
struct FunctionalPointwise {
  TernaryField operator()(TernaryView in) const { return TernaryField::zeros(in.shape()); }
};

template <class... K>
using Chain = decltype(dashi::compose(std::declval<K>()...));

// Radius: the sum of the radii, nested chains included.
static_assert(kernel_radius_v<Chain<kernels::SignFlip>> == 0);
static_assert(kernel_radius_v<Chain<kernels::LeftNeighbor, RadiusTwo>> == 3);
static_assert(kernel_radius_v<Chain<kernels::LeftNeighbor, kernels::SignFlip, RadiusThree>> == 4);
static_assert(kernel_radius_v<Chain<FunctionalRadiusOne, kernels::Majority3x3, FunctionalPointwise,
                                    RadiusTwo>> == 4);
static_assert(kernel_radius_v<Chain<Chain<kernels::LeftNeighbor, RadiusTwo>, RadiusThree,
                                    Chain<FunctionalRadiusOne>>> == 7);

// Form: always an into kernel.
static_assert(dashi::IntoKernel<Chain<RadiusTwo>>);
static_assert(dashi::IntoKernel<Chain<FunctionalPointwise, FunctionalRadiusOne>>);
static_assert(dashi::AnyKernel<Chain<Chain<FunctionalPointwise>>>);

// Contract-proven only when every kernel of the chain is.
static_assert(kernel_contract_proven_v<kernels::SignFlip>);
static_assert(kernel_contract_proven_v<kernels::Clamp>);
static_assert(kernel_contract_proven_v<kernels::ClampNonnegative>);
static_assert(kernel_contract_proven_v<kernels::LeftNeighbor>);
static_assert(kernel_contract_proven_v<kernels::Majority3x3>);
static_assert(kernel_contract_proven_v<Chain<kernels::SignFlip>>);
static_assert(
    kernel_contract_proven_v<Chain<kernels::SignFlip, kernels::LeftNeighbor, kernels::Majority3x3,
                                   kernels::Clamp, kernels::ClampNonnegative>>);
static_assert(!kernel_contract_proven_v<Chain<RadiusTwo>>);
static_assert(!kernel_contract_proven_v<Chain<kernels::SignFlip, RadiusTwo>>);
static_assert(!kernel_contract_proven_v<Chain<RadiusTwo, kernels::SignFlip>>);
static_assert(!kernel_contract_proven_v<Chain<FunctionalPointwise>>);
static_assert(kernel_contract_proven_v<Chain<Chain<kernels::SignFlip>, kernels::LeftNeighbor>>);
static_assert(
    !kernel_contract_proven_v<Chain<Chain<kernels::SignFlip, RadiusThree>, kernels::LeftNeighbor>>);

// A kernel's traits are readable through references and cv-qualifiers.
static_assert(kernel_radius_v<const RadiusTwo&> == 2);
static_assert(kernel_contract_proven_v<const kernels::SignFlip&>);

}  // namespace dashi_compile_tests
