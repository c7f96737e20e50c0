// SPDX-License-Identifier: Apache-2.0
// The oneTBB peers (compiled in when CMake finds oneTBB): tbb::parallel_for over the rows with
// the executor's automatic block as grain (peer_tbb) or with static_partitioner
// (peer_tbb_static), std::for_each(std::execution::par) over the executor's automatic blocks
// (peer_std_par, which libstdc++ runs on oneTBB), each in a task_arena of T threads and on
// the shipped inner loop; and an empty parallel_for.

#include <oneapi/tbb/blocked_range.h>
#include <oneapi/tbb/parallel_for.h>
#include <oneapi/tbb/partitioner.h>
#include <oneapi/tbb/task_arena.h>

#include <dashi/partition.hpp>
#include <execution>
#include <map>
#include <numeric>

#include "../runner.hpp"
#include "same_loop.hpp"

namespace dashi_bench {
namespace {

/// One arena per thread count, created by the first (untimed warm-up) call.
tbb::task_arena& arena_for(std::size_t threads) {
  static std::map<std::size_t, std::unique_ptr<tbb::task_arena>> arenas;
  auto& slot = arenas[threads];
  if (!slot) {
    slot = std::make_unique<tbb::task_arena>(int(threads));
    slot->initialize();
  }
  return *slot;
}

using Range = tbb::blocked_range<std::size_t>;

void peer_tbb(benchmark::State& state, const Case& c) {
  const dashi::Partition partition(shape_for(c.kernel, c.n), 0);
  dense_row(state, c, [&](const auto& kernel, auto in, auto out) {
    arena_for(c.threads).execute([&] {
      tbb::parallel_for(
          Range(0, in.shape().rows(), partition.rows_per_block()),
          [&](const Range& r) { peers::apply_rows(kernel, in, out, r.begin(), r.size()); });
    });
  });
}

void peer_tbb_static(benchmark::State& state, const Case& c) {
  dense_row(state, c, [&](const auto& kernel, auto in, auto out) {
    arena_for(c.threads).execute([&] {
      tbb::parallel_for(
          Range(0, in.shape().rows()),
          [&](const Range& r) { peers::apply_rows(kernel, in, out, r.begin(), r.size()); },
          tbb::static_partitioner());
    });
  });
}

void peer_std_par(benchmark::State& state, const Case& c) {
  const dashi::Partition partition(shape_for(c.kernel, c.n), 0);
  std::vector<std::size_t> blocks(partition.block_count());
  std::iota(blocks.begin(), blocks.end(), std::size_t{0});
  dense_row(state, c, [&](const auto& kernel, auto in, auto out) {
    arena_for(c.threads).execute([&] {
      std::for_each(std::execution::par, blocks.begin(), blocks.end(), [&](std::size_t i) {
        const dashi::Block block = partition.block(i, 0);
        peers::apply_rows(kernel, in, out, block.first_row, block.row_count);
      });
    });
  });
}

const Registrar tbb_families{
    families({{"peer_tbb", Threads::peers, false, true, peer_tbb},
              {"peer_tbb_static", Threads::peers, false, true, peer_tbb_static},
              {"peer_std_par", Threads::peers, false, true, peer_std_par}})};
const Registrar tbb_rows{[](const Tier&) {
  add_dispatch("peer_tbb_empty", [] {
    arena_for(2).execute([] {
      tbb::parallel_for(
          Range(0, 2), [](const Range&) {}, tbb::static_partitioner());
    });
  });
}};

}  // namespace
}  // namespace dashi_bench
