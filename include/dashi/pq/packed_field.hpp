// SPDX-License-Identifier: Apache-2.0
#pragma once

/// @file
/// `dashi::pq::PackedField`, the PQ form of a ternary field (docs/PQ_FORMAT.md §1), with the
/// codec's options `PqOptions` and the `EntropyReport` accounting.

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <dashi/carrier.hpp>
#include <dashi/pq/detail/words.hpp>
#include <span>
#include <utility>

namespace dashi::pq::detail {
struct Access;
}  // namespace dashi::pq::detail

namespace dashi::pq {

/// Options of `encode` and `decode`. Aggregate: `encode(x, {.block_sites = 65536})`.
struct PqOptions {
  /// Sites per block B: a power of two in [64, 65536]. O holds one u64 per block, so
  /// the metadata costs 64 / B bits per site; `decode_site` costs O(B / 64). Only
  /// `encode` reads it (`decode` uses the packed field's own block size).
  std::uint32_t block_sites = 4096;
  /// The most threads of `dashi::default_thread_pool()` that work at once on fields of at
  /// least 2^16 sites (one per 2^15 sites at most), the caller included; 0 → the pool's size,
  /// `std::thread::hardware_concurrency()` (the library's one meaning of a thread count, see
  /// `<dashi/execution/thread_pool.hpp>`). Never changes the result.
  std::size_t num_workers = 1;
};

/// A ternary field in PQ form (docs/PQ_FORMAT.md §1): P (`ceil(n / 64)` words, bit `i % 64` of
/// word `i / 64` = support of site `i`), Q (`ceil(S / 64)` words, bit `k` = sign of
/// the k-th supported site, 1 ⇒ +1) and O (`nb + 1` words, `O[b]` = supported sites
/// before block `b`, `O[nb] = S`). Bits past the ends of P and Q are zero.
///
/// Regular value type (deep copy; a moved-from field is the empty field). Produced only
/// by the codec (`encode`, `encode_into`, `from_bytes`, `bits::to_pq` and the packed
/// `run_kernel_parallel`), so it is always well formed. Concurrent reads are thread-safe.
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
