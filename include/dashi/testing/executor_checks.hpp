// SPDX-License-Identifier: Apache-2.0
#pragma once

/// @file
/// The executor checks of `check_kernel` on one field: `run_kernel_parallel` (with the
/// block order forced) equals the monolithic run on a clipped boundary and the periodically
/// padded run on a periodic one, for every run of `executor_runs`; `run_kernel_iterated`
/// equals repeated monolithic application for a few step counts, `steps_per_sync` values,
/// block sizes and both boundaries.

#include <array>
#include <cstddef>
#include <dashi/carrier.hpp>
#include <dashi/execution/cpu_parallel.hpp>
#include <dashi/execution/iterate.hpp>
#include <dashi/execution/thread_pool.hpp>
#include <dashi/kernel_concepts.hpp>
#include <dashi/partition.hpp>
#include <dashi/testing/random_fields.hpp>
#include <dashi/testing/references.hpp>
#include <dashi/testing/report.hpp>
#include <dashi/testing/run_options.hpp>
#include <exception>
#include <new>
#include <span>
#include <string>
#include <vector>

namespace dashi::testing::detail {

/// Fields of at most this many sites are also checked with `run_kernel_iterated`.
inline constexpr std::size_t iterated_max_sites = 4096;

/// Calls `run()`; turns an exception into `KernelCheckError` with property `property`
/// (`contract` for `KernelContractError`), naming `who` and `run_options`. `std::bad_alloc`
/// passes unchanged.
template <class Run>
void run_checked(const FieldContext& context, const std::string& property, const std::string& who,
                 const std::string& run_options, Run&& run) {
  try {
    run();
  } catch (const std::bad_alloc&) {
    throw;
  } catch (const KernelContractError& e) {
    detail::fail(context, "contract", who + " reported a broken contract: " + e.what(), run_options,
                 "");
  } catch (const std::exception& e) {
    detail::fail(
        context, property,
        who +
            " threw where the monolithic run did not (does the kernel depend on the size or "
            "position of its block?): " +
            e.what(),
        run_options, "");
  }
}

/// Compares `actual` with `expected`; throws `KernelCheckError` at the first difference.
inline void compare_run(const FieldContext& context, const std::string& property,
                        const std::string& what, const std::string& run_options,
                        const std::string& expected_name, TernaryView expected,
                        const std::string& actual_name, TernaryView actual) {
  if (const auto site = detail::first_difference(expected, actual)) {
    detail::fail(context, property, what, run_options,
                 detail::site_lines(context.shape, *site, expected_name, expected.data()[*site],
                                    actual_name, actual.data()[*site]));
  }
}

/// `run_kernel_parallel` on `x` for every run of `executor_runs`, against the references.
template <class K>
void check_executor_on_field(ThreadPool& pool, const K& kernel, const FieldContext& context,
                             TernaryView x) {
  TernaryField clipped = detail::filled_field(x.shape(), poison);
  detail::run_reference(kernel, x, clipped.span());
  const TernaryField periodic = detail::periodic_reference(kernel, x, context.radius);
  const std::string hint = " (is the declared radius " + std::to_string(context.radius) +
                           " too small, or does the result depend on the block?)";
  for (const ExecutorRun& run : executor_runs(x.shape(), context.radius)) {
    const std::size_t blocks =
        Partition(x.shape(), run.options.requested_block_sites()).block_count();
    const std::vector<std::size_t> order =
        run.order == Order::reversed ? detail::reversed_order(blocks)
        : run.order == Order::shuffled
            ? detail::shuffled_order(blocks, context.options->seed + blocks)
            : std::vector<std::size_t>{};
    const std::string run_options = detail::describe(run, x.shape());
    TernaryField out = detail::filled_field(x.shape(), poison);
    detail::run_checked(context, "executor", "run_kernel_parallel", run_options, [&] {
      dashi::detail::run_kernel_parallel_ordered(pool, kernel, x, out.span(), run.options,
                                                 std::span<const std::size_t>(order));
    });
    if (run.options.boundary == Boundary::clip) {
      detail::compare_run(context, "executor",
                          "run_kernel_parallel differs from the monolithic run" + hint, run_options,
                          "monolithic", clipped.view(), "run_kernel_parallel", out.view());
    } else {
      detail::compare_run(
          context, "executor",
          "run_kernel_parallel with a periodic boundary differs from the monolithic run "
          "on the field padded periodically by the halo, then cropped" +
              hint,
          run_options, "padded monolithic", periodic.view(), "run_kernel_parallel", out.view());
    }
  }
}

/// `run_kernel_iterated` on `x` against repeated monolithic application, for fields of at
/// most `iterated_max_sites` sites.
template <class K>
void check_iterated_on_field(ThreadPool& pool, const K& kernel, const FieldContext& context,
                             TernaryView x) {
  if (x.size() > iterated_max_sites) {
    return;
  }
  struct Steps {
    std::size_t steps;
    std::size_t per_sync;
  };
  constexpr std::array<Steps, 3> schedules = {{{2, 1}, {3, 2}, {4, 3}}};
  const std::size_t rows = x.shape().rows();
  const std::size_t row_elems = x.shape().row_elems();
  for (const Boundary boundary : {Boundary::clip, Boundary::periodic}) {
    const Wrap wrap = boundary == Boundary::clip ? Wrap::clip : Wrap::periodic;
    for (const Steps schedule : schedules) {
      const TernaryField expected =
          detail::repeated_reference(kernel, x, schedule.steps, wrap, context.radius);
      for (const std::size_t b : {std::size_t{1}, context.radius + 1, std::size_t{0}}) {
        if (b != 0 && !detail::block_size_runs(b, rows)) {
          continue;
        }
        IterateOptions options;
        options.halo = context.radius;
        options.boundary = boundary;
        options.num_workers = 1;
        options.block_sites = b * row_elems;
        options.steps_per_sync = schedule.per_sync;
        const std::string run_options = detail::describe(options, schedule.steps, x.shape());
        TernaryField out;
        detail::run_checked(context, "iterated", "run_kernel_iterated", run_options, [&] {
          out = dashi::run_kernel_iterated(pool, kernel, x, schedule.steps, options);
        });
        detail::compare_run(
            context, "iterated",
            "run_kernel_iterated differs from " + std::to_string(schedule.steps) +
                " monolithic applications" +
                (boundary == Boundary::periodic ? " on the periodically padded field" : "") +
                " (is the declared radius " + std::to_string(context.radius) + " too small?)",
            run_options, "repeated monolithic", expected.view(), "run_kernel_iterated", out.view());
      }
    }
  }
}

}  // namespace dashi::testing::detail
