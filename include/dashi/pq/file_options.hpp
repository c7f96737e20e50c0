// SPDX-License-Identifier: Apache-2.0
#pragma once

/// @file
/// `dashi::pq::FileOptions`, the options of PQ-FS writers and readers.

#include <cstddef>
#include <cstdint>

namespace dashi::pq {

/// Options of PQ-FS writers and readers. Aggregate: `write_file(p, x, {.sb_bytes = 1 << 20})`.
struct FileOptions {
  /// Bytes per superblock (writers only; a reader takes it from the file): a multiple of
  /// 4096 in [4096, 2^28], else `std::invalid_argument`. Larger superblocks cost less
  /// metadata and fewer reads; smaller ones make `read_rows` of a few rows cheaper.
  std::uint32_t sb_bytes = 262144;
  /// Threads of `dashi::default_thread_pool()` that build (writers) or decode (readers)
  /// superblocks at once, the caller included; 0 → the pool's size,
  /// `std::thread::hardware_concurrency()` (the library's one meaning of a thread count, see
  /// `<dashi/execution/thread_pool.hpp>`). Never changes a file or a result.
  std::size_t num_workers = 1;
};

}  // namespace dashi::pq
