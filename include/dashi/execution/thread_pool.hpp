// SPDX-License-Identifier: Apache-2.0
#pragma once

/// @file
/// `ThreadPool`: a fixed set of `std::jthread` workers built for low dispatch latency.
/// Index-space batches (`parallel_for`) are run by the calling thread together with the
/// workers; workers spin briefly after work before they sleep, so back-to-back calls
/// cost well under a microsecond, and an idle pool costs nothing.
///
/// Thread counts — one meaning throughout the library. A pool's *size* is its number of
/// workers (`ThreadPool(n)`: n; 0 → `std::thread::hardware_concurrency()`, at least 1). A
/// call's `num_workers` (`ParallelOptions`, `PqOptions`, `pq::FileOptions`, and the last
/// argument of `parallel_for`) is the number of threads that run its work at once, the
/// calling thread included; 0 → the pool's size. So a call on the default pool with
/// `num_workers = 0` runs on `hardware_concurrency()` threads: the caller and all but one of
/// the workers, one per core. A call never uses more than the pool's size plus the caller;
/// `num_workers = 1` runs inline on the caller. A worker a call asks for but does not get
/// (the pool is busy with other calls) only means fewer threads: the caller and the workers
/// that join share the work.

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <dashi/detail/batch.hpp>
#include <deque>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <span>
#include <stop_token>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

namespace dashi {

/// A fixed pool of `std::jthread` workers.
///
/// Thread-safety: every member function may be called from any number of threads at once,
/// including from inside tasks and `parallel_for` bodies running on this pool. Nested
/// `parallel_for` calls never deadlock (the caller always takes part in its own batch), but
/// tasks that wait on the futures of other submitted tasks may deadlock once every worker is
/// such a waiting task (only workers run submitted tasks). Destroying the pool while another
/// thread is inside one of its member functions is undefined.
class ThreadPool {  // NOLINT(clang-analyzer-optin.performance.Padding): the epoch, the offer
                    // users and the spinner count sit on cache lines of their own on purpose
 public:
  /// Starts `workers` workers, the pool's size (0 → `std::thread::hardware_concurrency()`, at
  /// least 1; see "Thread counts" above). Throws `std::system_error` when a thread cannot be
  /// started and `std::bad_alloc` when memory runs out (the workers already started are
  /// stopped and joined first).
  explicit ThreadPool(std::size_t workers = 0) : size_(resolve_size(workers)) { start_workers(); }

  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;
  ThreadPool(ThreadPool&&) = delete;
  ThreadPool& operator=(ThreadPool&&) = delete;

  /// Runs every task already submitted, then stops and joins the workers.
  ~ThreadPool() { stop_workers(); }

  /// Number of worker threads (for the default pool: the number it starts when a call first
  /// needs workers).
  [[nodiscard]] std::size_t size() const noexcept { return size_; }

  /// Queues `task` (callable with no argument) and returns the future of its result; an
  /// exception thrown by the task is stored in the future. Throws `std::bad_alloc`, and
  /// `std::system_error` when the default pool's threads, started by the first call that needs
  /// them, cannot start.
  template <class F>
  [[nodiscard]] auto submit(F&& task) -> std::future<std::invoke_result_t<std::decay_t<F>>> {
    using Result = std::invoke_result_t<std::decay_t<F>>;
    auto packaged = std::make_shared<std::packaged_task<Result()>>(std::forward<F>(task));
    std::future<Result> future = packaged->get_future();
    ensure_started();
    {
      const std::lock_guard lock(mutex_);
      tasks_.emplace_back([packaged] { (*packaged)(); });
    }
    announce_work(1);
    return future;
  }

  /// Calls `body(i)` for every `i` in `[0, count)` on at most `num_workers` threads at once,
  /// the calling thread included (0 → `size()`; see "Thread counts" above); returns when all
  /// calls are done. Scheduled like OpenMP's static schedule: with T threads, thread t runs the
  /// contiguous run of indices from `t·count/T` upwards, and a thread done with its run takes
  /// indices one at a time from the end of another's (see `detail::Batch`). If calls throw,
  /// the exception of the lowest failing index is rethrown unchanged (calls above it may be
  /// skipped); the pool stays usable. A single index and `num_workers == 1` run inline.
  /// Allocates nothing, except that on the default pool the first call that needs workers
  /// starts them (`std::system_error` when a thread cannot start, `std::bad_alloc`).
  template <class F>
  void parallel_for(std::size_t count, F&& body, std::size_t num_workers = 0) {
    run_batch(count, {}, body, num_workers);
  }

  /// As `parallel_for`, over the claims `[0, order.size())`, claim `k` running
  /// `body(order[k])` (`order` a permutation of `[0, order.size())`, not checked): the runs
  /// of the static schedule are runs of claims. Useful to start the most expensive indices
  /// first, and to show that a result does not depend on the order in which indices run.
  template <class F>
  void parallel_for_in_order(std::span<const std::size_t> order, F&& body,
                             std::size_t num_workers = 0) {
    run_batch(order.size(), order, body, num_workers);
  }

 private:
  friend ThreadPool& default_thread_pool();
  struct Deferred {};
  /// A pool of `size_` workers that starts them on first need (see `ensure_started`).
  explicit ThreadPool(Deferred /*tag*/) : size_(resolve_size(0)) {}

  [[nodiscard]] static std::size_t resolve_size(std::size_t workers) noexcept {
    return workers != 0 ? workers : std::max<std::size_t>(1, std::thread::hardware_concurrency());
  }

  /// Starts the workers; on failure stops and joins those already running, then rethrows.
  void start_workers() {
    try {
      workers_.reserve(size_);
      for (std::size_t i = 0; i < size_; ++i) {
        workers_.emplace_back([this](const std::stop_token& stop) { worker_loop(stop); });
      }
    } catch (...) {
      stop_workers();
      throw;
    }
    started_.store(true, std::memory_order_release);
  }

  /// Starts the workers of a deferred pool the first time a call needs them. Throws
  /// `std::system_error` when a thread cannot be started and `std::bad_alloc` (a later call
  /// tries again).
  void ensure_started() {
    if (started_.load(std::memory_order_acquire)) {
      return;
    }
    const std::lock_guard lock(start_mutex_);
    if (!started_.load(std::memory_order_relaxed)) {
      start_workers();
    }
  }

  void stop_workers() noexcept {
    for (auto& worker : workers_) {
      worker.request_stop();
    }
    wake_all();
    workers_.clear();  // joins
  }

  template <class F>
  void run_batch(std::size_t count, std::span<const std::size_t> order, F& body,
                 std::size_t num_workers) {
    if (count == 0) {
      return;
    }
    const std::size_t threads = num_workers == 0 ? size() : num_workers;
    detail::Batch batch(count, order.empty() ? nullptr : order.data(),
                        const_cast<void*>(static_cast<const void*>(&body)),
                        [](void* ctx, std::size_t index) { (*static_cast<F*>(ctx))(index); });
    const std::size_t helpers = std::min({threads - 1, size(), count - 1});
    batch.plan(helpers + 1);
    if (helpers != 0) {
      ensure_started();
      batch.max_helpers = helpers;
      // The offer slot when it is free (the common case: one caller at a time), without a
      // lock on either side; the list under the mutex otherwise (nested or concurrent calls).
      detail::Batch* free_slot = nullptr;
      const bool offered =
          offer_.compare_exchange_strong(free_slot, &batch, std::memory_order_seq_cst);
      if (offered) {
        announce_work(helpers);
      } else {
        post(batch);
      }
      batch.work(0);
      batch.wait_finished();
      if (offered) {
        withdraw(batch);
      } else {
        retire(batch);
      }
    } else {
      batch.work(0);
    }
    batch.rethrow_failure();
  }

  void post(detail::Batch& batch) {
    {
      const std::lock_guard lock(mutex_);
      batch.next_in_list = batches_;
      batches_ = &batch;
    }
    announce_work(batch.max_helpers);
  }

  void retire(detail::Batch& batch) {
    {
      const std::lock_guard lock(mutex_);
      detail::Batch** link = &batches_;
      while (*link != &batch) {
        link = &(*link)->next_in_list;
      }
      *link = batch.next_in_list;
    }
    // Workers attach under the mutex only, so none can attach now; wait for the attached
    // ones to step off (they are past their last block).
    while (batch.helpers.load(std::memory_order_acquire) != 0) {
      detail::cpu_relax();
    }
  }

  /// Takes the batch out of the offer slot and waits until no worker can still reach it:
  /// workers hold `offer_users_` while they look at the slot (and attach to its batch), and
  /// the batch's `helpers` while they work on it.
  void withdraw(detail::Batch& batch) noexcept {
    offer_.store(nullptr, std::memory_order_seq_cst);
    while (offer_users_.load(std::memory_order_seq_cst) != 0) {
      detail::cpu_relax();
    }
    while (batch.helpers.load(std::memory_order_acquire) != 0) {
      detail::cpu_relax();
    }
  }

  /// Attaches to `batch` as one more helper unless it already has `max_helpers` (a CAS loop:
  /// two workers never both take the last place). Returns the helper's thread number in the
  /// batch (1, 2, …; the caller is 0), which picks the run of claims it starts on, or 0 when
  /// the batch is full.
  static std::size_t attach(detail::Batch& batch) noexcept {
    std::size_t attached = batch.helpers.load(std::memory_order_relaxed);
    while (attached < batch.max_helpers) {
      if (batch.helpers.compare_exchange_weak(attached, attached + 1, std::memory_order_relaxed)) {
        return attached + 1;
      }
    }
    return 0;
  }

  /// Bumps the epoch so spinning workers see new work, and wakes sleepers when fewer
  /// workers spin than `wanted`.
  void announce_work(std::size_t wanted) {
    epoch_.fetch_add(1, std::memory_order_seq_cst);
    const std::size_t spinning = spinners_.load(std::memory_order_seq_cst);
    if (spinning < wanted && sleepers_.load(std::memory_order_seq_cst) != 0) {
      if (wanted - spinning == 1) {
        epoch_.notify_one();
      } else {
        epoch_.notify_all();
      }
    }
  }

  void wake_all() noexcept {
    epoch_.fetch_add(1, std::memory_order_seq_cst);
    epoch_.notify_all();
  }

  enum class Found { ran, capped, nothing };

  /// Works on the batch in the offer slot, if any can take a helper.
  Found run_offered() {
    offer_users_.fetch_add(1, std::memory_order_seq_cst);
    detail::Batch* batch = offer_.load(std::memory_order_seq_cst);
    Found found = Found::nothing;
    std::size_t thread = 0;
    if (batch != nullptr && batch->has_unclaimed()) {
      thread = attach(*batch);
      found = thread != 0 ? Found::ran : Found::capped;
    }
    offer_users_.fetch_sub(1, std::memory_order_seq_cst);
    if (found == Found::ran) {
      batch->work(thread);
      batch->helpers.fetch_sub(1, std::memory_order_release);
    }
    return found;
  }

  /// Runs one unit of work: a share of the offered batch or of a posted one, or one queued
  /// task.
  Found run_one() {
    const Found offered = run_offered();
    if (offered == Found::ran) {
      return offered;
    }
    detail::Batch* batch = nullptr;
    std::size_t thread = 0;
    std::function<void()> task;
    bool capped = offered == Found::capped;
    {
      const std::lock_guard lock(mutex_);
      for (detail::Batch* b = batches_; b != nullptr; b = b->next_in_list) {
        if (!b->has_unclaimed()) {
          continue;
        }
        thread = attach(*b);
        if (thread != 0) {
          batch = b;
          break;
        }
        capped = true;
      }
      if (batch == nullptr && !tasks_.empty()) {
        task = std::move(tasks_.front());
        tasks_.pop_front();
      }
    }
    if (batch != nullptr) {
      batch->work(thread);
      batch->helpers.fetch_sub(1, std::memory_order_release);
      return Found::ran;
    }
    if (task) {
      task();  // a packaged_task: exceptions land in its future
      return Found::ran;
    }
    return capped ? Found::capped : Found::nothing;
  }

  [[nodiscard]] bool has_queued_tasks() {
    const std::lock_guard lock(mutex_);
    return !tasks_.empty();
  }

  void worker_loop(const std::stop_token& stop) {
    using Clock = std::chrono::steady_clock;
    constexpr auto spin_budget = std::chrono::microseconds(50);
    for (;;) {
      const std::uint32_t seen = epoch_.load(std::memory_order_seq_cst);
      const Found found = run_one();
      if (found == Found::ran) {
        continue;
      }
      if (stop.stop_requested() && !has_queued_tasks()) {
        return;
      }
      // Spin for new work only when we could take part in it: a worker shut out by a
      // batch's thread cap sleeps, leaving the cores to the threads doing the work.
      bool changed = false;
      if (found == Found::nothing) {
        spinners_.fetch_add(1, std::memory_order_seq_cst);
        const auto deadline = Clock::now() + spin_budget;
        for (unsigned round = 1; !changed; ++round) {
          detail::cpu_relax();
          changed = epoch_.load(std::memory_order_relaxed) != seen;
          if (round % 64 == 0 && Clock::now() > deadline) {
            break;
          }
        }
        spinners_.fetch_sub(1, std::memory_order_seq_cst);
      }
      if (!changed) {
        sleepers_.fetch_add(1, std::memory_order_seq_cst);
        epoch_.wait(seen, std::memory_order_seq_cst);
        sleepers_.fetch_sub(1, std::memory_order_seq_cst);
      }
    }
  }

  std::mutex mutex_;
  detail::Batch* batches_ = nullptr;         // intrusive list of posted batches (guarded by mutex_)
  std::deque<std::function<void()>> tasks_;  // guarded by mutex_
  alignas(detail::cache_line_bytes) std::atomic<std::uint32_t> epoch_{0};
  std::atomic<detail::Batch*> offer_{nullptr};  // beside the epoch: one line carries both
  alignas(detail::cache_line_bytes) std::atomic<std::size_t> offer_users_{0};
  alignas(detail::cache_line_bytes) std::atomic<std::size_t> spinners_{0};
  std::atomic<std::size_t> sleepers_{0};
  std::size_t size_;
  std::mutex start_mutex_;
  std::atomic<bool> started_{false};
  std::vector<std::jthread> workers_;  // last: joined first on destruction
};

/// The process-wide pool used by the overloads without a pool argument, of
/// `std::thread::hardware_concurrency()` workers (at least 1). The object is created on
/// first use; its threads start only when a call first needs workers (a call that runs
/// inline, such as one on a small field or with `num_workers = 1`, starts none). Calls that
/// need workers throw `std::system_error` (or `std::bad_alloc`) while the threads cannot be
/// started.
/// Thread-safe.
[[nodiscard]] inline ThreadPool& default_thread_pool() {
  static ThreadPool pool{ThreadPool::Deferred{}};
  return pool;
}

}  // namespace dashi
