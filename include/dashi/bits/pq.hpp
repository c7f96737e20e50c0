// SPDX-License-Identifier: Apache-2.0
#pragma once

/// @file
/// Between PQ and bit planes with no byte per site in between: `from_pq` (support words as
/// stored, signs expanded with `pdep`) and `to_pq` (signs squeezed with `pext`), the latter
/// byte-identical to `pq::encode` of the unpacked field.

#include <cstddef>
#include <cstdint>
#include <dashi/bits/detail/pq_bridge.hpp>
#include <dashi/bits/field.hpp>
#include <dashi/pq/codec.hpp>
#include <dashi/pq/detail/driver.hpp>
#include <dashi/pq/detail/parallel.hpp>

namespace dashi::bits {

namespace detail {

/// The Q position of site `site` of `packed` (its block's offset plus the support before it
/// in the block).
[[nodiscard]] inline std::uint64_t q_position(const pq::PackedField& packed,
                                              std::size_t site) noexcept {
  const std::size_t block = site / packed.block_sites();
  const std::size_t block_word = block * (packed.block_sites() / 64);
  const std::size_t word = site / 64;
  std::uint64_t q =
      packed.offsets()[block] +
      pq::detail::popcount_words(packed.p_words().data() + block_word, word - block_word);
  if (site % 64 != 0) {
    q += static_cast<std::uint64_t>(
        std::popcount(packed.p_words()[word] & ((std::uint64_t{1} << (site % 64)) - 1)));
  }
  return q;
}

/// Sites `[site, site + count)` of `packed` into sites `[at, at + count)` of `out`.
inline void read_packed(const pq::PackedField& packed, std::size_t site, std::size_t count,
                        BitSpan out, std::size_t at) noexcept {
  if (count == 0) {
    return;
  }
  pq_read(packed.p_words().data(), pq::detail::Access::q_data(packed), site,
          q_position(packed, site), count, run_of(out), at);
}

}  // namespace detail

/// The planes of a packed field, without a byte per site in between: the support words are
/// P as stored (realigned per slice for rank >= 2), the signs are Q deposited at the support
/// bits. Throws `std::bad_alloc`. Thread-safe.
[[nodiscard]] inline BitField from_pq(const pq::PackedField& packed) {
  BitField field = BitField::uninitialized(packed.shape());
  detail::clear_last_words(field.span());
  detail::read_packed(packed, 0, packed.size(), field.span(), 0);
  return field;
}

/// The packed form of `view` (canonical planes), byte-identical to
/// `pq::encode(unpack(view), options)`, without a byte per site in between. Parallel like
/// `pq::encode` (`options.num_workers`), with the same result for any worker count. Throws
/// `std::invalid_argument` for a bad block size, `std::bad_alloc`, and `std::system_error`
/// when the default pool's workers, started by the first call that needs them, cannot start.
/// Thread-safe.
[[nodiscard]] inline pq::PackedField to_pq(BitView view, const pq::PqOptions& options = {}) {
  namespace pd = pq::detail;
  pd::check_block_sites(options.block_sites, "dashi::bits::to_pq");
  const std::size_t workers = pd::resolve_workers(options.num_workers);
  const std::size_t n = view.size();
  const std::size_t blocks =
      n / options.block_sites + static_cast<std::size_t>(n % options.block_sites != 0);
  const auto shift = static_cast<unsigned>(std::countr_zero(options.block_sites) - 6);
  const detail::ConstPlaneRun run = detail::run_of(view);
  pq::PackedField out = pd::build_packed(
      view.shape(), options.block_sites, pd::plan_tasks(n, blocks, workers, pd::Tuning{}),
      [&](std::size_t tasks, const auto& body) { pd::parallel_for_tasks(tasks, workers, body); },
      [&](std::size_t, std::size_t first, std::size_t count, std::uint64_t* p,
          std::uint64_t* stream, std::uint64_t* offsets) {
        return detail::pq_write(run, first, count, p, stream, shift, offsets);
      });
  return out;
}

}  // namespace dashi::bits
