// SPDX-License-Identifier: Apache-2.0
// Thread creation seen from outside the library: this program interposes `pthread_create`
// (the definition below wins over the C library's for every caller, std::thread included),
// counting the threads the library starts and failing them on demand, as a container with
// a thread limit does (EAGAIN). No test seam exists in the library itself.

#include <dlfcn.h>
#include <gtest/gtest.h>
#include <pthread.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <dashi/execution/cpu_parallel.hpp>
#include <dashi/execution/iterate.hpp>
#include <dashi/execution/thread_pool.hpp>
#include <future>
#include <system_error>
#include <thread>

namespace {

std::atomic<long> created{0};
/// Threads that may still start; negative: no limit.
std::atomic<long> remaining{-1};

}  // namespace

extern "C" int pthread_create(pthread_t* thread, const pthread_attr_t* attr, void* (*start)(void*),
                              void* arg) noexcept {
  using Create = int (*)(pthread_t*, const pthread_attr_t*, void* (*)(void*), void*);
  static const auto real = reinterpret_cast<Create>(dlsym(RTLD_NEXT, "pthread_create"));
  long left = remaining.load();
  while (left >= 0) {
    if (left == 0) {
      return EAGAIN;
    }
    if (remaining.compare_exchange_weak(left, left - 1)) {
      break;
    }
  }
  created.fetch_add(1);
  return real(thread, attr, start, arg);
}

namespace {

using dashi::Shape;
using dashi::TernaryField;
using dashi::ThreadPool;

/// Runs `work` on a thread started before any limit applies and fails the test (ending the
/// process, since a hung thread cannot be joined) if it has not returned after a minute.
template <class F>
void run_or_report_hang(F work, const char* what) {
  std::packaged_task<void()> task(work);
  std::future<void> done = task.get_future();
  std::thread runner(std::move(task));
  if (done.wait_for(std::chrono::minutes(1)) != std::future_status::ready) {
    std::fprintf(stderr, "%s did not return: it hangs\n", what);
    std::_Exit(1);
  }
  runner.join();
  done.get();
}

TEST(ThreadStart, PoolThrowsPromptlyWhenALaterThreadCannotStart) {
  for (const long allowed : {0L, 1L, 3L}) {
    run_or_report_hang(
        [allowed] {
          remaining.store(allowed);
          EXPECT_THROW(ThreadPool pool(4), std::system_error) << allowed << " threads allowed";
          remaining.store(-1);
        },
        "ThreadPool(4) with a thread limit");
  }
  ThreadPool pool(2);  // and the process can still start threads afterwards
  EXPECT_EQ(pool.size(), 2U);
}

TEST(ThreadStart, DefaultPoolStartsNoThreadForACallThatRunsInline) {
  const TernaryField tiny = TernaryField::from_signed({1, -1, 0, 1});
  const long before = created.load();
  const TernaryField flipped = dashi::run_kernel_parallel(dashi::kernels::SignFlip{}, tiny);
  const TernaryField iterated = dashi::run_kernel_iterated(dashi::kernels::SignFlip{}, tiny, 3);
  EXPECT_EQ(created.load(), before) << "a call on 4 sites started threads";
  EXPECT_EQ(flipped.value(1), 1);
  EXPECT_EQ(iterated.value(0), -1);
  EXPECT_EQ(dashi::default_thread_pool().size(),
            std::max<std::size_t>(1, std::thread::hardware_concurrency()));
  EXPECT_EQ(created.load(), before) << "asking the default pool's size started threads";

  // A call that needs workers starts them, once.
  const TernaryField large = TernaryField::zeros(Shape{std::size_t{1} << 20});
  (void)dashi::run_kernel_parallel(dashi::kernels::SignFlip{}, large, {.num_workers = 2});
  const long after_first = created.load();
  EXPECT_EQ(static_cast<std::size_t>(after_first - before), dashi::default_thread_pool().size());
  (void)dashi::run_kernel_parallel(dashi::kernels::SignFlip{}, large, {.num_workers = 2});
  EXPECT_EQ(created.load(), after_first);
}

}  // namespace
