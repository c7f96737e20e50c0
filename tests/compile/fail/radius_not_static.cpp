// SPDX-License-Identifier: Apache-2.0
// Must not compile: a non-static radius member is no constant of the kernel's type.

#include <cstddef>
#include <dashi/execution/cpu_parallel.hpp>

struct MemberRadius {
  std::size_t radius = 1;
  void operator()(dashi::TernaryView in, dashi::TernarySpan out) const {
    dashi::kernels::LeftNeighbor{}(in, out);
  }
};

int main() {
  const dashi::TernaryField x = dashi::TernaryField::zeros(dashi::Shape{8});
  (void)dashi::run_kernel_parallel(MemberRadius{}, x.view());
}
