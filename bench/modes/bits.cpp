// SPDX-License-Identifier: Apache-2.0
// bits-1t and bits-mt: the input in bit planes (support and sign), the kernel's bit-sliced
// form on the calling thread and through the executor's plane overload, planes in -> planes
// out (2 bits a site each way); and pack / unpack, the way between bytes and planes, alone.

#include <dashi/bits.hpp>

#include "../runner.hpp"

namespace dashi_bench {
namespace {

/// A plane row: `call(kernel, in, out)` on the case's input in planes, a quarter of a byte a
/// site in and out.
template <class Call>
void bits_row(benchmark::State& state, const Case& c, Call&& call) {
  Input& in = input_of(c.key());
  const dashi::bits::BitView planes = in.bits_in(c.kernel).view();
  checked(state, c, 0.5, planes, in.planes_out.span(), call);
}

void bits_1t(benchmark::State& state, const Case& c) {
  bits_row(state, c, [](const auto& kernel, auto in, auto out) { kernel.bits(in, out); });
}

void bits_mt(benchmark::State& state, const Case& c) {
  const dashi::ParallelOptions options{.num_workers = c.threads, .block_elems = c.block};
  bits_row(state, c, [&](const auto& kernel, auto in, auto out) {
    dashi::run_kernel_parallel(pool(), kernel, in, out, options);
  });
}

/// pack_into (`pack`) or unpack_into of N sites on one core (the round trip's two halves).
void pack_row(benchmark::State& state, bool pack) {
  const auto n = std::size_t(state.range(0));
  Input& in = input_of({Workload::random_sparse, n, 0.5});
  const dashi::bits::BitField& planes = in.bits_in(KernelId::sign_flip);
  dashi::bits::BitField packed = dashi::bits::BitField::uninitialized(planes.shape());
  timed(state, double(n), 1.25 * double(n), [&](Phases&) {
    if (pack) {
      dashi::bits::pack_into(in.in.view(), packed.span());
    } else {
      dashi::bits::unpack_into(planes.view(), in.out.span());
    }
  });
  const std::uint64_t out = pack ? fingerprint(packed.view()) : fingerprint(in.out.view());
  check(state, out == fingerprint(in.in.view()));
}

const Registrar bits_families{families({{"bits_1t", Threads::one, false, true, bits_1t},
                                        {"bits_mt", Threads::many, false, true, bits_mt}})};
const Registrar pack_rows{[](const Tier& tier) {
  add("bits_pack", [](benchmark::State& s) { pack_row(s, true); }, {"N"}, {tier.codec_sizes});
  add("bits_unpack", [](benchmark::State& s) { pack_row(s, false); }, {"N"}, {tier.codec_sizes});
}};

}  // namespace
}  // namespace dashi_bench
