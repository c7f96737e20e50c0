// SPDX-License-Identifier: Apache-2.0
// The executor on bit planes keeps the dense guarantee: for every kernel with a bit form,
// field and option, unpack(run_kernel_parallel(k, pack(x), o)) equals the dense
// run_kernel_parallel(k, x, o) byte for byte (workers x block sizes x shapes x kernels x
// orders x boundaries), and the same for run_kernel_iterated; errors, the contract and
// nesting behave as on dense fields.

#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <dashi/bits.hpp>
#include <dashi/execution/iterate.hpp>
#include <dashi/pq/adapters.hpp>
#include <functional>
#include <string>
#include <vector>

#include "support/fields.hpp"

namespace {

using dashi::Boundary;
using dashi::ParallelOptions;
using dashi::Shape;
using dashi::TernaryField;
using dashi::bits::BitField;
using dashi::bits::BitSpan;
using dashi::bits::BitView;
using dashi_test::message_of;
using dashi_test::pool_of;
using dashi_test::random_field;

/// A kernel under test, type-erased: its dense and plane executor runs.
struct NamedKernel {
  std::string name;
  std::size_t min_rank;
  std::size_t max_rank;
  std::function<TernaryField(dashi::ThreadPool&, const TernaryField&, const ParallelOptions&)>
      dense;
  std::function<BitField(dashi::ThreadPool&, const BitField&, const ParallelOptions&,
                         std::span<const std::size_t>)>
      planes;
  std::function<TernaryField(const TernaryField&, std::size_t, const dashi::IterateOptions&)>
      dense_iterated;
  std::function<BitField(const BitField&, std::size_t, const dashi::IterateOptions&)>
      planes_iterated;
};

template <class K>
NamedKernel named(std::string name, K kernel, std::size_t min_rank = 1, std::size_t max_rank = 4) {
  return {std::move(name),
          min_rank,
          max_rank,
          [kernel](dashi::ThreadPool& pool, const TernaryField& x, const ParallelOptions& o) {
            return dashi::run_kernel_parallel(pool, kernel, x.view(), o);
          },
          [kernel](dashi::ThreadPool& pool, const BitField& x, const ParallelOptions& o,
                   std::span<const std::size_t> order) {
            BitField out = BitField::uninitialized(x.shape());
            dashi::bits::detail::run_bits_ordered(pool, kernel, x.view(), out.span(), o, order);
            return out;
          },
          [kernel](const TernaryField& x, std::size_t steps, const dashi::IterateOptions& o) {
            return dashi::run_kernel_iterated(pool_of(2), kernel, x.view(), steps, o);
          },
          [kernel](const BitField& x, std::size_t steps, const dashi::IterateOptions& o) {
            return dashi::run_kernel_iterated(pool_of(2), kernel, x.view(), steps, o);
          }};
}

std::vector<std::int8_t> rule_table(std::uint64_t seed) {
  dashi_test::Rng rng(seed);
  std::vector<std::int8_t> table(27);
  for (std::size_t e = 0; e < 27; ++e) {
    table[e] = (e / 3) % 3 == 1 ? std::int8_t{0} : static_cast<std::int8_t>(rng.below(3)) - 1;
  }
  return table;
}

std::vector<std::int8_t> totalistic_table(std::uint64_t seed) {
  dashi_test::Rng rng(seed);
  std::vector<std::int8_t> table(51);
  for (std::size_t e = 0; e < 51; ++e) {
    table[e] = e / 17 == 1 ? std::int8_t{0} : static_cast<std::int8_t>(rng.below(3)) - 1;
  }
  return table;
}

std::vector<NamedKernel> bit_kernels() {
  return {named("SignFlip", dashi::kernels::SignFlip{}),
          named("Clamp", dashi::kernels::Clamp{}),
          named("ClampNonnegative", dashi::kernels::ClampNonnegative{}),
          named("LeftNeighbor", dashi::kernels::LeftNeighbor{}),
          named("Majority3x3", dashi::kernels::Majority3x3{}, 2, 2),
          named("Rule1D1", dashi::kernels::Rule1D<1>(rule_table(3))),
          named("Totalistic2D", dashi::kernels::Totalistic2D(totalistic_table(4)), 2, 2)};
}

std::vector<Shape> sweep_shapes() {
  return {Shape{1},        Shape{63},      Shape{64},          Shape{65},     Shape{1000},
          Shape{70000},    Shape{1, 9},    Shape{13, 1},       Shape{17, 65}, Shape{40, 130},
          Shape{300, 200}, Shape{5, 3, 7}, Shape{3, 2, 2, 70}, Shape{0},      Shape{0, 4}};
}

TEST(BitsDeterminism, PlanesEqualDenseForEveryOption) {
  std::size_t cases = 0;
  std::uint64_t seed = 500;
  for (const NamedKernel& kernel : bit_kernels()) {
    for (const Shape& shape : sweep_shapes()) {
      if (shape.rank() < kernel.min_rank || shape.rank() > kernel.max_rank) {
        continue;
      }
      const TernaryField dense = random_field(shape, 0.4, ++seed);
      const BitField planes = dashi::bits::pack(dense);
      for (const std::size_t block : {0U, 1U, 64U, 100U, 4096U}) {
        for (const Boundary boundary : {Boundary::clip, Boundary::periodic}) {
          for (const std::size_t halo : {0U, 1U, 3U, 70U}) {
            ParallelOptions options{.block_elems = block, .boundary = boundary};
            if (halo != 0) {
              options.halo = halo;
            }
            if (kernel.name != "SignFlip" && kernel.name != "Clamp" &&
                kernel.name != "ClampNonnegative" && halo == 0) {
              options.halo.reset();  // below the radius: tested on its own
            }
            const TernaryField expected = kernel.dense(pool_of(2), dense, options);
            const std::size_t blocks =
                dashi::bits::detail::bit_partition(shape, block).block_count();
            for (const std::size_t workers : {1U, 2U, 7U}) {
              for (const auto& order : dashi_test::block_orders(blocks)) {
                if (order.name != "forward" && workers != 7) {
                  continue;  // orders matter with the many-thread pool
                }
                options.num_workers = workers;
                const BitField got = kernel.planes(pool_of(workers), planes, options, order.order);
                ASSERT_NO_THROW(dashi::bits::validate(got));
                ASSERT_EQ(dashi::bits::unpack(got), expected)
                    << kernel.name << " on " << shape.to_string() << " block " << block << " halo "
                    << halo << (boundary == Boundary::periodic ? " periodic" : " clip")
                    << " workers " << workers << " order " << order.name;
                ++cases;
              }
            }
          }
        }
      }
    }
  }
  EXPECT_GT(cases, 1000U);
}

TEST(BitsDeterminism, IteratedPlanesEqualIteratedDense) {
  std::uint64_t seed = 900;
  for (const NamedKernel& kernel : bit_kernels()) {
    for (const Shape& shape :
         {Shape{1}, Shape{130}, Shape{5000}, Shape{9, 70}, Shape{64, 64}, Shape{4, 3, 50}}) {
      if (shape.rank() < kernel.min_rank || shape.rank() > kernel.max_rank) {
        continue;
      }
      const TernaryField dense = random_field(shape, 0.3, ++seed);
      const BitField planes = dashi::bits::pack(dense);
      for (const std::size_t steps : {0U, 1U, 2U, 7U}) {
        for (const std::size_t per_sync : {1U, 2U, 3U, 8U}) {
          for (const std::size_t block : {0U, 1U, 64U, 1000U}) {
            for (const Boundary boundary : {Boundary::clip, Boundary::periodic}) {
              dashi::IterateOptions options;
              options.block_elems = block;
              options.boundary = boundary;
              options.steps_per_sync = per_sync;
              const TernaryField expected = kernel.dense_iterated(dense, steps, options);
              const BitField got = kernel.planes_iterated(planes, steps, options);
              ASSERT_NO_THROW(dashi::bits::validate(got));
              ASSERT_EQ(dashi::bits::unpack(got), expected)
                  << kernel.name << " on " << shape.to_string() << " steps " << steps
                  << " per sync " << per_sync << " block " << block
                  << (boundary == Boundary::periodic ? " periodic" : " clip");
            }
          }
        }
      }
    }
  }
}

/// Sets support and sign on every site of the block: creates support where the input is 0.
struct FillPositive {
  void bits(BitView in, BitSpan out) const {
    const auto layout = in.layout();
    for (std::size_t i = 0; i < layout.slices; ++i) {
      for (std::size_t w = 0; w < layout.slice_words; ++w) {
        const std::uint64_t used = w + 1 == layout.slice_words
                                       ? dashi::bits::detail::last_word_mask(layout.slice_sites)
                                       : ~std::uint64_t{0};
        out.support_data()[i * layout.slice_words + w] = used;
        out.sign_data()[i * layout.slice_words + w] = used;
      }
    }
  }
};

TEST(BitsExecutor, ContractBreachNamesTheBlockAndTheGlobalSite) {
  std::vector<std::int8_t> ones(10 * 64, 1);
  ones[3 * 64 + 5] = 0;  // the only site without support: row 3, column 5
  const TernaryField dense = TernaryField::from_signed(ones, Shape{10, 64});
  const BitField planes = dashi::bits::pack(dense);
  const std::string message = message_of<dashi::KernelContractError>([&] {
    (void)dashi::run_kernel_parallel(pool_of(2), FillPositive{}, planes.view(),
                                     {.num_workers = 2, .block_elems = 128});
  });
  EXPECT_NE(message.find("created support from nothing at site 197 in block 1"), std::string::npos)
      << message;
}

/// Copies its block, then sets the sign bit of the block's first site when it is 0.
struct StraySign {
  void bits(BitView in, BitSpan out) const {
    std::copy_n(in.support_data(), in.words(), out.support_data());
    std::copy_n(in.sign_data(), in.words(), out.sign_data());
    out.sign_data()[0] |= ~in.support_data()[0] & 1U;
  }
};

TEST(BitsExecutor, NonCanonicalOutputIsAContractBreach) {
  std::vector<std::int8_t> values(200, 1);
  values[0] = 0;
  const BitField planes = dashi::bits::pack(TernaryField::from_signed(values, Shape{200}));
  const std::string message = message_of<dashi::KernelContractError>([&] {
    (void)dashi::run_kernel_parallel(pool_of(2), StraySign{}, planes.view(), {.block_elems = 64});
  });
  EXPECT_NE(message.find("sign bit off support at site 0 in block 0"), std::string::npos)
      << message;
}

/// Throws from the blocks that hold a -1 site at column 0 of a row (with its row number).
struct ThrowsOnMarkedRows {
  void bits(BitView in, BitSpan out) const {
    std::copy_n(in.support_data(), in.words(), out.support_data());
    std::copy_n(in.sign_data(), in.words(), out.sign_data());
    for (std::size_t r = 0; r < in.slices(); ++r) {
      const std::uint64_t s = in.support_data()[r * in.slice_words()];
      const std::uint64_t g = in.sign_data()[r * in.slice_words()];
      if ((s & ~g & 1U) != 0) {
        throw std::runtime_error("marked row " + std::to_string(r));
      }
    }
  }
};

TEST(BitsExecutor, TheLowestFailingBlockDecides) {
  std::vector<std::int8_t> values(64 * 40, 1);
  for (const std::size_t row : {9U, 17U, 33U}) {
    values[row * 64] = -1;
  }
  const BitField planes = dashi::bits::pack(TernaryField::from_signed(values, Shape{40, 64}));
  for (const std::size_t workers : {1U, 2U, 7U}) {
    for (int repeat = 0; repeat < 20; ++repeat) {
      const std::string message = message_of<std::runtime_error>([&] {
        (void)dashi::run_kernel_parallel(pool_of(workers), ThrowsOnMarkedRows{}, planes.view(),
                                         {.num_workers = workers, .block_elems = 64 * 4});
      });
      EXPECT_EQ(message, "marked row 1") << workers;  // row 9 is row 1 of block 2
    }
  }
  // The pool stays usable.
  EXPECT_EQ(dashi::run_kernel_parallel(pool_of(2), dashi::kernels::SignFlip{}, planes.view()),
            dashi::bits::pack(dashi::run_kernel_parallel(pool_of(2), dashi::kernels::SignFlip{},
                                                         dashi::bits::unpack(planes).view())));
}

TEST(BitsExecutor, BadOptionsAreRefused) {
  const BitField planes = dashi::bits::pack(random_field(Shape{8, 8}, 0.5, 1));
  const std::string halo = message_of<std::invalid_argument>([&] {
    (void)dashi::run_kernel_parallel(dashi::kernels::LeftNeighbor{}, planes.view(), {.halo = 0});
  });
  EXPECT_NE(halo.find("halo 0 is below the kernel's radius 1"), std::string::npos) << halo;
  BitField wrong = BitField::zeros(Shape{64});
  EXPECT_THROW(dashi::run_kernel_parallel(pool_of(2), dashi::kernels::SignFlip{}, planes.view(),
                                          wrong.span()),
               std::invalid_argument);
  BitField same = planes;
  EXPECT_THROW(
      dashi::run_kernel_parallel(pool_of(2), dashi::kernels::SignFlip{}, same.view(), same.span()),
      std::invalid_argument);
  dashi::IterateOptions none;
  none.steps_per_sync = 0;
  EXPECT_THROW((void)dashi::run_kernel_iterated(dashi::kernels::SignFlip{}, planes.view(), 3, none),
               std::invalid_argument);
}

/// A bit kernel that runs the executor again inside each block.
struct NestedSignFlip {
  void bits(BitView in, BitSpan out) const {
    dashi::run_kernel_parallel(dashi::default_thread_pool(), dashi::kernels::SignFlip{}, in, out,
                               {.block_elems = 64});
  }
};

TEST(BitsExecutor, NestedCallsNeverDeadlock) {
  const TernaryField dense = random_field(Shape{64, 256}, 0.5, 12);
  const BitField planes = dashi::bits::pack(dense);
  for (const std::size_t workers : {1U, 2U, 7U}) {
    const BitField got = dashi::run_kernel_parallel(pool_of(workers), NestedSignFlip{},
                                                    planes.view(), {.block_elems = 2048});
    EXPECT_EQ(dashi::bits::unpack(got),
              dashi::apply_kernel(dashi::kernels::SignFlip{}, dense.view()));
  }
}

}  // namespace

namespace {

/// A kernel with only a bit form: proof that the packed executor runs it on planes.
struct PlanesOnlySignFlip {
  static constexpr bool contract_proven = true;
  void bits(BitView in, BitSpan out) const { dashi::kernels::SignFlip{}.bits(in, out); }
};

TEST(BitsPackedPipeline, PqThroughPlanesEqualsDense) {
  std::uint64_t seed = 1300;
  const auto check = [&](const auto& k, const std::string& name, const Shape& shape) {
    const TernaryField dense = random_field(shape, 0.4, ++seed);
    for (const std::uint32_t pq_block : {64U, 4096U}) {
      const dashi::pq::PackedField packed = dashi::pq::encode(dense, {.block_sites = pq_block});
      for (const std::size_t block : {0U, 1U, 200U}) {
        for (const Boundary boundary : {Boundary::clip, Boundary::periodic}) {
          for (const std::size_t workers : {1U, 2U, 7U}) {
            const ParallelOptions options{
                .num_workers = workers, .block_elems = block, .boundary = boundary};
            const dashi::pq::PackedField got =
                dashi::run_kernel_parallel(pool_of(workers), k, packed, options);
            ASSERT_EQ(got, dashi::pq::encode(
                               dashi::run_kernel_parallel(pool_of(2), k, dense.view(), options),
                               {.block_sites = pq_block}))
                << name << " on " << shape.to_string() << " PQ block " << pq_block << " block "
                << block << (boundary == Boundary::periodic ? " periodic" : " clip") << " workers "
                << workers;
          }
        }
      }
    }
  };
  for (const Shape& shape :
       {Shape{1}, Shape{65}, Shape{5000}, Shape{17, 65}, Shape{40, 130}, Shape{3, 5, 70}}) {
    check(dashi::kernels::SignFlip{}, "SignFlip", shape);
    check(dashi::kernels::ClampNonnegative{}, "ClampNonnegative", shape);
    check(dashi::kernels::LeftNeighbor{}, "LeftNeighbor", shape);
    check(dashi::kernels::Rule1D<1>(rule_table(9)), "Rule1D1", shape);
    if (shape.rank() == 2) {
      check(dashi::kernels::Majority3x3{}, "Majority3x3", shape);
      check(dashi::kernels::Totalistic2D(totalistic_table(10)), "Totalistic2D", shape);
    }
  }
  const TernaryField dense = random_field(Shape{3000}, 0.5, 3);
  EXPECT_EQ(
      dashi::pq::decode(dashi::run_kernel_parallel(PlanesOnlySignFlip{}, dashi::pq::encode(dense))),
      dashi::apply_kernel(dashi::kernels::SignFlip{}, dense.view()));
}

TEST(BitsPackedPipeline, ContractBreachNamesTheGlobalSite) {
  std::vector<std::int8_t> ones(10 * 64, 1);
  ones[3 * 64 + 5] = 0;
  const auto packed =
      dashi::pq::encode(TernaryField::from_signed(ones, Shape{10, 64}), {.block_sites = 64});
  const std::string message = message_of<dashi::KernelContractError>([&] {
    (void)dashi::run_kernel_parallel(pool_of(2), FillPositive{}, packed, {.block_elems = 128});
  });
  EXPECT_NE(message.find("created support from nothing at site 197 in block 1"), std::string::npos)
      << message;
}

}  // namespace

namespace {

/// Radius-1 copy that throws when a row of +1 lies right above a row of -1 in the view it is
/// given, naming the view row and the view's rows (which block's window saw it).
struct ThrowsOnStripedPlanes {
  static constexpr std::size_t radius = 1;
  void bits(BitView in, BitSpan out) const {
    const std::size_t words = in.slice_words();
    const std::uint64_t full = dashi::bits::detail::last_word_mask(in.shape().row_elems());
    const auto row_is = [&](std::size_t r, bool positive) {
      for (std::size_t w = 0; w < words; ++w) {
        const std::uint64_t used = w + 1 == words ? full : ~std::uint64_t{0};
        const std::uint64_t s = in.support_data()[r * words + w];
        const std::uint64_t g = in.sign_data()[r * words + w];
        if ((s & used) != used || (positive ? (g & used) != used : (g & used) != 0)) {
          return false;
        }
      }
      return true;
    };
    for (std::size_t r = 0; r + 1 < in.slices(); ++r) {
      if (row_is(r, true) && row_is(r + 1, false)) {
        throw std::runtime_error("stripes at view row " + std::to_string(r) + " of a " +
                                 std::to_string(in.slices()) + "-row view");
      }
    }
    std::copy_n(in.support_data(), in.words(), out.support_data());
    std::copy_n(in.sign_data(), in.words(), out.sign_data());
  }
};

TEST(BitsIterateFailure, TemporalBlockingReportsTheStepByStepFailure) {
  // Blocks of 8 rows: the stripes are rows 0 and 1 of block 1, inside block 0's halo once
  // two steps run per synchronisation.
  TernaryField x = random_field(Shape{64, 8}, 0.5, 19);
  for (std::size_t j = 0; j < 8; ++j) {
    x.data()[8 * 8 + j] = 1;
    x.data()[9 * 8 + j] = -1;
  }
  const BitField planes = dashi::bits::pack(x);
  for (const Boundary boundary : {Boundary::clip, Boundary::periodic}) {
    dashi::IterateOptions options;
    options.block_elems = 64;
    options.boundary = boundary;
    const std::string expected = message_of<std::runtime_error>([&] {
      (void)dashi::run_kernel_iterated(pool_of(7), ThrowsOnStripedPlanes{}, planes.view(), 4,
                                       options);
    });
    EXPECT_EQ(expected, "stripes at view row 1 of a 10-row view");
    for (const std::size_t per_sync : {2U, 3U, 4U, 8U}) {
      options.steps_per_sync = per_sync;
      for (const std::size_t workers : {1U, 3U}) {
        options.num_workers = workers;
        EXPECT_EQ(message_of<std::runtime_error>([&] {
                    (void)dashi::run_kernel_iterated(pool_of(7), ThrowsOnStripedPlanes{},
                                                     planes.view(), 4, options);
                  }),
                  expected)
            << "steps_per_sync " << per_sync << " workers " << workers;
      }
    }
  }
}

}  // namespace
