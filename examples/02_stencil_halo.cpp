// SPDX-License-Identifier: Apache-2.0
// A 2-D stencil with a halo: a user kernel of radius 1 (each site looks at the rows above
// and below), run block-parallel. Blocks overlap by one row of halo, so the parallel result
// equals the monolithic one exactly.
#include <cstdio>
#include <dashi/execution/cpu_parallel.hpp>
#include <random>
#include <vector>

// Erodes isolated sites: a supported site survives only if one of its 4 neighbours shares
// its sign. Radius 1: it reads one axis-0 slice on each side. It offers the row-window form
// (`into_rows`, concept dashi::RowWindowKernel), so the executor writes each block's core rows
// straight into the output; the into form is the window of all rows.
struct ErodeIsolated {
  static constexpr std::size_t radius = 1;

  void operator()(dashi::TernaryView in, dashi::TernarySpan out) const { into_rows(in, 0, out); }

  // Rows [first_row, first_row + out rows) of the result on `in`.
  void into_rows(dashi::TernaryView in, std::size_t first_row, dashi::TernarySpan out) const {
    const std::size_t rows = in.shape()[0];
    const std::size_t cols = in.shape()[1];
    const auto at = [&](std::size_t r, std::size_t c) { return in.value(r * cols + c); };
    for (std::size_t r = first_row; r < first_row + out.shape()[0]; ++r) {
      for (std::size_t c = 0; c < cols; ++c) {
        const std::int8_t s = at(r, c);
        const bool kept =
            s != 0 && ((r > 0 && at(r - 1, c) == s) || (r + 1 < rows && at(r + 1, c) == s) ||
                       (c > 0 && at(r, c - 1) == s) || (c + 1 < cols && at(r, c + 1) == s));
        out.values()[(r - first_row) * cols + c] = kept ? s : std::int8_t{0};
      }
    }
  }
};
static_assert(dashi::RowWindowKernel<ErodeIsolated>);

int main() {
  const dashi::Shape shape{512, 384};
  std::mt19937_64 rng(7);
  std::uniform_int_distribution<int> trit(-1, 1);
  std::vector<std::int8_t> values(shape.size());
  for (auto& v : values) {
    v = static_cast<std::int8_t>(trit(rng));
  }
  const auto field = dashi::TernaryField::from_signed(values, shape);

  // The halo defaults to the kernel's radius; 8 rows of 384 sites per block.
  dashi::ThreadPool pool(2);
  const dashi::TernaryField eroded =
      dashi::run_kernel_parallel(pool, ErodeIsolated{}, field, {.block_elems = 8 * 384});
  const dashi::TernaryField reference = dashi::apply_kernel(ErodeIsolated{}, field);

  std::printf("support before %zu, after %zu, identical to 1 thread: %s\n", field.count_support(),
              eroded.count_support(), eroded == reference ? "yes" : "NO");
  return eroded == reference ? 0 : 1;
}
