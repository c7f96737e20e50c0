// SPDX-License-Identifier: Apache-2.0
// The oneTBB peers (default and static partitioner), the std::execution::par peer (which
// libstdc++ runs on TBB) and an empty TBB region. Real bodies only when built with TBB.

#include <cstddef>
#include <dashi/carrier.hpp>
#include <dashi/partition.hpp>
#include <stdexcept>

#include "runtimes.hpp"
#include "same_loop.hpp"

#if defined(DASHI_BENCH_HAVE_TBB)
#  include <oneapi/tbb/blocked_range.h>
#  include <oneapi/tbb/parallel_for.h>
#  include <oneapi/tbb/partitioner.h>
#  include <oneapi/tbb/task_arena.h>
#  include <oneapi/tbb/version.h>

#  include <algorithm>
#  include <execution>
#  include <map>
#  include <memory>
#  include <numeric>
#  include <vector>
#endif

namespace dashi_bench::peers::detail {

#if defined(DASHI_BENCH_HAVE_TBB)

namespace {

/// One arena per thread count, created on first use (never inside a timed loop: the
/// warm-up call creates it). The calling thread takes one of its slots.
tbb::task_arena& arena_for(std::size_t threads) {
  static std::map<std::size_t, std::unique_ptr<tbb::task_arena>> arenas;
  auto& slot = arenas[threads];
  if (!slot) {
    slot = std::make_unique<tbb::task_arena>(static_cast<int>(threads));
    slot->initialize();
  }
  return *slot;
}

}  // namespace

bool have_tbb() noexcept { return true; }
bool have_std_par() noexcept { return true; }

void run_tbb(Runtime runtime, KernelId k, dashi::TernaryView in, dashi::TernarySpan out,
             std::size_t threads) {
  const std::size_t rows = in.shape().rows();
  const dashi::Partition partition(in.shape(), 0);  // the executor's automatic blocks
  with_kernel(k, [&](const auto& kernel) {
    arena_for(threads).execute([&] {
      if (runtime == Runtime::tbb_static) {
        tbb::parallel_for(
            tbb::blocked_range<std::size_t>(0, rows),
            [&](const tbb::blocked_range<std::size_t>& r) {
              apply_rows(kernel, in, out, r.begin(), r.size());
            },
            tbb::static_partitioner());
      } else if (runtime == Runtime::tbb) {
        tbb::parallel_for(tbb::blocked_range<std::size_t>(0, rows, partition.rows_per_block()),
                          [&](const tbb::blocked_range<std::size_t>& r) {
                            apply_rows(kernel, in, out, r.begin(), r.size());
                          });
      } else {
        thread_local std::vector<std::size_t> blocks;
        blocks.resize(partition.block_count());
        std::iota(blocks.begin(), blocks.end(), std::size_t{0});
        std::for_each(std::execution::par, blocks.begin(), blocks.end(), [&](std::size_t i) {
          const dashi::Block block = partition.block(i, 0);
          apply_rows(kernel, in, out, block.first_row, block.row_count);
        });
      }
    });
  });
}

void empty_tbb(std::size_t threads) {
  arena_for(threads).execute([&] {
    tbb::parallel_for(
        tbb::blocked_range<std::size_t>(0, threads), [](const tbb::blocked_range<std::size_t>&) {},
        tbb::static_partitioner());
  });
}

#else

bool have_tbb() noexcept { return false; }
bool have_std_par() noexcept { return false; }

void run_tbb(Runtime, KernelId, dashi::TernaryView, dashi::TernarySpan, std::size_t) {
  throw std::logic_error("dashicore_bench: built without oneTBB");
}
void empty_tbb(std::size_t) { throw std::logic_error("dashicore_bench: built without oneTBB"); }

#endif

}  // namespace dashi_bench::peers::detail
