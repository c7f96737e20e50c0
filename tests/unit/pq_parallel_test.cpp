// SPDX-License-Identifier: Apache-2.0
// detail::parallel_for_tasks: every task once, and the lowest failing task's exception.

#include <gtest/gtest.h>

#include <array>
#include <cstddef>
#include <dashi/pq/detail/parallel.hpp>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

constexpr std::array<std::size_t, 5> worker_counts = {0, 1, 2, 3, 8};

TEST(PqParallelFor, RunsEveryTaskExactlyOnce) {
  for (const std::size_t tasks :
       {std::size_t{0}, std::size_t{1}, std::size_t{2}, std::size_t{17}, std::size_t{1000}}) {
    for (const std::size_t workers : worker_counts) {
      std::vector<int> runs(tasks, 0);  // each task writes only its own slot
      dashi::pq::detail::parallel_for_tasks(tasks, workers, [&](std::size_t i) { ++runs[i]; });
      for (std::size_t i = 0; i < tasks; ++i) {
        ASSERT_EQ(runs[i], 1) << "task " << i << " of " << tasks << ", workers = " << workers;
      }
    }
  }
}

TEST(PqParallelFor, RethrowsTheLowestFailingTask) {
  for (int repeat = 0; repeat < 20; ++repeat) {
    for (const std::size_t workers : worker_counts) {
      std::vector<int> runs(64, 0);
      try {
        dashi::pq::detail::parallel_for_tasks(runs.size(), workers, [&](std::size_t i) {
          ++runs[i];
          if (i == 7 || i == 13 || i == 40 || i == 63) {
            throw std::runtime_error("task " + std::to_string(i));
          }
        });
        ADD_FAILURE() << "no exception, workers = " << workers;
      } catch (const std::runtime_error& e) {
        EXPECT_STREQ(e.what(), "task 7") << "workers = " << workers;
      }
      for (std::size_t i = 0; i < 8; ++i) {
        EXPECT_EQ(runs[i], 1) << "task " << i << " before the first failure must have run";
      }
      for (std::size_t i = 0; i < runs.size(); ++i) {  // tasks above 7 may be skipped
        EXPECT_LE(runs[i], 1) << "task " << i << " ran twice, workers = " << workers;
      }
    }
  }
}

TEST(PqParallelFor, PropagatesNonStandardExceptions) {
  EXPECT_THROW(dashi::pq::detail::parallel_for_tasks(5, 3,
                                                     [](std::size_t i) {
                                                       if (i == 2) {
                                                         throw 42;
                                                       }
                                                     }),
               int);
}

}  // namespace
