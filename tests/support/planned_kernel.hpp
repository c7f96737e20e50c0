// SPDX-License-Identifier: Apache-2.0
#pragma once

/// @file
/// A kernel that fails on chosen blocks: it throws (std::runtime_error, std::out_of_range,
/// an exception outside std::exception, an int) or breaks the contract (creates support,
/// writes a non-trit) on the blocks of its plan, and flips signs elsewhere. Pure and
/// thread-safe; it throws only what its plan says (and std::bad_alloc).

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <dashi/carrier.hpp>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>

namespace dashi_test {

/// An exception that does not derive from `std::exception`.
struct BlockFailure {
  std::size_t block;
};

/// What `PlannedKernel` does on a block.
enum class Action {
  throw_runtime_error,  ///< std::runtime_error("runtime_error from block B")
  throw_out_of_range,   ///< std::out_of_range("out_of_range from block B")
  throw_block_failure,  ///< BlockFailure{B}
  throw_int,            ///< int(B)
  create_support,       ///< writes +1 at the block's first core site whose input is 0
  write_non_trit,       ///< writes 5 at the block's first core site
};

inline std::string expected_message(Action action, std::size_t block) {
  switch (action) {
    case Action::throw_runtime_error:
      return "runtime_error from block " + std::to_string(block);
    case Action::throw_out_of_range:
      return "out_of_range from block " + std::to_string(block);
    default:
      return {};
  }
}

/// Radius-0 into kernel that acts as SignFlip except on the blocks of `plan`, where it
/// performs the planned action. It finds its block from the position of its view in the
/// input: `base` is the input's data, blocks hold `block_sites` sites (rows_per_block ×
/// row_elems of the partition in use). Only for clip boundaries (views point into input).
struct PlannedKernel {
  const std::int8_t* base = nullptr;
  std::size_t block_sites = 1;
  std::map<std::size_t, Action> plan;

  [[nodiscard]] std::size_t block_of(dashi::TernaryView in) const noexcept {
    return static_cast<std::size_t>(in.data() - base) / block_sites;
  }

  void operator()(dashi::TernaryView in, dashi::TernarySpan out) const {
    const std::size_t block = block_of(in);
    for (std::size_t i = 0; i < in.size(); ++i) {
      out.data()[i] = static_cast<std::int8_t>(-in.value(i));
    }
    const auto it = plan.find(block);
    if (it == plan.end()) {
      return;
    }
    switch (it->second) {
      case Action::throw_runtime_error:
        throw std::runtime_error(expected_message(it->second, block));
      case Action::throw_out_of_range:
        throw std::out_of_range(expected_message(it->second, block));
      case Action::throw_block_failure:
        throw BlockFailure{block};
      case Action::throw_int:
        throw static_cast<int>(block);
      case Action::create_support:
        for (std::size_t i = 0; i < in.size(); ++i) {
          if (in.value(i) == 0) {
            out.data()[i] = 1;
            break;
          }
        }
        return;
      case Action::write_non_trit:
        out.data()[0] = 5;
        return;
    }
  }
};

/// Global index of the site `PlannedKernel` corrupts in `block` for a contract action
/// (first core site with input 0 for create_support, first core site for write_non_trit).
inline std::optional<std::size_t> planned_violation_site(dashi::TernaryView input,
                                                         std::size_t block_sites, std::size_t block,
                                                         Action action) {
  const std::size_t first = block * block_sites;
  const std::size_t end = std::min(input.size(), first + block_sites);
  if (action == Action::write_non_trit) {
    return first;
  }
  for (std::size_t i = first; i < end; ++i) {
    if (input.value(i) == 0) {
      return i;
    }
  }
  return std::nullopt;
}
}  // namespace dashi_test
