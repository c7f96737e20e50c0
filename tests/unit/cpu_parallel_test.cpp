// SPDX-License-Identifier: Apache-2.0
// Unit tests of <dashi/execution/cpu_parallel.hpp>: the overloads, ParallelOptions
// (halo, output checks, contract checks, num_workers), Boundary::periodic, inline runs.

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <dashi/execution/cpu_parallel.hpp>
#include <dashi/execution/iterate.hpp>
#include <dashi/execution/reduce.hpp>
#include <fstream>
#include <mutex>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "support/fields.hpp"

namespace {

using namespace dashi_test;

using namespace std::chrono_literals;

constexpr std::size_t inline_limit = std::size_t{1} << 15;  // documented in cpu_parallel.hpp

// ----------------------------------------------------------------------------------------
// Overloads

TEST(RunKernelParallel, ThreeOverloadsAgreeWithApplyKernel) {
  ThreadPool pool(3);
  for (const Shape& shape : {Shape{1000}, Shape{200003}, Shape{301, 401}}) {
    const TernaryField input = random_field(shape, 0.3, shape.size());
    const TernaryField expected = dashi::apply_kernel(kernels::LeftNeighbor{}, input);
    const ParallelOptions options{.num_workers = 3, .block_elems = 4096};
    EXPECT_EQ(first_difference(dashi::run_kernel_parallel(kernels::LeftNeighbor{}, input, options),
                               expected),
              "")
        << shape.to_string() << " default pool";
    EXPECT_EQ(
        first_difference(dashi::run_kernel_parallel(pool, kernels::LeftNeighbor{}, input, options),
                         expected),
        "")
        << shape.to_string() << " given pool";
    TernaryField out = TernaryField::zeros(shape);
    dashi::run_kernel_parallel(pool, kernels::LeftNeighbor{}, input, out.span(), options);
    EXPECT_EQ(first_difference(out, expected), "") << shape.to_string() << " into";
    // Default options.
    EXPECT_EQ(dashi::run_kernel_parallel(kernels::LeftNeighbor{}, input), expected);
  }
}

TEST(RunKernelParallel, SeedStyleCall) {
  const TernaryField x = random_field(Shape{100000}, 0.5, 1);
  const TernaryField y = dashi::run_kernel_parallel(
      kernels::LeftNeighbor{}, x, {.num_workers = 4, .block_elems = 4096, .halo = 1});
  EXPECT_EQ(y, dashi::apply_kernel(kernels::LeftNeighbor{}, x));
}

TEST(RunKernelParallel, EveryOutputSiteIsWritten) {
  ThreadPool pool(2);
  for (const Shape& shape : {Shape{77}, Shape{100003}, Shape{513, 129}}) {
    const TernaryField input = random_field(shape, 0.3, 3);
    // Poison the output with a byte no kernel writes.
    std::vector<std::int8_t> buffer(shape.size(), 0x55);
    const TernarySpan out(buffer, shape);
    dashi::run_kernel_parallel(pool, dashi_test::AxisStencil2{}, input, out, {.block_elems = 1000});
    EXPECT_EQ(first_difference(out.view(), dashi::apply_kernel(dashi_test::AxisStencil2{}, input)),
              "")
        << shape.to_string();
  }
}

TEST(RunKernelParallel, EmptyAndSingleSiteFields) {
  ThreadPool pool(2);
  for (const Shape& shape :
       {Shape{0}, Shape{0, 5}, Shape{5, 0}, Shape{1}, Shape{1, 1}, Shape{1, 1, 1, 1}}) {
    const TernaryField input = random_field(shape, 0.0, 5);
    for (const std::size_t block : {std::size_t{0}, std::size_t{1}, std::size_t{37}}) {
      const ParallelOptions options{.num_workers = 2, .block_elems = block};
      EXPECT_EQ(dashi::run_kernel_parallel(pool, kernels::SignFlip{}, input, options),
                dashi::apply_kernel(kernels::SignFlip{}, input))
          << shape.to_string();
      EXPECT_EQ(dashi::run_kernel_parallel(kernels::LeftNeighbor{}, input, options),
                dashi::apply_kernel(kernels::LeftNeighbor{}, input))
          << shape.to_string();
      TernaryField out = TernaryField::zeros(shape);
      dashi::run_kernel_parallel(pool, dashi_test::FunctionalRightProduct{}, input, out.span(),
                                 options);
      EXPECT_EQ(out, dashi::apply_kernel(dashi_test::FunctionalRightProduct{}, input))
          << shape.to_string();
      EXPECT_EQ(dashi::run_kernel_parallel(pool, kernels::LeftNeighbor{}, input,
                                           {.block_elems = block, .boundary = Boundary::periodic}),
                dashi_test::periodic_reference(kernels::LeftNeighbor{}, input, 1))
          << shape.to_string() << " periodic";
    }
  }
}

/// A type with both forms: the into form (SignFlip) must be the one used.
struct BothForms {
  void operator()(TernaryView in, TernarySpan out) const { kernels::SignFlip{}(in, out); }
  TernaryField operator()(TernaryView in) const {
    return TernaryField::from_signed(in.values(), in.shape());
  }
};

TEST(RunKernelParallel, IntoFormWinsWhenBothAreDeclared) {
  const TernaryField input = random_field(Shape{100000}, 0.2, 8);
  EXPECT_EQ(dashi::run_kernel_parallel(BothForms{}, input, {.block_elems = 999}),
            dashi::apply_kernel(kernels::SignFlip{}, input));
}

// ----------------------------------------------------------------------------------------
// Where blocks run and what they see

/// Records the threads that run blocks, and whether in/out point into the caller's buffers.
struct WhereKernel {
  const std::int8_t* in_base = nullptr;
  const std::int8_t* out_base = nullptr;
  std::size_t size = 0;
  std::mutex* mutex = nullptr;
  std::set<std::thread::id>* threads = nullptr;
  bool* in_outside = nullptr;
  bool* out_outside = nullptr;
  void operator()(TernaryView in, TernarySpan out) const {
    kernels::SignFlip{}(in, out);
    const std::lock_guard lock(*mutex);
    threads->insert(std::this_thread::get_id());
    *in_outside = *in_outside || in.data() < in_base || in.data() + in.size() > in_base + size;
    *out_outside =
        *out_outside || out.data() < out_base || out.data() + out.size() > out_base + size;
  }
};

TEST(RunKernelParallel, TinyInputsRunInlineOnTheCaller) {
  ThreadPool pool(4);
  for (const std::size_t n : {std::size_t{1}, std::size_t{1000}, inline_limit}) {
    const TernaryField input = random_field(Shape{n}, 0.3, n);
    TernaryField output = TernaryField::zeros(input.shape());
    std::mutex mutex;
    std::set<std::thread::id> threads;
    bool in_outside = false;
    bool out_outside = false;
    const WhereKernel kernel{input.data(), output.data(), n,           &mutex,
                             &threads,     &in_outside,   &out_outside};
    dashi::run_kernel_parallel(pool, kernel, input, output.span(),
                               {.num_workers = 4, .block_elems = 1});
    EXPECT_EQ(threads, std::set<std::thread::id>{std::this_thread::get_id()}) << "n=" << n;
    EXPECT_EQ(output, dashi::apply_kernel(kernels::SignFlip{}, input));
  }
}

TEST(RunKernelParallel, DenseRadiusZeroBlocksAreViewsWrittenInPlace) {
  // Dense blocks are views into the input; radius-0 into kernels write straight into the
  // output (docs/design.md §2, §4).
  ThreadPool pool(3);
  const TernaryField input = random_field(Shape{200000}, 0.3, 9);
  TernaryField output = TernaryField::zeros(input.shape());
  std::mutex mutex;
  std::set<std::thread::id> threads;
  bool in_outside = false;
  bool out_outside = false;
  const WhereKernel kernel{input.data(), output.data(), input.size(), &mutex,
                           &threads,     &in_outside,   &out_outside};
  dashi::run_kernel_parallel(pool, kernel, input, output.span(),
                             {.num_workers = 3, .block_elems = 5000});
  EXPECT_FALSE(in_outside) << "a block was copied";
  EXPECT_FALSE(out_outside) << "a radius-0 block was written to scratch";
  EXPECT_EQ(output, dashi::apply_kernel(kernels::SignFlip{}, input));
}

/// Radius-0, unproven: records the rows of every call (first row in the input, row count)
/// and whether its views have the input's slices.
struct SliceRecorder {
  const std::int8_t* base = nullptr;
  std::size_t row_elems = 1;
  Shape slice_shape;  // the input's shape with 0 rows
  std::mutex* mutex = nullptr;
  std::vector<std::pair<std::size_t, std::size_t>>* calls = nullptr;
  bool* bad_view = nullptr;
  void operator()(TernaryView in, TernarySpan out) const {
    dashi_test::RowMajority{}(in, out);
    const std::lock_guard lock(*mutex);
    *bad_view =
        *bad_view || !(in.shape().with_rows(0) == slice_shape) || !(out.shape() == in.shape());
    calls->emplace_back(static_cast<std::size_t>(in.data() - base) / row_elems, in.shape().rows());
  }
};

TEST(RunKernelParallel, PointwiseKernelsSeeWholeSlicesInsideOneBlock) {
  // A radius-0 kernel may be called on pieces of a block, but always on whole axis-0
  // slices of one block, each slice exactly once.
  ThreadPool pool(3);
  for (const Shape& shape : {Shape{100003}, Shape{2003, 101}, Shape{41, 1000, 3}}) {
    const TernaryField input = random_field(shape, 0.3, 31);
    const TernaryField expected = dashi::apply_kernel(dashi_test::RowMajority{}, input);
    for (const std::size_t block_elems : {std::size_t{1}, std::size_t{30011}, std::size_t{0}}) {
      for (const bool check : {true, false}) {
        std::mutex mutex;
        std::vector<std::pair<std::size_t, std::size_t>> calls;
        bool bad_view = false;
        const SliceRecorder kernel{input.data(), shape.row_elems(), shape.with_rows(0), &mutex,
                                   &calls,       &bad_view};
        const ParallelOptions options{
            .num_workers = 3, .block_elems = block_elems, .check_contract = check};
        const std::string context = shape.to_string() + " " + dashi_test::describe(options);
        const TernaryField out = dashi::run_kernel_parallel(pool, kernel, input, options);
        EXPECT_EQ(first_difference(out, expected), "") << context;
        EXPECT_FALSE(bad_view) << context;
        std::sort(calls.begin(), calls.end());
        const dashi::Partition partition(shape, block_elems);
        std::size_t next = 0;
        for (const auto& [first, count] : calls) {
          ASSERT_EQ(first, next) << context;
          ASSERT_GE(count, 1U) << context;
          ASSERT_EQ(first / partition.rows_per_block(),
                    (first + count - 1) / partition.rows_per_block())
              << context << ": a call spans two blocks";
          next = first + count;
        }
        EXPECT_EQ(next, shape.rows()) << context;
      }
    }
  }
}

/// Declares `contract_proven` but creates support: the executor trusts the declaration.
struct LyingProvenKernel {
  static constexpr bool contract_proven = true;
  void operator()(TernaryView in, TernarySpan out) const noexcept {
    std::fill_n(out.data(), in.size(), std::int8_t{1});
  }
};

TEST(RunKernelParallel, ContractProvenKernelsSkipTheCheck) {
  static_assert(dashi::kernel_contract_proven_v<LyingProvenKernel>);
  static_assert(!dashi::kernel_contract_proven_v<dashi_test::FillOnesKernel>);
  const TernaryField input = TernaryField::zeros(Shape{100000});
  const TernaryField out =
      dashi::run_kernel_parallel(LyingProvenKernel{}, input, {.block_elems = 1000});
  EXPECT_EQ(out.count_support(), input.size());
  EXPECT_THROW(
      (void)dashi::run_kernel_parallel(dashi_test::FillOnesKernel{}, input, {.block_elems = 1000}),
      KernelContractError);
}

/// Blocks 0 and 1 wait for each other: the call can only finish if two threads run blocks
/// at the same time (a generous deadline turns a hang into a failure).
struct RendezvousKernel {
  std::atomic<int>* started = nullptr;
  std::atomic<bool>* met = nullptr;
  void operator()(TernaryView in, TernarySpan out) const {
    kernels::SignFlip{}(in, out);
    started->fetch_add(1);
    const auto deadline = std::chrono::steady_clock::now() + 60s;
    while (started->load() < 2) {
      if (std::chrono::steady_clock::now() > deadline) {
        met->store(false);
        return;
      }
      std::this_thread::yield();
    }
  }
};

TEST(RunKernelParallel, LargeInputsUseThePoolWorkers) {
  ThreadPool pool(1);
  const TernaryField input = random_field(Shape{2 * inline_limit + 2}, 0.3, 10);
  std::atomic<int> started{0};
  std::atomic<bool> met{true};
  const TernaryField out =
      dashi::run_kernel_parallel(pool, RendezvousKernel{&started, &met}, input,
                                 {.num_workers = 2, .block_elems = inline_limit + 1});
  EXPECT_TRUE(met.load()) << "the two blocks never ran at the same time";
  EXPECT_EQ(out, dashi::apply_kernel(kernels::SignFlip{}, input));
}

#if defined(__linux__)
/// Threads of this process, from /proc/self/status.
std::size_t process_threads() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("Threads:", 0) == 0) {
      return static_cast<std::size_t>(std::stoul(line.substr(8)));
    }
  }
  return 0;
}

/// Samples the process's thread count from inside some blocks.
struct ThreadCountKernel {
  std::atomic<std::size_t>* max_threads = nullptr;
  const std::int8_t* base = nullptr;
  void operator()(TernaryView in, TernarySpan out) const {
    kernels::SignFlip{}(in, out);
    if ((static_cast<std::size_t>(in.data() - base) / in.size()) % 25 == 0) {
      const std::size_t now = process_threads();
      std::size_t seen = max_threads->load();
      while (now > seen && !max_threads->compare_exchange_weak(seen, now)) {
      }
    }
  }
};

TEST(RunKernelParallel, NoThreadIsCreatedPerCallOrPerBlock) {
  ThreadPool pool(3);
  (void)pool.submit([] {}).get();  // the workers exist
  const TernaryField input = random_field(Shape{100000}, 0.3, 30);
  const std::size_t before = process_threads();
  ASSERT_GT(before, 0U);
  std::atomic<std::size_t> max_threads{0};
  for (int call = 0; call < 20; ++call) {
    const TernaryField out = dashi::run_kernel_parallel(
        pool, ThreadCountKernel{&max_threads, input.data()}, input, {.block_elems = 100});
    ASSERT_EQ(out, dashi::apply_kernel(kernels::SignFlip{}, input));
  }
  EXPECT_LE(max_threads.load(), before);
  EXPECT_EQ(process_threads(), before);
}
#endif

struct ProbeKernel {
  dashi_test::ConcurrencyProbe* probe = nullptr;
  std::size_t target = 1;
  void operator()(TernaryView in, TernarySpan out) const {
    kernels::SignFlip{}(in, out);
    probe->enter(target, 5ms, 1ms);
  }
};

TEST(RunKernelParallel, NumWorkersCapsBlocksInFlight) {
  ThreadPool pool(4);
  const TernaryField input = random_field(Shape{200000}, 0.3, 11);
  for (const std::size_t workers : {std::size_t{1}, std::size_t{2}, std::size_t{3}}) {
    dashi_test::ConcurrencyProbe probe;
    const TernaryField out =
        dashi::run_kernel_parallel(pool, ProbeKernel{&probe, workers + 1}, input,
                                   {.num_workers = workers, .block_elems = 10000});
    EXPECT_LE(probe.max_active(), workers) << "num_workers=" << workers;
    EXPECT_EQ(out, dashi::apply_kernel(kernels::SignFlip{}, input));
  }
}

TEST(RunKernelParallel, ZeroWorkersMeansThePoolSize) {
  // ParallelOptions::num_workers: "Threads working at once, the caller included (0 → the
  // pool's size)".
  for (const std::size_t size : {std::size_t{1}, std::size_t{2}}) {
    ThreadPool pool(size);
    const TernaryField input = random_field(Shape{200000}, 0.3, 12);
    dashi_test::ConcurrencyProbe probe;
    const TernaryField out = dashi::run_kernel_parallel(pool, ProbeKernel{&probe, size + 1}, input,
                                                        {.block_elems = 10000});
    EXPECT_LE(probe.max_active(), size) << "pool size " << size;
    EXPECT_EQ(out, dashi::apply_kernel(kernels::SignFlip{}, input));
  }
}

// ----------------------------------------------------------------------------------------
// Options

// block_sites, and block_elems, its earlier spelling: both designated-initializer spellings
// compile (block_elems without a deprecation warning: the tests build with -Werror) and mean
// the same partition.
TEST(ParallelOptions, BlockSitesAndBlockElemsAreOneSetting) {
  ThreadPool pool(2);
  const TernaryField input = random_field(Shape{300, 7}, 0.4, 5);
  const TernaryField expected = dashi::apply_kernel(kernels::LeftNeighbor{}, input);
  const ParallelOptions sites{.num_workers = 2, .block_sites = 70, .halo = 1};
  const ParallelOptions elems{.num_workers = 2, .block_elems = 70, .halo = 1};
  const ParallelOptions same{.num_workers = 2, .block_elems = 70, .block_sites = 70};
  for (const ParallelOptions& options : {sites, elems, same}) {
    EXPECT_EQ(options.requested_block_sites(), 70U);
    EXPECT_EQ(dashi::run_kernel_parallel(pool, kernels::LeftNeighbor{}, input, options), expected);
  }
  EXPECT_EQ(ParallelOptions{}.requested_block_sites(), 0U);  // automatic
  // The same blocks: 10 rows of 7 sites each, 30 blocks, with either spelling.
  const auto blocks_run = [&](const ParallelOptions& options) {
    std::atomic<std::size_t> calls{0};
    (void)dashi::run_kernel_parallel(
        pool,
        [&calls](TernaryView in, TernarySpan out) {
          kernels::SignFlip{}(in, out);
          calls.fetch_add(1);
        },
        input, options);
    return calls.load();
  };
  EXPECT_EQ(blocks_run(sites), 30U);
  EXPECT_EQ(blocks_run(elems), 30U);
}

// The earlier name of the L1 piece size stays, deprecated, with the same value.
TEST(ParallelOptions, L1PieceBytesIsTheDeprecatedNameOfL1PieceSites) {
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
  EXPECT_EQ(dashi::detail::l1_piece_bytes, dashi::detail::l1_piece_sites);
#pragma GCC diagnostic pop
  EXPECT_EQ(dashi::detail::l1_piece_sites, std::size_t{1} << 13);
}

TEST(ParallelOptions, DifferentBlockSitesAndBlockElemsAreRejected) {
  ThreadPool pool(2);
  const TernaryField input = random_field(Shape{1000}, 0.4, 6);
  const ParallelOptions both{.block_elems = 64, .block_sites = 128};
  try {
    (void)dashi::run_kernel_parallel(pool, kernels::SignFlip{}, input, both);
    FAIL() << "expected std::invalid_argument";
  } catch (const std::invalid_argument& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("block_sites = 128"), std::string::npos) << message;
    EXPECT_NE(message.find("block_elems = 64"), std::string::npos) << message;
  }
  IterateOptions iterated;
  iterated.block_elems = 64;
  iterated.block_sites = 128;
  EXPECT_THROW((void)dashi::run_kernel_iterated(kernels::SignFlip{}, input, 2, iterated),
               std::invalid_argument);
  EXPECT_THROW(
      (void)dashi::reduce_parallel(
          pool, input, [](TernaryView) { return 1; }, [](int a, int b) { return a + b; }, 0, both),
      std::invalid_argument);
}

TEST(ParallelOptions, HaloBelowTheRadiusIsRejected) {
  ThreadPool pool(2);
  const TernaryField input = random_field(Shape{100}, 0.3, 13);
  TernaryField out = TernaryField::zeros(input.shape());
  const std::string m = message_of<std::invalid_argument>(
      [&] { (void)dashi::run_kernel_parallel(kernels::LeftNeighbor{}, input, {.halo = 0}); });
  EXPECT_EQ(number_after(m, "halo"), 0U) << m;
  EXPECT_EQ(number_after(m, "radius"), 1U) << m;
  EXPECT_THROW(
      (void)dashi::run_kernel_parallel(pool, dashi_test::AxisStencil2{}, input, {.halo = 1}),
      std::invalid_argument);
  EXPECT_THROW(
      dashi::run_kernel_parallel(pool, dashi_test::AxisStencil2{}, input, out.span(), {.halo = 1}),
      std::invalid_argument);
  EXPECT_THROW((void)dashi::run_kernel_parallel(pool, kernels::Majority3x3{},
                                                TernaryField::zeros(Shape{4, 4}),
                                                {.halo = 0, .boundary = Boundary::periodic}),
               std::invalid_argument);
  // Also for empty inputs: options are checked first.
  EXPECT_THROW(
      (void)dashi::run_kernel_parallel(kernels::LeftNeighbor{}, TernaryField{}, {.halo = 0}),
      std::invalid_argument);
}

TEST(ParallelOptions, HaloAboveTheRadiusGivesTheSameBytes) {
  ThreadPool pool(3);
  for (const Shape& shape : {Shape{1000}, Shape{100003}, Shape{257, 301}}) {
    const TernaryField input = random_field(shape, 0.3, 14);
    const TernaryField expected = dashi::apply_kernel(dashi_test::AxisStencil2{}, input);
    const TernaryField expected_sf = dashi::apply_kernel(kernels::SignFlip{}, input);
    for (const std::size_t halo :
         {std::size_t{2}, std::size_t{3}, std::size_t{7}, std::size_t{1000}}) {
      // A halo of 1000 on one-slice blocks would copy 2001 slices per block: skip that pair.
      for (const std::size_t block :
           {halo < 1000 ? std::size_t{1} : std::size_t{333}, std::size_t{999}}) {
        const ParallelOptions options{.num_workers = 3, .block_elems = block, .halo = halo};
        EXPECT_EQ(first_difference(
                      dashi::run_kernel_parallel(pool, dashi_test::AxisStencil2{}, input, options),
                      expected),
                  "")
            << shape.to_string() << " " << dashi_test::describe(options);
        EXPECT_EQ(
            first_difference(dashi::run_kernel_parallel(pool, kernels::SignFlip{}, input, options),
                             expected_sf),
            "")
            << shape.to_string() << " SignFlip " << dashi_test::describe(options);
      }
    }
  }
}

TEST(ParallelOptions, OutputOfAnotherShapeIsRejected) {
  ThreadPool pool(2);
  const TernaryField input = random_field(Shape{4, 5}, 0.3, 15);
  for (const Shape& shape : {Shape{5, 4}, Shape{20}, Shape{4, 6}, Shape{3, 5}, Shape{4, 5, 1}}) {
    TernaryField out = TernaryField::zeros(shape);
    const std::string m = message_of<std::invalid_argument>(
        [&] { dashi::run_kernel_parallel(pool, kernels::SignFlip{}, input, out.span()); });
    EXPECT_NE(m.find(shape.to_string()), std::string::npos) << m;
  }
  TernaryField empty = TernaryField::zeros(Shape{5, 0});
  EXPECT_THROW(dashi::run_kernel_parallel(pool, kernels::SignFlip{},
                                          TernaryField::zeros(Shape{0, 5}), empty.span()),
               std::invalid_argument);
}

TEST(ParallelOptions, OverlappingInputAndOutputAreRejected) {
  ThreadPool pool(2);
  std::vector<std::int8_t> buffer(200, 1);
  const TernaryView input = TernaryView::unchecked(buffer.data(), Shape{100});
  // Same memory.
  EXPECT_THROW(dashi::run_kernel_parallel(pool, kernels::SignFlip{}, input,
                                          TernarySpan::unchecked(buffer.data(), Shape{100})),
               std::invalid_argument);
  // Partial overlaps from either side.
  for (const std::size_t offset : {std::size_t{1}, std::size_t{50}, std::size_t{99}}) {
    EXPECT_THROW(
        dashi::run_kernel_parallel(pool, kernels::SignFlip{}, input,
                                   TernarySpan::unchecked(buffer.data() + offset, Shape{100})),
        std::invalid_argument)
        << offset;
    const TernaryView later = TernaryView::unchecked(buffer.data() + offset, Shape{100});
    EXPECT_THROW(dashi::run_kernel_parallel(pool, kernels::SignFlip{}, later,
                                            TernarySpan::unchecked(buffer.data(), Shape{100})),
                 std::invalid_argument)
        << offset;
  }
  // Adjacent buffers do not overlap.
  dashi::run_kernel_parallel(pool, kernels::SignFlip{}, input,
                             TernarySpan::unchecked(buffer.data() + 100, Shape{100}));
  for (std::size_t i = 100; i < 200; ++i) {
    ASSERT_EQ(buffer[i], -1) << i;
  }
}

TEST(ParallelOptions, WrongBlockOrderLengthIsRejected) {
  ThreadPool pool(2);
  const TernaryField input = random_field(Shape{100}, 0.3, 16);
  TernaryField out = TernaryField::zeros(input.shape());
  const std::vector<std::size_t> order{0, 1, 2};  // the partition has 10 blocks
  EXPECT_THROW(dashi::detail::run_kernel_parallel_ordered(pool, kernels::SignFlip{}, input,
                                                          out.span(), {.block_elems = 10}, order),
               std::invalid_argument);
}

// ----------------------------------------------------------------------------------------
// Contract checks

TEST(ContractChecks, SupportCreationNamesTheBlockAndTheGlobalSite) {
  ThreadPool pool(3);
  for (const Shape& shape : {Shape{5000}, Shape{100000}, Shape{400, 250}}) {
    TernaryField input = random_field(shape, 0.5, 17);
    const std::size_t row_elems = shape.row_elems();
    const std::size_t block_elems = 3 * row_elems + (row_elems > 1 ? 1 : 0);
    const dashi::Partition partition(shape, block_elems);
    const std::size_t block_sites = partition.rows_per_block() * row_elems;
    const std::vector<std::size_t> blocks{0, 5, partition.block_count() - 1};
    for (const std::size_t block : blocks) {
      input.data()[std::min(input.size() - 1, block * block_sites + 2)] = 0;  // a site to corrupt
    }
    for (const std::size_t block : blocks) {
      dashi_test::PlannedKernel kernel{
          input.data(), block_sites, {{block, dashi_test::Action::create_support}}};
      const auto site = dashi_test::planned_violation_site(input, block_sites, block,
                                                           dashi_test::Action::create_support);
      ASSERT_TRUE(site.has_value());
      const ParallelOptions options{.num_workers = 3, .block_elems = block_elems};
      try {
        (void)dashi::run_kernel_parallel(pool, kernel, input, options);
        ADD_FAILURE() << "expected KernelContractError " << shape.to_string() << " block " << block;
      } catch (const KernelContractError& e) {
        const std::string m = e.what();
        EXPECT_EQ(number_after(m, "block"), block) << m;
        EXPECT_EQ(number_after(m, "site"), *site) << m;
      }
      // Without the check the created support passes through silently.
      ParallelOptions unchecked = options;
      unchecked.check_contract = false;
      const TernaryField out = dashi::run_kernel_parallel(pool, kernel, input, unchecked);
      EXPECT_EQ(out.value(*site), 1);
      EXPECT_EQ(input.value(*site), 0);
    }
  }
}

TEST(ContractChecks, NonTritOutputNamesTheBlockAndTheGlobalSite) {
  ThreadPool pool(2);
  const TernaryField input = random_field(Shape{300, 200}, 0.3, 18);
  const std::size_t block_sites = 200;  // one row per block
  for (const std::size_t block : {std::size_t{0}, std::size_t{123}, std::size_t{299}}) {
    dashi_test::PlannedKernel kernel{
        input.data(), block_sites, {{block, dashi_test::Action::write_non_trit}}};
    try {
      (void)dashi::run_kernel_parallel(pool, kernel, input, {.block_elems = 200});
      ADD_FAILURE() << "expected KernelContractError for block " << block;
    } catch (const KernelContractError& e) {
      const std::string m = e.what();
      EXPECT_EQ(number_after(m, "block"), block) << m;
      EXPECT_EQ(number_after(m, "site"), block * block_sites) << m;
    }
    const TernaryField out = dashi::run_kernel_parallel(
        pool, kernel, input, {.block_elems = 200, .check_contract = false});
    EXPECT_EQ(out.value(block * block_sites), 5);
  }
}

TEST(ContractChecks, SupportCreationInAllBlocksReportsBlockZero) {
  ThreadPool pool(4);
  const TernaryField input = TernaryField::zeros(Shape{100000});
  for (const std::size_t workers : {std::size_t{1}, std::size_t{4}}) {
    try {
      (void)dashi::run_kernel_parallel(pool, dashi_test::FillOnesKernel{}, input,
                                       {.num_workers = workers, .block_elems = 1000});
      ADD_FAILURE() << "expected KernelContractError";
    } catch (const KernelContractError& e) {
      const std::string m = e.what();
      EXPECT_EQ(number_after(m, "block"), 0U) << m;
      EXPECT_EQ(number_after(m, "site"), 0U) << m;
    }
    const TernaryField out = dashi::run_kernel_parallel(
        pool, dashi_test::FillOnesKernel{}, input,
        {.num_workers = workers, .block_elems = 1000, .check_contract = false});
    EXPECT_EQ(out.count_support(), input.size());
  }
}

/// Functional kernel that returns one extra site on block `bad_block` only.
struct WrongShapeOnBlock {
  const std::int8_t* base = nullptr;
  std::size_t block_sites = 1;
  std::size_t bad_block = 0;
  TernaryField operator()(TernaryView in) const {
    if (static_cast<std::size_t>(in.data() - base) / block_sites == bad_block) {
      return TernaryField::zeros(Shape{in.size() + 1});
    }
    return TernaryField::from_signed(in.values(), in.shape());
  }
};

TEST(ContractChecks, ShapeDriftNamesTheBlockEvenWithoutChecks) {
  ThreadPool pool(2);
  const TernaryField input = random_field(Shape{80000}, 0.3, 19);
  for (const bool check : {true, false}) {
    try {
      (void)dashi::run_kernel_parallel(pool, WrongShapeOnBlock{input.data(), 1000, 42}, input,
                                       {.block_elems = 1000, .check_contract = check});
      ADD_FAILURE() << "expected KernelContractError";
    } catch (const KernelContractError& e) {
      const std::string m = e.what();
      EXPECT_EQ(number_after(m, "block"), 42U) << m;
      EXPECT_NE(m.find("(1000)"), std::string::npos) << m;
      EXPECT_NE(m.find("(1001)"), std::string::npos) << m;
    }
  }
}

// ----------------------------------------------------------------------------------------
// Boundary::periodic

TEST(Periodic, TinyDocumentedExample) {
  // LeftNeighbor on [1, 0, 0, -1]: periodic, site 0's left neighbour is site 3 (-1), so
  // sign(1 - 1) = 0; with clip it has none and stays 1.
  const TernaryField input = TernaryField::from_signed({1, 0, 0, -1});
  EXPECT_EQ(
      dashi::run_kernel_parallel(kernels::LeftNeighbor{}, input, {.boundary = Boundary::periodic}),
      TernaryField::from_signed({0, 0, 0, -1}));
  EXPECT_EQ(dashi::run_kernel_parallel(kernels::LeftNeighbor{}, input),
            TernaryField::from_signed({1, 0, 0, -1}));
}

TEST(Periodic, PaddingHelperWrapsAroundAxisZero) {
  // The hand-built reference itself: rows [-2, 5) of a 3-row field are rows 1,2,0,1,2,0,1.
  const TernaryField f = TernaryField::from_signed({1, 1, 0, 0, -1, -1}, Shape{3, 2});
  EXPECT_EQ(dashi_test::pad_periodic(f, 2),
            TernaryField::from_signed({0, 0, -1, -1, 1, 1, 0, 0, -1, -1, 1, 1, 0, 0}, Shape{7, 2}));
}

template <class K>
void check_periodic(const char* name, const K& kernel, const TernaryField& input, ThreadPool& pool,
                    std::size_t workers) {
  constexpr std::size_t radius = dashi::kernel_radius_v<K>;
  const std::size_t rows = input.shape().rows();
  // Halos larger than the field only on small fields: the padded copy of each block grows
  // with the halo.
  std::vector<std::size_t> halos{radius, radius + 1};
  if (rows <= 50) {
    halos.push_back(rows + 3);
    halos.push_back(2 * rows + 1);
  }
  for (const std::size_t halo : halos) {
    const TernaryField expected = dashi_test::periodic_reference(kernel, input, halo);
    for (const std::size_t block : {std::size_t{1}, std::size_t{37}, std::size_t{0}}) {
      const ParallelOptions options{.num_workers = workers,
                                    .block_elems = block,
                                    .halo = halo,
                                    .boundary = Boundary::periodic};
      const std::string context =
          std::string(name) + " " + input.shape().to_string() + " " + dashi_test::describe(options);
      EXPECT_EQ(
          first_difference(dashi::run_kernel_parallel(pool, kernel, input, options), expected), "")
          << context;
      TernaryField out = TernaryField::zeros(input.shape());
      dashi::run_kernel_parallel(pool, kernel, input, out.span(), options);
      EXPECT_EQ(first_difference(out, expected), "") << context << " into";
    }
  }
  // Halo left unset: the kernel's radius.
  EXPECT_EQ(dashi::run_kernel_parallel(pool, kernel, input, {.boundary = Boundary::periodic}),
            dashi_test::periodic_reference(kernel, input, radius))
      << name << " " << input.shape().to_string() << " default halo";
}

TEST(Periodic, EqualsTheKernelOnTheHandPaddedField1D) {
  ThreadPool pool(3);
  std::uint64_t seed = 20;
  for (const std::size_t n : {std::size_t{1}, std::size_t{2}, std::size_t{3}, std::size_t{10},
                              std::size_t{1000}, std::size_t{50021}}) {
    const TernaryField input = random_field(Shape{n}, 0.2, seed++);
    for (const std::size_t workers : {std::size_t{1}, std::size_t{3}}) {
      check_periodic("LeftNeighbor", kernels::LeftNeighbor{}, input, pool, workers);
      check_periodic("AxisStencil2", dashi_test::AxisStencil2{}, input, pool, workers);
      check_periodic("FunctionalRightProduct", dashi_test::FunctionalRightProduct{}, input, pool,
                     workers);
      check_periodic("SignFlip", kernels::SignFlip{}, input, pool, workers);
    }
  }
}

TEST(Periodic, EqualsTheKernelOnTheHandPaddedField2D) {
  ThreadPool pool(3);
  std::uint64_t seed = 40;
  for (const Shape& shape :
       {Shape{1, 4}, Shape{2, 7}, Shape{3, 5}, Shape{17, 9}, Shape{401, 101}}) {
    const TernaryField input = random_field(shape, 0.2, seed++);
    for (const std::size_t workers : {std::size_t{1}, std::size_t{3}}) {
      check_periodic("LeftNeighbor", kernels::LeftNeighbor{}, input, pool, workers);
      check_periodic("Majority3x3", kernels::Majority3x3{}, input, pool, workers);
      check_periodic("AxisStencil2", dashi_test::AxisStencil2{}, input, pool, workers);
      check_periodic("CrossStencil", dashi_test::CrossStencil{}, input, pool, workers);
    }
  }
}

TEST(Periodic, DiffersFromClipAtTheEdges) {
  // Guards the reference: on a random field the two boundaries must disagree somewhere.
  const TernaryField input = random_field(Shape{64, 64}, 0.0, 60);
  EXPECT_FALSE(
      dashi::run_kernel_parallel(kernels::Majority3x3{}, input, {.boundary = Boundary::periodic}) ==
      dashi::run_kernel_parallel(kernels::Majority3x3{}, input));
}

}  // namespace
