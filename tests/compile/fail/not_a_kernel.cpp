// SPDX-License-Identifier: Apache-2.0
// Must not compile: a type that is no kernel, passed to the executor, gives the one
// sentence of DASHI_KERNEL_REQUIREMENT.

#include <dashi/execution/cpu_parallel.hpp>

struct NotAKernel {
  int operator()(int x) const { return x; }
};

int main() {
  const dashi::TernaryField x = dashi::TernaryField::zeros(dashi::Shape{8});
  (void)dashi::run_kernel_parallel(NotAKernel{}, x.view());
}
