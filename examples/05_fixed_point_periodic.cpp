// SPDX-License-Identifier: Apache-2.0
// Iterating to a fixed point on a periodic domain: the 3×3 majority vote is applied until
// the field stops changing, on a torus along axis 0 (the last row's neighbour below is the
// first row). Temporal blocking runs 4 steps per synchronisation; the result is checked
// against a plain step loop on one thread, with the periodic padding written by hand.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <dashi/execution/iterate.hpp>
#include <random>
#include <utility>
#include <vector>

namespace {

// One majority step on the whole field with axis 0 wrapped around: pad one row above (the
// last row) and one below (the first row), apply the kernel, keep the middle rows.
dashi::TernaryField periodic_step(const dashi::TernaryField& field) {
  const std::size_t rows = field.shape()[0];
  const std::size_t cols = field.shape()[1];
  std::vector<std::int8_t> padded((rows + 2) * cols);
  std::copy_n(field.data() + (rows - 1) * cols, cols, padded.begin());
  std::copy_n(field.data(), rows * cols, padded.begin() + static_cast<std::ptrdiff_t>(cols));
  std::copy_n(field.data(), cols, padded.begin() + static_cast<std::ptrdiff_t>((rows + 1) * cols));
  const auto padded_field = dashi::TernaryField::from_signed(padded, dashi::Shape{rows + 2, cols});
  const dashi::TernaryField stepped =
      dashi::apply_kernel(dashi::kernels::Majority3x3{}, padded_field);
  const dashi::TernaryView middle = stepped.rows(1, rows);
  return dashi::TernaryField::from_signed(middle.values(), middle.shape());
}

}  // namespace

int main() {
  const dashi::Shape shape{600, 500};
  std::mt19937_64 rng(2024);
  std::uniform_int_distribution<int> trit(-1, 1);
  std::vector<std::int8_t> values(shape.size());
  for (auto& v : values) {
    v = static_cast<std::int8_t>(trit(rng));
  }
  const auto start = dashi::TernaryField::from_signed(values, shape);

  // Parallel: blocks of 16 rows, 4 steps between synchronisations, axis 0 periodic.
  dashi::IterateOptions options;
  options.block_elems = 16 * 500;
  options.steps_per_sync = 4;
  options.boundary = dashi::Boundary::periodic;
  const dashi::IterationResult result =
      dashi::iterate_to_fixed_point(dashi::kernels::Majority3x3{}, start, 1'000, options);

  // Reference: the step loop on the calling thread, stopping at the first fixed point.
  dashi::TernaryField reference = start;
  std::size_t reference_steps = 0;
  for (;;) {
    dashi::TernaryField next = periodic_step(reference);
    if (next == reference) {
      break;
    }
    reference = std::move(next);
    ++reference_steps;
  }

  // The fixed point has zero defect; the distance travelled is the defect against the start.
  const dashi::TernaryField once =
      dashi::run_kernel_parallel(dashi::kernels::Majority3x3{}, result.field, options);
  std::printf("converged: %s after %zu steps (step loop: %zu)\n", result.converged ? "yes" : "no",
              result.steps, reference_steps);
  std::printf("support before %zu, after %zu\n", start.count_support(),
              result.field.count_support());
  std::printf("defect of the fixed point %llu, L1 distance from the start %llu\n",
              static_cast<unsigned long long>(dashi::defect_aggregate(result.field, once)),
              static_cast<unsigned long long>(dashi::defect_aggregate(start, result.field)));
  std::printf("MDL score before %.2f, after %.2f\n", dashi::mdl_score(start),
              dashi::mdl_score(result.field));

  const bool identical = result.converged && result.steps == reference_steps &&
                         result.field == reference &&
                         dashi::defect_aggregate(result.field, once) == 0;
  std::printf("identical to the step loop: %s\n", identical ? "yes" : "NO");
  return identical ? 0 : 1;
}
