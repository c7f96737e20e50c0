// SPDX-License-Identifier: Apache-2.0
// Stress (docs/design.md §4, §6): the executor's guarantees under load. Many caller threads
// share one pool and every result is byte-compared with the monolithic run; kernels throw
// on random blocks and the lowest failing block wins every time, no exception object
// outlives its call and the pool keeps working; calls nest three deep with real
// parallelism at each level; pools are destroyed with queued `submit` work (every future
// completes); and memory runs out inside calls (`std::bad_alloc` reaches the caller).
// Sized to run in seconds in Release and within minutes under ThreadSanitizer.

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <dashi/execution/cpu_parallel.hpp>
#include <dashi/kernel.hpp>
#include <exception>
#include <future>
#include <new>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <thread>
#include <typeinfo>
#include <vector>

#include "support/compare.hpp"
#include "support/names.hpp"
#include "support/seeded.hpp"

namespace {

using namespace dashi_test;

/// Runs `body(t)` on `count` threads at once and joins them.
template <class F>
void on_threads(std::size_t count, F body) {
  std::vector<std::thread> threads;
  threads.reserve(count);
  for (std::size_t t = 0; t < count; ++t) {
    threads.emplace_back([&body, t] { body(t); });
  }
  for (auto& thread : threads) {
    thread.join();
  }
}

/// Functional form of `out[i] = s[i] * s[i + stride]` (1 past the last slice), radius 1.
struct FunctionalRightProduct {
  static constexpr std::size_t radius = 1;
  TernaryField operator()(TernaryView in) const {
    TernaryField out = TernaryField::uninitialized(in.shape());
    const std::size_t stride = in.shape().row_elems();
    const std::int8_t* s = in.data();
    for (std::size_t i = 0; i < in.size(); ++i) {
      const int right = i + stride < in.size() ? s[i + stride] : 1;
      out.data()[i] = static_cast<std::int8_t>(s[i] * right);
    }
    return out;
  }
};

// ---------------------------------------------------------------------------------------
// Many callers, one pool.

TEST(Stress, ManyCallersShareOnePoolAndEveryResultIsExact) {
  // Fields above the inline threshold (2^15 sites), so every call really fans out.
  const TernaryField line = percent_field(Shape{70001}, 70, 1);
  const TernaryField plane = percent_field(Shape{257, 131}, 60, 2);  // 33667 sites
  const TernaryField flip_line = dashi::apply_kernel(kernels::SignFlip{}, line);
  const TernaryField left_line = dashi::apply_kernel(kernels::LeftNeighbor{}, line);
  const TernaryField majority_plane = dashi::apply_kernel(kernels::Majority3x3{}, plane);
  const TernaryField product_plane = dashi::apply_kernel(FunctionalRightProduct{}, plane);
  const TernaryField clamp_plane = dashi::apply_kernel(kernels::ClampNonnegative{}, plane);

  constexpr std::size_t kCallers = 8;
  constexpr std::size_t kCalls = 240;
  ThreadPool pool(4);
  std::atomic<std::size_t> calls{0};
  std::vector<std::string> failures(kCallers);
  on_threads(kCallers, [&](std::size_t t) {
    Rng rng(100 + t);
    for (std::size_t call = 0; call < kCalls && failures[t].empty(); ++call) {
      const std::size_t workers_choice[] = {0, 1, 2, 3, 5, 8};
      const std::size_t block_choice[] = {0, 1, 997, 4096, 8191, 20000};
      const ParallelOptions options{.num_workers = workers_choice[rng.below(6)],
                                    .block_elems = block_choice[rng.below(6)]};
      std::string diff;
      switch (rng.below(6)) {
        case 0:
          diff = first_difference(
              dashi::run_kernel_parallel(pool, kernels::SignFlip{}, line, options), flip_line);
          break;
        case 1:
          diff = first_difference(
              dashi::run_kernel_parallel(pool, kernels::LeftNeighbor{}, line, options), left_line);
          break;
        case 2:
          diff = first_difference(
              dashi::run_kernel_parallel(pool, kernels::Majority3x3{}, plane, options),
              majority_plane);
          break;
        case 3:
          diff = first_difference(
              dashi::run_kernel_parallel(pool, FunctionalRightProduct{}, plane, options),
              product_plane);
          break;
        case 4: {
          TernaryField out = TernaryField::zeros(plane.shape());
          dashi::run_kernel_parallel(pool, kernels::ClampNonnegative{}, plane, out.span(), options);
          diff = first_difference(out, clamp_plane);
          break;
        }
        default: {
          // Contract checks on, into kernel with a halo larger than its radius.
          ParallelOptions wide = options;
          wide.halo = 3;
          diff = first_difference(
              dashi::run_kernel_parallel(pool, kernels::LeftNeighbor{}, line, wide), left_line);
          break;
        }
      }
      if (!diff.empty()) {
        failures[t] = "caller " + std::to_string(t) + " call " + std::to_string(call) + ": " + diff;
      }
      calls.fetch_add(1);
    }
  });
  for (const auto& failure : failures) {
    EXPECT_TRUE(failure.empty()) << failure;
  }
  EXPECT_EQ(calls.load(), kCallers * kCalls);
}

// ---------------------------------------------------------------------------------------
// Exceptions on random blocks.

/// An exception that counts its live copies, so the test can prove none outlives its call.
class TrackedFailure : public std::runtime_error {
 public:
  explicit TrackedFailure(std::size_t block)
      : std::runtime_error("failure in block " + std::to_string(block)), block_(block) {
    live.fetch_add(1);
  }
  TrackedFailure(const TrackedFailure& other) : std::runtime_error(other), block_(other.block_) {
    live.fetch_add(1);
  }
  TrackedFailure& operator=(const TrackedFailure&) = delete;
  ~TrackedFailure() override { live.fetch_sub(1); }
  [[nodiscard]] std::size_t block() const noexcept { return block_; }

  static inline std::atomic<long> live{0};

 private:
  std::size_t block_;
};

/// The block a kernel call belongs to: the block holding the middle site of the view (the
/// view may be a piece of a block, or a block with a halo of one row on each side).
std::size_t block_of(TernaryView in, const std::int8_t* base, std::size_t block_sites) {
  return (static_cast<std::size_t>(in.data() - base) + in.size() / 2) / block_sites;
}

/// What a failing block throws.
enum class Failure : std::uint8_t { none, tracked, bad_alloc };

struct FailurePlan {
  const std::int8_t* base = nullptr;
  std::size_t block_sites = 1;
  const std::vector<Failure>* blocks = nullptr;

  void raise(TernaryView in) const {
    const std::size_t block = block_of(in, base, block_sites);
    switch ((*blocks)[block]) {
      case Failure::tracked:
        throw TrackedFailure(block);
      case Failure::bad_alloc:
        throw std::bad_alloc();
      case Failure::none:
        break;
    }
  }
};

/// SignFlip that fails where the plan says (radius 0, into: runs piece by piece).
struct FailingFlip {
  FailurePlan plan;
  void operator()(TernaryView in, TernarySpan out) const {
    kernels::SignFlip{}(in, out);
    plan.raise(in);
  }
};

/// LeftNeighbor that fails where the plan says (radius 1, into: runs in scratch).
struct FailingLeft {
  static constexpr std::size_t radius = 1;
  FailurePlan plan;
  void operator()(TernaryView in, TernarySpan out) const {
    kernels::LeftNeighbor{}(in, out);
    plan.raise(in);
  }
};

/// Functional SignFlip that allocates its result, then fails where the plan says.
struct FailingFunctional {
  FailurePlan plan;
  TernaryField operator()(TernaryView in) const {
    TernaryField out = TernaryField::uninitialized(in.shape());
    kernels::SignFlip{}(in, out.span());
    plan.raise(in);
    return out;
  }
};

/// What the caller saw.
struct Outcome {
  Failure failure = Failure::none;
  std::size_t block = 0;
  std::string other;  // any other exception: its description
};

template <class K>
Outcome run_and_catch(ThreadPool& pool, const K& kernel, TernaryView input,
                      const ParallelOptions& options, TernaryField* result) {
  Outcome outcome;
  try {
    *result = dashi::run_kernel_parallel(pool, kernel, input, options);
  } catch (const TrackedFailure& e) {
    outcome.failure = Failure::tracked;
    outcome.block = e.block();
  } catch (const std::bad_alloc& e) {
    outcome.failure = Failure::bad_alloc;
    outcome.other = typeid(e) == typeid(std::bad_alloc) ? "" : typeid(e).name();
  } catch (const std::exception& e) {
    outcome.other = e.what();
  }
  return outcome;
}

/// Runs `calls` calls on `callers` threads; each call makes random blocks fail (with
/// `kinds` choosing what they throw) and checks that the lowest failing block's exception
/// arrives, or the exact result when no block fails.
void lowest_failure_storm(ThreadPool& pool, std::size_t callers, std::size_t calls,
                          bool with_bad_alloc) {
  constexpr std::size_t kBlockSites = 4096;
  const TernaryField input = percent_field(Shape{60000}, 60, 3);  // 15 blocks
  const std::size_t blocks = (input.size() + kBlockSites - 1) / kBlockSites;
  const TernaryField flipped = dashi::apply_kernel(kernels::SignFlip{}, input);
  const TernaryField left = dashi::apply_kernel(kernels::LeftNeighbor{}, input);
  std::vector<std::string> failures(callers);
  on_threads(callers, [&](std::size_t t) {
    Rng rng(1000 + t);
    std::vector<Failure> plan(blocks);
    for (std::size_t call = 0; call < calls && failures[t].empty(); ++call) {
      // Each block fails with probability 1/6; about one call in five has no failure.
      std::optional<std::size_t> lowest;
      for (std::size_t b = 0; b < blocks; ++b) {
        const bool fails = call % 5 != 0 && rng.below(6) == 0;
        plan[b] = !fails                                ? Failure::none
                  : with_bad_alloc && rng.below(2) == 0 ? Failure::bad_alloc
                                                        : Failure::tracked;
        if (fails && !lowest) {
          lowest = b;
        }
      }
      const FailurePlan failure_plan{input.data(), kBlockSites, &plan};
      const ParallelOptions options{.num_workers = 1 + rng.below(6), .block_elems = kBlockSites};
      TernaryField result;
      Outcome outcome;
      const TernaryField* expected = &flipped;
      switch (call % 3) {
        case 0:
          outcome = run_and_catch(pool, FailingFlip{failure_plan}, input, options, &result);
          break;
        case 1:
          outcome = run_and_catch(pool, FailingLeft{failure_plan}, input, options, &result);
          expected = &left;
          break;
        default:
          outcome = run_and_catch(pool, FailingFunctional{failure_plan}, input, options, &result);
          break;
      }
      std::string problem;
      if (!outcome.other.empty()) {
        problem = "unexpected exception: " + outcome.other;
      } else if (!lowest) {
        if (outcome.failure != Failure::none) {
          problem = "an exception although no block failed";
        } else {
          problem = first_difference(result, *expected);
        }
      } else if (outcome.failure != plan[*lowest]) {
        problem = "expected the failure of block " + std::to_string(*lowest) + ", got another kind";
      } else if (outcome.failure == Failure::tracked && outcome.block != *lowest) {
        problem = "block " + std::to_string(outcome.block) +
                  "'s exception arrived, expected block " + std::to_string(*lowest) + "'s";
      }
      if (!problem.empty()) {
        failures[t] =
            "caller " + std::to_string(t) + " call " + std::to_string(call) + ": " + problem;
      }
    }
  });
  for (const auto& failure : failures) {
    EXPECT_TRUE(failure.empty()) << failure;
  }
}

/// The pool still does exact work, through both entry points.
void expect_pool_works(ThreadPool& pool) {
  const TernaryField input = percent_field(Shape{50000}, 50, 4);
  EXPECT_EQ(dashi::run_kernel_parallel(pool, kernels::LeftNeighbor{}, input, {.block_elems = 3000}),
            dashi::apply_kernel(kernels::LeftNeighbor{}, input));
  std::vector<std::future<std::size_t>> futures;
  for (std::size_t i = 0; i < 16; ++i) {
    futures.push_back(pool.submit([i] { return i * i; }));
  }
  for (std::size_t i = 0; i < futures.size(); ++i) {
    EXPECT_EQ(futures[i].get(), i * i);
  }
}

TEST(Stress, RandomBlocksThrowAndTheLowestIndexWinsEveryTime) {
  ThreadPool pool(4);
  lowest_failure_storm(pool, 6, 400, false);
  EXPECT_EQ(TrackedFailure::live.load(), 0) << "an exception object outlived its call";
  expect_pool_works(pool);
}

TEST(Stress, BadAllocOnRandomBlocksReachesTheCaller) {
  // Kernels throw std::bad_alloc on some blocks and TrackedFailure on others: the lowest
  // failing block decides, whichever of the two it throws.
  ThreadPool pool(3);
  lowest_failure_storm(pool, 4, 300, true);
  EXPECT_EQ(TrackedFailure::live.load(), 0) << "an exception object outlived its call";
  expect_pool_works(pool);
}

// ---------------------------------------------------------------------------------------
// Out of memory for real.

/// Functional kernel that asks for a field of 2^60 sites on one block.
struct HugeAllocation {
  const std::int8_t* base = nullptr;
  std::size_t block_sites = 1;
  std::size_t failing_block = 0;
  TernaryField operator()(TernaryView in) const {
    if (block_of(in, base, block_sites) == failing_block) {
      TernaryField huge = TernaryField::uninitialized(Shape{std::size_t{1} << 60});
      huge.data()[0] = 0;
    }
    TernaryField out = TernaryField::uninitialized(in.shape());
    kernels::SignFlip{}(in, out.span());
    return out;
  }
};

TEST(Stress, HugeAllocationInAKernelThrowsBadAllocAndThePoolSurvives) {
  // Runs under the sanitizers too: their presets set allocator_may_return_null=1, and the
  // library allocates with the nothrow operator new and throws std::bad_alloc itself.
  constexpr std::size_t kBlockSites = 8192;
  const TernaryField input = percent_field(Shape{80000}, 50, 5);  // 10 blocks
  ThreadPool pool(3);
  for (const std::size_t failing : {std::size_t{0}, std::size_t{4}, std::size_t{9}}) {
    for (const std::size_t workers : {std::size_t{1}, std::size_t{4}}) {
      const HugeAllocation kernel{input.data(), kBlockSites, failing};
      try {
        (void)dashi::run_kernel_parallel(pool, kernel, input,
                                         {.num_workers = workers, .block_elems = kBlockSites});
        ADD_FAILURE() << "expected std::bad_alloc (block " << failing << ")";
      } catch (const std::bad_alloc& e) {
        EXPECT_TRUE(typeid(e) == typeid(std::bad_alloc)) << typeid(e).name();
      }
    }
  }
  // The executor's own output allocation fails before any block runs (the view is never read).
  const TernaryView huge_view = TernaryView::unchecked(input.data(), Shape{std::size_t{1} << 60});
  EXPECT_THROW((void)dashi::run_kernel_parallel(pool, kernels::SignFlip{}, huge_view),
               std::bad_alloc);
  expect_pool_works(pool);
}

// ---------------------------------------------------------------------------------------
// Nesting three deep, with real parallelism at every level.

/// Level 3: SignFlip on its block, through the executor.
struct Inner {
  ThreadPool* pool = nullptr;
  TernaryField operator()(TernaryView in) const {
    return dashi::run_kernel_parallel(*pool, kernels::SignFlip{}, in, {.block_elems = 8192});
  }
};

/// Level 2 (radius 1): LeftNeighbor of level 3's result on its block.
struct Middle {
  static constexpr std::size_t radius = 1;
  ThreadPool* pool = nullptr;
  TernaryField operator()(TernaryView in) const {
    const TernaryField flipped =
        dashi::run_kernel_parallel(*pool, Inner{pool}, in, {.block_elems = 36000});
    return dashi::apply_kernel(kernels::LeftNeighbor{}, flipped);
  }
};

/// Level 1: level 2 through the executor on its block (so it needs level 2's halo).
struct Outer {
  static constexpr std::size_t radius = Middle::radius;
  ThreadPool* pool = nullptr;
  TernaryField operator()(TernaryView in) const {
    return dashi::run_kernel_parallel(*pool, Middle{pool}, in, {.block_elems = 72000});
  }
};

TEST(Stress, NestedCallsThreeDeepFromManyCallers) {
  // 4 outer blocks of 72000 sites (72001-72002 with their halo) → middle blocks of 36000
  // (36001-36002 with theirs, above the inline threshold) → inner blocks of at most 8192
  // sites: every level fans out.
  const TernaryField input = percent_field(Shape{288000}, 70, 6);
  const TernaryField expected =
      dashi::apply_kernel(kernels::LeftNeighbor{}, dashi::apply_kernel(kernels::SignFlip{}, input));
  for (const std::size_t pool_size : {std::size_t{1}, std::size_t{3}}) {
    ThreadPool pool(pool_size);
    std::vector<std::string> failures(4);
    on_threads(4, [&](std::size_t t) {
      for (std::size_t call = 0; call < 10 && failures[t].empty(); ++call) {
        const TernaryField result =
            dashi::run_kernel_parallel(pool, Outer{&pool}, input, {.block_elems = 72000});
        failures[t] = first_difference(result, expected);
      }
    });
    for (const auto& failure : failures) {
      EXPECT_TRUE(failure.empty()) << "pool of " << pool_size << ": " << failure;
    }
    expect_pool_works(pool);
  }
}

// ---------------------------------------------------------------------------------------
// Destroying a pool with queued work.

TEST(Stress, DestroyingAPoolRunsEveryQueuedTask) {
  // ThreadPool's destructor runs every task already submitted, then joins: every future is
  // ready when it returns, holding the task's value or its exception (never a broken
  // promise). Tasks are submitted from several threads, some run kernels on another pool.
  ThreadPool shared(2);
  const TernaryField input = percent_field(Shape{40000}, 50, 7);
  const TernaryField expected = dashi::apply_kernel(kernels::SignFlip{}, input);
  constexpr std::size_t kSubmitters = 3;
  constexpr std::size_t kTasksEach = 150;
  for (std::size_t round = 0; round < 30; ++round) {
    std::atomic<std::size_t> ran{0};
    std::vector<std::vector<std::future<std::size_t>>> futures(kSubmitters);
    {
      ThreadPool pool(1 + round % 4);
      on_threads(kSubmitters, [&](std::size_t t) {
        for (std::size_t i = 0; i < kTasksEach; ++i) {
          const std::size_t id = t * kTasksEach + i;
          futures[t].push_back(pool.submit([&, id]() -> std::size_t {
            ran.fetch_add(1);
            switch (id % 10) {
              case 0:
                throw TrackedFailure(id);
              case 1:
                std::this_thread::sleep_for(std::chrono::microseconds(20));
                return id;
              case 2:
                return dashi::run_kernel_parallel(shared, kernels::SignFlip{}, input) == expected
                           ? id
                           : ~id;
              default:
                return id;
            }
          }));
        }
      });
    }  // destroyed with most tasks still queued
    EXPECT_EQ(ran.load(), kSubmitters * kTasksEach) << "round " << round;
    for (std::size_t t = 0; t < kSubmitters; ++t) {
      for (std::size_t i = 0; i < kTasksEach; ++i) {
        const std::size_t id = t * kTasksEach + i;
        auto& future = futures[t][i];
        ASSERT_EQ(future.wait_for(std::chrono::seconds(0)), std::future_status::ready)
            << "round " << round << " task " << id;
        if (id % 10 == 0) {
          EXPECT_THROW((void)future.get(), TrackedFailure);
        } else {
          EXPECT_EQ(future.get(), id) << "round " << round;
        }
      }
    }
  }
  EXPECT_EQ(TrackedFailure::live.load(), 0);
  expect_pool_works(shared);
}

}  // namespace
