// SPDX-License-Identifier: Apache-2.0
#pragma once

/// @file
/// Deprecated path of `<dashi/kernels/compose.hpp>`, kept for one release: it includes that
/// header and prints a note (silenced by `DASHI_NO_DEPRECATED_HEADER_MESSAGES`).

#include <dashi/detail/deprecated_header.hpp>
#include <dashi/kernels/compose.hpp>

DASHI_HEADER_DEPRECATED("dashi/execution/compose.hpp", "dashi/kernels/compose.hpp")
