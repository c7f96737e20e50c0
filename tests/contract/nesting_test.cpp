// SPDX-License-Identifier: Apache-2.0
// Contract (docs/design.md §4): a kernel may itself call run_kernel_parallel without deadlock
// — on the same pool, on a 1-worker pool, three levels deep — and several threads may use
// one pool at once. Results are checked against the monolithic run.

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <dashi/execution/cpu_parallel.hpp>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "support/fields.hpp"

namespace {

using namespace dashi_test;

/// Runs `inner` block-parallel on its own (extended) block, on `pool` or, when null, on the
/// default pool. It declares `Inner`'s radius, so the whole run equals `inner` applied
/// monolithically (each level is exact).
template <class Inner>
struct Nested {
  static constexpr std::size_t radius = dashi::kernel_radius_v<Inner>;
  Inner inner;
  ThreadPool* pool = nullptr;
  ParallelOptions options;
  std::atomic<int>* calls = nullptr;

  void operator()(TernaryView in, TernarySpan out) const {
    if (calls != nullptr) {
      calls->fetch_add(1);
    }
    if (pool != nullptr) {
      dashi::run_kernel_parallel(*pool, inner, in, out, options);
    } else {
      const TernaryField result = dashi::run_kernel_parallel(inner, in, options);
      std::copy_n(result.data(), result.size(), out.data());
    }
  }
};

/// Functional form of the same idea.
template <class Inner>
struct NestedFunctional {
  static constexpr std::size_t radius = dashi::kernel_radius_v<Inner>;
  Inner inner;
  ThreadPool* pool = nullptr;
  ParallelOptions options;
  TernaryField operator()(TernaryView in) const {
    return dashi::run_kernel_parallel(*pool, inner, in, options);
  }
};

// Sizes chosen so that every level is above the inline threshold (32768 sites) and so
// really posts work to the pool: 300000 → outer blocks of 150000 → middle blocks of 50000
// → inner blocks of 10000.
const Shape kShape{300000};
constexpr std::size_t kOuterBlock = 150000;
constexpr std::size_t kMiddleBlock = 50000;
constexpr std::size_t kInnerBlock = 10000;

TEST(Nesting, TwoLevelsOnTheSamePool) {
  const TernaryField input = dashi_test::random_field(kShape, 0.3, 1);
  const TernaryField expected = dashi::apply_kernel(dashi_test::AxisStencil2{}, input);
  for (const std::size_t size : {std::size_t{1}, std::size_t{2}, std::size_t{4}}) {
    ThreadPool pool(size);
    std::atomic<int> calls{0};
    const Nested<dashi_test::AxisStencil2> kernel{{}, &pool, {.block_elems = kInnerBlock}, &calls};
    const TernaryField out = dashi::run_kernel_parallel(
        pool, kernel, input, {.num_workers = size + 1, .block_elems = kOuterBlock});
    EXPECT_EQ(first_difference(out, expected), "") << "pool size " << size;
    EXPECT_EQ(calls.load(), 2) << "pool size " << size;
  }
}

TEST(Nesting, ThreeLevelsDeepOnOneWorkerPool) {
  const TernaryField input = dashi_test::random_field(kShape, 0.3, 2);
  const TernaryField expected = dashi::apply_kernel(dashi_test::AxisStencil2{}, input);
  for (const std::size_t size : {std::size_t{1}, std::size_t{3}}) {
    ThreadPool pool(size);
    std::atomic<int> middle_calls{0};
    std::atomic<int> inner_calls{0};
    using Middle = Nested<dashi_test::AxisStencil2>;
    const Middle middle{{}, &pool, {.block_elems = kInnerBlock}, &inner_calls};
    const Nested<Middle> outer{middle, &pool, {.block_elems = kMiddleBlock}, &middle_calls};
    for (const std::size_t workers : {std::size_t{0}, std::size_t{1}, std::size_t{2}}) {
      middle_calls = 0;
      inner_calls = 0;
      const TernaryField out = dashi::run_kernel_parallel(
          pool, outer, input, {.num_workers = workers, .block_elems = kOuterBlock});
      EXPECT_EQ(first_difference(out, expected), "")
          << "pool size " << size << " workers " << workers;
      EXPECT_EQ(middle_calls.load(), 2);
      EXPECT_EQ(inner_calls.load(), 8);  // each outer block of ~150002 sites → 4 middle blocks
    }
  }
}

TEST(Nesting, NestedCallsOnTheDefaultPool) {
  const TernaryField input = dashi_test::random_field(kShape, 0.4, 3);
  using Middle = Nested<kernels::LeftNeighbor>;
  const Middle middle{{}, nullptr, {.block_elems = kInnerBlock}, nullptr};
  const Nested<Middle> outer{middle, nullptr, {.block_elems = kMiddleBlock}, nullptr};
  EXPECT_EQ(first_difference(dashi::run_kernel_parallel(outer, input, {.block_elems = kOuterBlock}),
                             dashi::apply_kernel(kernels::LeftNeighbor{}, input)),
            "");
}

TEST(Nesting, NestedFunctionalKernels) {
  const TernaryField input = dashi_test::random_field(Shape{1500, 200}, 0.3, 4);
  ThreadPool pool(1);
  const NestedFunctional<kernels::Majority3x3> kernel{{}, &pool, {.block_elems = 2000}};
  EXPECT_EQ(
      first_difference(dashi::run_kernel_parallel(pool, kernel, input, {.block_elems = 100000}),
                       dashi::apply_kernel(kernels::Majority3x3{}, input)),
      "");
}

/// Throws from the inner level when its block holds global site `site`.
struct ThrowAtSite {
  const std::int8_t* base = nullptr;
  std::size_t site = 0;
  void operator()(TernaryView in, TernarySpan out) const {
    kernels::SignFlip{}(in, out);
    const auto first = static_cast<std::size_t>(in.data() - base);
    if (site >= first && site < first + in.size()) {
      throw std::out_of_range("inner failure at site " + std::to_string(site));
    }
  }
};

TEST(Nesting, InnerExceptionsReachTheOuterCaller) {
  const TernaryField input = dashi_test::random_field(kShape, 0.3, 5);
  for (const std::size_t size : {std::size_t{1}, std::size_t{2}}) {
    ThreadPool pool(size);
    const Nested<ThrowAtSite> kernel{
        {input.data(), 123456}, &pool, {.block_elems = kInnerBlock}, nullptr};
    try {
      (void)dashi::run_kernel_parallel(pool, kernel, input, {.block_elems = kOuterBlock});
      ADD_FAILURE() << "expected std::out_of_range";
    } catch (const std::out_of_range& e) {
      EXPECT_STREQ(e.what(), "inner failure at site 123456");
    }
    // Two failing inner sites in different outer blocks: the lower outer block wins.
    const Nested<ThrowAtSite> low{{input.data(), 10}, &pool, {.block_elems = kInnerBlock}, nullptr};
    try {
      (void)dashi::run_kernel_parallel(pool, low, input, {.block_elems = kOuterBlock});
      ADD_FAILURE() << "expected std::out_of_range";
    } catch (const std::out_of_range& e) {
      EXPECT_STREQ(e.what(), "inner failure at site 10");
    }
    EXPECT_EQ(
        dashi::run_kernel_parallel(pool, kernels::SignFlip{}, input, {.block_elems = kInnerBlock}),
        dashi::apply_kernel(kernels::SignFlip{}, input));
  }
}

TEST(Nesting, ManyThreadsShareOnePool) {
  // 8 threads at once, each making many calls of every kind (inline, threaded, nested,
  // into and returning overloads) on one pool; every result is checked.
  const TernaryField small = dashi_test::random_field(Shape{37, 29}, 0.3, 6);
  const TernaryField medium = dashi_test::random_field(Shape{401, 100}, 0.3, 7);  // 40100 sites
  const TernaryField small_expected = dashi::apply_kernel(kernels::Majority3x3{}, small);
  const TernaryField medium_expected = dashi::apply_kernel(kernels::Majority3x3{}, medium);
  const TernaryField medium_flip = dashi::apply_kernel(kernels::SignFlip{}, medium);
  for (const std::size_t size : {std::size_t{1}, std::size_t{2}}) {
    ThreadPool pool(size);
    const Nested<kernels::Majority3x3> nested{{}, &pool, {.block_elems = 3400}, nullptr};
    std::atomic<int> mismatches{0};
    std::vector<std::thread> threads;
    for (std::size_t t = 0; t < 8; ++t) {
      threads.emplace_back([&, t] {
        for (std::size_t call = 0; call < 120; ++call) {
          const std::size_t block = 1 + (call * 131 + t * 17) % 5000;
          bool ok = true;
          switch ((call + t) % 4) {
            case 0:
              ok = dashi::run_kernel_parallel(pool, kernels::Majority3x3{}, small,
                                              {.block_elems = block}) == small_expected;
              break;
            case 1:
              ok = dashi::run_kernel_parallel(pool, kernels::Majority3x3{}, medium,
                                              {.num_workers = 1 + t % 3, .block_elems = block}) ==
                   medium_expected;
              break;
            case 2: {
              TernaryField out = TernaryField::zeros(medium.shape());
              dashi::run_kernel_parallel(pool, kernels::SignFlip{}, medium, out.span(),
                                         {.block_elems = block});
              ok = out == medium_flip;
              break;
            }
            default:
              if (call % 8 == 3) {  // nested calls are the most expensive: fewer of them
                ok = dashi::run_kernel_parallel(pool, nested, medium, {.block_elems = 20000}) ==
                     medium_expected;
              }
              break;
          }
          if (!ok) {
            mismatches.fetch_add(1);
          }
        }
      });
    }
    for (auto& thread : threads) {
      thread.join();
    }
    EXPECT_EQ(mismatches.load(), 0) << "pool size " << size;
  }
}

TEST(Nesting, ManyThreadsNestThreeLevelsOnOneWorker) {
  const TernaryField input = dashi_test::random_field(kShape, 0.3, 8);
  const TernaryField expected = dashi::apply_kernel(kernels::LeftNeighbor{}, input);
  ThreadPool pool(1);
  using Middle = Nested<kernels::LeftNeighbor>;
  const Middle middle{{}, &pool, {.block_elems = kInnerBlock}, nullptr};
  const Nested<Middle> outer{middle, &pool, {.block_elems = kMiddleBlock}, nullptr};
  std::atomic<int> mismatches{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int call = 0; call < 3; ++call) {
        if (!(dashi::run_kernel_parallel(pool, outer, input, {.block_elems = kOuterBlock}) ==
              expected)) {
          mismatches.fetch_add(1);
        }
      }
    });
  }
  for (auto& thread : threads) {
    thread.join();
  }
  EXPECT_EQ(mismatches.load(), 0);
}

}  // namespace
