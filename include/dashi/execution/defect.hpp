// SPDX-License-Identifier: Apache-2.0
#pragma once

/// @file
/// Deprecated path of `<dashi/metrics.hpp>` (defect and MDL), kept for one release: it
/// includes that header and prints a note (silenced by `DASHI_NO_DEPRECATED_HEADER_MESSAGES`).

#include <dashi/detail/deprecated_header.hpp>
#include <dashi/metrics.hpp>

DASHI_HEADER_DEPRECATED("dashi/execution/defect.hpp", "dashi/metrics.hpp")
