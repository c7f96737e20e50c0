// SPDX-License-Identifier: Apache-2.0
#pragma once

/// @file
/// Umbrella header of the core: carriers, kernels (concepts, contract, the shipped
/// kernels), the partition, the thread pool and every executor (`run_kernel_parallel`,
/// `run_kernel_iterated`, `iterate_to_fixed_point`, `compose`, `reduce_parallel`, defect
/// and MDL). The optional parts are included on their own: `dashi/bits.hpp` (bit planes and
/// their executor), `dashi/pq/*.hpp` (the PQ codec, packed fields and PQ-FS files; on POSIX
/// systems the file headers include `<unistd.h>`) and `dashi/mpi.hpp` (needs
/// MPI).

#include <dashi/carrier.hpp>
#include <dashi/execution/cpu_parallel.hpp>
#include <dashi/execution/iterate.hpp>
#include <dashi/execution/reduce.hpp>
#include <dashi/execution/thread_pool.hpp>
#include <dashi/kernel.hpp>
#include <dashi/kernel_concepts.hpp>
#include <dashi/kernels/compose.hpp>
#include <dashi/metrics.hpp>
#include <dashi/partition.hpp>
#include <dashi/version.hpp>
