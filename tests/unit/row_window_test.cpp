// SPDX-License-Identifier: Apache-2.0
// Unit tests of the row-window kernel form (`RowWindowKernel`, `k.into_rows(in, first_row,
// out)`): every shipped stencil and rule kernel gives, for every window of rows, exactly the
// rows of its into form, on every instruction-set path the CPU has; the executor and the
// iteration driver use the form for blocks with halos, and match the monolithic run.

#include <gtest/gtest.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <dashi/execution/cpu_parallel.hpp>
#include <dashi/execution/iterate.hpp>
#include <dashi/kernel.hpp>
#include <iostream>
#include <string>
#include <vector>

#include "support/fields.hpp"
#include "support/rule_paths.hpp"

namespace {

using namespace dashi_test;

using dashi::detail::Isa;

static_assert(dashi::RowWindowKernel<kernels::LeftNeighbor>);
static_assert(dashi::RowWindowKernel<kernels::Majority3x3>);
static_assert(dashi::RowWindowKernel<kernels::Rule1D<1>>);
static_assert(dashi::RowWindowKernel<kernels::Rule1D<2>>);
static_assert(dashi::RowWindowKernel<kernels::Rule1D<3>>);
static_assert(dashi::RowWindowKernel<kernels::Totalistic2D>);
static_assert(!dashi::RowWindowKernel<kernels::SignFlip>);

/// A random valid table for `Rule1D<R>` (zero where the centre digit is 0).
template <std::size_t R>
kernels::Rule1D<R> random_rule(std::uint64_t seed) {
  Rng rng(seed);
  std::vector<std::int8_t> table(kernels::Rule1D<R>::table_size);
  for (std::size_t e = 0; e < table.size(); ++e) {
    const bool centre_zero = (e / dashi::detail::pow3(R)) % 3 == 1;
    table[e] = centre_zero ? std::int8_t{0} : static_cast<std::int8_t>(rng.below(3)) - 1;
  }
  return kernels::Rule1D<R>(table);
}

kernels::Totalistic2D random_totalistic(std::uint64_t seed) {
  Rng rng(seed);
  std::vector<std::int8_t> table(kernels::Totalistic2D::table_size);
  for (std::size_t e = 0; e < table.size(); ++e) {
    table[e] = e / 17 == 1 ? std::int8_t{0} : static_cast<std::int8_t>(rng.below(3)) - 1;
  }
  return kernels::Totalistic2D(table);
}

/// For every window `[first, first + count)` of `in`'s rows, `window(in, first, out)` must
/// write exactly rows `[first, first + count)` of `full(in)`; the bytes around `out` stay.
template <class Full, class Window>
void expect_windows_match(const TernaryField& in, Full full, Window window,
                          const std::string& what) {
  TernaryField reference = TernaryField::uninitialized(in.shape());
  full(in.view(), reference.span());
  const std::size_t rows = in.shape().rows();
  const std::size_t row_elems = in.shape().row_elems();
  for (std::size_t first = 0; first <= rows; ++first) {
    for (std::size_t count = 0; first + count <= rows; ++count) {
      // The window with a guard row on each side, filled with a non-trit marker.
      std::vector<std::int8_t> guarded((count + 2) * row_elems, std::int8_t{7});
      const TernarySpan out =
          TernarySpan::unchecked(guarded.data() + row_elems, in.shape().with_rows(count));
      window(in.view(), first, out);
      const std::string where = what + " " + in.shape().to_string() + " rows [" +
                                std::to_string(first) + ", " + std::to_string(first + count) + ")";
      const std::vector<std::int8_t> expected(reference.data() + first * row_elems,
                                              reference.data() + (first + count) * row_elems);
      const std::vector<std::int8_t> got(out.data(), out.data() + out.size());
      ASSERT_EQ(got, expected) << where;
      for (std::size_t j = 0; j < row_elems; ++j) {
        ASSERT_EQ(guarded[j], 7) << where << ": wrote before the window";
        ASSERT_EQ(guarded[(count + 1) * row_elems + j], 7) << where << ": wrote after the window";
      }
    }
  }
}

TEST(RowWindow, LeftNeighborEveryWindowOnEveryPath) {
  struct Path {
    const char* name;
    void (*run)(const std::int8_t*, std::int8_t*, std::size_t, std::size_t, bool) noexcept;
  };
  std::vector<Path> paths = {{"portable", dashi::detail::left_neighbor_portable}};
#if DASHI_DETAIL_X86
  if (dashi::detail::active_isa() >= dashi::detail::Isa::avx2) {
    paths.push_back({"avx2", dashi::detail::left_neighbor_avx2});
    paths.push_back({"avx2-streaming", dashi::detail::left_neighbor_streaming_avx2});
  }
  if (dashi::detail::active_isa() >= dashi::detail::Isa::avx512) {
    paths.push_back({"avx512", dashi::detail::left_neighbor_avx512});
    paths.push_back({"avx512-streaming", dashi::detail::left_neighbor_streaming_avx512});
  }
#endif
  std::uint64_t seed = 10;
  for (const Path& path : paths) {
    std::cout << "[ path ] LeftNeighbor " << path.name << "\n";
    for (const Shape& shape :
         {Shape{9}, Shape{7, 1}, Shape{6, 33}, Shape{5, 3, 11}, Shape{12, 97}, Shape{300}}) {
      const TernaryField in = random_field(shape, 0.3, seed++);
      const std::size_t row_elems = shape.row_elems();
      expect_windows_match(
          in,
          [&](TernaryView v, TernarySpan o) {
            path.run(v.data(), o.data(), v.size(), row_elems, false);
          },
          [&](TernaryView v, std::size_t first, TernarySpan o) {
            path.run(v.data() + first * row_elems, o.data(), o.size(), row_elems, first > 0);
          },
          std::string("LeftNeighbor ") + path.name);
    }
  }
  // And the kernel's own member, which dispatches.
  const TernaryField in = random_field(Shape{12, 40}, 0.5, 99);
  const kernels::LeftNeighbor k;
  expect_windows_match(
      in, k, [&](TernaryView v, std::size_t f, TernarySpan o) { k.into_rows(v, f, o); },
      "LeftNeighbor::into_rows");
}

TEST(RowWindow, Majority3x3EveryWindowOnEveryPath) {
  struct Path {
    const char* name;
    void (*run)(const std::int8_t*, std::int8_t*, std::size_t, std::size_t, std::size_t,
                std::size_t) noexcept;
  };
  std::vector<Path> paths = {{"portable", dashi::detail::majority3x3_portable}};
#if DASHI_DETAIL_X86
  if (dashi::detail::active_isa() >= dashi::detail::Isa::avx2) {
    paths.push_back({"avx2", dashi::detail::majority3x3_avx2});
  }
  if (dashi::detail::active_isa() >= dashi::detail::Isa::avx512) {
    paths.push_back({"avx512", dashi::detail::majority3x3_avx512});
  }
#endif
  std::uint64_t seed = 20;
  for (const Path& path : paths) {
    std::cout << "[ path ] Majority3x3 " << path.name << "\n";
    for (const Shape& shape :
         {Shape{1, 5}, Shape{2, 40}, Shape{7, 70}, Shape{9, 1}, Shape{5, 130}, Shape{4, 200}}) {
      const TernaryField in = random_field(shape, 0.3, seed++);
      const std::size_t rows = shape[0];
      const std::size_t cols = shape[1];
      expect_windows_match(
          in,
          [&](TernaryView v, TernarySpan o) { path.run(v.data(), o.data(), rows, cols, 0, rows); },
          [&](TernaryView v, std::size_t first, TernarySpan o) {
            path.run(v.data(), o.data(), rows, cols, first, o.shape().rows());
          },
          std::string("Majority3x3 ") + path.name);
    }
  }
  const TernaryField in = random_field(Shape{10, 67}, 0.5, 98);
  const kernels::Majority3x3 k;
  expect_windows_match(
      in, k, [&](TernaryView v, std::size_t f, TernarySpan o) { k.into_rows(v, f, o); },
      "Majority3x3::into_rows");
}

template <std::size_t R>
void check_rule1d_windows(std::uint64_t seed) {
  const kernels::Rule1D<R> rule = random_rule<R>(seed);
  for (const Isa isa : available_rule_isas()) {
    std::cout << "[ path ] Rule1D<" << R << "> " << rule_isa_name(isa) << "\n";
    // Row counts below, at and above 2R + 1 (every row an edge row, or an interior), and
    // rows shorter and longer than one vector.
    for (const Shape& shape :
         {Shape{2 * R + 3}, Shape{2 * R, 5}, Shape{2 * R + 4, 70}, Shape{4, 3, 33}}) {
      const TernaryField in = random_field(shape, 0.3, seed++);
      expect_windows_match(
          in, [&](TernaryView v, TernarySpan o) { rule.apply_with(isa, v, o); },
          [&](TernaryView v, std::size_t f, TernarySpan o) { rule.apply_with(isa, v, f, o); },
          "Rule1D<" + std::to_string(R) + "> " + rule_isa_name(isa));
    }
  }
}

TEST(RowWindow, Rule1DEveryWindowOnEveryPath) {
  check_rule1d_windows<1>(30);
  check_rule1d_windows<2>(40);
  check_rule1d_windows<3>(50);
}

TEST(RowWindow, Totalistic2DEveryWindowOnEveryPath) {
  const kernels::Totalistic2D rule = random_totalistic(60);
  std::uint64_t seed = 61;
  for (const Isa isa : available_rule_isas()) {
    std::cout << "[ path ] Totalistic2D " << rule_isa_name(isa) << "\n";
    for (const Shape& shape : {Shape{1, 9}, Shape{3, 64}, Shape{8, 130}}) {
      const TernaryField in = random_field(shape, 0.3, seed++);
      expect_windows_match(
          in, [&](TernaryView v, TernarySpan o) { rule.apply_with(isa, v, o); },
          [&](TernaryView v, std::size_t f, TernarySpan o) { rule.apply_with(isa, v, f, o); },
          "Totalistic2D " + rule_isa_name(isa));
    }
  }
}

/// A radius-2 user kernel with both forms that counts which one the executors call:
/// `out[i] = in[i]` where `in[i - 2 slices]` is supported, else 0 (never creates support).
struct CountingWindowKernel {
  static constexpr std::size_t radius = 2;
  std::atomic<std::size_t>* full_calls;
  std::atomic<std::size_t>* window_calls;

  static void rows(TernaryView in, std::size_t first_row, TernarySpan out) {
    const std::size_t row_elems = in.shape().row_elems();
    for (std::size_t j = 0; j < out.size(); ++j) {
      const std::size_t i = first_row * row_elems + j;
      const bool lit = i >= 2 * row_elems && in.data()[i - 2 * row_elems] != 0;
      out.data()[j] = lit ? in.data()[i] : std::int8_t{0};
    }
  }
  void operator()(TernaryView in, TernarySpan out) const {
    full_calls->fetch_add(1);
    rows(in, 0, out);
  }
  void into_rows(TernaryView in, std::size_t first_row, TernarySpan out) const {
    window_calls->fetch_add(1);
    rows(in, first_row, out);
  }
};

TEST(RowWindow, ExecutorWritesHaloBlocksThroughTheWindowForm) {
  std::atomic<std::size_t> full{0};
  std::atomic<std::size_t> window{0};
  const CountingWindowKernel k{&full, &window};
  static_assert(dashi::RowWindowKernel<CountingWindowKernel>);
  dashi::ThreadPool pool(2);
  std::uint64_t seed = 70;
  for (const Shape& shape : {Shape{1000}, Shape{97, 13}, Shape{40, 3, 7}}) {
    const TernaryField in = random_field(shape, 0.4, seed++);
    const TernaryField reference = dashi::apply_kernel(k, in);
    for (const dashi::Boundary boundary : {dashi::Boundary::clip, dashi::Boundary::periodic}) {
      TernaryField padded_reference = reference;
      if (boundary == dashi::Boundary::periodic) {
        padded_reference = dashi_test::periodic_reference(k, in.view(), 2);
      }
      for (const std::size_t block_elems : {1U, 13U, 100U, 4096U}) {
        for (const std::size_t workers : {1U, 2U}) {
          full = 0;
          window = 0;
          TernaryField out = TernaryField::zeros(in.shape());
          dashi::run_kernel_parallel(
              pool, k, in, out.span(),
              {.num_workers = workers, .block_elems = block_elems, .boundary = boundary});
          const std::string where = shape.to_string() + " block_elems " +
                                    std::to_string(block_elems) + " workers " +
                                    std::to_string(workers);
          EXPECT_EQ(first_difference(out, padded_reference), "") << where;
          const dashi::Partition partition(in.shape(), block_elems);
          // Every block has halo rows here (several blocks, or a periodic wrap), so each
          // runs through the window form once and the full form never.
          if (partition.block_count() > 1 || boundary == dashi::Boundary::periodic) {
            EXPECT_EQ(window.load(), partition.block_count()) << where;
            EXPECT_EQ(full.load(), 0U) << where;
          }
        }
      }
    }
  }
}

TEST(RowWindow, IterationWritesTheLastStepThroughTheWindowForm) {
  std::atomic<std::size_t> full{0};
  std::atomic<std::size_t> window{0};
  const CountingWindowKernel k{&full, &window};
  dashi::ThreadPool pool(2);
  const TernaryField in = random_field(Shape{300, 5}, 0.2, 80);
  TernaryField expected = in;
  for (std::size_t step = 0; step < 6; ++step) {
    expected = dashi::apply_kernel(k, expected);
  }
  for (const std::size_t steps_per_sync : {1U, 2U, 3U, 6U}) {
    for (const std::size_t block_elems : {5U, 60U, 500U}) {
      window = 0;
      dashi::IterateOptions options;
      options.num_workers = 2;
      options.block_elems = block_elems;
      options.steps_per_sync = steps_per_sync;
      const TernaryField out = dashi::run_kernel_iterated(pool, k, in, 6, options);
      EXPECT_EQ(first_difference(out, expected), "")
          << "steps_per_sync " << steps_per_sync << " block_elems " << block_elems;
      // Each block's last step of each synchronisation goes through the window form.
      const dashi::Partition partition(in.shape(), block_elems);
      const std::size_t syncs = (6 + steps_per_sync - 1) / steps_per_sync;
      EXPECT_EQ(window.load(), partition.block_count() * syncs)
          << "steps_per_sync " << steps_per_sync << " block_elems " << block_elems;
    }
  }
}

}  // namespace
