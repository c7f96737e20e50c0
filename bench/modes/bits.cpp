// SPDX-License-Identifier: Apache-2.0
// bits-1t and bits-mt: the input in bit planes (support and sign), the kernel's bit-sliced
// form on the calling thread and through the executor's plane overload, planes in -> planes
// out (2 bits a site each way); and pack / unpack, the way between bytes and planes, alone.

#include <dashi/bits.hpp>

#include "../runner.hpp"

namespace dashi_bench {
namespace {

/// A plane row: `call(kernel, in, out)` timed on the case's input in planes (a quarter of a
/// byte per site in and out), its output checked against the dense reference.
template <class Call>
void bits_row(benchmark::State& state, const Case& c, Call&& call) {
  const std::uint64_t ref = globals().inputs->reference(c.key(), c.kernel);
  Input& input = globals().inputs->get(c.key());
  const dashi::bits::BitView in = input.bits_in(c.kernel).view();
  const dashi::bits::BitSpan out = input.planes_out.span();
  with_kernel(c.kernel, [&](const auto& kernel) {
    timed(state, double(c.n), 0.5 * double(c.n), [&](Phases&) {
      call(kernel, in, out);
      benchmark::DoNotOptimize(out.support_data());
    });
  });
  check(state, dashi::bits::fingerprint(out.view()), ref);
}

void bits_1t(benchmark::State& state, const Case& c) {
  bits_row(state, c, [](const auto& kernel, auto in, auto out) { kernel.bits(in, out); });
}

void bits_mt(benchmark::State& state, const Case& c) {
  const dashi::ParallelOptions options{.num_workers = c.threads, .block_elems = c.block};
  bits_row(state, c, [&](const auto& kernel, auto in, auto out) {
    dashi::run_kernel_parallel(*globals().pool, kernel, in, out, options);
  });
}

DASHI_BENCH_SWEEP(bits_1t, one, false, true);
DASHI_BENCH_SWEEP(bits_mt, many, false, true);

/// pack_into and unpack_into of N sites on one core (the round trip's two halves).
void pack_rows(const Tier& tier) {
  const auto add = [&](const char* name, bool pack) {
    auto* b = benchmark::RegisterBenchmark(name, [pack](benchmark::State& state) {
      const auto n = std::size_t(state.range(0));
      Input& input = globals().inputs->get({Workload::random_sparse, n, 0.5});
      const dashi::bits::BitField& planes = input.bits_in(KernelId::sign_flip);
      dashi::bits::BitField packed = dashi::bits::BitField::uninitialized(planes.shape());
      timed(state, double(n), 1.25 * double(n), [&](Phases&) {
        if (pack) {
          dashi::bits::pack_into(input.in.view(), packed.span());
        } else {
          dashi::bits::unpack_into(planes.view(), input.out.span());
        }
        benchmark::DoNotOptimize(input.out.data());
      });
      check(state,
            pack ? dashi::bits::fingerprint(packed.view()) : dashi::fingerprint(input.out.view()),
            dashi::fingerprint(input.in.view()));
    });
    b->ArgNames({"N"})
        ->ArgsProduct({tier.codec_sizes})
        ->UseRealTime()
        ->Unit(benchmark::kMicrosecond);
    globals().planned += tier.codec_sizes.size() * globals().repetitions;
  };
  add("bits_pack", true);
  add("bits_unpack", false);
}
DASHI_BENCH_REGISTER(pack_rows);

}  // namespace
}  // namespace dashi_bench
