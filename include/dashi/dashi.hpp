// SPDX-License-Identifier: Apache-2.0
#pragma once

/// @file
/// Umbrella header: the whole public API of dashicore.

#include <dashi/carrier.hpp>
#include <dashi/execution/cpu_parallel.hpp>
#include <dashi/execution/iterate.hpp>
#include <dashi/execution/thread_pool.hpp>
#include <dashi/kernel.hpp>
#include <dashi/partition.hpp>
#include <dashi/version.hpp>
