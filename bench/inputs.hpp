// SPDX-License-Identifier: Apache-2.0
#pragma once

/// @file
/// What the bench runs on: the seeded workloads (SplitMix64, the same bytes on every
/// machine), the kernels by id, and the input cache with the reference fingerprints (the
/// monolithic `apply_kernel` result) every timed output is checked against.

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <dashi/bits.hpp>
#include <dashi/carrier.hpp>
#include <dashi/kernel.hpp>
#include <dashi/kernels/rule1d.hpp>
#include <dashi/kernels/totalistic2d.hpp>
#include <dashi/pq/codec.hpp>
#include <list>
#include <map>
#include <span>
#include <tuple>

namespace dashi_bench {

enum class Workload : std::uint8_t { random_sparse, clustered_sparse };
inline constexpr const char* workload_names[] = {"random_sparse", "clustered_sparse"};

/// Kernels by id; the 2-D ones run on N / 1000 × 1000 fields.
enum class KernelId : std::uint8_t {
  sign_flip,
  clamp,
  left_neighbor,
  majority3x3,
  rule1d,
  totalistic2d
};
inline constexpr const char* kernel_names[] = {"sign_flip",   "clamp",     "left_neighbor",
                                               "majority3x3", "rule1d_r1", "totalistic2d"};

[[nodiscard]] inline dashi::Shape shape_for(KernelId k, std::size_t n) {
  const bool two_d = k == KernelId::majority3x3 || k == KernelId::totalistic2d;
  return two_d ? dashi::Shape{n / 1000, 1000} : dashi::Shape{n};
}

/// `n` sites of workload `w`: random_sparse draws each site (0 with probability `sparsity`,
/// else ±1), clustered_sparse draws runs of 8 sites sharing one value. SplitMix64 streams,
/// so the field is the same on every machine and compiler.
[[nodiscard]] inline dashi::TernaryField make_workload(Workload w, std::size_t n, double sparsity,
                                                       std::uint64_t seed) {
  std::uint64_t state =
      seed * 0xD1B54A32D192ED03ULL + (w == Workload::random_sparse ? 0x1234 : 0x5678);
  auto next = [&state] {
    std::uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  };
  const auto threshold = static_cast<std::uint64_t>(sparsity * 4294967296.0);
  const std::size_t run = w == Workload::random_sparse ? 1 : 8;
  dashi::TernaryField field = dashi::TernaryField::uninitialized(dashi::Shape{n});
  for (std::size_t first = 0; first < n; first += run) {
    const std::uint64_t r = next();
    const auto value = (r >> 32) < threshold ? std::int8_t{0} : std::int8_t((r & 1U) != 0 ? 1 : -1);
    std::fill(field.data() + first, field.data() + std::min(n, first + run), value);
  }
  return field;
}

/// Majority-style rule tables: on support the sign of the site plus its neighbours.
[[nodiscard]] inline const dashi::kernels::Rule1D<1>& rule1d_kernel() {
  static const dashi::kernels::Rule1D<1> kernel = [] {
    std::array<std::int8_t, 27> t{};
    for (int i = 0; i < 27; ++i) {
      const int l = i / 9 - 1, c = i / 3 % 3 - 1, r = i % 3 - 1, sum = l + c + r;
      t[static_cast<std::size_t>(i)] = std::int8_t(c == 0 ? 0 : (sum > 0) - (sum < 0));
    }
    return dashi::kernels::Rule1D<1>(std::span<const std::int8_t>(t));
  }();
  return kernel;
}
[[nodiscard]] inline const dashi::kernels::Totalistic2D& totalistic2d_kernel() {
  static const dashi::kernels::Totalistic2D kernel = [] {
    std::array<std::int8_t, 51> t{};
    for (int i = 0; i < 51; ++i) {
      const int x = i / 17 - 1, total = x + i % 17 - 8;
      t[static_cast<std::size_t>(i)] = std::int8_t(x == 0 ? 0 : (total > 0) - (total < 0));
    }
    return dashi::kernels::Totalistic2D(std::span<const std::int8_t>(t));
  }();
  return kernel;
}

/// Calls `f` with the shipped kernel object of `id`.
template <class F>
decltype(auto) with_kernel(KernelId id, F&& f) {
  switch (id) {
    case KernelId::sign_flip:
      return f(dashi::kernels::SignFlip{});
    case KernelId::clamp:
      return f(dashi::kernels::Clamp{});
    case KernelId::left_neighbor:
      return f(dashi::kernels::LeftNeighbor{});
    case KernelId::majority3x3:
      return f(dashi::kernels::Majority3x3{});
    case KernelId::rule1d:
      return f(rule1d_kernel());
    default:
      return f(totalistic2d_kernel());
  }
}

/// One input with the buffers every row on it writes into (allocated and touched with the
/// input, so no row's time depends on where its own allocation landed) and its PQ forms.
struct Input {
  dashi::TernaryField in, out, spare;
  std::map<std::uint32_t, dashi::pq::PackedField> packed;  ///< by codec block
  std::map<bool, dashi::bits::BitField> planes;            ///< by 2-D or not
  dashi::bits::BitField planes_out;

  [[nodiscard]] dashi::TernaryView view(KernelId k) const {
    return dashi::TernaryView::unchecked(in.data(), shape_for(k, in.size()));
  }
  [[nodiscard]] dashi::TernarySpan span(dashi::TernaryField& f, KernelId k) {
    return dashi::TernarySpan::unchecked(f.data(), shape_for(k, f.size()));
  }
  /// The input in bit planes for kernel `k`'s shape, and an output of that shape (untimed,
  /// once per shape).
  const dashi::bits::BitField& bits_in(KernelId k) {
    const dashi::Shape shape = shape_for(k, in.size());
    auto it = planes.find(shape.rank() == 2);
    if (it == planes.end()) {
      it = planes.emplace(shape.rank() == 2, dashi::bits::pack(view(k))).first;
    }
    if (!(planes_out.shape() == shape)) {
      planes_out = dashi::bits::BitField::zeros(shape);
    }
    return it->second;
  }
  /// The input encoded (untimed, once per codec block).
  const dashi::pq::PackedField& pq(std::uint32_t block_sites) {
    auto it = packed.find(block_sites);
    if (it == packed.end()) {
      it = packed.emplace(block_sites, dashi::pq::encode(in.view(), {.block_sites = block_sites}))
               .first;
    }
    return it->second;
  }
};

/// The inputs of the rows, kept while they fit in `budget_bytes` (least recently used
/// evicted first: with random interleaving rows of many inputs alternate), and the
/// reference fingerprints, kept for good. Not thread-safe.
class InputCache {
 public:
  using Key = std::tuple<Workload, std::size_t, double>;
  InputCache(std::uint64_t seed, std::size_t budget_bytes) : seed_(seed), budget_(budget_bytes) {}

  Input& get(const Key& key) {
    auto it = std::find_if(lru_.begin(), lru_.end(), [&](const auto& e) { return e.first == key; });
    if (it != lru_.end()) {
      lru_.splice(lru_.begin(), lru_, it);
      return lru_.front().second;
    }
    const std::size_t n = std::get<1>(key);
    while (!lru_.empty() && bytes_ + 4 * n > budget_) {
      bytes_ -= 4 * lru_.back().second.in.size();
      lru_.pop_back();
    }
    Input& input = lru_.emplace_front(key, Input{}).second;
    input.in = make_workload(std::get<0>(key), n, std::get<2>(key), seed_);
    input.out = dashi::TernaryField::zeros(dashi::Shape{n});
    input.spare = dashi::TernaryField::zeros(dashi::Shape{n});
    bytes_ += 4 * n;
    return input;
  }

  /// Fingerprint of `kernel` applied `steps` times with `dashi::apply_kernel`.
  std::uint64_t reference(const Key& key, KernelId kernel, std::size_t steps = 1) {
    const auto full = std::tuple_cat(key, std::make_tuple(kernel, steps));
    if (const auto it = refs_.find(full); it != refs_.end()) {
      return it->second;
    }
    dashi::TernaryField state =
        dashi::TernaryField::uninitialized(shape_for(kernel, std::get<1>(key)));
    const dashi::TernaryField& in = get(key).in;
    std::copy_n(in.data(), in.size(), state.data());
    with_kernel(kernel, [&](const auto& k) {
      for (std::size_t s = 0; s < steps; ++s) {
        state = dashi::apply_kernel(k, state.view());
      }
    });
    return refs_[full] = dashi::fingerprint(state.view());
  }

 private:
  std::uint64_t seed_;
  std::size_t budget_;
  std::size_t bytes_ = 0;
  std::list<std::pair<Key, Input>> lru_;
  std::map<std::tuple<Workload, std::size_t, double, KernelId, std::size_t>, std::uint64_t> refs_;
};

}  // namespace dashi_bench
