// SPDX-License-Identifier: Apache-2.0
// Contract (docs/design.md §4, §6): when blocks fail, the caller gets the
// exception of the lowest failing block, unchanged in type and message, whatever the worker
// count and the order in which blocks run; the pool stays usable; KernelContractError names
// the block and the site. Also the pool-level rules: submit stores exceptions in futures,
// parallel_for rethrows the lowest failing index.

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <dashi/execution/cpu_parallel.hpp>
#include <future>
#include <set>
#include <stdexcept>
#include <string>
#include <typeinfo>
#include <vector>

#include "support/fields.hpp"

namespace {

using namespace dashi_test;

const std::vector<std::size_t> kWorkerCounts{1, 2, 4, 8};

/// The action of a throwing block: the type depends on the block, so that the caller can
/// tell which block's exception arrived.
Action throwing_action(std::size_t block) {
  switch (block % 4) {
    case 0:
      return Action::throw_runtime_error;
    case 1:
      return Action::throw_out_of_range;
    case 2:
      return Action::throw_block_failure;
    default:
      return Action::throw_int;
  }
}

/// Throws what block (or index) `i` throws under `throwing_action`.
[[noreturn]] void throw_for(std::size_t i) {
  switch (throwing_action(i)) {
    case Action::throw_runtime_error:
      throw std::runtime_error(dashi_test::expected_message(Action::throw_runtime_error, i));
    case Action::throw_out_of_range:
      throw std::out_of_range(dashi_test::expected_message(Action::throw_out_of_range, i));
    case Action::throw_block_failure:
      throw BlockFailure{i};
    default:
      throw static_cast<int>(i);
  }
}

/// What the caller caught.
struct Caught {
  std::string
      type;  // "runtime_error", "out_of_range", "BlockFailure", "int", "KernelContractError", ...
  std::string message;
  std::size_t value = 0;  // BlockFailure::block or the int
};

template <class F>
Caught catch_from(F&& f) {
  try {
    f();
  } catch (const KernelContractError& e) {
    return {"KernelContractError", e.what(), 0};
  } catch (const std::out_of_range& e) {
    return {typeid(e) == typeid(std::out_of_range) ? "out_of_range" : "derived out_of_range",
            e.what(), 0};
  } catch (const std::runtime_error& e) {
    return {typeid(e) == typeid(std::runtime_error) ? "runtime_error" : "derived runtime_error",
            e.what(), 0};
  } catch (const std::exception& e) {
    return {std::string("other std::exception ") + typeid(e).name(), e.what(), 0};
  } catch (const BlockFailure& e) {
    return {"BlockFailure", {}, e.block};
  } catch (int e) {
    return {"int", {}, static_cast<std::size_t>(e)};
  }
  return {"nothing", {}, 0};
}

void expect_caught_block(const Caught& caught, std::size_t block, const std::string& context) {
  switch (throwing_action(block)) {
    case Action::throw_runtime_error:
      EXPECT_EQ(caught.type, "runtime_error") << context;
      EXPECT_EQ(caught.message, dashi_test::expected_message(Action::throw_runtime_error, block))
          << context;
      break;
    case Action::throw_out_of_range:
      EXPECT_EQ(caught.type, "out_of_range") << context;
      EXPECT_EQ(caught.message, dashi_test::expected_message(Action::throw_out_of_range, block))
          << context;
      break;
    case Action::throw_block_failure:
      EXPECT_EQ(caught.type, "BlockFailure") << context;
      EXPECT_EQ(caught.value, block) << context;
      break;
    default:
      EXPECT_EQ(caught.type, "int") << context;
      EXPECT_EQ(caught.value, block) << context;
      break;
  }
}

/// After a failure the same pool must still run kernels correctly and accept tasks.
void expect_pool_usable(ThreadPool& pool, TernaryView input, const std::string& context) {
  const TernaryField out = dashi::run_kernel_parallel(pool, dashi::kernels::LeftNeighbor{}, input,
                                                      {.block_elems = 1000});
  EXPECT_EQ(out, dashi::apply_kernel(dashi::kernels::LeftNeighbor{}, input)) << context;
  EXPECT_EQ(pool.submit([] { return 5; }).get(), 5) << context;
  std::atomic<int> count{0};
  pool.parallel_for(100, [&](std::size_t) { count.fetch_add(1); });
  EXPECT_EQ(count.load(), 100) << context;
}

struct FieldCase {
  const char* name;
  Shape shape;
  std::size_t block_elems;
};

// 64 blocks each: one inline (≤ 32768 sites), two multi-threaded.
const std::vector<FieldCase> kFields{
    {"inline", Shape{64, 16}, 16},
    {"threaded_2d", Shape{64, 1024}, 1024},
    {"threaded_1d", Shape{64 * 1000}, 1000},
};

/// Sets of failing blocks; the types thrown differ by block (see throwing_action).
const std::vector<std::vector<std::size_t>> kFailingSets{
    {3, 7, 11, 20},  // three types, lowest first in index but not in the other orders
    {20, 11, 7},     //
    {11, 20},        //
    {20},            //
    {0},             // the first block
    {63},            // the last block
    {61, 62, 63},    //
    {5, 6, 7, 8},    // four consecutive blocks, four types
    {33, 2},         //
};

TEST(Exceptions, LowestFailingBlockWinsWhateverWorkersAndOrder) {
  for (const auto& field : kFields) {
    const TernaryField input = dashi_test::random_field(field.shape, 0.3, 123);
    const dashi::Partition partition(field.shape, field.block_elems);
    ASSERT_EQ(partition.block_count(), 64U);
    const std::size_t block_sites = partition.rows_per_block() * field.shape.row_elems();
    for (const auto& failing : kFailingSets) {
      PlannedKernel kernel{input.data(), block_sites, {}};
      for (const std::size_t b : failing) {
        kernel.plan[b] = throwing_action(b);
      }
      const std::size_t lowest = *std::min_element(failing.begin(), failing.end());
      for (const std::size_t workers : kWorkerCounts) {
        ThreadPool& pool = pool_of(workers);
        const ParallelOptions options{.num_workers = workers, .block_elems = field.block_elems};
        std::string failing_text;
        for (const std::size_t b : failing) {
          failing_text += std::to_string(b) + " ";
        }
        const std::string where = std::string(field.name) + " failing={" + failing_text +
                                  "} workers=" + std::to_string(workers);
        for (const auto& order : dashi_test::block_orders(64)) {
          TernaryField out = TernaryField::zeros(field.shape);
          const Caught caught = catch_from([&] {
            dashi::detail::run_kernel_parallel_ordered(pool, kernel, input, out.span(), options,
                                                       order.order);
          });
          expect_caught_block(caught, lowest, where + " order=" + order.name);
        }
        // The public overloads.
        expect_caught_block(
            catch_from([&] { (void)dashi::run_kernel_parallel(pool, kernel, input, options); }),
            lowest, where + " overload=given_pool");
        expect_caught_block(
            catch_from([&] { (void)dashi::run_kernel_parallel(kernel, input, options); }), lowest,
            where + " overload=default_pool");
        expect_pool_usable(pool, input, where);
      }
    }
  }
}

TEST(Exceptions, EveryBlockFailing) {
  const TernaryField input = dashi_test::random_field(Shape{100000}, 0.3, 3);
  PlannedKernel kernel{input.data(), 1000, {}};
  for (std::size_t b = 0; b < 100; ++b) {
    kernel.plan[b] = throwing_action(b);
  }
  for (const std::size_t workers : kWorkerCounts) {
    for (const auto& order : dashi_test::block_orders(100)) {
      TernaryField out = TernaryField::zeros(input.shape());
      const Caught caught = catch_from([&] {
        dashi::detail::run_kernel_parallel_ordered(pool_of(workers), kernel, input, out.span(),
                                                   {.num_workers = workers, .block_elems = 1000},
                                                   order.order);
      });
      expect_caught_block(caught, 0, "workers=" + std::to_string(workers) + " order=" + order.name);
    }
    expect_pool_usable(pool_of(workers), input, "workers=" + std::to_string(workers));
  }
}

TEST(Exceptions, ContractErrorsTakePartInTheLowestBlockRule) {
  // A contract violation is the failure of its block: it wins over higher blocks' throws
  // and loses to lower ones.
  TernaryField input = dashi_test::random_field(Shape{64, 1024}, 0.3, 77);
  const std::size_t block_sites = 1024;
  for (const std::size_t b : {std::size_t{9}, std::size_t{30}}) {
    input.data()[b * block_sites + 5] = 0;  // a site where support can be created
  }
  PlannedKernel violation_first{
      input.data(), block_sites, {{9, Action::create_support}, {30, Action::throw_runtime_error}}};
  PlannedKernel throw_first{
      input.data(), block_sites, {{9, Action::throw_out_of_range}, {30, Action::create_support}}};
  PlannedKernel two_violations{
      input.data(), block_sites, {{30, Action::write_non_trit}, {9, Action::create_support}}};
  const auto site9 =
      dashi_test::planned_violation_site(input, block_sites, 9, Action::create_support);
  ASSERT_TRUE(site9.has_value());
  for (const std::size_t workers : kWorkerCounts) {
    for (const auto& order : dashi_test::block_orders(64)) {
      const std::string where = "workers=" + std::to_string(workers) + " order=" + order.name;
      const ParallelOptions options{.num_workers = workers, .block_elems = block_sites};
      TernaryField out = TernaryField::zeros(input.shape());
      const auto run = [&](const PlannedKernel& k) {
        return catch_from([&] {
          dashi::detail::run_kernel_parallel_ordered(pool_of(workers), k, input, out.span(),
                                                     options, order.order);
        });
      };
      for (const PlannedKernel* k : {&violation_first, &two_violations}) {
        const Caught caught = run(*k);
        EXPECT_EQ(caught.type, "KernelContractError") << where;
        EXPECT_EQ(number_after(caught.message, "block"), 9U) << where << " " << caught.message;
        EXPECT_EQ(number_after(caught.message, "site"), *site9) << where << " " << caught.message;
      }
      const Caught caught = run(throw_first);
      EXPECT_EQ(caught.type, "out_of_range") << where;
      EXPECT_EQ(caught.message, dashi_test::expected_message(Action::throw_out_of_range, 9))
          << where;
    }
    expect_pool_usable(pool_of(workers), input, "workers=" + std::to_string(workers));
  }
}

TEST(Exceptions, BlocksBelowTheFailureStillRunAndOutputIsNotTrusted) {
  // Every block below the lowest failing one must have run (they decide the exception);
  // no block runs twice.
  const TernaryField input = dashi_test::random_field(Shape{200000}, 0.3, 5);
  for (const std::size_t workers : kWorkerCounts) {
    for (const auto& order : dashi_test::block_orders(200)) {
      std::vector<std::atomic<int>> runs(200);
      const auto kernel = [&](TernaryView in, TernarySpan out) {
        const auto block = static_cast<std::size_t>(in.data() - input.data()) / 1000;
        runs[block].fetch_add(1);
        dashi::kernels::SignFlip{}(in, out);
        if (block == 150 || block == 170) {
          throw std::runtime_error("block " + std::to_string(block));
        }
      };
      TernaryField out = TernaryField::zeros(input.shape());
      const Caught caught = catch_from([&] {
        dashi::detail::run_kernel_parallel_ordered(pool_of(workers), kernel, input, out.span(),
                                                   {.num_workers = workers, .block_elems = 1000},
                                                   order.order);
      });
      const std::string where = "workers=" + std::to_string(workers) + " order=" + order.name;
      EXPECT_EQ(caught.message, "block 150") << where;
      for (std::size_t b = 0; b < 200; ++b) {
        if (b <= 150) {
          ASSERT_EQ(runs[b].load(), 1) << where << " block " << b;
        } else {
          ASSERT_LE(runs[b].load(), 1) << where << " block " << b;
        }
      }
    }
  }
}

// ----------------------------------------------------------------------------------------
// Pool-level rules

TEST(Exceptions, SubmitStoresExceptionsInFutures) {
  for (const std::size_t workers : kWorkerCounts) {
    // Shared futures declared before a local pool outlive its workers, so the exception
    // objects are released on this thread after the join (see the note in
    // thread_pool_test.cpp about ThreadSanitizer and libstdc++'s exception_ptr).
    std::vector<std::shared_future<int>> futures;
    ThreadPool pool(workers);
    for (int i = 0; i < 40; ++i) {
      futures.push_back(pool.submit([i]() -> int {
                              switch (i % 4) {
                                case 0:
                                  throw std::runtime_error("task " + std::to_string(i));
                                case 1:
                                  throw BlockFailure{static_cast<std::size_t>(i)};
                                case 2:
                                  throw i;
                                default:
                                  return i;
                              }
                            })
                            .share());
    }
    for (int i = 0; i < 40; ++i) {
      const std::string where = "workers=" + std::to_string(workers) + " task=" + std::to_string(i);
      const Caught caught = catch_from([&] {
        if (futures[static_cast<std::size_t>(i)].get() != i) {
          throw std::logic_error("wrong result");
        }
      });
      switch (i % 4) {
        case 0:
          EXPECT_EQ(caught.type, "runtime_error") << where;
          EXPECT_EQ(caught.message, "task " + std::to_string(i)) << where;
          break;
        case 1:
          EXPECT_EQ(caught.type, "BlockFailure") << where;
          EXPECT_EQ(caught.value, static_cast<std::size_t>(i)) << where;
          break;
        case 2:
          EXPECT_EQ(caught.type, "int") << where;
          EXPECT_EQ(caught.value, static_cast<std::size_t>(i)) << where;
          break;
        default:
          EXPECT_EQ(caught.type, "nothing") << where;
      }
    }
    EXPECT_EQ(pool.submit([] { return 1; }).get(), 1);
  }
}

TEST(Exceptions, ParallelForRethrowsTheLowestIndex) {
  for (const std::size_t workers : kWorkerCounts) {
    ThreadPool& pool = pool_of(workers);
    for (const std::size_t max_threads :
         {std::size_t{0}, std::size_t{1}, std::size_t{2}, std::size_t{8}}) {
      for (const auto& order : dashi_test::block_orders(1000)) {
        const std::string where = "workers=" + std::to_string(workers) +
                                  " max_threads=" + std::to_string(max_threads) +
                                  " order=" + order.name;
        std::vector<std::atomic<int>> runs(1000);
        const auto body = [&](std::size_t i) {
          runs[i].fetch_add(1);
          if (i == 998 || i == 412 || i == 413 || i == 777) {
            throw_for(i);
          }
        };
        const Caught from_order =
            catch_from([&] { pool.parallel_for_in_order(order.order, body, max_threads); });
        expect_caught_block(from_order, 412, where);
        for (std::size_t i = 0; i <= 412; ++i) {
          ASSERT_EQ(runs[i].load(), 1) << where << " index " << i;
        }
      }
      const Caught plain = catch_from([&] {
        pool.parallel_for(
            1000,
            [](std::size_t i) {
              if (i % 97 == 96) {
                throw_for(i);
              }
            },
            max_threads);
      });
      expect_caught_block(plain, 96, "parallel_for workers=" + std::to_string(workers));
    }
    std::atomic<int> count{0};
    pool.parallel_for(64, [&](std::size_t) { count.fetch_add(1); });
    EXPECT_EQ(count.load(), 64);
  }
}

}  // namespace
