// SPDX-License-Identifier: Apache-2.0
#pragma once

/// @file
/// `dashi::testing::KernelCheckError`, the exception `check_kernel` throws when a kernel
/// breaks one of the properties the executors rely on.

#include <stdexcept>

namespace dashi::testing {

/// A kernel failed `check_kernel`. The message names the property (`forms`, `purity`,
/// `contract`, `executor`, `iterated`, `unsupported shape`), the shape, the options of the
/// failing run and the check's own options, the first differing site (flat and as an index)
/// and both values.
class KernelCheckError : public std::logic_error {
 public:
  using std::logic_error::logic_error;
};

}  // namespace dashi::testing
