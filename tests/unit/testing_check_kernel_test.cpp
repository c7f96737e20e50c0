// SPDX-License-Identifier: Apache-2.0
// dashi::testing::check_kernel (docs/design.md §10): every shipped kernel passes; kernels that
// break a promise are caught, each with the right property, the shape, the options, the site
// and both values in the message; a radius declared too small is caught on small fields for
// every seed tried.

#include <gtest/gtest.h>

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <dashi/bits.hpp>
#include <dashi/kernels/compose.hpp>
#include <dashi/testing.hpp>
#include <functional>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "support/fields.hpp"

namespace {

using namespace dashi_test;
using dashi::testing::check_kernel;
using dashi::testing::CheckOptions;
using dashi::testing::KernelCheckError;

/// The message of the `KernelCheckError` that `check_kernel(kernel, options)` throws, or ""
/// when it passes.
template <class K>
std::string check_message(const K& kernel, const CheckOptions& options = {}) {
  try {
    check_kernel(kernel, options);
  } catch (const KernelCheckError& e) {
    return e.what();
  }
  return "";
}

/// A seeded table of `size` trits that never creates support: 0 wherever the digit of
/// weight `centre_weight` (the centre site's) reads 0.
std::vector<std::int8_t> valid_table(std::size_t size, std::size_t centre_weight,
                                     std::uint64_t seed) {
  Rng rng(seed);
  std::vector<std::int8_t> table(size);
  for (std::size_t e = 0; e < size; ++e) {
    const bool centre_zero = (e / centre_weight) % 3 == 1;
    table[e] =
        centre_zero ? std::int8_t{0} : static_cast<std::int8_t>(static_cast<int>(rng.below(3)) - 1);
  }
  return table;
}

/// Majority3x3's table as a Totalistic2D table with a seeded twist (`table[x+1][n+8]`).
std::vector<std::int8_t> totalistic_table(std::uint64_t seed) {
  Rng rng(seed);
  std::vector<std::int8_t> table(51, 0);
  for (std::size_t x = 0; x < 3; ++x) {
    for (std::size_t n = 0; n < 17; ++n) {
      table[x * 17 + n] =
          x == 1 ? std::int8_t{0} : static_cast<std::int8_t>(static_cast<int>(rng.below(3)) - 1);
    }
  }
  return table;
}

// ---------------------------------------------------------------------------------------
// Every shipped kernel passes.
// ---------------------------------------------------------------------------------------

TEST(CheckKernel, EveryShippedKernelPasses) {
  const auto rule1 = valid_table(27, 3, 1);
  const auto rule2 = valid_table(243, 9, 2);
  const auto rule3 = valid_table(2187, 27, 3);
  const auto totalistic = totalistic_table(4);
  std::vector<std::pair<std::string, std::function<void()>>> cases = {
      {"SignFlip", [] { check_kernel(kernels::SignFlip{}); }},
      {"Clamp", [] { check_kernel(kernels::Clamp{}); }},
      {"ClampNonnegative", [] { check_kernel(kernels::ClampNonnegative{}); }},
      {"LeftNeighbor", [] { check_kernel(kernels::LeftNeighbor{}); }},
      {"Majority3x3", [] { check_kernel(kernels::Majority3x3{}); }},
      {"Rule1D<1>", [&] { check_kernel(kernels::Rule1D<1>(rule1)); }},
      {"Rule1D<2>", [&] { check_kernel(kernels::Rule1D<2>(rule2)); }},
      {"Rule1D<3>", [&] { check_kernel(kernels::Rule1D<3>(rule3)); }},
      {"Totalistic2D", [&] { check_kernel(kernels::Totalistic2D(totalistic)); }},
      {"compose(SignFlip, LeftNeighbor, Rule1D<2>)",
       [&] {
         check_kernel(dashi::compose(kernels::SignFlip{}, kernels::LeftNeighbor{},
                                     kernels::Rule1D<2>(rule2)));
       }},
      {"compose(Majority3x3, Clamp)",
       [] { check_kernel(dashi::compose(kernels::Majority3x3{}, kernels::Clamp{})); }},
      {"functional SignFlip", [] { check_kernel(FunctionalSignFlip{}); }},
      {"functional stencil", [] { check_kernel(FunctionalStencil{}); }},
  };
  for (const auto& [name, run] : cases) {
    EXPECT_NO_THROW(run()) << name;
  }
  // Other seeds and a small max_sites check other fields.
  EXPECT_NO_THROW(check_kernel(kernels::Majority3x3{}, {.seed = 12345, .max_sites = 100}));
  EXPECT_NO_THROW(check_kernel(kernels::Rule1D<3>(rule3), {.seed = 9, .max_sites = 1}));
}

// ---------------------------------------------------------------------------------------
// Broken kernels.
// ---------------------------------------------------------------------------------------

/// On support `sign(s[i] + 2 s[i + D rows])` (`D` may be negative), 0 beyond the view's
/// edges; declares radius `Declared`.
template <int D, std::size_t Declared>
struct ReachesFurther {
  static constexpr std::size_t radius = Declared;
  void operator()(TernaryView in, TernarySpan out) const noexcept {
    const std::size_t stride = in.shape().row_elems();
    const auto rows = static_cast<long long>(in.shape().rows());
    const std::int8_t* s = in.data();
    for (std::size_t i = 0; i < in.size(); ++i) {
      const auto row = static_cast<long long>(i / stride) + D;
      int sum = s[i];
      if (row >= 0 && row < rows) {
        sum += 2 * s[static_cast<std::size_t>(row) * stride + i % stride];
      }
      out.data()[i] = s[i] == 0 ? std::int8_t{0} : sign_of(sum);
    }
  }
};

TEST(CheckKernel, RadiusDeclaredTooSmallIsCaughtWithShapeOptionsSiteAndValues) {
  const std::string message = check_message(ReachesFurther<2, 1>{});
  EXPECT_NE(message.find("property 'executor' failed"), std::string::npos) << message;
  EXPECT_NE(message.find("run_kernel_parallel differs from the monolithic run"), std::string::npos)
      << message;
  EXPECT_NE(message.find("declared radius 1 too small"), std::string::npos) << message;
  EXPECT_NE(message.find("shape: ("), std::string::npos) << message;
  EXPECT_NE(message.find("options: num_workers = "), std::string::npos) << message;
  EXPECT_NE(message.find("block_sites = "), std::string::npos) << message;
  EXPECT_NE(message.find("boundary = "), std::string::npos) << message;
  EXPECT_NE(message.find("order = "), std::string::npos) << message;
  EXPECT_NE(message.find("check options: seed = 0, max_sites = 65536"), std::string::npos)
      << message;
  EXPECT_NE(message.find("first differing site: "), std::string::npos) << message;
  EXPECT_NE(message.find("values: monolithic "), std::string::npos) << message;
  EXPECT_NE(message.find(", run_kernel_parallel "), std::string::npos) << message;
}

// The proof that a radius declared one too small is caught on small fields: for every seed
// tried, with fields of at most 64 (or 256) sites, reaching forwards or backwards, and with radius
// 0 declared for a kernel that reads its neighbour row.
TEST(CheckKernel, RadiusOneTooSmallIsCaughtForEverySeedOnSmallFields) {
  for (std::uint64_t seed = 0; seed < 200; ++seed) {
    for (const std::size_t max_sites : {std::size_t{64}, std::size_t{256}}) {
      const CheckOptions options{.seed = seed, .max_sites = max_sites};
      const std::string where =
          "seed " + std::to_string(seed) + " max_sites " + std::to_string(max_sites);
      EXPECT_NE(check_message(ReachesFurther<2, 1>{}, options).find("property 'executor'"),
                std::string::npos)
          << where;
      EXPECT_NE(check_message(ReachesFurther<-2, 1>{}, options).find("property 'executor'"),
                std::string::npos)
          << where;
      EXPECT_NE(check_message(ReachesFurther<1, 0>{}, options).find("property 'executor'"),
                std::string::npos)
          << where;
      EXPECT_NE(check_message(ReachesFurther<-3, 2>{}, options).find("property 'executor'"),
                std::string::npos)
          << where;
    }
  }
  // Declared honestly, the same kernels pass.
  EXPECT_EQ(check_message(ReachesFurther<2, 2>{}), "");
  EXPECT_EQ(check_message(ReachesFurther<-3, 3>{}), "");
  EXPECT_EQ(check_message(ReachesFurther<1, 1>{}), "");
}

/// SignFlip whose bit form forgets the sign of the first word of each slice.
struct WrongBits {
  void operator()(TernaryView in, TernarySpan out) const noexcept { kernels::SignFlip{}(in, out); }
  void bits(dashi::bits::BitView in, dashi::bits::BitSpan out) const noexcept {
    kernels::SignFlip{}.bits(in, out);
    for (std::size_t i = 0; i < out.slices(); ++i) {
      if (out.slice_words() != 0) {
        out.sign_data()[i * out.slice_words()] = in.sign_data()[i * in.slice_words()];
      }
    }
  }
};

/// LeftNeighbor whose row-window bit form forgets the row above the window.
struct ForgetfulBitRows {
  static constexpr std::size_t radius = 1;
  void operator()(TernaryView in, TernarySpan out) const noexcept {
    kernels::LeftNeighbor{}(in, out);
  }
  void bits(dashi::bits::BitView in, dashi::bits::BitSpan out) const noexcept {
    kernels::LeftNeighbor{}.bits(in, out);
  }
  void bits_rows(dashi::bits::BitView in, std::size_t first_row,
                 dashi::bits::BitSpan out) const noexcept {
    kernels::LeftNeighbor{}.bits(in.rows(first_row, out.shape().rows()), out);
  }
};

/// A bit form that sets a sign bit off support: non-canonical planes.
struct StraySignBits {
  void operator()(TernaryView in, TernarySpan out) const noexcept { kernels::Clamp{}(in, out); }
  void bits(dashi::bits::BitView in, dashi::bits::BitSpan out) const noexcept {
    kernels::Clamp{}.bits(in, out);
    if (out.words() != 0) {
      out.sign_data()[0] |= ~in.support_data()[0] & 1U;
    }
  }
};

TEST(CheckKernel, BitFormsDisagreeingWithTheIntoFormAreReportedAsForms) {
  const std::string bits = check_message(WrongBits{});
  EXPECT_NE(bits.find("property 'forms' failed: the bits form disagrees with the into form"),
            std::string::npos)
      << bits;
  const std::string rows = check_message(ForgetfulBitRows{});
  EXPECT_NE(rows.find("property 'forms' failed: the bits_rows form disagrees with the into form"),
            std::string::npos)
      << rows;
  const std::string stray = check_message(StraySignBits{});
  EXPECT_NE(stray.find("the bits form wrote planes that are not canonical"), std::string::npos)
      << stray;
}

/// LeftNeighbor whose row-window form forgets the row above the window: its into form is
/// right, so only blocks with halos (and the window comparison) see the difference.
struct ForgetfulRows {
  static constexpr std::size_t radius = 1;
  void operator()(TernaryView in, TernarySpan out) const noexcept {
    kernels::LeftNeighbor{}(in, out);
  }
  void into_rows(TernaryView in, std::size_t first_row, TernarySpan out) const noexcept {
    kernels::LeftNeighbor{}(in.rows(first_row, out.shape().rows()), out);
  }
};

TEST(CheckKernel, IntoRowsDisagreeingWithIntoIsReportedAsSuchBeforeTheExecutor) {
  const std::string message = check_message(ForgetfulRows{});
  EXPECT_NE(message.find("property 'forms' failed: the into_rows form disagrees with the into "
                         "form"),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("output rows ["), std::string::npos) << message;
  EXPECT_NE(message.find("values: into "), std::string::npos) << message;
  EXPECT_NE(message.find(", into_rows "), std::string::npos) << message;
  EXPECT_EQ(message.find("run_kernel_parallel"), std::string::npos) << message;
}

/// A row-window form that leaves its last row unwritten.
struct LazyRows {
  static constexpr std::size_t radius = 1;
  void operator()(TernaryView in, TernarySpan out) const noexcept {
    kernels::LeftNeighbor{}(in, out);
  }
  void into_rows(TernaryView in, std::size_t first_row, TernarySpan out) const noexcept {
    const std::size_t rows = out.shape().rows();
    if (rows > 1) {
      kernels::LeftNeighbor{}.into_rows(in, first_row, out.rows(0, rows - 1));
    }
  }
};

TEST(CheckKernel, UnwrittenSitesAreNamed) {
  const std::string message = check_message(LazyRows{});
  EXPECT_NE(message.find("property 'forms'"), std::string::npos) << message;
  EXPECT_NE(message.find("the site was not written"), std::string::npos) << message;
}

/// Flips every other call: the second run on the same input differs.
struct Counting {
  mutable std::atomic<std::uint64_t> calls{0};
  void operator()(TernaryView in, TernarySpan out) const noexcept {
    const bool flip = (calls.fetch_add(1) & 1U) != 0;
    for (std::size_t i = 0; i < in.size(); ++i) {
      out.data()[i] = static_cast<std::int8_t>(flip ? -in.data()[i] : in.data()[i]);
    }
  }
};

/// Reads the output buffer before writing it (so its result depends on what it held).
struct ReadsItsOutput {
  void operator()(TernaryView in, TernarySpan out) const noexcept {
    for (std::size_t i = 0; i < in.size(); ++i) {
      out.data()[i] = out.data()[i] > 0 ? in.data()[i] : static_cast<std::int8_t>(-in.data()[i]);
    }
  }
};

TEST(CheckKernel, ImpureKernelsAreCaught) {
  const Counting counting;
  const std::string message = check_message(counting);
  EXPECT_NE(message.find("property 'purity' failed: a second monolithic run on the same input "
                         "gave another result"),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("values: first run "), std::string::npos) << message;
  EXPECT_NE(check_message(ReadsItsOutput{}).find("property 'purity'"), std::string::npos);
}

/// Writes +1 everywhere: creates support.
struct CreatesSupport {
  void operator()(TernaryView /*in*/, TernarySpan out) const noexcept {
    std::fill_n(out.data(), out.size(), std::int8_t{1});
  }
};

/// Writes 2 on the sites where the input is -1, and claims a proof of the contract (so the
/// executor would not check it).
struct WritesTwo {
  static constexpr bool contract_proven = true;
  void operator()(TernaryView in, TernarySpan out) const noexcept {
    for (std::size_t i = 0; i < in.size(); ++i) {
      out.data()[i] = in.data()[i] < 0 ? std::int8_t{2} : in.data()[i];
    }
  }
};

/// A functional kernel returning another shape.
struct Reshapes {
  TernaryField operator()(TernaryView in) const {
    return TernaryField::zeros(Shape{in.size() + 1});
  }
};

TEST(CheckKernel, ContractBreachesAreCaught) {
  const std::string support = check_message(CreatesSupport{});
  EXPECT_NE(support.find("property 'contract' failed: the monolithic run (the into form on the "
                         "field) created support"),
            std::string::npos)
      << support;
  EXPECT_NE(support.find("values: input 0, output 1"), std::string::npos) << support;
  const std::string two = check_message(WritesTwo{});
  EXPECT_NE(two.find("property 'contract' failed"), std::string::npos) << two;
  EXPECT_NE(two.find("wrote a value outside {-1, 0, 1}"), std::string::npos) << two;
  EXPECT_NE(two.find("output 2"), std::string::npos) << two;
  const std::string shape = check_message(Reshapes{});
  EXPECT_NE(shape.find("property 'contract'"), std::string::npos) << shape;
  EXPECT_NE(shape.find("the functional form returned shape (2)"), std::string::npos) << shape;
}

/// A kernel with both forms: the into form flips signs, the functional form does not.
struct TwoFaced {
  void operator()(TernaryView in, TernarySpan out) const noexcept { kernels::SignFlip{}(in, out); }
  TernaryField operator()(TernaryView in) const {
    return TernaryField::from_signed(in.values(), in.shape());
  }
};

TEST(CheckKernel, FunctionalAndIntoFormsDisagreeing) {
  const std::string message = check_message(TwoFaced{});
  EXPECT_NE(message.find("property 'forms' failed: the functional form disagrees with the into "
                         "form"),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("values: into "), std::string::npos) << message;
  EXPECT_NE(message.find(", functional "), std::string::npos) << message;
}

/// Correct radius, but the result depends on where the block lies (its row count's parity).
struct KnowsItsBlock {
  void operator()(TernaryView in, TernarySpan out) const noexcept {
    const bool flip = in.shape().rows() % 2 == 0;
    for (std::size_t i = 0; i < in.size(); ++i) {
      out.data()[i] = static_cast<std::int8_t>(flip ? -in.data()[i] : in.data()[i]);
    }
  }
};

TEST(CheckKernel, BlockDependenceIsCaught) {
  EXPECT_NE(check_message(KnowsItsBlock{}).find("property 'executor'"), std::string::npos);
}

/// Refuses fields that are not 2-D in its into form, not in its row-window form.
struct HalfRefusing {
  static constexpr std::size_t radius = 1;
  void operator()(TernaryView in, TernarySpan out) const {
    if (in.shape().rank() != 2) {
      throw std::invalid_argument("HalfRefusing needs a 2-D field");
    }
    kernels::LeftNeighbor{}(in, out);
  }
  void into_rows(TernaryView in, std::size_t first_row, TernarySpan out) const {
    kernels::LeftNeighbor{}.into_rows(in, first_row, out);
  }
};

/// Refuses every field.
struct RefusesAll {
  void operator()(TernaryView /*in*/, TernarySpan /*out*/) const {
    throw std::invalid_argument("never");
  }
};

TEST(CheckKernel, RefusedShapesMustBeRefusedByEveryForm) {
  const std::string message = check_message(HalfRefusing{});
  EXPECT_NE(message.find("property 'unsupported shape' failed: the into form refused the shape "
                         "with std::invalid_argument (HalfRefusing needs a 2-D field) but the "
                         "into_rows form returned normally"),
            std::string::npos)
      << message;
  EXPECT_NE(check_message(RefusesAll{}).find("refused every shape"), std::string::npos);
}

TEST(CheckKernel, SameSeedSameMessageAndBadOptionsAreRefused) {
  EXPECT_EQ(check_message(ReachesFurther<2, 1>{}, {.seed = 5}),
            check_message(ReachesFurther<2, 1>{}, {.seed = 5}));
  EXPECT_THROW(check_kernel(kernels::SignFlip{}, {.max_sites = 0}), std::invalid_argument);
}

/// A kernel's own failure (not std::invalid_argument) reaches the caller unchanged.
struct Throws {
  void operator()(TernaryView /*in*/, TernarySpan /*out*/) const {
    throw std::runtime_error("kernel failure");
  }
};

TEST(CheckKernel, KernelExceptionsPassUnchanged) {
  EXPECT_THROW(check_kernel(Throws{}), std::runtime_error);
}

}  // namespace
