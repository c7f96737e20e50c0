// SPDX-License-Identifier: Apache-2.0
// Rule kernels: a local rule given by a table at run time, at compiled speed. A 1-D smoothing
// rule along axis 0 (each supported site takes the majority sign of its three-site
// neighbourhood) and a 2-D totalistic rule (Majority3x3 as a table, from the library), each run
// block-parallel and checked against the one-thread reference.
#include <array>
#include <cstdio>
#include <dashi/execution/cpu_parallel.hpp>
#include <random>
#include <vector>

namespace {

// Rule1D<1>: entry i is the neighbourhood (left, centre, right) read as base-3 digits x+1.
std::array<std::int8_t, 27> smoothing_table() {
  std::array<std::int8_t, 27> table{};
  for (std::size_t i = 0; i < table.size(); ++i) {
    const int left = static_cast<int>(i / 9) - 1;
    const int centre = static_cast<int>(i / 3 % 3) - 1;
    const int right = static_cast<int>(i % 3) - 1;
    const int sum = left + centre + right;
    // An unsupported centre stays 0 (a rule may never create support); ties keep the centre.
    const int out = centre == 0 ? 0 : (sum > 0 ? 1 : (sum < 0 ? -1 : centre));
    table[i] = static_cast<std::int8_t>(out);
  }
  return table;
}

}  // namespace

int main() {
  const dashi::Shape shape{768, 512};
  std::mt19937_64 rng(11);
  std::uniform_int_distribution<int> trit(-1, 1);
  std::vector<std::int8_t> values(shape.size());
  for (auto& v : values) {
    v = static_cast<std::int8_t>(trit(rng));
  }
  const auto field = dashi::TernaryField::from_signed(values, shape);
  const dashi::ParallelOptions options{.num_workers = 2, .block_elems = 8192};

  const auto smoothing = smoothing_table();
  const dashi::kernels::Rule1D<1> smooth(smoothing);
  const dashi::TernaryField smoothed = dashi::run_kernel_parallel(smooth, field, options);

  // Totalistic2D: out = table[x+1][sum of the 8 neighbours + 8]. Majority3x3 as a table: a
  // supported site takes the sign of the 3x3 sum (0 on a tie); an unsupported one stays 0.
  const auto majority = dashi::kernels::Totalistic2D::majority_table();
  const dashi::kernels::Totalistic2D vote(majority);
  const dashi::TernaryField voted = dashi::run_kernel_parallel(vote, field, options);

  const bool smooth_ok = smoothed == dashi::apply_kernel(smooth, field);
  const bool vote_ok = voted == dashi::apply_kernel(vote, field) &&
                       voted == dashi::apply_kernel(dashi::kernels::Majority3x3{}, field);
  std::printf("Rule1D<1>: %zu of %zu sites supported, equals the reference: %s\n",
              static_cast<std::size_t>(smoothed.count_support()), field.size(),
              smooth_ok ? "yes" : "NO");
  std::printf("Totalistic2D: %zu supported, equals the reference and Majority3x3: %s\n",
              static_cast<std::size_t>(voted.count_support()), vote_ok ? "yes" : "NO");
  return smooth_ok && vote_ok ? 0 : 1;
}
