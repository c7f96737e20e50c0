// SPDX-License-Identifier: Apache-2.0
#pragma once

/// @file
/// Distributed execution over MPI ranks (target `dashicore::mpi`). Axis 0 of a global field
/// is split into rank-owned slabs (`SlabLayout`); the same kernels run with the same
/// guarantee as on one process: every rank's result equals the matching rows of the
/// single-process result, byte for byte, for any number of ranks, any split, any workers and
/// block size. Inside a rank the ordinary executor runs on the rank's `ThreadPool`.
///
/// Every function is collective over `layout.comm()` (the library talks on its own
/// duplicates of it, so its messages never meet the caller's). Errors never hang or abort:
/// bad arguments throw the same `std::invalid_argument` on every rank; when kernel blocks
/// throw, the rank owning the first failing block (ranks in order, then blocks) rethrows its
/// own exception and every other rank throws `RemoteError`. MPI must be initialised (with
/// at least `MPI_THREAD_FUNNELED` when the calling thread is not the main one use
/// `MPI_THREAD_SERIALIZED`); only the calling thread makes MPI calls.

#include <dashi/distributed/detail/failure.hpp>
#include <dashi/distributed/detail/layout.hpp>
#include <dashi/distributed/detail/scatter.hpp>
