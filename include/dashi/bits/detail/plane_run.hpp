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

/// Sites `[at, at + want)` (`want` <= 64) of `run`, bit i of `support` / `sign` for site
/// `at + i`.
[[gnu::always_inline]] DASHI_DETAIL_TARGET_PORTABLE inline void gather_run(
    const ConstPlaneRun& run, std::size_t at, std::size_t want, std::uint64_t& support,
    std::uint64_t& sign) noexcept {
  support = 0;
  sign = 0;
  for (std::size_t got = 0; got < want;) {
    const std::size_t site = at + got;
    const std::size_t slice = site / run.slice_sites;
    const std::size_t bit = site % run.slice_sites;
    std::size_t take = want - got;
    take = take < run.slice_sites - bit ? take : run.slice_sites - bit;
    take = take < 64 - bit % 64 ? take : 64 - bit % 64;
    const std::size_t word = slice * run.slice_words + bit / 64;
    const std::uint64_t keep = take == 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << take) - 1;
    support |= ((run.s[word] >> (bit % 64)) & keep) << got;
    sign |= ((run.g[word] >> (bit % 64)) & keep) << got;
    got += take;
  }
}

}  // namespace dashi::bits::detail
