// SPDX-License-Identifier: Apache-2.0
#pragma once

/// @file
/// Builds a packed field from tasks that each encode a range of whole blocks, in two
/// parallel passes with no shared writable state: (1) every task packs its sites into its
/// own P words (disjoint), its own sign stream and block offsets relative to its first
/// block; (2) offsets become absolute and every Q word is written by the task holding its
/// first bit. The result is byte-identical for any number of tasks and threads.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <dashi/carrier.hpp>
#include <dashi/detail/pq_scalar.hpp>
#include <dashi/detail/pq_words.hpp>
#include <dashi/pq/codec.hpp>
#include <utility>
#include <vector>

namespace dashi::detail {

/// `encode_task(t, first, count, p, stream, offsets)` must pack sites `[first, first + count)`
/// (the blocks of task `t` of `plan`) into `p` (its P words), `stream` (its sign bits from
/// bit 0; `count / 64 + 2` words, zero past the end not required) and `offsets` (its blocks'
/// offsets relative to its first block) and return its number of supported sites — what
/// `pq_encode_kernel` does. `parallel_for(count, body)` runs `body(i)` for every index.
template <class ParallelFor, class EncodeTask>
[[nodiscard]] pq::PackedField pq_build(const Shape& shape, std::uint32_t block_sites,
                                       const PqTaskPlan& plan, ParallelFor&& parallel_for,
                                       EncodeTask&& encode_task) {
  const std::size_t n = shape.size();
  const std::size_t block = block_sites;
  const std::size_t blocks = plan.blocks;
  const std::size_t p_count = n / 64 + static_cast<std::size_t>(n % 64 != 0);
  PqWords p(p_count);
  PqWords o(blocks + 1);
  PqWords q;
  std::uint64_t support = 0;
  if (plan.tasks == 1) {
    q = PqWords(p_count + 2);
    support = encode_task(std::size_t{0}, std::size_t{0}, n, p.data(), q.data(), o.data());
  } else {
    const std::size_t tasks = plan.tasks;
    std::vector<PqWords> streams(tasks);
    std::vector<std::uint64_t> counts(tasks);
    parallel_for(tasks, [&](std::size_t t) {
      const std::size_t first = std::min(n, plan.first_block(t) * block);
      const std::size_t count = std::min(n, plan.first_block(t + 1) * block) - first;
      PqWords stream(count / 64 + 4);
      counts[t] = encode_task(t, first, count, p.data() + first / 64, stream.data(),
                              o.data() + plan.first_block(t));
      const std::size_t used = static_cast<std::size_t>(counts[t] / 64) + (counts[t] % 64 != 0);
      stream[used] = 0;
      stream[used + 1] = 0;
      streams[t] = std::move(stream);
    });
    std::vector<std::uint64_t> bases(tasks + 1, 0);
    for (std::size_t t = 0; t < tasks; ++t) {
      bases[t + 1] = bases[t] + counts[t];
    }
    support = bases[tasks];
    const std::size_t q_count = static_cast<std::size_t>(support / 64) + (support % 64 != 0);
    q = PqWords(q_count + 2);
    // A Q word straddling tasks is gathered from the following tasks' streams.
    const auto gather = [&](std::uint64_t bit, std::size_t t) {
      std::uint64_t value = 0;
      std::uint64_t filled = 0;
      while (filled < 64 && t < tasks) {
        const std::uint64_t local = bit + filled - bases[t];
        if (local >= counts[t]) {
          ++t;
          continue;
        }
        const std::uint64_t take = std::min<std::uint64_t>(64 - filled, counts[t] - local);
        value |= (pq_read_bits64(streams[t].data(), local) & pq_low_mask(take)) << filled;
        filled += take;
      }
      return value;
    };
    parallel_for(tasks, [&](std::size_t t) {
      for (std::size_t b = plan.first_block(t); b < plan.first_block(t + 1); ++b) {
        o[b] += bases[t];
      }
      const std::uint64_t begin = bases[t];
      const std::uint64_t end = bases[t + 1];
      const auto first_word = static_cast<std::size_t>((begin + 63) / 64);
      const auto last_word = static_cast<std::size_t>((end + 63) / 64);
      for (std::size_t w = first_word; w < last_word; ++w) {
        const std::uint64_t bit = std::uint64_t{64} * w;
        q[w] = bit + 64 <= end ? pq_read_bits64(streams[t].data(), bit - begin) : gather(bit, t);
      }
    });
  }
  o[blocks] = support;
  const std::size_t q_count = static_cast<std::size_t>(support / 64) + (support % 64 != 0);
  q[q_count] = 0;
  q[q_count + 1] = 0;
  q.shrink(q_count + 2);
  return PqAccess::make(shape, block_sites, support, std::move(p), std::move(q), q_count,
                        std::move(o));
}

}  // namespace dashi::detail
