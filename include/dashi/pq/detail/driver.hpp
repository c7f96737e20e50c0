// SPDX-License-Identifier: Apache-2.0
#pragma once

/// @file
/// The codec's drivers: which kernel path runs, how a field is split into tasks of whole
/// blocks, the two-pass builder of packed fields, and the encode and decode loops behind
/// `<dashi/pq/codec.hpp>` and the packed executor.

#include <algorithm>
#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <dashi/carrier.hpp>
#include <dashi/pq/detail/parallel.hpp>
#include <dashi/pq/detail/popcount.hpp>
#include <dashi/pq/detail/portable.hpp>
#include <dashi/pq/detail/vector_kernels.hpp>
#include <dashi/pq/detail/words.hpp>
#include <dashi/pq/packed_field.hpp>
#include <dashi/simd/cpu_features.hpp>
#include <dashi/simd/dispatch.hpp>
#include <dashi/simd/isa.hpp>
#include <limits>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace dashi::pq::detail {

using dashi::detail::Isa;

/// The level of the codec's kernels when none is asked for: `dashi::detail::pext_pdep_isa()`
/// (the active level, `portable` where `pext`/`pdep` are microcoded). Thread-safe.
[[nodiscard]] inline Isa codec_isa() noexcept { return dashi::detail::pext_pdep_isa(); }

/// Internal knobs of the codec drivers (tests force small tasks and both paths).
/// None of them changes any result.
struct Tuning {
  /// The level of the kernels; none: `codec_isa()`.
  std::optional<Isa> isa;
  /// Fields smaller than this run on the calling thread.
  std::size_t parallel_min_sites = std::size_t{1} << 16;
  /// Lower bound on the sites of one task.
  std::size_t task_min_sites = std::size_t{1} << 15;
  /// Tasks per worker (ranges of whole blocks).
  std::size_t tasks_per_worker = 1;
};

/// True when `block_sites` is a power of two in [64, 65536].
[[nodiscard]] constexpr bool valid_block_sites(std::uint64_t block_sites) noexcept {
  return block_sites >= 64 && block_sites <= 65536 && std::has_single_bit(block_sites);
}

/// Throws `std::invalid_argument` unless `valid_block_sites(block_sites)`.
inline void check_block_sites(std::uint32_t block_sites, const char* where) {
  if (!valid_block_sites(block_sites)) {
    throw std::invalid_argument(std::string(where) + ": block_sites must be a power of two in " +
                                "[64, 65536], got " + std::to_string(block_sites));
  }
}

/// `num_workers`, with 0 meaning the hardware concurrency (at least 1).
[[nodiscard]] inline std::size_t resolve_workers(std::size_t num_workers) noexcept {
  if (num_workers != 0) {
    return num_workers;
  }
  return std::max<std::size_t>(1, std::thread::hardware_concurrency());
}

/// `isa`, or `codec_isa()` when none is given. Throws `std::invalid_argument` for a level
/// above `codec_isa()` (one that cannot run here).
[[nodiscard]] inline Isa resolve_isa(std::optional<Isa> isa) {
  if (!isa) {
    return codec_isa();
  }
  if (*isa > codec_isa()) {
    throw std::invalid_argument(
        std::string("dashi::pq: the ") + dashi::detail::isa_name(*isa) +
        " codec path cannot run here (best: " + dashi::detail::isa_name(codec_isa()) + ")");
  }
  return *isa;
}

/// Encode kernel of the level `isa` (resolved). Contract in `portable.hpp`.
[[nodiscard]] inline std::uint64_t encode_kernel(Isa isa, const std::int8_t* src, std::size_t count,
                                                 std::uint64_t* p, std::uint64_t* q,
                                                 unsigned block_shift,
                                                 std::uint64_t* offsets) noexcept {
  return dashi::detail::dispatch<DASHI_DETAIL_PATHS(
      &encode_portable, &encode_avx2, &encode_avx512)>(isa, src, count, p, q, block_shift, offsets);
}

/// Outputs of at least this many sites are written with non-temporal stores (they
/// would only evict the caches) by the vector paths, when the destination is aligned to the
/// vector width (32 bytes for AVX2, 64 for AVX-512).
inline constexpr std::size_t stream_min_sites = std::size_t{1} << 23;

/// Decode kernel of the level `isa` (resolved). Contract in `portable.hpp`. `stream` asks for
/// non-temporal stores (honoured by the AVX2 path when `dst` is 32-byte aligned, the AVX-512 path
/// when 64-byte).
inline void decode_kernel(Isa isa, const std::uint64_t* p, std::size_t count,
                          const std::uint64_t* q, std::uint64_t q_bit, std::int8_t* dst,
                          bool stream = false) noexcept {
  // Streaming stores need `dst` aligned to the vector width (64 bytes for AVX-512, 32 for AVX2).
  if (stream && reinterpret_cast<std::uintptr_t>(dst) % (isa == Isa::avx512 ? 64 : 32) == 0) {
    dashi::detail::dispatch<DASHI_DETAIL_PATHS(&decode_portable, &decode_avx2<true>,
                                               &decode_avx512<true>)>(isa, p, count, q, q_bit, dst);
  } else {
    dashi::detail::dispatch<DASHI_DETAIL_PATHS(&decode_portable, &decode_avx2<false>,
                                               &decode_avx512<false>)>(isa, p, count, q, q_bit,
                                                                       dst);
  }
}

/// Split of `blocks` blocks into `tasks` contiguous ranges of whole blocks.
struct TaskPlan {
  std::size_t blocks = 0;
  std::size_t tasks = 1;
  /// First block of task `t` (`t == tasks` gives `blocks`).
  [[nodiscard]] std::size_t first_block(std::size_t t) const noexcept {
    const std::size_t base = blocks / tasks;
    const std::size_t extra = blocks % tasks;
    return t * base + std::min(t, extra);
  }
};

[[nodiscard]] inline TaskPlan plan_tasks(std::size_t sites, std::size_t blocks, std::size_t workers,
                                         const Tuning& tuning) noexcept {
  TaskPlan plan;
  plan.blocks = blocks;
  if (workers <= 1 || blocks <= 1 || sites < tuning.parallel_min_sites) {
    return plan;
  }
  const std::size_t per_worker = std::max<std::size_t>(1, tuning.tasks_per_worker);
  const std::size_t by_workers = workers > std::numeric_limits<std::size_t>::max() / per_worker
                                     ? blocks
                                     : workers * per_worker;
  const std::size_t by_size =
      std::max<std::size_t>(1, sites / std::max<std::size_t>(1, tuning.task_min_sites));
  plan.tasks = std::max<std::size_t>(1, std::min({by_workers, by_size, blocks}));
  return plan;
}

/// Builds and inspects packed fields (the codec's private constructor).
struct Access {
  [[nodiscard]] static pq::PackedField make(Shape shape, std::uint32_t block_sites,
                                            std::uint64_t support, Words p, Words q,
                                            std::size_t q_count, Words o) noexcept {
    pq::PackedField field;
    field.shape_ = shape;
    field.block_sites_ = block_sites;
    field.support_ = support;
    field.q_count_ = q_count;
    field.p_ = std::move(p);
    field.q_ = std::move(q);
    field.o_ = std::move(o);
    return field;
  }
  /// Q with its two zero slack words.
  [[nodiscard]] static const std::uint64_t* q_data(const pq::PackedField& field) noexcept {
    return field.q_data();
  }
  [[nodiscard]] static Words& p(pq::PackedField& field) noexcept { return field.p_; }
  [[nodiscard]] static Words& q(pq::PackedField& field) noexcept { return field.q_; }
  [[nodiscard]] static Words& o(pq::PackedField& field) noexcept { return field.o_; }
  /// Sets what the words mean; `q_count` words of Q are signs, two zero words follow.
  static void describe(pq::PackedField& field, const Shape& shape, std::uint32_t block_sites,
                       std::uint64_t support, std::size_t q_count) noexcept {
    field.shape_ = shape;
    field.block_sites_ = block_sites;
    field.support_ = support;
    field.q_count_ = q_count;
  }
  /// Makes `field` the empty field, keeping its storage. Never throws.
  static void clear(pq::PackedField& field) noexcept {
    describe(field, Shape{}, pq::PackedField{}.block_sites(), 0, 0);
    field.p_.resize_within_capacity(0);
    field.q_.resize_within_capacity(0);
    field.o_.resize_within_capacity(0);
  }
};

/// Words of Q storage that `build_packed_into` needs for `p_count` P words in `tasks`
/// tasks: the final Q (at most `p_count + 2` words), then, with several tasks, one region
/// per task (two header words and its sign stream) that pass 2 reads.
[[nodiscard]] constexpr std::size_t q_storage_words(std::size_t p_count,
                                                    std::size_t tasks) noexcept {
  return tasks <= 1 ? p_count + 2 : 2 * p_count + 6 * tasks + 6;
}

/// Builds a packed field into `out`, reusing its storage (no allocation when it is large
/// enough), from tasks that each encode a range of whole blocks, in two parallel passes
/// with no shared writable state: (1) every task packs its sites into its own P words
/// (disjoint), its own sign stream (its own region of Q's storage, past the final Q) and
/// block offsets relative to its first block; (2) offsets become absolute and every final
/// Q word is written by the task holding its first bit. The result is byte-identical for
/// any number of tasks and threads.
/// `encode_task(t, first, count, p, stream, offsets)` must pack sites `[first, first + count)`
/// (the blocks of task `t` of `plan`) into `p` (its P words), `stream` (its sign bits from
/// bit 0; `count / 64 + 2` words, zero past the end not required) and `offsets` (its blocks'
/// offsets relative to its first block) and return its number of supported sites — what
/// `encode_kernel` does. `parallel_for(count, body)` runs `body(i)` for every index. When a
/// task or the growth of the storage throws, `out` is left as the empty field (the storage
/// it still has kept) and the exception passes.
template <class ParallelFor, class EncodeTask>
void build_packed_into(pq::PackedField& out, const Shape& shape, std::uint32_t block_sites,
                       const TaskPlan& plan, ParallelFor&& parallel_for, EncodeTask&& encode_task) {
  const std::size_t n = shape.size();
  const std::size_t block = block_sites;
  const std::size_t blocks = plan.blocks;
  const std::size_t tasks = plan.tasks;
  const std::size_t p_count = n / 64 + static_cast<std::size_t>(n % 64 != 0);
  Access::clear(out);
  Words& p = Access::p(out);
  Words& q = Access::q(out);
  Words& o = Access::o(out);
  std::uint64_t support = 0;
  try {
    p.assign_uninitialized(p_count);
    o.assign_uninitialized(blocks + 1);
    q.assign_uninitialized(q_storage_words(p_count, tasks));
    if (tasks <= 1) {
      support = encode_task(std::size_t{0}, std::size_t{0}, n, p.data(), q.data(), o.data());
    } else {
      // Task t's region: [count, base, sign stream of count / 64 + 4 words].
      const std::size_t regions = p_count + 2;
      const auto region = [&](std::size_t t) {
        return q.data() + regions + std::min(n, plan.first_block(t) * block) / 64 + 6 * t;
      };
      parallel_for(tasks, [&](std::size_t t) {
        const std::size_t first = std::min(n, plan.first_block(t) * block);
        const std::size_t count = std::min(n, plan.first_block(t + 1) * block) - first;
        std::uint64_t* header = region(t);
        std::uint64_t* stream = header + 2;
        header[0] = encode_task(t, first, count, p.data() + first / 64, stream,
                                o.data() + plan.first_block(t));
        const auto used = static_cast<std::size_t>(header[0] / 64) + (header[0] % 64 != 0);
        stream[used] = 0;
        stream[used + 1] = 0;
      });
      for (std::size_t t = 0; t < tasks; ++t) {
        region(t)[1] = support;
        support += region(t)[0];
      }
      const auto count_of = [&](std::size_t t) { return region(t)[0]; };
      const auto base_of = [&](std::size_t t) { return region(t)[1]; };
      // A Q word straddling tasks is gathered from the following tasks' streams.
      const auto gather = [&](std::uint64_t bit, std::size_t t) {
        std::uint64_t value = 0;
        std::uint64_t filled = 0;
        while (filled < 64 && t < tasks) {
          const std::uint64_t local = bit + filled - base_of(t);
          if (local >= count_of(t)) {
            ++t;
            continue;
          }
          const std::uint64_t take = std::min<std::uint64_t>(64 - filled, count_of(t) - local);
          value |= (read_bits64(region(t) + 2, local) & low_mask(take)) << filled;
          filled += take;
        }
        return value;
      };
      parallel_for(tasks, [&](std::size_t t) {
        const std::uint64_t begin = base_of(t);
        const std::uint64_t end = begin + count_of(t);
        for (std::size_t b = plan.first_block(t); b < plan.first_block(t + 1); ++b) {
          o[b] += begin;
        }
        const auto first_word = static_cast<std::size_t>((begin + 63) / 64);
        const auto last_word = static_cast<std::size_t>((end + 63) / 64);
        for (std::size_t w = first_word; w < last_word; ++w) {
          const std::uint64_t bit = std::uint64_t{64} * w;
          q[w] = bit + 64 <= end ? read_bits64(region(t) + 2, bit - begin) : gather(bit, t);
        }
      });
    }
  } catch (...) {
    Access::clear(out);
    throw;
  }
  o[blocks] = support;
  const std::size_t q_count = static_cast<std::size_t>(support / 64) + (support % 64 != 0);
  q[q_count] = 0;
  q[q_count + 1] = 0;
  q.resize_within_capacity(q_count + 2);
  Access::describe(out, shape, block_sites, support, q_count);
}

/// `build_packed_into` a new packed field, its storage trimmed to what it holds.
template <class ParallelFor, class EncodeTask>
[[nodiscard]] pq::PackedField build_packed(const Shape& shape, std::uint32_t block_sites,
                                           const TaskPlan& plan, ParallelFor&& parallel_for,
                                           EncodeTask&& encode_task) {
  pq::PackedField out;
  build_packed_into(out, shape, block_sites, plan, parallel_for, encode_task);
  Access::q(out).shrink_to_fit();
  return out;
}

/// Encodes `field` into `out` (see `pq::encode_into`) with explicit internal tuning.
inline void encode_into_with(TernaryView field, pq::PackedField& out, const pq::PqOptions& options,
                             const Tuning& tuning) {
  check_block_sites(options.block_sites, "dashi::pq::encode");
  const Isa isa = resolve_isa(tuning.isa);
  const std::size_t workers = resolve_workers(options.num_workers);
  const std::size_t n = field.size();
  const std::size_t blocks =
      n / options.block_sites + static_cast<std::size_t>(n % options.block_sites != 0);
  const auto shift = static_cast<unsigned>(std::countr_zero(options.block_sites) - 6);
  const std::int8_t* src = field.data();
  build_packed_into(
      out, field.shape(), options.block_sites, plan_tasks(n, blocks, workers, tuning),
      [&](std::size_t tasks, const auto& body) { parallel_for_tasks(tasks, workers, body); },
      [&](std::size_t, std::size_t first, std::size_t count, std::uint64_t* p,
          std::uint64_t* stream, std::uint64_t* offsets) {
        return encode_kernel(isa, src + first, count, p, stream, shift, offsets);
      });
}

/// Encodes `field` (see `pq::encode`) with explicit internal tuning.
[[nodiscard]] inline pq::PackedField encode_with(TernaryView field, const pq::PqOptions& options,
                                                 const Tuning& tuning) {
  pq::PackedField out;
  encode_into_with(field, out, options, tuning);
  Access::q(out).shrink_to_fit();
  return out;
}

/// Decodes sites `[first, first + count)` of `field` into `dst` on the calling thread.
/// `first + count <= field.size()` is a precondition. Any alignment of `first`. Runs the
/// kernels of `isa` (none: `codec_isa()`); throws as `resolve_isa`.
inline void decode_sites(const pq::PackedField& field, std::size_t first, std::size_t count,
                         std::int8_t* dst, std::optional<Isa> level = std::nullopt) {
  const Isa isa = resolve_isa(level);
  if (count == 0) {
    return;
  }
  const std::uint64_t* p = field.p_words().data();
  const std::uint64_t* q = Access::q_data(field);
  const std::size_t words_per_block = field.block_sites() / 64;
  std::size_t word = first / 64;
  std::uint64_t q_bit = field.offsets()[first / field.block_sites()];
  const std::size_t block_word = (first / field.block_sites()) * words_per_block;
  q_bit += popcount_words(p + block_word, word - block_word);
  if (const std::size_t head = first % 64; head != 0) {
    std::array<std::int8_t, 64> sites{};
    const std::size_t available = std::min<std::size_t>(64, field.size() - 64 * word);
    decode_kernel(isa, p + word, available, q, q_bit, sites.data());
    const std::size_t take = std::min(count, available - head);
    std::memcpy(dst, sites.data() + head, take);
    q_bit += detail::popcount64(p[word]);
    dst += take;
    count -= take;
    ++word;
  }
  decode_kernel(isa, p + word, count, q, q_bit, dst);
}

/// Decodes all of `field` into `dst` (`field.size()` bytes) with up to `num_workers`
/// threads (0 = hardware concurrency).
inline void decode_all_into(const pq::PackedField& field, std::int8_t* dst, std::size_t num_workers,
                            const Tuning& tuning) {
  const Isa isa = resolve_isa(tuning.isa);
  const std::size_t n = field.size();
  const std::size_t block = field.block_sites();
  const TaskPlan plan = plan_tasks(n, field.block_count(), resolve_workers(num_workers), tuning);
  const std::uint64_t* p = field.p_words().data();
  const std::uint64_t* q = Access::q_data(field);
  const std::span<const std::uint64_t> o = field.offsets();
  const bool stream = n >= stream_min_sites;
  if (plan.tasks == 1) {
    decode_kernel(isa, p, n, q, 0, dst, stream);
    return;
  }
  parallel_for_tasks(plan.tasks, resolve_workers(num_workers), [&](std::size_t t) {
    const std::size_t first = std::min(n, plan.first_block(t) * block);
    const std::size_t last = std::min(n, plan.first_block(t + 1) * block);
    decode_kernel(isa, p + first / 64, last - first, q, o[plan.first_block(t)], dst + first,
                  stream);
  });
}

/// Decodes `field` (see `pq::decode`) with explicit internal tuning.
[[nodiscard]] inline TernaryField decode_with(const pq::PackedField& field,
                                              const pq::PqOptions& options, const Tuning& tuning) {
  TernaryField out = TernaryField::uninitialized(field.shape());
  decode_all_into(field, out.data(), options.num_workers, tuning);
  return out;
}

}  // namespace dashi::pq::detail
