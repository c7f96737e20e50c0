// SPDX-License-Identifier: Apache-2.0
// Unit tests of <dashi/execution/thread_pool.hpp>: submit, size, destruction, parallel_for,
// parallel_for_in_order, concurrent and nested use.

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <dashi/execution/thread_pool.hpp>
#include <future>
#include <memory>
#include <mutex>
#include <numeric>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "support/fields.hpp"

namespace {

using namespace dashi_test;

using namespace std::chrono_literals;

std::size_t hardware_threads() {
  return std::max<std::size_t>(1, std::thread::hardware_concurrency());
}

// ----------------------------------------------------------------------------------------
// submit / size / destruction

TEST(ThreadPool, SubmitReturnsFuture) {
  ThreadPool pool(2);
  auto answer = pool.submit([] { return 42; });
  auto text = pool.submit([] { return std::string("dashi"); });
  int side_effect = 0;
  auto nothing = pool.submit([&side_effect] { side_effect = 7; });
  auto owned = pool.submit([] { return std::make_unique<int>(5); });
  auto captured = std::make_unique<int>(9);
  auto moved = pool.submit([p = std::move(captured)] { return *p + 1; });
  EXPECT_EQ(answer.get(), 42);
  EXPECT_EQ(text.get(), "dashi");
  nothing.get();
  EXPECT_EQ(side_effect, 7);
  EXPECT_EQ(*owned.get(), 5);
  EXPECT_EQ(moved.get(), 10);
}

TEST(ThreadPool, ManyTasks) {
  for (const std::size_t threads : {std::size_t{1}, std::size_t{3}, std::size_t{8}}) {
    ThreadPool pool(threads);
    std::vector<std::future<std::size_t>> futures;
    futures.reserve(10000);
    for (std::size_t i = 0; i < 10000; ++i) {
      futures.push_back(pool.submit([i] { return i * i; }));
    }
    for (std::size_t i = 0; i < futures.size(); ++i) {
      ASSERT_EQ(futures[i].get(), i * i) << "threads=" << threads << " task=" << i;
    }
  }
}

TEST(ThreadPool, Size) {
  EXPECT_EQ(ThreadPool(1).size(), 1U);
  EXPECT_EQ(ThreadPool(3).size(), 3U);
  EXPECT_EQ(ThreadPool(0).size(), hardware_threads());
  EXPECT_EQ(ThreadPool().size(), hardware_threads());
}

TEST(ThreadPool, DefaultPoolIsOneProcessWidePool) {
  ThreadPool& a = dashi::default_thread_pool();
  ThreadPool& b = dashi::default_thread_pool();
  EXPECT_EQ(&a, &b);
  EXPECT_EQ(a.size(), hardware_threads());
  EXPECT_EQ(a.submit([] { return 3; }).get(), 3);
}

TEST(ThreadPool, DestructionRunsQueuedTasks) {
  for (const std::size_t threads : {std::size_t{1}, std::size_t{4}}) {
    std::atomic<int> done{0};
    std::vector<std::future<void>> futures;
    {
      ThreadPool pool(threads);
      std::promise<void> release;
      std::shared_future<void> gate = release.get_future().share();
      // Block every worker so that the following tasks stay queued.
      for (std::size_t i = 0; i < threads; ++i) {
        futures.push_back(pool.submit([gate] { gate.wait(); }));
      }
      for (int i = 0; i < 200; ++i) {
        futures.push_back(pool.submit([&done] { done.fetch_add(1); }));
      }
      release.set_value();
    }  // the destructor must run the queued tasks before joining
    EXPECT_EQ(done.load(), 200) << "threads=" << threads;
    for (auto& f : futures) {
      EXPECT_EQ(f.wait_for(0s), std::future_status::ready);
    }
  }
}

TEST(ThreadPool, SubmitStoresExceptionsInFutures) {
  // Shared futures declared before the pool outlive its workers: the exception objects are
  // then released on this thread, after the join. (When a worker drops the last reference,
  // ThreadSanitizer reports the release inside the uninstrumented libstdc++ exception_ptr
  // as a race with the reads below: a known false positive.)
  std::shared_future<int> runtime;
  std::shared_future<void> custom;
  {
    ThreadPool pool(2);
    runtime = pool.submit([]() -> int { throw std::runtime_error("task failed"); }).share();
    custom = pool.submit([] { throw dashi_test::BlockFailure{17}; }).share();
    auto fine = pool.submit([] { return 1; });
    try {
      (void)runtime.get();
      FAIL() << "expected std::runtime_error";
    } catch (const std::runtime_error& e) {
      EXPECT_STREQ(e.what(), "task failed");
    }
    try {
      custom.get();
      FAIL() << "expected BlockFailure";
    } catch (const dashi_test::BlockFailure& e) {
      EXPECT_EQ(e.block, 17U);
    }
    EXPECT_EQ(fine.get(), 1);
    EXPECT_EQ(pool.submit([] { return 2; }).get(), 2);  // still usable
  }
}

TEST(ThreadPool, TasksMaySubmitTasks) {
  ThreadPool pool(1);
  std::promise<std::future<int>> inner;
  auto outer = pool.submit([&] { inner.set_value(pool.submit([] { return 11; })); });
  outer.get();
  EXPECT_EQ(inner.get_future().get().get(), 11);
}

// ----------------------------------------------------------------------------------------
// parallel_for

TEST(ThreadPool, ParallelForCoversEachIndexExactlyOnce) {
  for (const std::size_t threads : {std::size_t{1}, std::size_t{2}, std::size_t{4}}) {
    ThreadPool pool(threads);
    for (const std::size_t count :
         {std::size_t{0}, std::size_t{1}, std::size_t{2}, std::size_t{1000}}) {
      for (const std::size_t max_threads :
           {std::size_t{0}, std::size_t{1}, std::size_t{2}, std::size_t{8}}) {
        std::vector<std::atomic<int>> hits(count);
        pool.parallel_for(
            count, [&](std::size_t i) { hits[i].fetch_add(1); }, max_threads);
        for (std::size_t i = 0; i < count; ++i) {
          ASSERT_EQ(hits[i].load(), 1) << "pool=" << threads << " count=" << count
                                       << " max_threads=" << max_threads << " index=" << i;
        }
      }
    }
  }
}

// parallel_for(count, F&& body) accepts a const lvalue callable (F deduced as `const L&`).
TEST(ThreadPool, ParallelForAcceptsConstCallables) {
  ThreadPool pool(2);
  std::vector<std::atomic<int>> hits(100);
  const auto body = [&hits](std::size_t i) { hits[i].fetch_add(1); };
  pool.parallel_for(hits.size(), body);
  const auto order = dashi_test::reversed_order(hits.size());
  pool.parallel_for_in_order(order, body);
  for (std::size_t i = 0; i < hits.size(); ++i) {
    EXPECT_EQ(hits[i].load(), 2) << i;
  }
}

TEST(ThreadPool, ParallelForInOrderCoversEachIndexExactlyOnce) {
  ThreadPool pool(3);
  for (const std::size_t count : {std::size_t{1}, std::size_t{2}, std::size_t{1000}}) {
    for (const auto& order : dashi_test::block_orders(count)) {
      for (const std::size_t max_threads : {std::size_t{0}, std::size_t{1}, std::size_t{8}}) {
        std::vector<std::atomic<int>> hits(count);
        pool.parallel_for_in_order(
            order.order, [&](std::size_t i) { hits[i].fetch_add(1); }, max_threads);
        for (std::size_t i = 0; i < count; ++i) {
          ASSERT_EQ(hits[i].load(), 1) << "count=" << count << " order=" << order.name
                                       << " max_threads=" << max_threads << " index=" << i;
        }
      }
    }
  }
}

TEST(ThreadPool, SingleThreadRunsInlineInTheGivenOrder) {
  ThreadPool pool(4);
  for (const auto& order : dashi_test::block_orders(50)) {
    std::vector<std::size_t> seen;
    std::set<std::thread::id> threads;
    pool.parallel_for_in_order(
        order.order,
        [&](std::size_t i) {
          seen.push_back(i);  // single thread: no race
          threads.insert(std::this_thread::get_id());
        },
        1);
    EXPECT_EQ(seen, order.order) << order.name;
    ASSERT_EQ(threads.size(), 1U);
    EXPECT_EQ(*threads.begin(), std::this_thread::get_id());
  }
}

TEST(ThreadPool, ParallelForRespectsMaxThreads) {
  ThreadPool pool(4);
  for (const std::size_t max_threads : {std::size_t{1}, std::size_t{2}, std::size_t{3}}) {
    dashi_test::ConcurrencyProbe probe;
    pool.parallel_for(
        24, [&](std::size_t) { probe.enter(max_threads, 20ms, 1ms); }, max_threads);
    EXPECT_LE(probe.max_active(), max_threads) << "max_threads=" << max_threads;
  }
  // 0 → the pool's size, the caller included.
  dashi_test::ConcurrencyProbe probe;
  pool.parallel_for(24, [&](std::size_t) { probe.enter(5, 20ms, 1ms); });
  EXPECT_LE(probe.max_active(), 4U);
}

// num_workers = 0 means the pool's size, the caller included (as in ParallelOptions): on a
// pool of one worker that is the caller alone, so the batch runs inline.
TEST(ThreadPool, ZeroWorkersMeansThePoolSizeWithTheCallerIncluded) {
  for (const std::size_t size : {std::size_t{1}, std::size_t{2}}) {
    ThreadPool pool(size);
    dashi_test::ConcurrencyProbe probe;
    std::mutex mutex;
    std::set<std::thread::id> ids;
    pool.parallel_for(8, [&](std::size_t) {
      {
        const std::lock_guard lock(mutex);
        ids.insert(std::this_thread::get_id());
      }
      probe.enter(size + 1, 20ms, 1ms);  // waits (bounded) for one thread too many
    });
    EXPECT_LE(probe.max_active(), size) << "pool size " << size;
    if (size == 1) {  // the caller alone: inline
      ASSERT_EQ(ids.size(), 1U);
      EXPECT_EQ(*ids.begin(), std::this_thread::get_id());
    }
  }
}

TEST(ThreadPool, ParallelForUsesTheWorkers) {
  // Index 0 and index 1 wait for each other: only two threads running at once can finish
  // (a generous deadline turns a hang into a failure).
  ThreadPool pool(1);
  std::atomic<int> started{0};
  std::atomic<bool> both{true};
  std::mutex mutex;
  std::set<std::thread::id> ids;
  pool.parallel_for(
      2,
      [&](std::size_t) {
        {
          const std::lock_guard lock(mutex);
          ids.insert(std::this_thread::get_id());
        }
        started.fetch_add(1);
        const auto deadline = std::chrono::steady_clock::now() + 60s;
        while (started.load() < 2) {
          if (std::chrono::steady_clock::now() > deadline) {
            both = false;
            return;
          }
          std::this_thread::yield();
        }
      },
      2);  // the worker and the caller
  EXPECT_TRUE(both.load()) << "the two indices never ran at the same time";
  EXPECT_EQ(ids.size(), 2U);
}

TEST(ThreadPool, ParallelForRethrowsTheLowestFailingIndex) {
  ThreadPool pool(3);
  for (const std::size_t max_threads : {std::size_t{1}, std::size_t{2}, std::size_t{4}}) {
    try {
      pool.parallel_for(
          1000,
          [](std::size_t i) {
            if (i == 700 || i == 333 || i == 901) {
              throw std::runtime_error("index " + std::to_string(i));
            }
          },
          max_threads);
      FAIL() << "expected an exception";
    } catch (const std::runtime_error& e) {
      EXPECT_STREQ(e.what(), "index 333") << "max_threads=" << max_threads;
    }
  }
  std::atomic<int> after{0};
  pool.parallel_for(100, [&](std::size_t) { after.fetch_add(1); });
  EXPECT_EQ(after.load(), 100);
}

// ----------------------------------------------------------------------------------------
// The static schedule: contiguous runs, stealing from their ends

/// Which thread ran each index of a batch of `count` indices on `threads` threads, every
/// thread's first index waiting until `threads` threads have started (a generous deadline
/// turns a hang into a failure), so that all of them take part.
std::vector<std::thread::id> runners(ThreadPool& pool, std::size_t count, std::size_t threads) {
  std::vector<std::thread::id> ran_by(count);
  std::mutex mutex;
  std::set<std::thread::id> started;
  pool.parallel_for(
      count,
      [&](std::size_t i) {
        bool first = false;
        {
          const std::lock_guard lock(mutex);
          first = started.insert(std::this_thread::get_id()).second;
          ran_by[i] = std::this_thread::get_id();
        }
        const auto deadline = std::chrono::steady_clock::now() + 60s;
        while (first && std::chrono::steady_clock::now() < deadline) {
          {
            const std::lock_guard lock(mutex);
            if (started.size() == threads) {
              break;
            }
          }
          std::this_thread::yield();
        }
      },
      threads);
  return ran_by;
}

TEST(ThreadPool, EachThreadWalksAContiguousRunFromItsStart) {
  // With T threads, thread t owns the indices [t·n/T, (t+1)·n/T): it runs a prefix of them
  // in order, and other threads only ever take indices from the end of the run.
  for (const std::size_t threads : {std::size_t{2}, std::size_t{3}}) {
    ThreadPool pool(threads);
    constexpr std::size_t count = 60;
    const std::vector<std::thread::id> ran_by = runners(pool, count, threads);
    EXPECT_EQ(std::set<std::thread::id>(ran_by.begin(), ran_by.end()).size(), threads);
    EXPECT_EQ(ran_by[0], std::this_thread::get_id()) << "the caller owns the first run";
    for (std::size_t t = 0; t < threads; ++t) {
      const std::size_t begin = t * count / threads;
      const std::size_t end = (t + 1) * count / threads;
      const std::thread::id owner = ran_by[begin];
      std::size_t prefix = begin;
      while (prefix < end && ran_by[prefix] == owner) {
        ++prefix;
      }
      for (std::size_t i = prefix; i < end; ++i) {
        EXPECT_NE(ran_by[i], owner) << "run " << t << " of " << threads << ": index " << i
                                    << " came back to the run's owner after another thread";
      }
      for (std::size_t u = 0; u < threads; ++u) {
        if (u != t) {
          EXPECT_NE(ran_by[u * count / threads], owner) << "one thread started two runs";
        }
      }
    }
  }
}

TEST(ThreadPool, ASlowThreadsRunIsFinishedByTheOthers) {
  // Index 0 (the caller's run) waits until every other index has run: only stealing from
  // the end of the caller's run can finish the batch (a generous deadline turns a hang into
  // a failure).
  ThreadPool pool(1);
  constexpr std::size_t count = 40;
  std::atomic<std::size_t> done{0};
  std::atomic<bool> finished_by_others{true};
  pool.parallel_for(
      count,
      [&](std::size_t i) {
        if (i == 0) {
          const auto deadline = std::chrono::steady_clock::now() + 60s;
          while (done.load() < count - 1) {
            if (std::chrono::steady_clock::now() > deadline) {
              finished_by_others = false;
              break;
            }
            std::this_thread::yield();
          }
        }
        done.fetch_add(1);
      },
      2);
  EXPECT_TRUE(finished_by_others.load());
  EXPECT_EQ(done.load(), count);
}

TEST(ThreadPool, TheLowestFailingIndexWinsWhateverTheOrderOfClaims) {
  // Failures in every run, claimed forwards and backwards: the lowest index decides.
  ThreadPool pool(3);
  constexpr std::size_t count = 90;
  for (const auto& order : dashi_test::block_orders(count)) {
    for (const std::size_t threads : {std::size_t{2}, std::size_t{4}}) {
      try {
        pool.parallel_for_in_order(
            order.order,
            [](std::size_t i) {
              if (i % 29 == 17) {  // 17, 46, 75: one in each third
                throw std::runtime_error("index " + std::to_string(i));
              }
            },
            threads);
        FAIL() << "expected an exception";
      } catch (const std::runtime_error& e) {
        EXPECT_STREQ(e.what(), "index 17") << order.name << ", threads = " << threads;
      }
    }
  }
}

TEST(ThreadPool, ConcurrentCallersShareOnePool) {
  for (const std::size_t threads : {std::size_t{1}, std::size_t{2}, std::size_t{4}}) {
    ThreadPool pool(threads);
    std::atomic<int> errors{0};
    std::vector<std::thread> callers;
    for (std::size_t t = 0; t < 8; ++t) {
      callers.emplace_back([&, t] {
        for (std::size_t call = 0; call < 200; ++call) {
          const std::size_t count = 1 + (call * 7 + t) % 64;
          std::vector<std::size_t> out(count, 0);
          pool.parallel_for(count, [&](std::size_t i) { out[i] = i * t + call; });
          for (std::size_t i = 0; i < count; ++i) {
            if (out[i] != i * t + call) {
              errors.fetch_add(1);
            }
          }
          if (call % 20 == 0) {
            if (pool.submit([t, call] { return t + call; }).get() != t + call) {
              errors.fetch_add(1);
            }
          }
        }
      });
    }
    for (auto& c : callers) {
      c.join();
    }
    EXPECT_EQ(errors.load(), 0) << "threads=" << threads;
  }
}

TEST(ThreadPool, NestedParallelForDoesNotDeadlock) {
  for (const std::size_t threads : {std::size_t{1}, std::size_t{2}}) {
    ThreadPool pool(threads);
    std::atomic<int> leaves{0};
    pool.parallel_for(6, [&](std::size_t) {
      pool.parallel_for(
          5, [&](std::size_t) { pool.parallel_for(4, [&](std::size_t) { leaves.fetch_add(1); }); });
    });
    EXPECT_EQ(leaves.load(), 6 * 5 * 4) << "threads=" << threads;
  }
}

TEST(ThreadPool, ParallelForFromInsideATask) {
  ThreadPool pool(1);
  auto future = pool.submit([&pool] {
    std::atomic<int> sum{0};
    pool.parallel_for(100, [&](std::size_t i) { sum.fetch_add(static_cast<int>(i)); });
    return sum.load();
  });
  EXPECT_EQ(future.get(), 4950);
}

}  // namespace
