// SPDX-License-Identifier: Apache-2.0
#pragma once

/// @file
/// Shared helpers of the test suite: seeded random fields of any shape and sparsity,
/// block orders, periodic padding built by hand, readable comparisons, and test kernels
/// (stencils, a functional-form kernel, kernels that throw or break the contract on
/// chosen blocks).

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <dashi/carrier.hpp>
#include <dashi/execution/cpu_parallel.hpp>
#include <dashi/kernel.hpp>
#include <dashi/partition.hpp>
#include <initializer_list>
#include <map>
#include <optional>
#include <span>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "support/compare.hpp"
#include "support/seeded.hpp"

namespace dashi_test {

using dashi::Shape;
using dashi::TernaryField;
using dashi::TernarySpan;
using dashi::TernaryView;

// ---------------------------------------------------------------------------------------
// Fields (randomness: support/seeded.hpp, so fields are identical on every platform).

/// Shape from a run-time list of extents.
inline Shape make_shape(std::initializer_list<std::size_t> extents) {
  return Shape::from_extents(std::span<const std::size_t>(extents.begin(), extents.size()));
}

/// Random values of `count` sites: 0 with probability `sparsity`, else ±1 with equal odds.
inline std::vector<std::int8_t> random_values(std::size_t count, double sparsity,
                                              std::uint64_t seed) {
  Rng rng(seed);
  std::vector<std::int8_t> values(count);
  for (auto& v : values) {
    if (rng.unit() < sparsity) {
      v = 0;
    } else {
      v = (rng.next() & 1U) != 0 ? std::int8_t{1} : std::int8_t{-1};
    }
  }
  return values;
}

/// Seeded random field of `shape` (see `random_values`).
inline TernaryField random_field(const Shape& shape, double sparsity, std::uint64_t seed) {
  const auto values = random_values(shape.size(), sparsity, seed);
  return TernaryField::from_signed(std::span<const std::int8_t>(values), shape);
}

// ---------------------------------------------------------------------------------------
// Block orders.

inline std::vector<std::size_t> forward_order(std::size_t n) {
  std::vector<std::size_t> order(n);
  for (std::size_t i = 0; i < n; ++i) {
    order[i] = i;
  }
  return order;
}

inline std::vector<std::size_t> reversed_order(std::size_t n) {
  auto order = forward_order(n);
  std::reverse(order.begin(), order.end());
  return order;
}

/// Fisher–Yates shuffle of `[0, n)` with a portable generator.
inline std::vector<std::size_t> shuffled_order(std::size_t n, std::uint64_t seed) {
  auto order = forward_order(n);
  Rng rng(seed);
  for (std::size_t i = n; i > 1; --i) {
    std::swap(order[i - 1], order[rng.below(i)]);
  }
  return order;
}

struct NamedOrder {
  std::string name;
  std::vector<std::size_t> order;
};

/// The submission orders of the sweeps: forward, reversed and three seeded shuffles.
inline std::vector<NamedOrder> block_orders(std::size_t blocks) {
  std::vector<NamedOrder> orders;
  orders.push_back({"forward", forward_order(blocks)});
  orders.push_back({"reversed", reversed_order(blocks)});
  for (std::uint64_t seed = 1; seed <= 3; ++seed) {
    orders.push_back({"shuffle" + std::to_string(seed), shuffled_order(blocks, seed)});
  }
  return orders;
}

// ---------------------------------------------------------------------------------------
// Comparisons and descriptions.

inline std::string describe(const dashi::ParallelOptions& options) {
  std::ostringstream out;
  out << "num_workers=" << options.num_workers << " block_elems=" << options.block_elems
      << " halo=";
  if (options.halo) {
    out << *options.halo;
  } else {
    out << "radius";
  }
  out << " check_contract=" << options.check_contract
      << " boundary=" << (options.boundary == dashi::Boundary::clip ? "clip" : "periodic");
  return out.str();
}

/// The number written right after `word + " "` in `text`, if any (e.g. "block 12").
inline std::optional<std::size_t> number_after(const std::string& text, const std::string& word) {
  const std::string key = word + " ";
  std::size_t pos = text.find(key);
  while (pos != std::string::npos) {
    const std::size_t start = pos + key.size();
    std::size_t end = start;
    while (end < text.size() && text[end] >= '0' && text[end] <= '9') {
      ++end;
    }
    if (end > start) {
      return static_cast<std::size_t>(std::stoull(text.substr(start, end - start)));
    }
    pos = text.find(key, pos + 1);
  }
  return std::nullopt;
}

// ---------------------------------------------------------------------------------------
// Periodic padding and cropping, written independently of the executor.

/// `field` padded along axis 0 by `halo` rows on each side, wrapping around:
/// padded row p is field row (p - halo) mod rows.
inline TernaryField pad_periodic(TernaryView field, std::size_t halo) {
  const std::size_t rows = field.shape().rows();
  const std::size_t row_elems = field.shape().row_elems();
  const std::size_t padded_rows = rows + 2 * halo;
  std::vector<std::int8_t> values;
  values.reserve(padded_rows * row_elems);
  for (std::size_t p = 0; p < padded_rows; ++p) {
    // (p - halo) mod rows, computed with signed arithmetic for clarity.
    const long long signed_row = static_cast<long long>(p) - static_cast<long long>(halo);
    const long long r =
        ((signed_row % static_cast<long long>(rows)) + static_cast<long long>(rows)) %
        static_cast<long long>(rows);
    const auto row = field.values().subspan(static_cast<std::size_t>(r) * row_elems, row_elems);
    values.insert(values.end(), row.begin(), row.end());
  }
  return TernaryField::from_signed(std::span<const std::int8_t>(values),
                                   field.shape().with_rows(padded_rows));
}

/// A copy of rows `[first, first + count)` of `field`.
inline TernaryField copy_rows(TernaryView field, std::size_t first, std::size_t count) {
  const auto sub = field.rows(first, count);
  return TernaryField::from_signed(sub.values(), sub.shape());
}

/// Reference result of `kernel` under `Boundary::periodic` with `halo`: the kernel applied
/// to the periodically padded field, then cropped back.
template <class K>
TernaryField periodic_reference(const K& kernel, TernaryView field, std::size_t halo) {
  if (field.size() == 0) {
    return dashi::apply_kernel(kernel, field);
  }
  const TernaryField padded = pad_periodic(field, halo);
  const TernaryField result = dashi::apply_kernel(kernel, padded.view());
  return copy_rows(result.view(), halo, field.shape().rows());
}

// ---------------------------------------------------------------------------------------
// Test kernels. All are pure and thread-safe unless stated.

inline std::int8_t sign_of(int v) noexcept { return static_cast<std::int8_t>((v > 0) - (v < 0)); }

/// Radius-2 stencil along axis 0 for any rank: on support, the sign of a weighted,
/// deliberately asymmetric sum of the axis-0 neighbours at distance ≤ 2 (missing neighbours
/// beyond the view's edges count 0); off support 0.
struct AxisStencil2 {
  static constexpr std::size_t radius = 2;
  void operator()(TernaryView in, TernarySpan out) const noexcept {
    static constexpr int weights[5] = {1, -1, 1, 2, -1};  // offsets -2..+2
    const std::size_t stride = in.shape().row_elems();
    const std::size_t n = in.size();
    const std::int8_t* s = in.data();
    for (std::size_t i = 0; i < n; ++i) {
      if (s[i] == 0) {
        out.data()[i] = 0;
        continue;
      }
      int sum = 0;
      for (int d = -2; d <= 2; ++d) {
        const long long j = static_cast<long long>(i) + d * static_cast<long long>(stride);
        if (j >= 0 && j < static_cast<long long>(n)) {
          sum += weights[d + 2] * s[static_cast<std::size_t>(j)];
        }
      }
      out.data()[i] = sign_of(sum);
    }
  }
};

/// Radius-1 cross stencil for any rank: on support, the sign of the sum of the four
/// neighbours (previous/next axis-0 slice at the same position, previous/next site inside
/// the slice), keeping the site's own value on a tie; off support 0.
struct CrossStencil {
  static constexpr std::size_t radius = 1;
  void operator()(TernaryView in, TernarySpan out) const noexcept {
    const std::size_t stride = in.shape().row_elems();
    const std::size_t n = in.size();
    const std::int8_t* s = in.data();
    for (std::size_t i = 0; i < n; ++i) {
      if (s[i] == 0) {
        out.data()[i] = 0;
        continue;
      }
      const std::size_t col = i % stride;
      int sum = 0;
      sum += i >= stride ? s[i - stride] : 0;
      sum += i + stride < n ? s[i + stride] : 0;
      sum += col > 0 ? s[i - 1] : 0;
      sum += col + 1 < stride ? s[i + 1] : 0;
      out.data()[i] = sum == 0 ? s[i] : sign_of(sum);
    }
  }
};

/// Radius-0 into kernel that reads along its axis-0 slice (a row of `row_elems` sites):
/// on support, the sign of the site plus its previous and next site inside the same slice,
/// keeping the site's value on a tie; off support 0. It does not declare
/// `contract_proven`, so the executor checks its blocks (piece by piece for radius 0).
struct RowMajority {
  void operator()(TernaryView in, TernarySpan out) const noexcept {
    const std::size_t stride = in.shape().row_elems();
    const std::size_t n = in.size();
    const std::int8_t* s = in.data();
    for (std::size_t i = 0; i < n; ++i) {
      if (s[i] == 0) {
        out.data()[i] = 0;
        continue;
      }
      const std::size_t col = i % stride;
      const int sum = s[i] + (col > 0 ? s[i - 1] : 0) + (col + 1 < stride ? s[i + 1] : 0);
      out.data()[i] = sum == 0 ? s[i] : sign_of(sum);
    }
  }
};

/// Functional-form kernel of radius 1: `out[i] = s[i] * s[i + stride]` (the next axis-0
/// slice), with 1 in place of the missing neighbour past the view's last slice.
struct FunctionalRightProduct {
  static constexpr std::size_t radius = 1;
  TernaryField operator()(TernaryView in) const {
    TernaryField out = TernaryField::uninitialized(in.shape());
    const std::size_t stride = in.shape().row_elems();
    const std::size_t n = in.size();
    const std::int8_t* s = in.data();
    for (std::size_t i = 0; i < n; ++i) {
      const int right = i + stride < n ? s[i + stride] : 1;
      out.data()[i] = static_cast<std::int8_t>(s[i] * right);
    }
    return out;
  }
};

/// Functional-form SignFlip (radius 0).
struct FunctionalSignFlip {
  TernaryField operator()(TernaryView in) const {
    TernaryField out = TernaryField::uninitialized(in.shape());
    for (std::size_t i = 0; i < in.size(); ++i) {
      out.data()[i] = static_cast<std::int8_t>(-in.value(i));
    }
    return out;
  }
};

// Mock kernels of the Python reference (dashi_core/testing/mock_kernels.py).

/// Identity (idempotent).
struct IdentityKernel {
  void operator()(TernaryView in, TernarySpan out) const noexcept {
    std::copy_n(in.data(), in.size(), out.data());
  }
};

/// All sites to 0 (idempotent).
struct ZeroKernel {
  void operator()(TernaryView in, TernarySpan out) const noexcept {
    std::fill_n(out.data(), in.size(), std::int8_t{0});
  }
};

/// Clears the first supported site in row-major order (contractive, not idempotent, not
/// local: only for monolithic use).
struct OneStepErodeKernel {
  TernaryField operator()(TernaryView in) const {
    TernaryField out = TernaryField::from_signed(in.values(), in.shape());
    for (std::size_t i = 0; i < in.size(); ++i) {
      if (in.value(i) != 0) {
        out.data()[i] = 0;
        break;
      }
    }
    return out;
  }
};

/// Copy (admissibility-neutral, idempotent).
struct AdmissibilityNeutralKernel {
  TernaryField operator()(TernaryView in) const {
    return TernaryField::from_signed(in.values(), in.shape());
  }
};

/// Returns a 1-D field of `in.size() + 1` sites: a shape drift.
struct WrongShapeKernel {
  TernaryField operator()(TernaryView in) const {
    return TernaryField::zeros(Shape{in.size() + 1});
  }
};

/// Writes +1 on every site: creates support wherever the input is 0.
struct FillOnesKernel {
  void operator()(TernaryView in, TernarySpan out) const noexcept {
    std::fill_n(out.data(), in.size(), std::int8_t{1});
  }
};

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

  [[nodiscard]] std::size_t block_of(TernaryView in) const noexcept {
    return static_cast<std::size_t>(in.data() - base) / block_sites;
  }

  void operator()(TernaryView in, TernarySpan out) const {
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
inline std::optional<std::size_t> planned_violation_site(TernaryView input, std::size_t block_sites,
                                                         std::size_t block, Action action) {
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

// ---------------------------------------------------------------------------------------
// Concurrency observation (never a timing assertion: waits only give other threads the
// chance to show up, and the tests assert upper bounds or eventual progress).

/// Counts how many threads are inside `enter` at once and keeps the maximum seen.
class ConcurrencyProbe {
 public:
  /// Marks a thread as active, waits until `target` threads are active (or `patience`
  /// passes), stays `hold` longer so that threads over a cap would be seen, then leaves.
  void enter(std::size_t target, std::chrono::microseconds patience,
             std::chrono::microseconds hold) {
    const std::size_t now = active_.fetch_add(1) + 1;
    std::size_t seen = max_.load();
    while (now > seen && !max_.compare_exchange_weak(seen, now)) {
    }
    const auto deadline = std::chrono::steady_clock::now() + patience;
    while (active_.load() < target && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::yield();
    }
    std::this_thread::sleep_for(hold);
    active_.fetch_sub(1);
  }
  [[nodiscard]] std::size_t max_active() const noexcept { return max_.load(); }

 private:
  std::atomic<std::size_t> active_{0};
  std::atomic<std::size_t> max_{0};
};

}  // namespace dashi_test
