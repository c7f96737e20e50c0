// SPDX-License-Identifier: Apache-2.0
// pq-1t and pq-mt: packed in -> kernel -> packed out through the executor's packed overload
// (fused per block), and encode -> decode -> kernel on a dense input (roundtrip), on one
// and T threads; the codec alone on one core, beside the hand-written AVX-512/BMI2 loop.

#include <dashi/execution/cpu_parallel.hpp>
#include <dashi/pq/adapters.hpp>

#include "../peers/pq_avx512_reference.hpp"
#include "../runner.hpp"

namespace dashi_bench {
namespace {

[[nodiscard]] double packed_bytes(const dashi::pq::PackedField& p) {
  return 8.0 * double(p.p_words().size() + p.q_words().size() + p.offsets().size());
}

void storage_counters(benchmark::State& state, const dashi::pq::PackedField& packed) {
  state.counters["bits_per_site"] = packed.bits_per_site();
  const dashi::pq::EntropyReport report = dashi::pq::entropy_report(packed);
  state.counters["entropy_bits_per_site"] = report.entropy_bits_per_site;
  state.counters["overhead_bits_per_site"] = report.overhead_bits_per_site;
}

void pq_packed(benchmark::State& state, const Case& c) {
  const std::uint64_t ref = globals().inputs->reference(c.key(), c.kernel);
  const dashi::pq::PackedField& in = input_of(c.key()).pq(c.pq_block);
  dashi::pq::PackedField out = in;
  const dashi::ParallelOptions options{.num_workers = c.threads, .block_elems = c.block};
  with_kernel(c.kernel, [&](const auto& kernel) {
    timed(state, double(c.n), 2 * packed_bytes(in),
          [&](Phases&) { out = dashi::run_kernel_parallel(pool(), kernel, in, options); });
  });
  storage_counters(state, in);
  check(state, dashi::fingerprint(dashi::pq::decode(out).view()) == ref);
}

/// encode_into -> decode_into -> kernel, phases timed; on one thread (`mt` false: the kernel
/// called directly) or through the executor.
template <bool mt>
void pq_roundtrip(benchmark::State& state, const Case& c) {
  const std::uint64_t ref = globals().inputs->reference(c.key(), c.kernel);
  Input& input = input_of(c.key());
  dashi::pq::PackedField packed = input.pq(c.pq_block);
  const dashi::TernarySpan spare = input.span(input.spare, c.kernel);
  const dashi::TernarySpan out = input.span(input.out, c.kernel);
  const dashi::ParallelOptions options{.num_workers = c.threads, .block_elems = c.block};
  const dashi::pq::PqOptions codec{.block_sites = c.pq_block, .num_workers = c.threads};
  with_kernel(c.kernel, [&](const auto& kernel) {
    const auto once = [&](Phases& p) {
      add_time(p.encode, [&] { dashi::pq::encode_into(input.in.view(), packed, codec); });
      add_time(p.decode, [&] { dashi::pq::decode_into(packed, spare, codec); });
      add_time(p.kernel, [&] {
        if constexpr (mt) {
          dashi::run_kernel_parallel(pool(), kernel, spare.view(), out, options);
        } else {
          kernel(spare.view(), out);
        }
      });
    };
    timed(state, double(c.n), 4.0 * double(c.n) + 2 * packed_bytes(packed), once, true);
  });
  storage_counters(state, packed);
  check(state, dashi::fingerprint(out.view()) == ref);
}

const Registrar pq_families{
    families({{"pq_1t_packed", Threads::one, true, false, pq_packed},
              {"pq_mt_packed", Threads::many, true, false, pq_packed},
              {"pq_1t_roundtrip", Threads::one, true, false, pq_roundtrip<false>},
              {"pq_mt_roundtrip", Threads::many, true, false, pq_roundtrip<true>}})};

/// One core, caller-owned storage, codec block 4096: the library's encode_into / decode_into,
/// or (`reference`) the hand-written loop into its own buffers, whose P words must equal the
/// library's. Either way the decoded sites must be the input.
void codec(benchmark::State& state, bool encode, bool reference) {
  const auto n = std::size_t(state.range(0));
  Input& input = input_of({Workload::random_sparse, n, 0.5});
  const dashi::pq::PackedField& packed = input.pq(4096);
  dashi::pq::PackedField mine = packed;
  std::vector<std::uint64_t> p(n / 64), q(n / 64 + 2), o(n / 4096 + 2);
  const dashi::pq::PqOptions one_core{.block_sites = 4096, .num_workers = 1};
  const std::int8_t* in = input.in.data();
  std::int8_t* out = input.out.data();
  if (reference) {
    (void)pq_reference::encode(in, n, p.data(), q.data(), o.data(), 6);  // codec blocks of 4096
  }
  timed(
      state, double(n), double(n) + packed_bytes(packed),
      [&](Phases& phases) {
        add_time(encode ? phases.encode : phases.decode, [&] {
          if (reference && encode) {
            benchmark::DoNotOptimize(pq_reference::encode(in, n, p.data(), q.data(), o.data(), 6));
          } else if (reference) {
            pq_reference::decode(p.data(), q.data(), n, out);
          } else if (encode) {
            dashi::pq::encode_into(input.in.view(), mine, one_core);
          } else {
            dashi::pq::decode_into(packed, input.out.span(), one_core);
          }
        });
      },
      true);
  storage_counters(state, packed);
  if (reference) {
    check(state, std::equal(p.begin(), p.end(), packed.p_words().begin(), packed.p_words().end()),
          "the reference loop's P words differ from the library's");
    pq_reference::decode(p.data(), q.data(), n, out);
  } else if (encode) {
    dashi::pq::decode_into(mine, input.out.span(), one_core);
  }
  check(state, dashi::fingerprint(input.out.view()) == dashi::fingerprint(input.in.view()));
}

const Registrar codec_rows{[](const Tier& tier) {
  for (const bool reference : {false, true}) {
    for (const bool encode : {true, false}) {
      if (!reference || pq_reference::available()) {
        add(std::string(reference ? "codec_reference/" : "codec/") + (encode ? "encode" : "decode"),
            [=](benchmark::State& s) { codec(s, encode, reference); }, {"N"}, {tier.codec_sizes});
      }
    }
  }
}};

}  // namespace
}  // namespace dashi_bench
