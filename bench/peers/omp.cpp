// SPDX-License-Identifier: Apache-2.0
// The OpenMP peers (compiled in when CMake finds OpenMP): `#pragma omp parallel` with one
// contiguous share of the rows per thread running the shipped inner loop (peer_omp), the
// plain loop a user writes in the same static shares (peer_omp_plain), and an empty region.

#include <omp.h>

#include "../runner.hpp"
#include "plain.hpp"
#include "same_loop.hpp"

namespace dashi_bench {
namespace {

void peer_omp(benchmark::State& state, const Case& c) {
  dense_row(state, c, [&](const auto& kernel, auto in, auto out) {
    const std::size_t rows = in.shape().rows();
#pragma omp parallel num_threads(static_cast <int>(c.threads))
    {
      const peers::RowRange share = peers::share_of(rows, std::size_t(omp_get_thread_num()),
                                                    std::size_t(omp_get_num_threads()));
      peers::apply_rows(kernel, in, out, share.first, share.count);
    }
  });
}

void peer_omp_plain(benchmark::State& state, const Case& c) {
  dense_row(state, c, [&](const auto&, auto in, auto out) {
#pragma omp parallel num_threads(static_cast <int>(c.threads))
    {
      const peers::RowRange share = peers::share_of(in.size(), std::size_t(omp_get_thread_num()),
                                                    std::size_t(omp_get_num_threads()));
      peers::plain_range(c.kernel, in.data(), out.data(), share.first, share.first + share.count);
    }
  });
}

const Registrar omp_families{
    families({{"peer_omp", Threads::peers, false, true, peer_omp},
              {"peer_omp_plain", Threads::peers, false, false, peer_omp_plain}})};
const Registrar omp_rows{[](const Tier&) {
  add_dispatch("peer_omp_empty", [] {
#pragma omp parallel num_threads(2)
    {
      asm volatile("" ::: "memory");  // keeps the compiler from dropping the empty region
    }
  });
}};

}  // namespace
}  // namespace dashi_bench
