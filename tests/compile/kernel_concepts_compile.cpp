// SPDX-License-Identifier: Apache-2.0
// Compile-only: the kernel concepts accept the two kernel forms and reject everything else;
// kernel_radius_v reads `radius` when declared and is 0 when the kernel has no `radius`.

#include <cstddef>
#include <dashi/execution/cpu_parallel.hpp>
#include <dashi/kernel.hpp>
#include <functional>

namespace dashi_compile_tests {

using dashi::AnyKernel;
using dashi::IntoKernel;
using dashi::Kernel;
using dashi::TernaryField;
using dashi::TernarySpan;
using dashi::TernaryView;

// ---- Types that are kernels --------------------------------------------------------------

struct Functional {
  TernaryField operator()(TernaryView in) const { return TernaryField::zeros(in.shape()); }
};
struct Into {
  void operator()(TernaryView, TernarySpan) const {}
};
struct Both {
  TernaryField operator()(TernaryView in) const { return TernaryField::zeros(in.shape()); }
  void operator()(TernaryView, TernarySpan) const {}
};
struct NoexceptInto {
  void operator()(TernaryView, TernarySpan) const noexcept {}
};
struct TakesConstRefs {
  void operator()(const TernaryView&, const TernarySpan&) const {}
};

inline constexpr auto functional_lambda = [](TernaryView in) {
  return TernaryField::zeros(in.shape());
};
inline constexpr auto into_lambda = [](TernaryView, TernarySpan) {};
inline constexpr auto generic_lambda = [](auto in) { return TernaryField::zeros(in.shape()); };
inline TernaryField functional_function(TernaryView in) { return TernaryField::zeros(in.shape()); }

static_assert(Kernel<Functional> && !IntoKernel<Functional> && AnyKernel<Functional>);
static_assert(IntoKernel<Into> && !Kernel<Into> && AnyKernel<Into>);
static_assert(Kernel<Both> && IntoKernel<Both> && AnyKernel<Both>);
static_assert(IntoKernel<NoexceptInto>);
static_assert(IntoKernel<TakesConstRefs>);
static_assert(Kernel<decltype(functional_lambda)>);
static_assert(IntoKernel<decltype(into_lambda)>);
static_assert(Kernel<decltype(generic_lambda)>);
static_assert(Kernel<decltype(&functional_function)>);
static_assert(Kernel<std::function<TernaryField(TernaryView)>>);
static_assert(IntoKernel<std::function<void(TernaryView, TernarySpan)>>);

// The shipped kernels.
static_assert(IntoKernel<dashi::kernels::SignFlip> && !Kernel<dashi::kernels::SignFlip>);
static_assert(IntoKernel<dashi::kernels::Clamp>);
static_assert(IntoKernel<dashi::kernels::ClampNonnegative>);
static_assert(IntoKernel<dashi::kernels::LeftNeighbor>);
static_assert(IntoKernel<dashi::kernels::Majority3x3>);

// ---- Types that are not kernels ----------------------------------------------------------

struct Empty {};
struct ReturnsInt {
  int operator()(TernaryView) const { return 0; }
};
struct IntoReturnsInt {
  int operator()(TernaryView, TernarySpan) const { return 0; }
};
struct ReturnsView {
  TernaryView operator()(TernaryView in) const { return in; }
};
struct ReturnsFieldReference {
  TernaryField& operator()(TernaryView) const;
};
struct NonConstCall {  // kernels are called through `const K&`
  TernaryField operator()(TernaryView in) { return TernaryField::zeros(in.shape()); }
};
struct NonConstInto {
  void operator()(TernaryView, TernarySpan) {}
};
struct TakesSpanOnly {  // a view is not writable: it does not convert to TernarySpan
  TernaryField operator()(TernarySpan in) const { return TernaryField::zeros(in.shape()); }
};
struct TakesField {  // a view does not convert to an owning field
  TernaryField operator()(TernaryField in) const { return in; }
};
struct SwappedArguments {
  void operator()(TernarySpan, TernaryView) const {}
};
struct ThreeArguments {
  void operator()(TernaryView, TernarySpan, int) const {}
};

inline constexpr auto wrong_return_lambda = [](TernaryView) { return 0; };
inline constexpr auto no_argument_lambda = [] { return TernaryField{}; };
inline constexpr auto wrong_arguments_lambda = [](int, int) {};
inline constexpr auto mutable_lambda = [n = 0](TernaryView in) mutable {
  ++n;
  return TernaryField::zeros(in.shape());
};

static_assert(!Kernel<int> && !IntoKernel<int> && !AnyKernel<int>);
static_assert(!AnyKernel<void*>);
static_assert(!AnyKernel<Empty>);
static_assert(!AnyKernel<ReturnsInt>);
static_assert(!AnyKernel<IntoReturnsInt>);
static_assert(!AnyKernel<ReturnsView>);
static_assert(!AnyKernel<ReturnsFieldReference>);
static_assert(!AnyKernel<NonConstCall>);
static_assert(!AnyKernel<NonConstInto>);
static_assert(!AnyKernel<TakesSpanOnly>);
static_assert(!AnyKernel<TakesField>);
static_assert(!AnyKernel<SwappedArguments>);
static_assert(!AnyKernel<ThreeArguments>);
static_assert(!AnyKernel<decltype(wrong_return_lambda)>);
static_assert(!AnyKernel<decltype(no_argument_lambda)>);
static_assert(!AnyKernel<decltype(wrong_arguments_lambda)>);
static_assert(!AnyKernel<decltype(mutable_lambda)>);
static_assert(!AnyKernel<TernaryField>);
static_assert(!AnyKernel<TernaryView>);

// ---- kernel_radius_v ---------------------------------------------------------------------

struct RadiusTwo {
  static constexpr std::size_t radius = 2;
  void operator()(TernaryView, TernarySpan) const {}
};
struct IntRadius {
  static constexpr int radius = 3;
  TernaryField operator()(TernaryView in) const { return TernaryField::zeros(in.shape()); }
};
struct ConstRadius {
  static const std::size_t radius = 7;
  void operator()(TernaryView, TernarySpan) const {}
};
struct NoRadius {
  void operator()(TernaryView, TernarySpan) const {}
};
// A `radius` that is no constant (a function, a non-constexpr or non-static member) is a
// compile error, never a silent 0: tests/compile/fail/radius_*.cpp.

static_assert(dashi::kernel_radius_v<RadiusTwo> == 2);
static_assert(dashi::kernel_radius_v<IntRadius> == 3);
static_assert(dashi::kernel_radius_v<ConstRadius> == 7);
static_assert(dashi::kernel_radius_v<NoRadius> == 0);
static_assert(dashi::kernel_radius_v<decltype(into_lambda)> == 0);
static_assert(dashi::kernel_radius_v<const RadiusTwo&> == 2);
static_assert(dashi::kernel_radius_v<RadiusTwo&&> == 2);
static_assert(dashi::kernel_radius_v<const volatile RadiusTwo> == 2);
static_assert(dashi::kernel_radius_v<dashi::kernels::SignFlip> == 0);
static_assert(dashi::kernel_radius_v<dashi::kernels::Clamp> == 0);
static_assert(dashi::kernel_radius_v<dashi::kernels::ClampNonnegative> == 0);
static_assert(dashi::kernel_radius_v<dashi::kernels::LeftNeighbor> == 1);
static_assert(dashi::kernel_radius_v<dashi::kernels::Majority3x3> == 1);

// ---- kernel_contract_proven_v --------------------------------------------------------------

struct Proven {
  static constexpr bool contract_proven = true;
  void operator()(TernaryView, TernarySpan) const {}
};
struct ExplicitlyUnproven {
  static constexpr bool contract_proven = false;
  void operator()(TernaryView, TernarySpan) const {}
};

static_assert(dashi::kernel_contract_proven_v<Proven>);
static_assert(dashi::kernel_contract_proven_v<const Proven&>);
static_assert(!dashi::kernel_contract_proven_v<ExplicitlyUnproven>);
static_assert(!dashi::kernel_contract_proven_v<NoRadius>);
static_assert(!dashi::kernel_contract_proven_v<decltype(functional_lambda)>);
static_assert(dashi::kernel_contract_proven_v<dashi::kernels::SignFlip>);
static_assert(dashi::kernel_contract_proven_v<dashi::kernels::Majority3x3>);

// ---- Entry points accept both forms (instantiated, not run) ------------------------------

[[maybe_unused]] void entry_points_accept_both_forms(dashi::ThreadPool& pool, TernaryView in,
                                                     TernarySpan out) {
  (void)dashi::apply_kernel(Functional{}, in);
  (void)dashi::apply_kernel(Into{}, in);
  (void)dashi::run_kernel_parallel(Functional{}, in);
  (void)dashi::run_kernel_parallel(pool, Into{}, in,
                                   {.num_workers = 2, .block_elems = 64, .halo = 1});
  dashi::run_kernel_parallel(pool, Both{}, in, out);
  dashi::run_kernel_parallel(pool, functional_lambda, in, out,
                             {.boundary = dashi::Boundary::periodic});
}

// ParallelOptions reads as in the README and defaults as documented.
static_assert(dashi::ParallelOptions{}.num_workers == 0);
static_assert(dashi::ParallelOptions{}.block_elems == 0);
static_assert(!dashi::ParallelOptions{}.halo.has_value());
static_assert(dashi::ParallelOptions{}.check_contract);
static_assert(dashi::ParallelOptions{}.boundary == dashi::Boundary::clip);

}  // namespace dashi_compile_tests
