// SPDX-License-Identifier: Apache-2.0
// Must not compile: a static member function called `radius` is no constant radius.

#include <cstddef>
#include <dashi/execution/cpu_parallel.hpp>

struct RadiusIsAFunction {
  static std::size_t radius() { return 9; }
  void operator()(dashi::TernaryView in, dashi::TernarySpan out) const {
    dashi::kernels::LeftNeighbor{}(in, out);
  }
};

int main() {
  const dashi::TernaryField x = dashi::TernaryField::zeros(dashi::Shape{8});
  (void)dashi::run_kernel_parallel(RadiusIsAFunction{}, x.view());
}
