// SPDX-License-Identifier: Apache-2.0
// Checking your own kernel with dashi::testing::check_kernel: a 2-D stencil that keeps its
// word passes; the same stencil declaring radius 0 (it reads the rows above and below), and
// one whose row-window form forgets the row above its window, are caught, each with a message
// naming the property, the shape, the options, the site and both values.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <dashi/kernel_concepts.hpp>
#include <dashi/testing.hpp>
#include <stdexcept>

// On support, the sign of the site plus its axis-0 neighbours (rows above and below); off
// support 0. Rank 2 only: other ranks are refused with std::invalid_argument (and skipped by
// the check). `Radius` is the radius it declares; its true reach is 1.
template <std::size_t Radius, bool ForgetRowAbove = false>
struct VerticalSmooth {
  static constexpr std::size_t radius = Radius;

  void operator()(dashi::TernaryView in, dashi::TernarySpan out) const {
    rows_of(in, 0, out, false);
  }
  void into_rows(dashi::TernaryView in, std::size_t first_row, dashi::TernarySpan out) const {
    rows_of(in, first_row, out, ForgetRowAbove);
  }

 private:
  static void rows_of(dashi::TernaryView in, std::size_t first_row, dashi::TernarySpan out,
                      bool forget_row_above) {
    if (in.shape().rank() != 2) {
      throw std::invalid_argument("VerticalSmooth needs a 2-D field");
    }
    const std::size_t rows = in.shape()[0];
    const std::size_t cols = in.shape()[1];
    const auto at = [&](std::size_t r, std::size_t c) { return int{in.value(r * cols + c)}; };
    for (std::size_t r = first_row; r < first_row + out.shape()[0]; ++r) {
      const bool above = r > 0 && !(forget_row_above && r == first_row);
      for (std::size_t c = 0; c < cols; ++c) {
        const int s = at(r, c);
        const int sum = s + (above ? at(r - 1, c) : 0) + (r + 1 < rows ? at(r + 1, c) : 0);
        out.values()[(r - first_row) * cols + c] =
            s == 0 ? std::int8_t{0} : static_cast<std::int8_t>((sum > 0) - (sum < 0));
      }
    }
  }
};
static_assert(dashi::RowWindowKernel<VerticalSmooth<1>>);

// Runs the check and prints the outcome; returns true when it passed.
template <class K>
bool passes(const char* name, const K& kernel) {
  try {
    dashi::testing::check_kernel(kernel, {.seed = 1, .max_sites = 4096});
  } catch (const dashi::testing::KernelCheckError& e) {
    std::printf("%s: caught\n%s\n", name, e.what());
    return false;
  }
  std::printf("%s: passed\n\n", name);
  return true;
}

int main() {
  const bool honest = passes("VerticalSmooth, radius 1", VerticalSmooth<1>{});
  const bool too_small = passes("VerticalSmooth, radius 0 declared", VerticalSmooth<0>{});
  const bool forgetful =
      passes("VerticalSmooth, into_rows forgets the row above", VerticalSmooth<1, true>{});
  return honest && !too_small && !forgetful ? 0 : 1;
}
