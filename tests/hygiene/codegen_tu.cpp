// SPDX-License-Identifier: Apache-2.0
// Compiled to an object (not only parsed) by hygiene.py's `codegen` check, with and without
// -march=native: the run-time dispatch's AVX2 / AVX-512 functions of every component must
// compile in any unit (an intrinsic that cannot be inlined into its function is an error only
// at code generation).

#include <cstddef>
#include <cstdint>
#include <dashi/dashi.hpp>
#include <dashi/pq/adapters.hpp>
#include <dashi/pq/codec.hpp>
#include <vector>

int main() {
  const dashi::TernaryField x = dashi::TernaryField::zeros(dashi::Shape{std::size_t{4096}});
  const auto packed = dashi::pq::encode(x.view());
  const dashi::TernaryField y = dashi::pq::decode(packed);
  const dashi::kernels::Rule1D<1> rule(std::vector<std::int8_t>(27, 0));
  const dashi::TernaryField z = dashi::run_kernel_parallel(rule, y.view());
  const dashi::TernaryField grid = dashi::TernaryField::zeros(dashi::Shape{64, 64});
  const dashi::TernaryField w =
      dashi::run_kernel_parallel(dashi::kernels::Majority3x3{}, grid.view());
  return z.count_support() + w.count_support() == 0 ? 0 : 1;
}
