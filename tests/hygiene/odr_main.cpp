// SPDX-License-Identifier: Apache-2.0
// The two units of the mixed -march program must compute the same results.

#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <dashi/simd/isa.hpp>

std::uint64_t work_wide();
std::uint64_t work_plain();

int main() {
  const std::uint64_t wide = work_wide();
  const std::uint64_t plain = work_plain();
  std::printf("active isa %s: wide unit %016" PRIx64 ", plain unit %016" PRIx64 "\n",
              dashi::detail::isa_name(dashi::detail::active_isa()), wide, plain);
  return wide == plain ? 0 : 1;
}
