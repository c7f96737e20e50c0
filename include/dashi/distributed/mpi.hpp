// SPDX-License-Identifier: Apache-2.0
#pragma once

/// @file
/// The distributed executors (namespace `dashi::mpi`, target `dashicore::mpi`): everything of
/// `<dashi/mpi.hpp>`, which this path includes.

#include <dashi/mpi.hpp>
