// SPDX-License-Identifier: Apache-2.0
#pragma once

/// @file
/// The tests' helper library in one include (each part is its own header, one idea each):
/// seeded random fields (seeded.hpp), shapes, constant fields and copies (builders.hpp),
/// readable comparisons (compare.hpp), messages of expected exceptions (errors.hpp), option
/// descriptions and failure budgets of sweeps (describe.hpp), block orders (orders.hpp),
/// shared thread pools (pools.hpp), references written independently of the executor
/// (references.hpp), test kernels (kernels.hpp), a kernel that fails on chosen blocks
/// (planned_kernel.hpp), concurrency observation (concurrency.hpp) and the library names
/// most tests use (names.hpp: a test says `using namespace dashi_test;`). Files, byte fields
/// and the PQ-FS reference writer (files.hpp, bytes.hpp, pq_file_reference.hpp) and the MPI
/// helpers (mpi.hpp) are included where they are used.

#include "support/builders.hpp"
#include "support/compare.hpp"
#include "support/concurrency.hpp"
#include "support/describe.hpp"
#include "support/errors.hpp"
#include "support/kernels.hpp"
#include "support/names.hpp"
#include "support/orders.hpp"
#include "support/planned_kernel.hpp"
#include "support/pools.hpp"
#include "support/references.hpp"
#include "support/seeded.hpp"
