// SPDX-License-Identifier: Apache-2.0
#pragma once

/// @file
/// `dashicore.testing` (the native part): `check_kernel(kernel, seed=0, max_sites=65536)`.

#include <pybind11/pybind11.h>

namespace dashi_python {

/// Registers the submodule `testing` of `m` with `check_kernel`.
void bind_testing(pybind11::module_& m);

}  // namespace dashi_python
