// SPDX-License-Identifier: Apache-2.0
#pragma once

/// @file
/// Defect and MDL, exact and deterministic: `defect_local`, `defect_aggregate` (the L1
/// defect `sum |pre - post|`), `is_fixed_point`, `mdl_score` and `mdl_compare`.

#include <cstddef>
#include <cstdint>
#include <dashi/carrier.hpp>
#include <dashi/detail/byte_simd.hpp>
#include <dashi/execution/cpu_parallel.hpp>
#include <dashi/execution/reduce.hpp>
#include <dashi/kernel.hpp>
#include <string>
#include <vector>

namespace dashi {

namespace detail {
inline void check_same_shape(const char* where, TernaryView pre, TernaryView post) {
  if (!(pre.shape() == post.shape())) {
    throw CarrierError(std::string(where) + ": defect requires matching shapes, got " +
                       pre.shape().to_string() + " and " + post.shape().to_string());
  }
}
}  // namespace detail

/// Local defect `|pre[i] - post[i]|` per site (0, 1 or 2), row-major. Throws `CarrierError`
/// when the shapes differ, `std::bad_alloc`. Thread-safe.
[[nodiscard]] inline std::vector<std::uint8_t> defect_local(TernaryView pre, TernaryView post) {
  detail::check_same_shape("dashi::defect_local", pre, post);
  std::vector<std::uint8_t> local(pre.size());
  for (std::size_t i = 0; i < local.size(); ++i) {
    const int d = pre.value(i) - post.value(i);
    local[i] = static_cast<std::uint8_t>(d < 0 ? -d : d);
  }
  return local;
}

/// Exact L1 defect `sum |pre - post|`: an integer sum, so it is the same whatever the order
/// (computed block-parallel on `default_thread_pool()`). Throws `CarrierError` when the
/// shapes differ, `std::bad_alloc`, and `std::system_error` when the default pool's workers,
/// started by the first call that needs them, cannot start. Thread-safe.
[[nodiscard]] inline std::uint64_t defect_aggregate(TernaryView pre, TernaryView post) {
  detail::check_same_shape("dashi::defect_aggregate", pre, post);
  const std::int8_t* post_data = post.data();
  const std::int8_t* pre_data = pre.data();
  return reduce_parallel(
      pre,
      [&](TernaryView block) {
        const auto offset = static_cast<std::size_t>(block.data() - pre_data);
        return detail::l1_distance(block.data(), post_data + offset, block.size());
      },
      [](std::uint64_t a, std::uint64_t b) { return a + b; }, std::uint64_t{0});
}

/// True when `kernel` leaves `x` unchanged (zero defect), computed with
/// `run_kernel_parallel(kernel, x, options)`. Throws like `run_kernel_parallel`.
template <class K>
[[nodiscard]] bool is_fixed_point(const K& kernel, TernaryView x,
                                  const ParallelOptions& options = {}) {
  static_assert(AnyKernel<K>, DASHI_KERNEL_REQUIREMENT);
  return run_kernel_parallel(kernel, x, options).view() == x;
}

/// MDL score: `double(support) + double(non-zero signs) * 0.01`, evaluated in that order
/// so that it matches the original Python `mdl.score` bit for bit. Lower is preferred.
/// Non-negative; O(n); thread-safe.
[[nodiscard]] inline double mdl_score(TernaryView x) noexcept {
  const auto support = static_cast<double>(x.count_support());
  const auto signs = static_cast<double>(x.count_support());  // sign != 0 exactly on support
  return support + signs * 0.01;
}

/// Outcome of `mdl_compare`.
enum class MdlChoice {
  a,   ///< the first carrier has the lower score
  b,   ///< the second carrier has the lower score
  tie  ///< equal scores
};

/// The preferred carrier by MDL (lower score), or `tie` when the scores are equal:
/// deterministic, like the Python `mdl.compare` ("A", "B", "tie").
[[nodiscard]] inline MdlChoice mdl_compare(TernaryView a, TernaryView b) noexcept {
  const double score_a = mdl_score(a);
  const double score_b = mdl_score(b);
  if (score_a < score_b) {
    return MdlChoice::a;
  }
  return score_b < score_a ? MdlChoice::b : MdlChoice::tie;
}

}  // namespace dashi
