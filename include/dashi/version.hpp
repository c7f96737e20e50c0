// SPDX-License-Identifier: Apache-2.0
#pragma once

/// @file
/// Library version: the one source of truth, also read by CMake.

#define DASHI_VERSION_MAJOR 0
#define DASHI_VERSION_MINOR 1
#define DASHI_VERSION_PATCH 0

namespace dashi {
/// Major version of the headers in use.
inline constexpr int version_major = DASHI_VERSION_MAJOR;
/// Minor version of the headers in use.
inline constexpr int version_minor = DASHI_VERSION_MINOR;
/// Patch version of the headers in use.
inline constexpr int version_patch = DASHI_VERSION_PATCH;
}  // namespace dashi
