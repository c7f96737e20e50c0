// SPDX-License-Identifier: Apache-2.0
// dense-1t and dense-mt: the shipped kernel on the calling thread and through the executor;
// beside them the same inner loop over the executor's blocks on the calling thread
// (peer_serial), the plain loop a user writes (peer_plain), memcpy for the copy bandwidth,
// and dispatch + join of an empty kernel.

#include <cstring>
#include <dashi/execution/cpu_parallel.hpp>
#include <dashi/partition.hpp>

#include "../peers/plain.hpp"
#include "../peers/same_loop.hpp"
#include "../runner.hpp"

namespace dashi_bench {
namespace {

void dense_1t(benchmark::State& state, const Case& c) {
  dense_row(state, c, [](const auto& kernel, auto in, auto out) { kernel(in, out); });
}

void dense_mt(benchmark::State& state, const Case& c) {
  const dashi::ParallelOptions options{.num_workers = c.threads, .block_elems = c.block};
  dense_row(state, c, [&](const auto& kernel, auto in, auto out) {
    dashi::run_kernel_parallel(pool(), kernel, in, out, options);
  });
}

void peer_serial(benchmark::State& state, const Case& c) {
  const dashi::Partition partition(shape_for(c.kernel, c.n), 0);
  dense_row(state, c, [&](const auto& kernel, auto in, auto out) {
    for (std::size_t i = 0; i < partition.block_count(); ++i) {
      const dashi::Block block = partition.block(i, 0);
      peers::apply_rows(kernel, in, out, block.first_row, block.row_count);
    }
  });
}

void peer_plain(benchmark::State& state, const Case& c) {
  dense_row(state, c, [&](const auto&, auto in, auto out) {
    peers::plain_range(c.kernel, in.data(), out.data(), 0, in.size());
  });
}

/// An into-kernel that does nothing: what is left is dispatch and join.
struct EmptyKernel {
  void operator()(dashi::TernaryView /*in*/, dashi::TernarySpan /*out*/) const noexcept {}
};

const Registrar dense_families{families({{"dense_1t", Threads::one, false, true, dense_1t},
                                         {"dense_mt", Threads::many, false, true, dense_mt},
                                         {"peer_serial", Threads::one, false, true, peer_serial},
                                         {"peer_plain", Threads::one, false, false, peer_plain}})};

const Registrar dense_rows{[](const Tier& tier) {
  add(  // memcpy of N bytes on one thread: the copy bandwidth
      "memcpy",
      [](benchmark::State& state) {
        const auto n = std::size_t(state.range(0));
        Input& in = input_of({Workload::random_sparse, n, 0.5});
        timed(state, double(n), 2.0 * double(n),
              [&](Phases&) { std::memcpy(in.out.data(), in.in.data(), n); });
      },
      {"N"}, {tier.sizes});
  // run_kernel_parallel of the empty kernel, N = 2^16 in 2 blocks on 2 threads (the caller
  // and one warm worker).
  add_dispatch("dispatch_empty", [] {
    static const dashi::TernaryField in = dashi::TernaryField::zeros(dashi::Shape{1U << 16});
    static dashi::TernaryField out = dashi::TernaryField::zeros(in.shape());
    dashi::run_kernel_parallel(
        pool(), EmptyKernel{}, in.view(), out.span(),
        {.num_workers = 2, .block_elems = std::size_t{1} << 15, .check_contract = false});
  });
}};

}  // namespace
}  // namespace dashi_bench
