// SPDX-License-Identifier: Apache-2.0
#pragma once

/// @file
/// The PQ codec: a ternary field packed as a support bitset P, a sign stream Q holding
/// one bit per supported site, and per-block offsets O (formats in docs/PQ_FORMAT.md §1–2).
/// `encode` and `decode` are exact inverses, byte-identical for every worker count.
/// This header also brings `PackedField` (`<dashi/pq/packed_field.hpp>`), `FormatError`
/// and `to_bytes` / `from_bytes` (`<dashi/pq/serialize.hpp>`).

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <dashi/carrier.hpp>
#include <dashi/pq/detail/driver.hpp>
#include <dashi/pq/detail/popcount.hpp>
#include <dashi/pq/detail/portable.hpp>
#include <dashi/pq/format_error.hpp>
#include <dashi/pq/packed_field.hpp>
#include <dashi/pq/serialize.hpp>
#include <span>
#include <stdexcept>
#include <string>

namespace dashi::pq {

/// Packs `field` (docs/PQ_FORMAT.md §1). O(n); runs on up to `options.num_workers` threads of
/// the default pool (the caller included; at most one per 2^15 sites) when the field has at
/// least 2^16 sites; the result is byte-identical for every worker count. Throws
/// `std::invalid_argument` when `options.block_sites` is not a power of two in [64, 65536],
/// `std::bad_alloc`, and `std::system_error` when the default pool's threads, started by the
/// first call that needs them, cannot start. Thread-safe (no shared state).
[[nodiscard]] inline PackedField encode(TernaryView field, const PqOptions& options = {}) {
  return detail::encode_with(field, options, detail::Tuning{});
}

/// Unpacks `packed` into a dense field (the exact inverse of `encode`). Uses the field's
/// own block size and reads only `options.num_workers`. O(n). Throws `std::bad_alloc`, and
/// `std::system_error` like `encode`. Thread-safe.
[[nodiscard]] inline TernaryField decode(const PackedField& packed, const PqOptions& options = {}) {
  return detail::decode_with(packed, options, detail::Tuning{});
}

/// Packs `field` into `out` (docs/PQ_FORMAT.md §1), reusing `out`'s storage: once an `encode_into`
/// with the same `options` has filled `out` with a field at least as large (any support),
/// the call allocates nothing (a field made by `encode`, `from_bytes` or a copy holds
/// trimmed storage, so the first `encode_into` into it may grow it once).
/// `encode_into(x, out, o)` leaves `out == encode(x, o)`; like `encode`, it runs on up to
/// `options.num_workers` threads of the default pool for fields of at least 2^16 sites
/// and the result never depends on it. Throws `std::invalid_argument` for a bad
/// `options.block_sites` (before touching `out`), `std::bad_alloc` when the storage must
/// grow, and `std::system_error` like `encode`; on an exception `out` is left as the empty
/// field. Thread-safe for distinct `out`s.
inline void encode_into(TernaryView field, PackedField& out, const PqOptions& options = {}) {
  detail::encode_into_with(field, out, options, detail::Tuning{});
}

/// Unpacks `packed` into `out`, whose shape must be `packed.shape()` (else
/// `std::invalid_argument`, nothing written). Allocates nothing, except that the first
/// parallel call starts the default pool's workers (`std::system_error` like `encode`, or
/// `std::bad_alloc`); reads only `options.num_workers` (up to that many threads of the
/// default pool, the caller included, for fields of at least 2^16 sites). `out` may not
/// overlap the packed field's storage. O(n). Thread-safe for distinct `out`s.
inline void decode_into(const PackedField& packed, TernarySpan out, const PqOptions& options = {}) {
  if (out.shape() != packed.shape()) {
    throw std::invalid_argument("dashi::pq::decode_into: the output has shape " +
                                out.shape().to_string() + " but the packed field has shape " +
                                packed.shape().to_string());
  }
  detail::decode_all_into(packed, out.data(), options.num_workers, detail::Tuning{});
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
