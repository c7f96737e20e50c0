// SPDX-License-Identifier: Apache-2.0
#pragma once

/// @file
/// `dashi::testing::check_kernel`: the parallelism tests of the library, run on a user's
/// kernel. The executors' guarantee (the result never depends on the worker count, the
/// block size, the order or the boundary handling) holds only when the kernel keeps its word:
/// its declared radius, forms that agree, purity and the contract. This checks all of them
/// on seeded random fields and names the first broken one.

#include <cstddef>
#include <dashi/carrier.hpp>
#include <dashi/execution/thread_pool.hpp>
#include <dashi/kernel_concepts.hpp>
#include <dashi/testing/check_options.hpp>
#include <dashi/testing/executor_checks.hpp>
#include <dashi/testing/form_checks.hpp>
#include <dashi/testing/kernel_check_error.hpp>
#include <dashi/testing/random_fields.hpp>
#include <dashi/testing/report.hpp>
#include <dashi/testing/shapes.hpp>
#include <stdexcept>
#include <string>
#include <vector>

namespace dashi::testing {

namespace detail {

/// Worker threads of the pool a check runs on (the calling thread makes one more).
inline constexpr std::size_t check_pool_threads = 3;

/// `check_kernel` for a kernel whose declared radius is `radius` (at least
/// `kernel_radius_v<K>`; the executors get it as their halo): what the Python module uses
/// for kernels whose radius is known only at run time.
template <class K>
void check_kernel_with_radius(const K& kernel, std::size_t radius, const CheckOptions& options) {
  static_assert(AnyKernel<K>, DASHI_KERNEL_REQUIREMENT);
  if (options.max_sites == 0) {
    throw std::invalid_argument("dashi::testing::check_kernel: max_sites must be at least 1");
  }
  if (radius < kernel_radius_v<K>) {
    throw std::invalid_argument("dashi::testing::check_kernel: radius " + std::to_string(radius) +
                                " is below the kernel type's radius " +
                                std::to_string(kernel_radius_v<K>));
  }
  const std::vector<Shape> shapes = detail::check_shapes(options.max_sites);
  std::vector<TernaryField> fields;
  std::vector<FieldContext> contexts;
  // Forms, purity and contract on every field before any executor runs, so that a form that
  // disagrees is reported as such rather than as a block dependence.
  for (std::size_t i = 0; i < shapes.size(); ++i) {
    TernaryField field = detail::random_field(shapes[i], options.seed, i);
    const FieldContext context{&options, shapes[i], i, radius};
    if (detail::check_forms_on_field(kernel, context, field.view())) {
      fields.push_back(std::move(field));
      contexts.push_back(context);
    }
  }
  if (fields.empty()) {
    throw KernelCheckError(
        "dashi::testing::check_kernel: property 'unsupported shape' failed: the kernel refused "
        "every shape of the check with std::invalid_argument\n  check options: " +
        detail::describe(options) + "\n");
  }
  ThreadPool pool(check_pool_threads);
  for (std::size_t i = 0; i < fields.size(); ++i) {
    detail::check_executor_on_field(pool, kernel, contexts[i], fields[i].view());
  }
  for (std::size_t i = 0; i < fields.size(); ++i) {
    detail::check_iterated_on_field(pool, kernel, contexts[i], fields[i].view());
  }
}

}  // namespace detail

/// Checks that `kernel` keeps the promises the executors rely on, on seeded random fields of
/// every rank 1–4 up to `options.max_sites` sites (shapes the kernel refuses with
/// `std::invalid_argument` are skipped; every form must then refuse them too). In order:
/// the contract (values in {-1, 0, 1}, no support created, shape kept), purity (same input,
/// same output), agreement of the forms it offers (functional, into, `into_rows`, window by
/// window, and the bit-plane forms `bits` / `bits_rows` with canonical planes) — all before
/// any executor runs — then `run_kernel_parallel` against the
/// monolithic run for several worker counts, block sizes down to one row, block orders and
/// both boundaries (a radius declared too small shows here), and `run_kernel_iterated`
/// against repeated application.
///
/// Throws `KernelCheckError` naming the property, the shape, the options of the failing run,
/// the check's options, the first differing site and both values; `std::invalid_argument`
/// when `options.max_sites` is 0; otherwise passes on what the kernel's monolithic run throws
/// (other than `std::invalid_argument`), and `std::bad_alloc` or `std::system_error` (its
/// thread pool). Deterministic for a given seed. Thread-safe when the kernel is; it runs
/// the kernel on a pool of its own.
template <class K>
void check_kernel(const K& kernel, const CheckOptions& options = {}) {
  static_assert(AnyKernel<K>, DASHI_KERNEL_REQUIREMENT);
  detail::check_kernel_with_radius(kernel, kernel_radius_v<K>, options);
}

}  // namespace dashi::testing
