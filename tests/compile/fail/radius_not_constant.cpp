// SPDX-License-Identifier: Apache-2.0
// Must not compile: a radius that is not a constant expression would silently read as 0
// (blocks without halo, a parallel result that differs from the monolithic one).

#include <cstddef>
#include <dashi/execution/cpu_parallel.hpp>

struct MutableRadius {
  static inline std::size_t radius = 1;  // not constexpr
  void operator()(dashi::TernaryView in, dashi::TernarySpan out) const {
    dashi::kernels::LeftNeighbor{}(in, out);
  }
};

int main() {
  const dashi::TernaryField x = dashi::TernaryField::zeros(dashi::Shape{8});
  (void)dashi::run_kernel_parallel(MutableRadius{}, x.view());
}
