// SPDX-License-Identifier: Apache-2.0
#pragma once

/// @file
/// The library names nearly every test uses, declared in `dashi_test` beside the helpers: a
/// test's `using namespace dashi_test;` (inside its anonymous namespace) brings both. Names
/// a test declares itself hide these.

#include <dashi/carrier.hpp>
#include <dashi/execution/cpu_parallel.hpp>
#include <dashi/execution/iterate.hpp>
#include <dashi/execution/thread_pool.hpp>
#include <dashi/kernel.hpp>

namespace dashi_test {

using dashi::Boundary;
using dashi::CarrierError;
using dashi::IterateOptions;
using dashi::KernelContractError;
using dashi::ParallelOptions;
using dashi::Shape;
using dashi::TernaryField;
using dashi::TernarySpan;
using dashi::TernaryView;
using dashi::ThreadPool;
namespace kernels = dashi::kernels;

}  // namespace dashi_test
