// SPDX-License-Identifier: Apache-2.0
// Contract (docs/design.md §4): the executor's output equals the monolithic kernel output
// byte for byte (operator== and fingerprint), and neither the thread count, the block size
// nor the order in which blocks run changes it. A value-parameterised sweep over
// shapes × kernels; inside each case, workers {1,2,3,4,8,hardware} × block_elems
// {1, 37, auto, larger than the field} × the three public overloads and five block orders
// (forward, reversed, 3 seeded shuffles, through detail::run_kernel_parallel_ordered).
// Cases with more than 4096 blocks use workers {1,3,8} and three orders; 200000-site
// fields have a lighter sweep of their own (LargeFields). Outputs are written into
// poisoned buffers so that an unwritten site shows up.

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <dashi/execution/cpu_parallel.hpp>
#include <functional>
#include <ostream>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "support/fields.hpp"

namespace {

// Pools: dashi_test::pool_of, one per worker count, shared by all cases (pools are reused,
// like in real use).
using namespace dashi_test;

std::vector<std::size_t> worker_counts() {
  std::vector<std::size_t> counts{1, 2, 3, 4, 8};
  const std::size_t hardware = std::max<std::size_t>(1, std::thread::hardware_concurrency());
  if (std::find(counts.begin(), counts.end(), hardware) == counts.end()) {
    counts.push_back(hardware);
  }
  return counts;
}

/// A kernel behind uniform entry points, so that cases can be listed as values.
struct KernelCase {
  std::string name;
  bool needs_2d = false;
  std::function<TernaryField(TernaryView)> monolithic;
  std::function<TernaryField(TernaryView, const ParallelOptions&)> default_pool;
  std::function<TernaryField(ThreadPool&, TernaryView, const ParallelOptions&)> given_pool;
  std::function<void(ThreadPool&, TernaryView, TernarySpan, const ParallelOptions&)> into;
  std::function<void(ThreadPool&, TernaryView, TernarySpan, const ParallelOptions&,
                     std::span<const std::size_t>)>
      ordered;
};

template <class K>
KernelCase make_kernel_case(std::string name, K kernel, bool needs_2d = false) {
  KernelCase c;
  c.name = std::move(name);
  c.needs_2d = needs_2d;
  c.monolithic = [kernel](TernaryView in) { return dashi::apply_kernel(kernel, in); };
  c.default_pool = [kernel](TernaryView in, const ParallelOptions& o) {
    return dashi::run_kernel_parallel(kernel, in, o);
  };
  c.given_pool = [kernel](ThreadPool& p, TernaryView in, const ParallelOptions& o) {
    return dashi::run_kernel_parallel(p, kernel, in, o);
  };
  c.into = [kernel](ThreadPool& p, TernaryView in, TernarySpan out, const ParallelOptions& o) {
    dashi::run_kernel_parallel(p, kernel, in, out, o);
  };
  c.ordered = [kernel](ThreadPool& p, TernaryView in, TernarySpan out, const ParallelOptions& o,
                       std::span<const std::size_t> order) {
    dashi::detail::run_kernel_parallel_ordered(p, kernel, in, out, o, order);
  };
  return c;
}

std::vector<KernelCase> kernel_cases() {
  return {
      make_kernel_case("SignFlip", kernels::SignFlip{}),
      make_kernel_case("Clamp", kernels::Clamp{}),
      make_kernel_case("ClampNonnegative", kernels::ClampNonnegative{}),
      make_kernel_case("RowMajority", dashi_test::RowMajority{}),  // radius 0, checked
      make_kernel_case("LeftNeighbor", kernels::LeftNeighbor{}),
      make_kernel_case("AxisStencil2", dashi_test::AxisStencil2{}),
      make_kernel_case("CrossStencil", dashi_test::CrossStencil{}),
      make_kernel_case("Majority3x3", kernels::Majority3x3{}, true),
      make_kernel_case("FunctionalRightProduct", dashi_test::FunctionalRightProduct{}),
      make_kernel_case("FunctionalSignFlip", dashi_test::FunctionalSignFlip{}),
  };
}

struct ShapeCase {
  std::string name;
  Shape shape;
  double sparsity = 0.3;
};

// Fields of ~40000 sites are above the inline threshold (32768 sites) and so run on several
// threads; the 200000-site fields have their own, lighter sweep below (LargeFields), which
// keeps the suite fast under ThreadSanitizer.
std::vector<ShapeCase> shape_cases() {
  return {
      {"empty", Shape{0}},
      {"empty_0x5", Shape{0, 5}},
      {"empty_5x0", Shape{5, 0}},
      {"one_site", Shape{1}},
      {"one_site_1x1", Shape{1, 1}},
      {"n1000", Shape{1000}, 0.3},
      {"n333_dense", Shape{333}, 0.0},
      {"n40009", Shape{40009}, 0.5},
      {"r31x17", Shape{31, 17}, 0.2},
      {"r401x101", Shape{401, 101}, 0.5},
      {"r23x7x5", Shape{23, 7, 5}, 0.3},
      {"r43x31x31", Shape{43, 31, 31}, 0.1},
      {"r5x4x3x2", Shape{5, 4, 3, 2}, 0.3},
  };
}

std::vector<ShapeCase> large_shape_cases() {
  return {
      {"n200003", Shape{200003}, 0.5},
      {"r2003x101", Shape{2003, 101}, 0.5},
      {"r211x31x31", Shape{211, 31, 31}, 0.1},
  };
}

struct SweepCase {
  ShapeCase shape;
  KernelCase kernel;
};

/// Failure messages and `--gtest_list_tests` show a case as, e.g., `Clamp on (31, 17), 20%
/// zeros` (GoogleTest's default is a byte dump).
void PrintTo(const SweepCase& c, std::ostream* os) {
  *os << c.kernel.name << " on " << c.shape.shape.to_string() << ", "
      << std::lround(c.shape.sparsity * 100) << "% zeros";
}

std::vector<SweepCase> sweep_cases(const std::vector<ShapeCase>& shapes) {
  std::vector<SweepCase> cases;
  for (const auto& k : kernel_cases()) {
    for (const auto& s : shapes) {
      if (!k.needs_2d || s.shape.rank() == 2) {
        cases.push_back({s, k});
      }
    }
  }
  return cases;
}

std::string case_name(const ::testing::TestParamInfo<SweepCase>& param_info) {
  return param_info.param.kernel.name + "_" + param_info.param.shape.name;
}

/// A buffer filled with a byte no kernel writes, so that unwritten sites show up.
std::vector<std::int8_t> poisoned(std::size_t n) { return std::vector<std::int8_t>(n, 0x55); }

/// Checks results against the monolithic run, byte for byte and by fingerprint.
class Checker {
 public:
  Checker(const KernelCase& kernel, const ShapeCase& shape)
      : input_(dashi_test::random_field(shape.shape, shape.sparsity, 7 + shape.shape.size())),
        expected_(kernel.monolithic(input_)),
        expected_print_(dashi::fingerprint(expected_)) {}

  [[nodiscard]] const TernaryField& input() const { return input_; }

  void check(TernaryView actual, const std::string& context) const {
    EXPECT_EQ(first_difference(actual, expected_), "") << context;
    EXPECT_EQ(dashi::fingerprint(actual), expected_print_) << context;
  }

 private:
  TernaryField input_;
  TernaryField expected_;
  std::uint64_t expected_print_;
};

/// Runs the into overload and the ordered executor (for each order) into poisoned buffers.
void check_orders(const SweepCase& c, const Checker& checker, ThreadPool& pool,
                  const ParallelOptions& options, const std::vector<dashi_test::NamedOrder>& orders,
                  const std::string& where) {
  const Shape& shape = c.shape.shape;
  {
    auto buffer = poisoned(shape.size());
    const TernarySpan out(buffer, shape);
    c.kernel.into(pool, checker.input(), out, options);
    checker.check(out.view(), where + " overload=into");
  }
  {
    // Without the contract check (another code path for unproven radius-0 kernels).
    ParallelOptions unchecked = options;
    unchecked.check_contract = false;
    checker.check(c.kernel.given_pool(pool, checker.input(), unchecked),
                  where + " overload=given_pool check_contract=false");
  }
  for (const auto& order : orders) {
    auto buffer = poisoned(shape.size());
    const TernarySpan out(buffer, shape);
    c.kernel.ordered(pool, checker.input(), out, options, order.order);
    checker.check(out.view(), where + " order=" + order.name);
  }
}

class Determinism : public ::testing::TestWithParam<SweepCase> {};

// Equal to the monolithic run whatever the workers, block size, overload and block order (the
// name stays short: ctest lists it with the case name appended).
TEST_P(Determinism, EqualsMonolithic) {
  const SweepCase& c = GetParam();
  const Shape& shape = c.shape.shape;
  const Checker checker(c.kernel, c.shape);
  const std::string name = c.kernel.name + " shape=" + shape.to_string();

  for (const std::size_t block_elems :
       {std::size_t{1}, std::size_t{37}, std::size_t{0}, shape.size() + 1}) {
    const std::size_t blocks = dashi::Partition(shape, block_elems).block_count();
    auto orders = dashi_test::block_orders(blocks);
    // Tens of thousands of one-site blocks: fewer orders and worker counts, same coverage
    // of the scheduling paths.
    const bool many_blocks = blocks > 4096;
    if (many_blocks) {
      orders.resize(3);  // forward, reversed, shuffle1
    }
    const std::string block_text =
        " block_elems=" + std::to_string(block_elems) + " blocks=" + std::to_string(blocks);
    // The default pool, the pool deciding the number of threads.
    checker.check(c.kernel.default_pool(checker.input(), {.block_elems = block_elems}),
                  name + block_text + " overload=default_pool");
    for (const std::size_t workers : worker_counts()) {
      if (many_blocks && workers != 1 && workers != 3 && workers != 8) {
        continue;
      }
      ThreadPool& pool = pool_of(workers);
      const ParallelOptions options{.num_workers = workers, .block_elems = block_elems};
      const std::string where = name + " workers=" + std::to_string(workers) + block_text;
      checker.check(c.kernel.given_pool(pool, checker.input(), options),
                    where + " overload=given_pool");
      check_orders(c, checker, pool, options, orders, where);
      if (block_elems == 37) {
        // num_workers = 0: the pool decides; and the default pool capped at `workers`.
        checker.check(c.kernel.given_pool(pool, checker.input(), {.block_elems = 37}),
                      where + " overload=given_pool num_workers=0");
        checker.check(c.kernel.default_pool(checker.input(), options),
                      where + " overload=default_pool");
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Sweep, Determinism, ::testing::ValuesIn(sweep_cases(shape_cases())),
                         case_name);

/// Fields of ~200000 sites: every kernel, fewer combinations (each run is costly under
/// sanitizers).
class LargeFields : public ::testing::TestWithParam<SweepCase> {};

TEST_P(LargeFields, EqualsMonolithic) {
  const SweepCase& c = GetParam();
  const Shape& shape = c.shape.shape;
  const Checker checker(c.kernel, c.shape);
  const std::string name = c.kernel.name + " shape=" + shape.to_string();
  for (const std::size_t block_elems : {std::size_t{37}, std::size_t{0}, std::size_t{20011}}) {
    const std::size_t blocks = dashi::Partition(shape, block_elems).block_count();
    // The into overload already runs the forward order.
    const std::vector<dashi_test::NamedOrder> orders{
        {"reversed", dashi_test::reversed_order(blocks)},
        {"shuffle3", dashi_test::shuffled_order(blocks, 3)}};
    for (const std::size_t workers : {std::size_t{2}, std::size_t{3}, std::size_t{8}}) {
      const ParallelOptions options{.num_workers = workers, .block_elems = block_elems};
      const std::string where = name + " workers=" + std::to_string(workers) +
                                " block_elems=" + std::to_string(block_elems) +
                                " blocks=" + std::to_string(blocks);
      checker.check(c.kernel.given_pool(pool_of(workers), checker.input(), options),
                    where + " overload=given_pool");
      check_orders(c, checker, pool_of(workers), options, orders, where);
    }
    checker.check(c.kernel.default_pool(checker.input(), {.block_elems = block_elems}),
                  name + " block_elems=" + std::to_string(block_elems) + " overload=default_pool");
  }
}

INSTANTIATE_TEST_SUITE_P(Sweep, LargeFields, ::testing::ValuesIn(sweep_cases(large_shape_cases())),
                         case_name);

// ----------------------------------------------------------------------------------------
// Repeatability stress and backend invariance of the fingerprint.

TEST(Determinism, RepeatedRunsAreByteIdentical) {
  const TernaryField input = dashi_test::random_field(Shape{1001, 211}, 0.4, 99);
  const TernaryField first = dashi::run_kernel_parallel(pool_of(8), kernels::Majority3x3{}, input,
                                                        {.num_workers = 8, .block_elems = 2000});
  for (int run = 0; run < 30; ++run) {
    const std::size_t workers =
        worker_counts()[static_cast<std::size_t>(run) % worker_counts().size()];
    const TernaryField again =
        dashi::run_kernel_parallel(pool_of(workers), kernels::Majority3x3{}, input,
                                   {.num_workers = workers, .block_elems = 2000});
    ASSERT_EQ(first_difference(again, first), "") << "run " << run << " workers=" << workers;
  }
  EXPECT_EQ(first, dashi::apply_kernel(kernels::Majority3x3{}, input));
}

TEST(Determinism, OutputsLargeEnoughToStreamEqualMonolithic) {
  // Outputs of at least detail::streaming_store_bytes are written with streaming stores by
  // the pointwise kernels, block by block (also blocks not aligned to 32 bytes).
  const std::size_t n = dashi::detail::streaming_store_bytes + 4099;
  const TernaryField input = dashi_test::random_field(Shape{n}, 0.3, 6);
  const TernaryField expected = dashi::apply_kernel(kernels::Clamp{}, input);
  TernaryField output = TernaryField::uninitialized(input.shape());
  for (const std::size_t workers : {std::size_t{1}, std::size_t{2}, std::size_t{8}}) {
    for (const std::size_t block_elems : {std::size_t{0}, std::size_t{1000003}}) {
      std::fill_n(output.data(), output.size(), std::int8_t{7});
      dashi::run_kernel_parallel(pool_of(workers), kernels::Clamp{}, input, output.span(),
                                 {.num_workers = workers, .block_elems = block_elems});
      ASSERT_EQ(first_difference(output, expected), "")
          << "workers=" << workers << " block_elems=" << block_elems;
    }
  }
}

TEST(Determinism, InputIsNeverWritten) {
  const TernaryField input = dashi_test::random_field(Shape{300007}, 0.3, 5);
  const TernaryField copy = input;
  for (const std::size_t workers : worker_counts()) {
    (void)dashi::run_kernel_parallel(pool_of(workers), dashi_test::AxisStencil2{}, input,
                                     {.num_workers = workers, .block_elems = 1000});
    (void)dashi::run_kernel_parallel(pool_of(workers), kernels::SignFlip{}, input,
                                     {.num_workers = workers, .block_elems = 1000});
  }
  EXPECT_EQ(input, copy);
}

}  // namespace
