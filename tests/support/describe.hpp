// SPDX-License-Identifier: Apache-2.0
#pragma once

/// @file
/// Readable descriptions of executor options for failure messages, and a cap on the
/// failures a sweep reports. Throw only std::bad_alloc; `FailureBudget` is not thread-safe
/// (one per sweep).

#include <cstddef>
#include <dashi/execution/iterate.hpp>
#include <sstream>
#include <string>

namespace dashi_test {

inline const char* boundary_name(dashi::Boundary boundary) {
  return boundary == dashi::Boundary::clip ? "clip" : "periodic";
}

/// "workers=3 block_elems=7 halo=radius boundary=clip check_contract=1".
inline std::string describe(const dashi::ParallelOptions& options) {
  std::ostringstream out;
  out << "workers=" << options.num_workers << " block_elems=" << options.block_elems << " halo=";
  if (options.halo) {
    out << *options.halo;
  } else {
    out << "radius";
  }
  out << " boundary=" << boundary_name(options.boundary)
      << " check_contract=" << options.check_contract;
  return out.str();
}

/// The description of the parallel options, then " steps_per_sync=N".
inline std::string describe(const dashi::IterateOptions& options) {
  return describe(static_cast<const dashi::ParallelOptions&>(options)) +
         " steps_per_sync=" + std::to_string(options.steps_per_sync);
}

/// Counts the failures of a sweep so that a systematic bug reports a few cases, not all.
class FailureBudget {
 public:
  explicit FailureBudget(std::size_t budget = 8) : budget_(budget) {}
  /// Records a failure; false once the budget is spent (the caller then stops the sweep).
  bool fail() noexcept { return ++failures_ < budget_; }
  [[nodiscard]] std::size_t failures() const noexcept { return failures_; }

 private:
  std::size_t budget_;
  std::size_t failures_ = 0;
};

}  // namespace dashi_test
