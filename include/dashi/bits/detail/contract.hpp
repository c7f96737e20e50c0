// SPDX-License-Identifier: Apache-2.0
#pragma once

/// @file
/// The kernel contract on planes, checked with word operations: no support created
/// (`out.support & ~in.support`), canonical output (no sign bit off support, no padding bit).

#include <bit>
#include <cstddef>
#include <cstdint>
#include <dashi/bits/detail/plane_run.hpp>
#include <dashi/bits/field.hpp>
#include <dashi/kernel_concepts.hpp>
#include <string>

namespace dashi::bits::detail {

/// Checks the contract for the planes of `out` against `in` (equal shapes). `first_site` is
/// the global index of their first site and `block` the block's index, for the message.
/// `check_padding` is false when the last word of `out` goes on past its sites (a window of a
/// larger run). Throws `KernelContractError` naming the first bad site (or slice and bit, for
/// padding).
inline void check_bit_contract(BitView in, BitView out, std::size_t block, std::size_t first_site,
                               bool check_padding = true) {
  const PlaneLayout layout = in.layout();
  const std::uint64_t last = last_word_mask(layout.slice_sites);
  for (std::size_t i = 0; i < layout.slices; ++i) {
    for (std::size_t w = 0; w < layout.slice_words; ++w) {
      const std::size_t at = i * layout.slice_words + w;
      const std::uint64_t used = w + 1 == layout.slice_words ? last : ~std::uint64_t{0};
      const std::uint64_t s = out.support_data()[at];
      const std::uint64_t g = out.sign_data()[at];
      const std::uint64_t created = s & ~in.support_data()[at] & used;
      const std::uint64_t stray = g & ~s & used;
      const std::uint64_t padding = check_padding ? (s | g) & ~used : 0;
      if ((created | stray | padding) == 0) {
        continue;
      }
      const std::uint64_t first_bad = created | stray;
      const std::size_t site = first_site + i * layout.slice_sites + 64 * w +
                               static_cast<std::size_t>(std::countr_zero(first_bad));
      if ((created & (first_bad & (0 - first_bad))) != 0) {
        const bool positive = (g & created & (0 - created)) != 0;
        throw KernelContractError("dashi: kernel created support from nothing at site " +
                                  std::to_string(site) + " in block " + std::to_string(block) +
                                  " (input 0, output " + (positive ? "1" : "-1") +
                                  "); kernels must not create support");
      }
      if (first_bad != 0) {
        throw KernelContractError("dashi: bit kernel set a sign bit off support at site " +
                                  std::to_string(site) + " in block " + std::to_string(block) +
                                  " (planes must be canonical)");
      }
      throw KernelContractError(
          "dashi: bit kernel set padding bit " + std::to_string(std::countr_zero(padding)) +
          " of word " + std::to_string(w) + " of slice " + std::to_string(i) + " in block " +
          std::to_string(block) + " (planes must be canonical)");
    }
  }
}

/// The contract on sites `[at, at + count)` of two runs (input and output); `first_site` is
/// the global index of site `at`, `block` the block (or task) for the message. Throws
/// `KernelContractError` naming the first site that gained support or has a sign off support.
inline void check_bit_contract_sites(const ConstPlaneRun& in, const ConstPlaneRun& out,
                                     std::size_t at, std::size_t count, std::size_t block,
                                     std::size_t first_site) {
  RunCursor in_at = cursor_at(at, in.slice_sites);
  RunCursor out_at = cursor_at(at, out.slice_sites);
  for (std::size_t done = 0; done < count; done += 64) {
    const std::size_t want = count - done < 64 ? count - done : 64;
    std::uint64_t in_s = 0;
    std::uint64_t in_g = 0;
    std::uint64_t out_s = 0;
    std::uint64_t out_g = 0;
    gather_run(in, in_at, want, in_s, in_g);
    gather_run(out, out_at, want, out_s, out_g);
    const std::uint64_t created = out_s & ~in_s;
    const std::uint64_t stray = out_g & ~out_s;
    if ((created | stray) == 0) {
      continue;
    }
    const std::uint64_t first = (created | stray) & (0 - (created | stray));
    const std::size_t site = first_site + done + static_cast<std::size_t>(std::countr_zero(first));
    if ((created & first) != 0) {
      throw KernelContractError("dashi: kernel created support from nothing at site " +
                                std::to_string(site) + " in block " + std::to_string(block) +
                                " (input 0, output " + ((out_g & first) != 0 ? "1" : "-1") +
                                "); kernels must not create support");
    }
    throw KernelContractError("dashi: bit kernel set a sign bit off support at site " +
                              std::to_string(site) + " in block " + std::to_string(block) +
                              " (planes must be canonical)");
  }
}

}  // namespace dashi::bits::detail
