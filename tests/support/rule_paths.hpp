// SPDX-License-Identifier: Apache-2.0
#pragma once

/// @file
/// The code paths of the rule kernels (Rule1D, Totalistic2D) that a test can call directly:
/// every instruction set they have code for that this CPU and `DASHI_ISA` allow, and their
/// names for failure messages. Throw only std::bad_alloc; thread-safe.

#include <dashi/kernels/rule1d.hpp>
#include <string>
#include <vector>

namespace dashi_test {

/// Every rule-kernel instruction set this CPU (and DASHI_ISA) allows, portable first.
inline std::vector<dashi::detail::Isa> available_rule_isas() {
  using dashi::detail::Isa;
  std::vector<Isa> isas{Isa::portable};
  if (dashi::detail::rule_isa() >= Isa::avx2) {
    isas.push_back(Isa::avx2);
  }
  if (dashi::detail::rule_isa() >= Isa::avx512) {
    isas.push_back(Isa::avx512);
  }
  return isas;
}

inline std::string rule_isa_name(dashi::detail::Isa isa) { return dashi::detail::isa_name(isa); }

}  // namespace dashi_test
