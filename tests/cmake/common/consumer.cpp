// SPDX-License-Identifier: Apache-2.0
// A downstream program written only against the public names: it must build against the
// package and get byte-identical results from every executor overload.
#include <dashi/execution/cpu_parallel.hpp>

#include <cstdio>
#include <vector>

int main() {
  std::vector<std::int8_t> values(300'000);
  for (std::size_t i = 0; i < values.size(); ++i) {
    values[i] = static_cast<std::int8_t>(static_cast<int>((i * 7919U) % 3U) - 1);
  }
  const auto field = dashi::TernaryField::from_signed(values, dashi::Shape{600, 500});
  const dashi::kernels::Majority3x3 kernel;
  const dashi::TernaryField reference = dashi::apply_kernel(kernel, field);

  dashi::ThreadPool pool(2);
  const dashi::TernaryField a = dashi::run_kernel_parallel(kernel, field, {.num_workers = 2});
  const dashi::TernaryField b =
      dashi::run_kernel_parallel(pool, kernel, field, {.block_elems = 4096, .halo = 1});
  dashi::TernaryField c = dashi::TernaryField::zeros(field.shape());
  dashi::run_kernel_parallel(pool, kernel, field, c.span(), {.num_workers = 3});

  const bool same = a == reference && b == reference && c == reference &&
                    dashi::fingerprint(a) == dashi::fingerprint(reference);
  std::printf("consumer: %s (fingerprint %016llx)\n", same ? "identical" : "MISMATCH",
              static_cast<unsigned long long>(dashi::fingerprint(a)));
  return same ? 0 : 1;
}
