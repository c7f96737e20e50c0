// SPDX-License-Identifier: Apache-2.0
#pragma once

/// @file
/// A field's planes seen as one run of sites in row-major order, whatever the slice layout:
/// `PlaneRun` / `ConstPlaneRun`, and `gather_run` to read up to 64 consecutive sites of a
/// run that may cross slices. For the places where sites are counted across slices (PQ's
/// contiguous bitset, the packed executor's tasks). Thread-safe for distinct outputs.

#include <cstddef>
#include <cstdint>
#include <dashi/bits/field.hpp>
#include <dashi/simd/isa.hpp>

namespace dashi::bits::detail {

/// Where a run of sites lies in a pair of planes laid out in slices: site `i` of the run is
/// bit `i % slice_sites` of slice `i / slice_sites` (slices of `slice_words` words).
struct PlaneRun {
  std::uint64_t* s;
  std::uint64_t* g;
  std::size_t slice_sites;
  std::size_t slice_words;
};

/// Read-only `PlaneRun`.
struct ConstPlaneRun {
  const std::uint64_t* s;
  const std::uint64_t* g;
  std::size_t slice_sites;
  std::size_t slice_words;
};

/// The sites of `view` as a run (rank 1: one slice of all sites).
[[nodiscard]] inline ConstPlaneRun run_of(BitView view) noexcept {
  const PlaneLayout layout = view.layout();
  return {view.support_data(), view.sign_data(), layout.slice_sites == 0 ? 1 : layout.slice_sites,
          layout.slice_words};
}

/// The writable sites of `span` as a run.
[[nodiscard]] inline PlaneRun run_of(BitSpan span) noexcept {
  const PlaneLayout layout = span.layout();
  return {span.support_data(), span.sign_data(), layout.slice_sites == 0 ? 1 : layout.slice_sites,
          layout.slice_words};
}

/// A position in a run: slice `slice`, site `bit` of it. Walking a run this way costs no
/// division per word.
struct RunCursor {
  std::size_t slice = 0;
  std::size_t bit = 0;
};

/// The cursor of site `at` of a run of slices of `slice_sites` sites.
[[nodiscard]] [[gnu::always_inline]] DASHI_DETAIL_TARGET_PORTABLE inline RunCursor cursor_at(
    std::size_t at, std::size_t slice_sites) noexcept {
  return {at / slice_sites, at % slice_sites};
}

/// The sites of the run from `cursor` up to the next word boundary, the end of the slice or
/// `limit` sites, whichever comes first.
[[nodiscard]] [[gnu::always_inline]] DASHI_DETAIL_TARGET_PORTABLE inline std::size_t piece_at(
    const RunCursor& cursor, std::size_t slice_sites, std::size_t limit) noexcept {
  std::size_t take = 64 - cursor.bit % 64;
  take = take < limit ? take : limit;
  return take < slice_sites - cursor.bit ? take : slice_sites - cursor.bit;
}

/// Moves `cursor` on by `take` sites (at most to the end of its slice).
[[gnu::always_inline]] DASHI_DETAIL_TARGET_PORTABLE inline void advance(
    RunCursor& cursor, std::size_t take, std::size_t slice_sites) noexcept {
  cursor.bit += take;
  if (cursor.bit == slice_sites) {
    ++cursor.slice;
    cursor.bit = 0;
  }
}

/// The next `want` (<= 64) sites of `run` from `cursor` (moved past them), bit i of
/// `support` / `sign` for the i-th.
[[gnu::always_inline]] DASHI_DETAIL_TARGET_PORTABLE inline void gather_run(
    const ConstPlaneRun& run, RunCursor& cursor, std::size_t want, std::uint64_t& support,
    std::uint64_t& sign) noexcept {
  support = 0;
  sign = 0;
  for (std::size_t got = 0; got < want;) {
    const std::size_t take = piece_at(cursor, run.slice_sites, want - got);
    const std::size_t word = cursor.slice * run.slice_words + cursor.bit / 64;
    const std::size_t shift = cursor.bit % 64;
    if (take == 64) {  // a whole word (then shift is 0 and got is 0)
      support = run.s[word];
      sign = run.g[word];
    } else {
      const std::uint64_t keep = (std::uint64_t{1} << take) - 1;
      support |= ((run.s[word] >> shift) & keep) << got;
      sign |= ((run.g[word] >> shift) & keep) << got;
    }
    advance(cursor, take, run.slice_sites);
    got += take;
  }
}

}  // namespace dashi::bits::detail
