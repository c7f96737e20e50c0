// SPDX-License-Identifier: Apache-2.0
#pragma once

/// @file
/// Checking a user's kernel: `dashi::testing::check_kernel(kernel, {.seed, .max_sites})`
/// runs the library's parallelism tests on it and throws `KernelCheckError` naming the
/// first broken property (forms, purity, contract, executor, iterated). Meant for a
/// kernel's unit tests: `EXPECT_NO_THROW(dashi::testing::check_kernel(MyKernel{}));`.

#include <dashi/testing/check_kernel.hpp>
#include <dashi/testing/check_options.hpp>
#include <dashi/testing/kernel_check_error.hpp>
