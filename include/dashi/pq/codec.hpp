// SPDX-License-Identifier: Apache-2.0
#pragma once

/// @file
/// The PQ codec: a ternary field packed as a support bitset P, a sign stream Q holding
/// one bit per supported site, and per-block offsets O (formats in PQ_FORMAT.md §1–2).
/// `encode` and `decode` are exact inverses, byte-identical for every worker count.

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <dashi/carrier.hpp>
#include <dashi/pq/detail/avx2.hpp>
#include <dashi/pq/detail/crc32c.hpp>
#include <dashi/pq/detail/parallel.hpp>
#include <dashi/pq/detail/portable.hpp>
#include <dashi/pq/detail/words.hpp>
#include <limits>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace dashi::pq::detail {
struct Access;
}  // namespace dashi::pq::detail

namespace dashi::pq {

/// Malformed packed data (a serialised buffer or a legacy 2-bit buffer). The message
/// names the field and the byte offset where the problem was found; `field()` and
/// `offset()` give them separately. Nothrow copyable.
class FormatError : public std::runtime_error {
 public:
  /// `where` is the function, `field` a string literal naming the field, `offset` the
  /// byte offset of that field (or of the bad byte) in the input.
  FormatError(const char* where, const char* field, std::size_t offset, const std::string& what)
      : std::runtime_error(std::string(where) + ": field '" + field + "' at byte offset " +
                           std::to_string(offset) + ": " + what),
        field_(field),
        offset_(offset) {}

  /// The name of the offending field (for example `"version"`, `"payload_crc"`).
  [[nodiscard]] const char* field() const noexcept { return field_; }
  /// The byte offset of the offending field or byte.
  [[nodiscard]] std::size_t offset() const noexcept { return offset_; }

 private:
  const char* field_;
  std::size_t offset_;
};

/// Options of `encode` and `decode`. Aggregate: `encode(x, {.block_sites = 65536})`.
struct PqOptions {
  /// Sites per block B: a power of two in [64, 65536]. O holds one u64 per block, so
  /// the metadata costs 64 / B bits per site; `decode_site` costs O(B / 64). Only
  /// `encode` reads it (`decode` uses the packed field's own block size).
  std::uint32_t block_sites = 4096;
  /// Threads used for fields of at least 2^16 sites; 0 means
  /// `std::thread::hardware_concurrency()`. Never changes the result.
  std::size_t num_workers = 1;
};

/// A ternary field in PQ form (PQ_FORMAT §1): P (`ceil(n / 64)` words, bit `i % 64` of
/// word `i / 64` = support of site `i`), Q (`ceil(S / 64)` words, bit `k` = sign of
/// the k-th supported site, 1 ⇒ +1) and O (`nb + 1` words, `O[b]` = supported sites
/// before block `b`, `O[nb] = S`). Bits past the ends of P and Q are zero.
///
/// Regular value type (deep copy; a moved-from field is the empty field). Produced
/// only by `encode` and `from_bytes`, so it is always well formed. Concurrent reads
/// are thread-safe.
class PackedField {
 public:
  /// The packed form of the empty 1-D field (`Shape{0}`, B = 4096). Does not allocate.
  PackedField() noexcept = default;
  /// Deep copy. Throws `std::bad_alloc`.
  PackedField(const PackedField&) = default;
  /// Deep copy. Throws `std::bad_alloc`.
  PackedField& operator=(const PackedField&) = default;
  /// Leaves `other` as the empty field.
  PackedField(PackedField&& other) noexcept
      : shape_(std::exchange(other.shape_, Shape{})),
        block_sites_(std::exchange(other.block_sites_, default_block_sites)),
        support_(std::exchange(other.support_, 0)),
        q_count_(std::exchange(other.q_count_, 0)),
        p_(std::move(other.p_)),
        q_(std::move(other.q_)),
        o_(std::move(other.o_)) {}
  /// Leaves `other` as the empty field.
  PackedField& operator=(PackedField&& other) noexcept {
    PackedField moved(std::move(other));
    swap(moved);
    return *this;
  }
  ~PackedField() = default;

  /// Shape of the field.
  [[nodiscard]] const Shape& shape() const noexcept { return shape_; }
  /// Number of sites n.
  [[nodiscard]] std::size_t size() const noexcept { return shape_.size(); }
  /// Number of supported (non-zero) sites S.
  [[nodiscard]] std::uint64_t support_count() const noexcept { return support_; }
  /// Block size B in sites.
  [[nodiscard]] std::uint32_t block_sites() const noexcept { return block_sites_; }
  /// Number of blocks nb = ceil(n / B).
  [[nodiscard]] std::size_t block_count() const noexcept {
    return size() / block_sites_ + static_cast<std::size_t>(size() % block_sites_ != 0);
  }
  /// Storage of P, Q and O in bits per site: 64 × (P words + Q words + O words) / n,
  /// about 1 + s + 64 / B. 0 for an empty field.
  [[nodiscard]] double bits_per_site() const noexcept {
    if (size() == 0) {
      return 0.0;
    }
    const std::size_t words = p_words().size() + q_words().size() + offsets().size();
    return 64.0 * static_cast<double>(words) / static_cast<double>(size());
  }
  /// P: `ceil(n / 64)` support words.
  [[nodiscard]] std::span<const std::uint64_t> p_words() const noexcept {
    return {p_.data(), size() / 64 + static_cast<std::size_t>(size() % 64 != 0)};
  }
  /// Q: `ceil(S / 64)` sign words.
  [[nodiscard]] std::span<const std::uint64_t> q_words() const noexcept {
    return {q_data(), q_count_};
  }
  /// O: `nb + 1` block offsets.
  [[nodiscard]] std::span<const std::uint64_t> offsets() const noexcept {
    if (o_.size() == 0) {
      return {zero_words.data(), 1};
    }
    return {o_.data(), o_.size()};
  }

  /// Equal when shapes, block sizes and the P, Q and O words are equal.
  friend bool operator==(const PackedField& a, const PackedField& b) noexcept {
    const auto same = [](std::span<const std::uint64_t> x, std::span<const std::uint64_t> y) {
      return std::equal(x.begin(), x.end(), y.begin(), y.end());
    };
    return a.shape_ == b.shape_ && a.block_sites_ == b.block_sites_ && a.support_ == b.support_ &&
           same(a.p_words(), b.p_words()) && same(a.q_words(), b.q_words()) &&
           same(a.offsets(), b.offsets());
  }

  /// Exchanges the contents of two packed fields. Never throws.
  void swap(PackedField& other) noexcept {
    std::swap(shape_, other.shape_);
    std::swap(block_sites_, other.block_sites_);
    std::swap(support_, other.support_);
    std::swap(q_count_, other.q_count_);
    p_.swap(other.p_);
    q_.swap(other.q_);
    o_.swap(other.o_);
  }

 private:
  friend struct detail::Access;
  static constexpr std::uint32_t default_block_sites = 4096;
  static constexpr std::array<std::uint64_t, 2> zero_words{};

  /// Q with two readable zero words past its end (kernels read one word ahead).
  [[nodiscard]] const std::uint64_t* q_data() const noexcept {
    return q_.size() == 0 ? zero_words.data() : q_.data();
  }

  Shape shape_;
  std::uint32_t block_sites_ = default_block_sites;
  std::uint64_t support_ = 0;
  std::size_t q_count_ = 0;
  detail::Words p_;  // ceil(n / 64) words
  detail::Words q_;  // q_count_ + 2 words, the last two zero (or empty)
  detail::Words o_;  // nb + 1 words (or empty for the empty field)
};

/// Entropy accounting of a packed field, in bits per site.
struct EntropyReport {
  /// s = S / n, the fraction of supported sites (0 for an empty field).
  double support_fraction = 0.0;
  /// H(s) + s: the Shannon bound for a support of density s with independent fair
  /// signs (H is the binary entropy, H(0) = H(1) = 0).
  double entropy_bits_per_site = 0.0;
  /// 1 + s: the P and Q payload bits (one support bit per site, one sign bit per
  /// supported site), word padding excluded.
  double packed_bits_per_site = 0.0;
  /// 64 / B exactly: O costs one u64 per block of B sites.
  double metadata_bits_per_site = 0.0;
  /// packed + metadata − entropy: what PQ spends above the bound.
  double overhead_bits_per_site = 0.0;
};

}  // namespace dashi::pq

namespace dashi::pq::detail {

/// Which kernels the codec runs. `automatic` picks `simd` when `avx2_available()`.
enum class CodecPath : std::uint8_t { automatic, scalar, simd };

/// Internal knobs of the codec drivers (tests force small tasks and both paths).
/// None of them changes any result.
struct Tuning {
  CodecPath path = CodecPath::automatic;
  /// Fields smaller than this run on the calling thread.
  std::size_t parallel_min_sites = std::size_t{1} << 16;
  /// Lower bound on the sites of one task.
  std::size_t task_min_sites = std::size_t{1} << 15;
  /// Tasks per worker (ranges of whole blocks).
  std::size_t tasks_per_worker = 1;
};

/// Throws `std::invalid_argument` unless `block_sites` is a power of two in [64, 65536].
inline void check_block_sites(std::uint32_t block_sites, const char* where) {
  if (block_sites < 64 || block_sites > 65536 || !std::has_single_bit(block_sites)) {
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

/// `automatic` → the best available path; `simd` where it cannot run →
/// `std::invalid_argument`.
[[nodiscard]] inline CodecPath resolve_path(CodecPath path) {
  const bool simd = avx2_available();
  if (path == CodecPath::automatic) {
    return simd ? CodecPath::simd : CodecPath::scalar;
  }
  if (path == CodecPath::simd && !simd) {
    throw std::invalid_argument("dashi::pq: the AVX2/BMI2 path is not available on this CPU");
  }
  return path;
}

/// Encode kernel of `path` (resolved). Contract in `pq_scalar.hpp`.
[[nodiscard]] inline std::uint64_t encode_kernel(CodecPath path, const std::int8_t* src,
                                                 std::size_t count, std::uint64_t* p,
                                                 std::uint64_t* q, unsigned block_shift,
                                                 std::uint64_t* offsets) noexcept {
#if DASHI_DETAIL_X86_DISPATCH
  if (path == CodecPath::simd) {
    return encode_avx2(src, count, p, q, block_shift, offsets);
  }
#endif
  (void)path;
  return encode_portable(src, count, p, q, block_shift, offsets);
}

/// Outputs of at least this many sites are written with non-temporal stores (they
/// would only evict the caches), when the destination is 32-byte aligned.
inline constexpr std::size_t stream_min_sites = std::size_t{1} << 23;

/// Decode kernel of `path` (resolved). Contract in `pq_scalar.hpp`. `stream` asks for
/// non-temporal stores (honoured by the SIMD path when `dst` is 32-byte aligned).
inline void decode_kernel(CodecPath path, const std::uint64_t* p, std::size_t count,
                          const std::uint64_t* q, std::uint64_t q_bit, std::int8_t* dst,
                          bool stream = false) noexcept {
#if DASHI_DETAIL_X86_DISPATCH
  if (path == CodecPath::simd) {
    if (stream && reinterpret_cast<std::uintptr_t>(dst) % 32 == 0) {
      decode_avx2<true>(p, count, q, q_bit, dst);
    } else {
      decode_avx2<false>(p, count, q, q_bit, dst);
    }
    return;
  }
#endif
  (void)path;
  (void)stream;
  decode_portable(p, count, q, q_bit, dst);
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
};

/// Builds a packed field from tasks that each encode a range of whole blocks, in two
/// parallel passes with no shared writable state: (1) every task packs its sites into its
/// own P words (disjoint), its own sign stream and block offsets relative to its first
/// block; (2) offsets become absolute and every Q word is written by the task holding its
/// first bit. The result is byte-identical for any number of tasks and threads.
/// `encode_task(t, first, count, p, stream, offsets)` must pack sites `[first, first + count)`
/// (the blocks of task `t` of `plan`) into `p` (its P words), `stream` (its sign bits from
/// bit 0; `count / 64 + 2` words, zero past the end not required) and `offsets` (its blocks'
/// offsets relative to its first block) and return its number of supported sites — what
/// `encode_kernel` does. `parallel_for(count, body)` runs `body(i)` for every index.
template <class ParallelFor, class EncodeTask>
[[nodiscard]] pq::PackedField build_packed(const Shape& shape, std::uint32_t block_sites,
                                           const TaskPlan& plan, ParallelFor&& parallel_for,
                                           EncodeTask&& encode_task) {
  const std::size_t n = shape.size();
  const std::size_t block = block_sites;
  const std::size_t blocks = plan.blocks;
  const std::size_t p_count = n / 64 + static_cast<std::size_t>(n % 64 != 0);
  Words p(p_count);
  Words o(blocks + 1);
  Words q;
  std::uint64_t support = 0;
  if (plan.tasks == 1) {
    q = Words(p_count + 2);
    support = encode_task(std::size_t{0}, std::size_t{0}, n, p.data(), q.data(), o.data());
  } else {
    const std::size_t tasks = plan.tasks;
    std::vector<Words> streams(tasks);
    std::vector<std::uint64_t> counts(tasks);
    parallel_for(tasks, [&](std::size_t t) {
      const std::size_t first = std::min(n, plan.first_block(t) * block);
      const std::size_t count = std::min(n, plan.first_block(t + 1) * block) - first;
      Words stream(count / 64 + 4);
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
    q = Words(q_count + 2);
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
        value |= (read_bits64(streams[t].data(), local) & low_mask(take)) << filled;
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
        q[w] = bit + 64 <= end ? read_bits64(streams[t].data(), bit - begin) : gather(bit, t);
      }
    });
  }
  o[blocks] = support;
  const std::size_t q_count = static_cast<std::size_t>(support / 64) + (support % 64 != 0);
  q[q_count] = 0;
  q[q_count + 1] = 0;
  q.shrink(q_count + 2);
  return Access::make(shape, block_sites, support, std::move(p), std::move(q), q_count,
                      std::move(o));
}

/// Encodes `field` (see `pq::encode`) with explicit internal tuning.
[[nodiscard]] inline pq::PackedField encode_with(TernaryView field, const pq::PqOptions& options,
                                                 const Tuning& tuning) {
  check_block_sites(options.block_sites, "dashi::pq::encode");
  const CodecPath path = resolve_path(tuning.path);
  const std::size_t workers = resolve_workers(options.num_workers);
  const std::size_t n = field.size();
  const std::size_t blocks =
      n / options.block_sites + static_cast<std::size_t>(n % options.block_sites != 0);
  const auto shift = static_cast<unsigned>(std::countr_zero(options.block_sites) - 6);
  const std::int8_t* src = field.data();
  return build_packed(
      field.shape(), options.block_sites, plan_tasks(n, blocks, workers, tuning),
      [&](std::size_t tasks, const auto& body) { parallel_for_tasks(tasks, workers, body); },
      [&](std::size_t, std::size_t first, std::size_t count, std::uint64_t* p,
          std::uint64_t* stream, std::uint64_t* offsets) {
        return encode_kernel(path, src + first, count, p, stream, shift, offsets);
      });
}

/// Decodes sites `[first, first + count)` of `field` into `dst` on the calling thread.
/// `first + count <= field.size()` is a precondition. Any alignment of `first`.
inline void decode_sites(const pq::PackedField& field, std::size_t first, std::size_t count,
                         std::int8_t* dst, CodecPath path = CodecPath::automatic) {
  path = resolve_path(path);
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
    decode_kernel(path, p + word, available, q, q_bit, sites.data());
    const std::size_t take = std::min(count, available - head);
    std::memcpy(dst, sites.data() + head, take);
    q_bit += detail::popcount64(p[word]);
    dst += take;
    count -= take;
    ++word;
  }
  decode_kernel(path, p + word, count, q, q_bit, dst);
}

/// Decodes all of `field` into `dst` (`field.size()` bytes) with up to `num_workers`
/// threads (0 = hardware concurrency).
inline void decode_all_into(const pq::PackedField& field, std::int8_t* dst, std::size_t num_workers,
                            const Tuning& tuning) {
  const CodecPath path = resolve_path(tuning.path);
  const std::size_t n = field.size();
  const std::size_t block = field.block_sites();
  const TaskPlan plan = plan_tasks(n, field.block_count(), resolve_workers(num_workers), tuning);
  const std::uint64_t* p = field.p_words().data();
  const std::uint64_t* q = Access::q_data(field);
  const std::span<const std::uint64_t> o = field.offsets();
  const bool stream = n >= stream_min_sites;
  if (plan.tasks == 1) {
    decode_kernel(path, p, n, q, 0, dst, stream);
    return;
  }
  parallel_for_tasks(plan.tasks, resolve_workers(num_workers), [&](std::size_t t) {
    const std::size_t first = std::min(n, plan.first_block(t) * block);
    const std::size_t last = std::min(n, plan.first_block(t + 1) * block);
    decode_kernel(path, p + first / 64, last - first, q, o[plan.first_block(t)], dst + first,
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

// ---- serialisation (PQ_FORMAT §2) ----

inline constexpr std::size_t buffer_header_bytes = 128;
inline constexpr std::array<unsigned char, 8> buffer_magic = {'D', 'A', 'S', 'H',
                                                              'I', 'P', 'Q', '1'};
inline constexpr std::uint32_t buffer_version = 1;
inline constexpr std::uint32_t buffer_flags = 1;  // bit 0: sign bit 1 means +1

/// Byte layout of a serialised field; computed with overflow checks.
struct BufferLayout {
  std::size_t p_count = 0;  // words
  std::size_t q_count = 0;
  std::size_t o_count = 0;
  std::size_t p_offset = 0;  // bytes
  std::size_t q_offset = 0;
  std::size_t o_offset = 0;
  std::size_t total = 0;
};

/// The layout of a field of `n` sites, `support` supported, blocks of `block` sites;
/// nothing when a size overflows `std::size_t`.
[[nodiscard]] inline std::optional<BufferLayout> buffer_layout(std::uint64_t n,
                                                               std::uint64_t support,
                                                               std::uint64_t block) noexcept {
  constexpr std::uint64_t max = std::numeric_limits<std::size_t>::max();
  const auto words = [](std::uint64_t bits) { return bits / 64 + (bits % 64 != 0 ? 1 : 0); };
  const std::uint64_t p_count = words(n);
  const std::uint64_t q_count = words(support);
  const std::uint64_t o_count = n / block + (n % block != 0 ? 1 : 0) + 1;
  // Each section padded to 64 bytes: 8 * words rounded up, i.e. ceil(words / 8) * 64.
  const auto section = [](std::uint64_t count) { return count / 8 + (count % 8 != 0 ? 1 : 0); };
  const std::uint64_t lines = section(p_count) + section(q_count) + section(o_count);
  if (lines > (max - buffer_header_bytes) / 64) {
    return std::nullopt;
  }
  BufferLayout layout;
  layout.p_count = static_cast<std::size_t>(p_count);
  layout.q_count = static_cast<std::size_t>(q_count);
  layout.o_count = static_cast<std::size_t>(o_count);
  layout.p_offset = buffer_header_bytes;
  layout.q_offset = layout.p_offset + static_cast<std::size_t>(64 * section(p_count));
  layout.o_offset = layout.q_offset + static_cast<std::size_t>(64 * section(q_count));
  layout.total = layout.o_offset + static_cast<std::size_t>(64 * section(o_count));
  return layout;
}

[[nodiscard]] inline std::uint64_t load_le(const std::byte* src, std::size_t bytes) noexcept {
  std::uint64_t value = 0;
  for (std::size_t i = 0; i < bytes; ++i) {
    value |= static_cast<std::uint64_t>(std::to_integer<unsigned char>(src[i])) << (8 * i);
  }
  return value;
}

inline void store_le(std::byte* dst, std::uint64_t value, std::size_t bytes) noexcept {
  for (std::size_t i = 0; i < bytes; ++i) {
    dst[i] = static_cast<std::byte>((value >> (8 * i)) & 0xFFU);
  }
}

/// The shape whose `rank` extents are the u64 at bytes 24, 32, ... of a header `b` (the
/// unused ones must be 0), by the one rule of `Shape`: what a writer could write, a reader
/// accepts. Throws `FormatError` naming "extents".
[[nodiscard]] inline Shape read_shape(const std::byte* b, std::size_t rank, const char* where) {
  std::array<std::size_t, Shape::max_rank> extents{};
  for (std::size_t axis = 0; axis < Shape::max_rank; ++axis) {
    const std::uint64_t extent = load_le(b + 24 + 8 * axis, 8);
    if (axis >= rank) {
      if (extent != 0) {
        throw pq::FormatError(where, "extents", 24 + 8 * axis,
                              "extent " + std::to_string(axis) + " is past rank " +
                                  std::to_string(rank) + " and must be 0, got " +
                                  std::to_string(extent));
      }
      continue;
    }
    if (extent > std::numeric_limits<std::size_t>::max()) {
      throw pq::FormatError(where, "extents", 24 + 8 * axis,
                            "extent " + std::to_string(extent) + " does not fit this machine");
    }
    extents[axis] = static_cast<std::size_t>(extent);
  }
  try {
    return Shape::from_extents(std::span<const std::size_t>(extents.data(), rank));
  } catch (const CarrierError& error) {
    throw pq::FormatError(where, "extents", 24, error.what());
  }
}

inline void store_words(std::byte* dst, std::span<const std::uint64_t> words) noexcept {
  if constexpr (std::endian::native == std::endian::little) {
    if (!words.empty()) {
      std::memcpy(dst, words.data(), words.size_bytes());
    }
  } else {
    for (std::size_t i = 0; i < words.size(); ++i) {
      store_le(dst + 8 * i, words[i], 8);
    }
  }
}

inline void load_words(std::uint64_t* dst, const std::byte* src, std::size_t count) noexcept {
  if constexpr (std::endian::native == std::endian::little) {
    if (count != 0) {
      std::memcpy(dst, src, count * 8);
    }
  } else {
    for (std::size_t i = 0; i < count; ++i) {
      dst[i] = load_le(src + 8 * i, 8);
    }
  }
}

}  // namespace dashi::pq::detail

namespace dashi::pq {

/// Packs `field` (PQ_FORMAT §1). O(n); runs on `options.num_workers` threads when the
/// field has at least 2^16 sites; the result is byte-identical for every worker count.
/// Throws `std::invalid_argument` when `options.block_sites` is not a power of two in
/// [64, 65536] and `std::bad_alloc`; a thread the system refuses only means fewer
/// threads. Thread-safe (no shared state).
[[nodiscard]] inline PackedField encode(TernaryView field, const PqOptions& options = {}) {
  return detail::encode_with(field, options, detail::Tuning{});
}

/// Unpacks `packed` into a dense field (the exact inverse of `encode`). Uses the field's
/// own block size and reads only `options.num_workers`. O(n). Throws `std::bad_alloc`.
/// Thread-safe.
[[nodiscard]] inline TernaryField decode(const PackedField& packed, const PqOptions& options = {}) {
  return detail::decode_with(packed, options, detail::Tuning{});
}

/// Value of one site without decoding the rest: O[site / B] plus the popcount of the
/// block's P bits before `site` locates its sign bit. O(B / 64). Throws
/// `std::out_of_range` when `site >= packed.size()`. Thread-safe.
[[nodiscard]] inline std::int8_t decode_site(const PackedField& packed, std::size_t site) {
  if (site >= packed.size()) {
    throw std::out_of_range("dashi::pq::decode_site: site " + std::to_string(site) +
                            " is out of range for a field of " + std::to_string(packed.size()) +
                            " sites");
  }
  const std::span<const std::uint64_t> p = packed.p_words();
  const std::size_t word = site / 64;
  const std::uint64_t below = detail::low_mask(site % 64);
  if (((p[word] >> (site % 64)) & 1U) == 0) {
    return 0;
  }
  const std::size_t block = site / packed.block_sites();
  const std::size_t block_word = block * (packed.block_sites() / 64);
  const std::uint64_t rank = packed.offsets()[block] + detail::popcount64(p[word] & below) +
                             detail::popcount_words(p.data() + block_word, word - block_word);
  const std::uint64_t sign =
      (packed.q_words()[static_cast<std::size_t>(rank / 64)] >> (rank % 64)) & 1U;
  return sign != 0 ? std::int8_t{1} : std::int8_t{-1};
}

/// Serialises `packed` (PQ_FORMAT §2): a 128-byte header, then P, Q and O, each
/// zero-padded to 64 bytes, with CRC-32C of the header and of the rest. Deterministic.
/// O(n). Throws `std::bad_alloc` (`std::length_error` if the size overflows). Thread-safe.
[[nodiscard]] inline std::vector<std::byte> to_bytes(const PackedField& packed) {
  using detail::store_le;
  const auto layout =
      detail::buffer_layout(packed.size(), packed.support_count(), packed.block_sites());
  if (!layout) {
    throw std::length_error("dashi::pq::to_bytes: the field is too large to serialise");
  }
  std::vector<std::byte> out(layout->total);
  std::byte* b = out.data();
  std::memcpy(b, detail::buffer_magic.data(), detail::buffer_magic.size());
  store_le(b + 8, detail::buffer_version, 4);
  store_le(b + 12, detail::buffer_flags, 4);
  store_le(b + 16, packed.shape().rank(), 4);
  store_le(b + 20, packed.block_sites(), 4);
  for (std::size_t axis = 0; axis < packed.shape().rank(); ++axis) {
    store_le(b + 24 + 8 * axis, packed.shape()[axis], 8);
  }
  store_le(b + 56, packed.size(), 8);
  store_le(b + 64, packed.support_count(), 8);
  store_le(b + 72, layout->total, 8);
  detail::store_words(b + layout->p_offset, packed.p_words());
  detail::store_words(b + layout->q_offset, packed.q_words());
  detail::store_words(b + layout->o_offset, packed.offsets());
  store_le(
      b + 80,
      detail::crc32c(b + detail::buffer_header_bytes, layout->total - detail::buffer_header_bytes),
      4);
  store_le(b + 84, detail::crc32c(b, 84), 4);
  return out;
}

/// Reads a buffer written by `to_bytes`, validating everything PQ_FORMAT §2 lists
/// (magic, version, flags, rank, block size, extents vs n_sites, exact length, both
/// CRCs, zero reserved bytes and padding, zero P bits past n and Q bits past S, O as
/// the running popcount of P, n_support). Hostile input is safe: no read outside the
/// buffer, and nothing is allocated before the length is known to match the header.
/// Throws `FormatError` (naming the field and byte offset) or `std::bad_alloc`.
/// Thread-safe.
[[nodiscard]] inline PackedField from_bytes(std::span<const std::byte> bytes) {
  constexpr const char* where = "dashi::pq::from_bytes";
  using detail::load_le;
  const std::size_t length = bytes.size();
  if (length < detail::buffer_header_bytes) {
    throw FormatError(where, "header", length,
                      "the buffer has " + std::to_string(length) +
                          " bytes, fewer than the 128-byte header (truncated)");
  }
  const std::byte* b = bytes.data();
  if (std::memcmp(b, detail::buffer_magic.data(), detail::buffer_magic.size()) != 0) {
    throw FormatError(where, "magic", 0, "expected \"DASHIPQ1\"");
  }
  if (const auto version = load_le(b + 8, 4); version != detail::buffer_version) {
    throw FormatError(where, "version", 8, "expected 1, got " + std::to_string(version));
  }
  if (const auto flags = load_le(b + 12, 4); flags != detail::buffer_flags) {
    throw FormatError(
        where, "flags", 12,
        "expected 1 (bit 0: sign bit 1 means +1; no other bit), got " + std::to_string(flags));
  }
  const auto rank = static_cast<std::size_t>(load_le(b + 16, 4));
  if (rank < 1 || rank > Shape::max_rank) {
    throw FormatError(where, "rank", 16, "expected 1 to 4, got " + std::to_string(rank));
  }
  const auto block = static_cast<std::uint32_t>(load_le(b + 20, 4));
  if (block < 64 || block > 65536 || !std::has_single_bit(block)) {
    throw FormatError(where, "block_sites", 20,
                      "expected a power of two in [64, 65536], got " + std::to_string(block));
  }
  const Shape shape = detail::read_shape(b, rank, where);
  const std::uint64_t product = shape.size();
  const std::uint64_t n = load_le(b + 56, 8);
  if (n != product) {
    throw FormatError(
        where, "n_sites", 56,
        "n_sites is " + std::to_string(n) + " but the extents give " + std::to_string(product));
  }
  const std::uint64_t support = load_le(b + 64, 8);
  if (support > n) {
    throw FormatError(
        where, "n_support", 64,
        "n_support " + std::to_string(support) + " exceeds n_sites " + std::to_string(n));
  }
  const auto layout = detail::buffer_layout(n, support, block);
  if (!layout) {
    throw FormatError(where, "n_sites", 56, "the field is too large for this machine");
  }
  const std::uint64_t total = load_le(b + 72, 8);
  if (total != layout->total) {
    throw FormatError(where, "total_length", 72,
                      "total_length is " + std::to_string(total) +
                          " but n_sites, n_support and block_sites imply " +
                          std::to_string(layout->total));
  }
  if (length != total) {
    throw FormatError(where, "total_length", 72,
                      "the buffer has " + std::to_string(length) + " bytes but total_length is " +
                          std::to_string(total) +
                          (length < total ? " (truncated)" : " (trailing bytes)"));
  }
  for (std::size_t i = 88; i < detail::buffer_header_bytes; ++i) {
    if (b[i] != std::byte{0}) {
      throw FormatError(where, "reserved", i, "reserved header bytes 88-127 must be 0");
    }
  }
  if (const auto stored = load_le(b + 84, 4); stored != detail::crc32c(b, 84)) {
    throw FormatError(where, "header_crc", 84, "CRC-32C of header bytes 0-83 does not match");
  }
  if (const auto stored = load_le(b + 80, 4);
      stored !=
      detail::crc32c(b + detail::buffer_header_bytes, length - detail::buffer_header_bytes)) {
    throw FormatError(where, "payload_crc", 80,
                      "CRC-32C of the bytes after the header does not match");
  }
  // The length matches the header, so every count below is bounded by the buffer.
  const auto check_padding = [&](const char* field, std::size_t from, std::size_t to) {
    for (std::size_t i = from; i < to; ++i) {
      if (b[i] != std::byte{0}) {
        throw FormatError(where, field, i, "padding must be 0");
      }
    }
  };
  detail::Words p(layout->p_count);
  detail::load_words(p.data(), b + layout->p_offset, layout->p_count);
  if (n % 64 != 0 && (p[layout->p_count - 1] & ~detail::low_mask(n % 64)) != 0) {
    throw FormatError(where, "P", layout->p_offset + 8 * (layout->p_count - 1),
                      "support bits past site n - 1 must be 0");
  }
  check_padding("P padding", layout->p_offset + 8 * layout->p_count, layout->q_offset);
  detail::Words q(layout->q_count + 2);
  detail::load_words(q.data(), b + layout->q_offset, layout->q_count);
  q[layout->q_count] = 0;
  q[layout->q_count + 1] = 0;
  if (support % 64 != 0 && (q[layout->q_count - 1] & ~detail::low_mask(support % 64)) != 0) {
    throw FormatError(where, "Q", layout->q_offset + 8 * (layout->q_count - 1),
                      "sign bits past the last supported site must be 0");
  }
  check_padding("Q padding", layout->q_offset + 8 * layout->q_count, layout->o_offset);
  const std::uint64_t popcount = detail::popcount_words(p.data(), layout->p_count);
  if (popcount != support) {
    throw FormatError(where, "n_support", 64,
                      "n_support is " + std::to_string(support) + " but P has " +
                          std::to_string(popcount) + " supported sites");
  }
  detail::Words o(layout->o_count);
  detail::load_words(o.data(), b + layout->o_offset, layout->o_count);
  const std::size_t words_per_block = block / 64;
  std::uint64_t running = 0;
  for (std::size_t k = 0; k < layout->o_count; ++k) {
    if (o[k] != running) {
      throw FormatError(where, "O", layout->o_offset + 8 * k,
                        "offset of block " + std::to_string(k) + " is " + std::to_string(o[k]) +
                            ", expected " + std::to_string(running) +
                            " (the supported sites before the block)");
    }
    const std::size_t first = k * words_per_block;
    const std::size_t last = std::min(layout->p_count, first + words_per_block);
    running += first < last ? detail::popcount_words(p.data() + first, last - first) : 0;
  }
  check_padding("O padding", layout->o_offset + 8 * layout->o_count, layout->total);
  return detail::Access::make(shape, block, support, std::move(p), std::move(q), layout->q_count,
                              std::move(o));
}

/// Entropy accounting of `packed` (see `EntropyReport`). O(1); never throws.
[[nodiscard]] inline EntropyReport entropy_report(const PackedField& packed) noexcept {
  EntropyReport report;
  const double s = packed.size() == 0 ? 0.0
                                      : static_cast<double>(packed.support_count()) /
                                            static_cast<double>(packed.size());
  const auto plogp = [](double x) { return x > 0.0 ? -x * std::log2(x) : 0.0; };
  report.support_fraction = s;
  report.entropy_bits_per_site = plogp(s) + plogp(1.0 - s) + s;
  report.packed_bits_per_site = 1.0 + s;
  report.metadata_bits_per_site = 64.0 / static_cast<double>(packed.block_sites());
  report.overhead_bits_per_site =
      report.packed_bits_per_site + report.metadata_bits_per_site - report.entropy_bits_per_site;
  return report;
}

}  // namespace dashi::pq
