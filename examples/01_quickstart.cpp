// SPDX-License-Identifier: Apache-2.0
// Quickstart: flip the sign of a ternary field on every core, and check that the result is
// byte-identical to a single-threaded run.
#include <cstdio>
#include <dashi/execution/cpu_parallel.hpp>
#include <random>
#include <vector>

int main() {
  // A 1-D field of a million sites in {-1, 0, +1}.
  std::mt19937_64 rng(42);
  std::uniform_int_distribution<int> trit(-1, 1);
  std::vector<std::int8_t> values(1'000'000);
  for (auto& v : values) {
    v = static_cast<std::int8_t>(trit(rng));
  }
  const auto field = dashi::TernaryField::from_signed(values);

  // Block-parallel run: 4 workers, 4096-site blocks.
  const dashi::TernaryField flipped = dashi::run_kernel_parallel(
      dashi::kernels::SignFlip{}, field, {.num_workers = 4, .block_elems = 4096});

  // The same kernel once, on the calling thread: the reference.
  const dashi::TernaryField reference = dashi::apply_kernel(dashi::kernels::SignFlip{}, field);

  std::printf("sites %zu, support %zu, fingerprint %016llx, identical to 1 thread: %s\n",
              flipped.size(), flipped.count_support(),
              static_cast<unsigned long long>(dashi::fingerprint(flipped)),
              flipped == reference ? "yes" : "NO");
  return flipped == reference ? 0 : 1;
}
