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

using Clock = std::chrono::steady_clock;

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
  const dashi::pq::PackedField& in = globals().inputs->get(c.key()).pq(c.pq_block);
  dashi::pq::PackedField out = in;
  const dashi::ParallelOptions options{.num_workers = c.threads, .block_elems = c.block};
  with_kernel(c.kernel, [&](const auto& kernel) {
    timed(state, double(c.n), 2 * packed_bytes(in),
          [&](Phases&) { out = dashi::run_kernel_parallel(*globals().pool, kernel, in, options); });
  });
  storage_counters(state, in);
  check(state, dashi::fingerprint(dashi::pq::decode(out).view()), ref);
}

/// `single`: the kernel called directly on the calling thread (pq-1t), else the executor.
void pq_roundtrip(benchmark::State& state, const Case& c, bool single) {
  const std::uint64_t ref = globals().inputs->reference(c.key(), c.kernel);
  Input& input = globals().inputs->get(c.key());
  dashi::pq::PackedField packed = input.pq(c.pq_block);
  const dashi::TernarySpan spare = input.span(input.spare, c.kernel);
  const dashi::TernarySpan out = input.span(input.out, c.kernel);
  const dashi::ParallelOptions options{.num_workers = c.threads, .block_elems = c.block};
  const dashi::pq::PqOptions codec{.block_sites = c.pq_block, .num_workers = c.threads};
  const double bytes = 4.0 * double(c.n) + 2 * packed_bytes(packed);
  with_kernel(c.kernel, [&](const auto& kernel) {
    timed(
        state, double(c.n), bytes,
        [&](Phases& p) {
          const auto t0 = Clock::now();
          dashi::pq::encode_into(input.in.view(), packed, codec);
          const auto t1 = Clock::now();
          dashi::pq::decode_into(packed, spare, codec);
          const auto t2 = Clock::now();
          if (single) {
            kernel(spare.view(), out);
          } else {
            dashi::run_kernel_parallel(*globals().pool, kernel, spare.view(), out, options);
          }
          p.encode += std::chrono::duration<double>(t1 - t0).count();
          p.decode += std::chrono::duration<double>(t2 - t1).count();
          p.kernel += seconds_since(t2);
        },
        true);
  });
  storage_counters(state, packed);
  check(state, dashi::fingerprint(out.view()), ref);
}

// A mode is its body and one line: pq_1t runs with 1 thread, pq_mt with the tier's.
void pq_1t_packed(benchmark::State& s, const Case& c) { pq_packed(s, c); }
void pq_mt_packed(benchmark::State& s, const Case& c) { pq_packed(s, c); }
void pq_1t_roundtrip(benchmark::State& s, const Case& c) { pq_roundtrip(s, c, true); }
void pq_mt_roundtrip(benchmark::State& s, const Case& c) { pq_roundtrip(s, c, false); }
DASHI_BENCH_SWEEP(pq_1t_packed, one, true, false);
DASHI_BENCH_SWEEP(pq_mt_packed, many, true, false);
DASHI_BENCH_SWEEP(pq_1t_roundtrip, one, true, false);
DASHI_BENCH_SWEEP(pq_mt_roundtrip, many, true, false);

/// One core, caller-owned storage: encode the input (`encode`) or decode its packed form;
/// `reference`: the hand-written loop into its own buffers, whose P words must equal the
/// library's and whose decode must give the input back.
void codec(benchmark::State& state, bool encode, bool reference) {
  const auto n = std::size_t(state.range(0));
  Input& input = globals().inputs->get({Workload::random_sparse, n, 0.5});
  const dashi::pq::PackedField& packed = input.pq(4096);
  dashi::pq::PackedField mine = packed;
  std::vector<std::uint64_t> p(n / 64), q(n / 64 + 2), o(n / 4096 + 2);
  const double bytes = double(n) + packed_bytes(packed);
  const dashi::pq::PqOptions one_core{.block_sites = 4096, .num_workers = 1};
  const std::int8_t* in = input.in.data();
  std::int8_t* out = input.out.data();
  if (reference) {
    (void)pq_reference::encode(in, n, p.data(), q.data(), o.data(), 6);  // codec blocks of 4096
  }
  timed(
      state, double(n), bytes,
      [&](Phases& phases) {
        const auto t0 = Clock::now();
        if (reference && encode) {
          benchmark::DoNotOptimize(pq_reference::encode(in, n, p.data(), q.data(), o.data(), 6));
        } else if (reference) {
          pq_reference::decode(p.data(), q.data(), n, out);
        } else if (encode) {
          dashi::pq::encode_into(input.in.view(), mine, one_core);
        } else {
          dashi::pq::decode_into(packed, input.out.span(), one_core);
        }
        (encode ? phases.encode : phases.decode) += seconds_since(t0);
      },
      true);
  storage_counters(state, packed);
  if (reference) {
    if (!std::equal(p.begin(), p.end(), packed.p_words().begin(), packed.p_words().end())) {
      globals().failed = true;
      state.SkipWithError("the reference loop's P words differ from the library's");
    }
    pq_reference::decode(p.data(), q.data(), n, out);
  } else if (encode) {
    dashi::pq::decode_into(mine, input.out.span(), one_core);
  }
  check(state, dashi::fingerprint(input.out.view()), dashi::fingerprint(input.in.view()));
}

void codec_rows(const Tier& tier) {
  const bool reference = pq_reference::available();
  for (const bool encode : {true, false}) {
    for (const bool ref : {false, true}) {
      if (ref && !reference) {
        continue;
      }
      const std::string name =
          std::string(ref ? "codec_reference/" : "codec/") + (encode ? "encode" : "decode");
      benchmark::RegisterBenchmark(name.c_str(),
                                   [=](benchmark::State& s) { codec(s, encode, ref); })
          ->ArgNames({"N"})
          ->ArgsProduct({tier.codec_sizes})
          ->UseRealTime()
          ->Unit(benchmark::kMicrosecond);
      globals().planned += tier.codec_sizes.size() * globals().repetitions;
    }
  }
}
DASHI_BENCH_REGISTER(codec_rows);

}  // namespace
}  // namespace dashi_bench
