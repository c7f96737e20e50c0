// SPDX-License-Identifier: Apache-2.0
#pragma once

/// @file
/// The shared input cache: the input of a group of rows, generated once with the output
/// buffers every row of the group writes into, the input in PQ form, and the reference
/// fingerprints (the monolithic `apply_kernel` result) every timed result is checked against.

#include <cstddef>
#include <cstdint>
#include <dashi/carrier.hpp>
#include <map>
#include <optional>
#include <tuple>

#include "iterated.hpp"
#include "kernels.hpp"
#include "workloads.hpp"

#if __has_include(<dashi/pq/codec.hpp>)
#  include <dashi/pq/codec.hpp>
#  define DASHI_BENCH_HAVE_PQ 1
#else
#  define DASHI_BENCH_HAVE_PQ 0
#endif

namespace dashi_bench {

/// (workload, N, sparsity): what identifies an input.
using InputKey = std::tuple<Workload, std::size_t, double>;

/// Holds the input of the rows running now; a new key frees the previous input first. The
/// output buffers are allocated and touched with the input, so that no row's time depends
/// on where its own allocation landed (page faults, huge pages). Not thread-safe.
class InputCache {
 public:
  explicit InputCache(std::uint64_t seed) : seed_(seed) {}

  /// The input of `key`, 1-D.
  const dashi::TernaryField& input(const InputKey& key) {
    if (!key_ || *key_ != key) {
      input_ = dashi::TernaryField();
      output_ = dashi::TernaryField();
      spare_ = dashi::TernaryField();
#if DASHI_BENCH_HAVE_PQ
      packed_.clear();
#endif
      input_ = make_workload(std::get<0>(key), std::get<1>(key), std::get<2>(key), seed_);
      output_ = dashi::TernaryField::zeros(input_.shape());
      key_ = key;
    }
    return input_;
  }

  /// The input seen in the shape `kernel` runs on (`shape_for`).
  dashi::TernaryView view(const InputKey& key, KernelId kernel) {
    const dashi::TernaryField& in = input(key);
    return dashi::TernaryView::unchecked(in.data(), shape_for(kernel, in.size()));
  }

  /// The output buffer of the group, in the shape `kernel` runs on.
  dashi::TernarySpan output(const InputKey& key, KernelId kernel) {
    (void)input(key);
    return dashi::TernarySpan::unchecked(output_.data(), shape_for(kernel, output_.size()));
  }

  /// A second buffer (the ping-pong of the iterated suite, the decode target of the PQ
  /// rows), allocated on first use.
  dashi::TernarySpan spare(const InputKey& key, KernelId kernel) {
    (void)input(key);
    if (spare_.size() != input_.size()) {
      spare_ = dashi::TernaryField::zeros(input_.shape());
    }
    return dashi::TernarySpan::unchecked(spare_.data(), shape_for(kernel, spare_.size()));
  }

  /// Fingerprint of the monolithic reference: `kernel` applied `steps` times with
  /// `dashi::apply_kernel` (0 steps: the input itself). Computed once per key.
  std::uint64_t reference(const InputKey& key, KernelId kernel, std::size_t steps = 1) {
    const auto full = std::tuple_cat(key, std::make_tuple(kernel, steps));
    if (const auto it = references_.find(full); it != references_.end()) {
      return it->second;
    }
    const dashi::TernaryView in = view(key, kernel);
    std::uint64_t hash = 0;
    with_kernel(kernel, [&](const auto& k) {
      hash = dashi::fingerprint(monolithic_steps(k, in, steps).view());
    });
    references_.emplace(full, hash);
    return hash;
  }

#if DASHI_BENCH_HAVE_PQ
  /// The input in PQ form with codec blocks of `block_sites` (encoded untimed, once).
  const dashi::pq::PackedField& packed(const InputKey& key, std::uint32_t block_sites) {
    const dashi::TernaryField& in = input(key);
    auto it = packed_.find(block_sites);
    if (it == packed_.end()) {
      it = packed_
               .emplace(block_sites, dashi::pq::encode(
                                         in.view(), {.block_sites = block_sites, .num_workers = 0}))
               .first;
    }
    return it->second;
  }
#endif

 private:
  std::uint64_t seed_;
  std::optional<InputKey> key_;
  dashi::TernaryField input_;
  dashi::TernaryField output_;
  dashi::TernaryField spare_;
  std::map<std::tuple<Workload, std::size_t, double, KernelId, std::size_t>, std::uint64_t>
      references_;
#if DASHI_BENCH_HAVE_PQ
  std::map<std::uint32_t, dashi::pq::PackedField> packed_;
#endif
};

}  // namespace dashi_bench
