// SPDX-License-Identifier: Apache-2.0
// The PQ suite: encode -> decode -> kernel (roundtrip) and packed in -> kernel -> packed out
// (packed) on one and T threads, the codec block sweep, and the single-core codec rows
// (encode and decode alone), against a hand-written reference loop when one is built in.

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <dashi/execution/cpu_parallel.hpp>
#include <vector>

#include "suites.hpp"

#if DASHI_BENCH_HAVE_PQ && __has_include(<dashi/pq/adapters.hpp>)
#  include <dashi/pq/adapters.hpp>
#  define DASHI_BENCH_PQ_ADAPTER 1
#else
#  define DASHI_BENCH_PQ_ADAPTER 0
#endif

// The hand-written AVX-512/BMI2 codec loop the library's codec is measured against; its
// rows exist only on a CPU that runs it.
#if DASHI_BENCH_HAVE_PQ && defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__)) && \
    __has_include("../peers/pq_avx512_reference.hpp")
#  include "../peers/pq_avx512_reference.hpp"
#  define DASHI_BENCH_HAVE_PQ_REFERENCE 1
#else
#  define DASHI_BENCH_HAVE_PQ_REFERENCE 0
#endif

namespace dashi_bench {

#if DASHI_BENCH_HAVE_PQ

namespace {

// encode_into / decode_into (caller-owned storage, no allocation) when the library has
// them, found by argument-dependent lookup; otherwise encode / decode.
template <class Packed>
concept HasEncodeInto = requires(dashi::TernaryView v, Packed& p, const dashi::pq::PqOptions& o) {
  encode_into(v, p, o);
};
template <class Packed>
concept HasDecodeInto = requires(const Packed& p, dashi::TernarySpan s,
                                 const dashi::pq::PqOptions& o) {
  decode_into(p, s, o);
};
constexpr bool codec_into =
    HasEncodeInto<dashi::pq::PackedField> && HasDecodeInto<dashi::pq::PackedField>;

template <class Packed>
void encode_to(dashi::TernaryView in, Packed& out, const dashi::pq::PqOptions& options) {
  if constexpr (HasEncodeInto<Packed>) {
    encode_into(in, out, options);
  } else {
    out = dashi::pq::encode(in, options);
  }
}

template <class Packed>
void decode_to(const Packed& in, dashi::TernarySpan out, const dashi::pq::PqOptions& options) {
  if constexpr (HasDecodeInto<Packed>) {
    decode_into(in, out, options);
  } else {
    const dashi::TernaryField dense = dashi::pq::decode(in, options);
    std::copy_n(dense.data(), dense.size(), out.data());
  }
}

[[nodiscard]] double packed_bytes(const dashi::pq::PackedField& packed) {
  return 8.0 * static_cast<double>(packed.p_words().size() + packed.q_words().size() +
                                   packed.offsets().size());
}

/// packed in -> kernel -> packed out: the executor's packed overload when
/// <dashi/pq/adapters.hpp> exists (fused per block), otherwise decode -> run_kernel_parallel
/// -> encode with the phases timed. The one place that depends on the switch.
template <class K>
void packed_pipeline(dashi::ThreadPool& pool, const K& kernel, const dashi::pq::PackedField& in,
                     const dashi::ParallelOptions& options, dashi::TernarySpan scratch_a,
                     dashi::TernarySpan scratch_b, dashi::pq::PackedField& out, Phases& phases) {
#  if DASHI_BENCH_PQ_ADAPTER
  (void)scratch_a;
  (void)scratch_b;
  const auto t0 = std::chrono::steady_clock::now();
  out = dashi::run_kernel_parallel(pool, kernel, in, options);
  phases.kernel += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
#  else
  const dashi::pq::PqOptions codec{.block_sites = in.block_sites(),
                                   .num_workers = options.num_workers};
  using Clock = std::chrono::steady_clock;
  const auto t0 = Clock::now();
  decode_to(in, scratch_a, codec);
  const auto t1 = Clock::now();
  dashi::run_kernel_parallel(pool, kernel, scratch_a.view(), scratch_b, options);
  const auto t2 = Clock::now();
  encode_to(scratch_b.view(), out, codec);
  const auto t3 = Clock::now();
  phases.decode += std::chrono::duration<double>(t1 - t0).count();
  phases.kernel += std::chrono::duration<double>(t2 - t1).count();
  phases.encode += std::chrono::duration<double>(t3 - t2).count();
#  endif
}

void add_pipelines(const Config& config, const Plan& plan, RowList& rows, const Row& base,
                   const std::vector<std::size_t>& threads) {
  for (const Pipeline pipeline : {Pipeline::packed, Pipeline::roundtrip}) {
    if (mode_on(config, Mode::pq_1t)) {
      Row row = base;
      row.mode = Mode::pq_1t;
      row.pipeline = pipeline;
      rows.add(row);
    }
    if (mode_on(config, Mode::pq_mt)) {
      for (const std::size_t t : threads) {
        Row row = base;
        row.mode = Mode::pq_mt;
        row.pipeline = pipeline;
        row.threads = t;
        rows.add(row);
      }
    }
  }
  (void)plan;
}

}  // namespace

void add_pq_rows(const Config& config, const Plan& plan, RowList& rows) {
  if (!mode_on(config, Mode::pq_1t) && !mode_on(config, Mode::pq_mt)) {
    return;
  }
  for (const Workload workload : plan.workloads) {
    for (const std::size_t n : plan.sizes) {
      for (const double sparsity : plan.sparsities) {
        for (const KernelId kernel : plan.kernels) {
          Row base;
          base.workload = workload;
          base.n = n;
          base.sparsity = sparsity;
          base.kernel = kernel;
          rows.new_group();
          add_pipelines(config, plan, rows, base, plan.threads);
        }
      }
    }
  }
  if (!plan.sweep_blocks.empty() || !plan.sweep_pq_blocks.empty()) {
    rows.new_group();
    Row base;
    base.suite = Suite::block_sweep;
    base.n = plan.block_sweep_n;
    base.sparsity = 0.5;
    for (const std::size_t block : plan.sweep_blocks) {
      for (const std::size_t t : plan.threads) {
        for (const Pipeline pipeline : {Pipeline::roundtrip, Pipeline::packed}) {
          if (mode_on(config, Mode::pq_mt)) {
            Row row = base;
            row.mode = Mode::pq_mt;
            row.pipeline = pipeline;
            row.threads = t;
            row.block_elems = block;
            rows.add(row);
          }
        }
      }
    }
    for (const std::uint32_t pq_block : plan.sweep_pq_blocks) {
      Row row = base;
      row.pq_block_sites = pq_block;
      add_pipelines(config, plan, rows, row, {hardware_threads()});
    }
  }
  if (mode_on(config, Mode::pq_1t)) {
    for (const std::size_t n : plan.codec_sizes) {
      rows.new_group();
      for (const Pipeline pipeline : {Pipeline::encode, Pipeline::decode}) {
        Row row;
        row.suite = Suite::codec;
        row.mode = Mode::pq_1t;
        row.pipeline = pipeline;
        row.n = n;
        row.sparsity = 0.5;
        rows.add(row);
        if (pq_reference_available() && n % 64 == 0) {
          row.backend = Backend::codec_reference;
          rows.add(row);
        }
      }
    }
  }
}

bool pq_reference_available() noexcept {
#  if DASHI_BENCH_HAVE_PQ_REFERENCE
  return pq_reference::available();
#  else
  return false;
#  endif
}

/// The reference loop on one core into its own buffers (P, Q with a spare word, O), checked
/// against the library: its P words must equal the library's and its decode must give the
/// input back.
void run_codec_reference(benchmark::State& state, const Row& row, Sample& sample,
                         dashi::TernaryView in, dashi::TernarySpan out) {
#  if DASHI_BENCH_HAVE_PQ_REFERENCE
  State& g = global();
  const std::size_t n = row.n;
  std::vector<std::uint64_t> p(n / 64);
  std::vector<std::uint64_t> q(n / 64 + 2);
  std::vector<std::uint64_t> o(n / row.pq_block_sites + 2);
  unsigned block_shift = 0;
  while ((std::size_t{64} << block_shift) < row.pq_block_sites) {
    ++block_shift;
  }
  using Clock = std::chrono::steady_clock;
  (void)pq_reference::encode(in.data(), n, p.data(), q.data(), o.data(), block_shift);
  if (row.pipeline == Pipeline::encode) {
    timed_loop(state, sample, [&](Phases& phases) {
      const auto t0 = Clock::now();
      benchmark::DoNotOptimize(
          pq_reference::encode(in.data(), n, p.data(), q.data(), o.data(), block_shift));
      phases.encode += std::chrono::duration<double>(Clock::now() - t0).count();
    });
  } else {
    timed_loop(state, sample, [&](Phases& phases) {
      const auto t0 = Clock::now();
      pq_reference::decode(p.data(), q.data(), n, out.data());
      phases.decode += std::chrono::duration<double>(Clock::now() - t0).count();
    });
  }
  sample.phased = true;
  const dashi::pq::PackedField& packed = g.inputs->packed(input_key(row), row.pq_block_sites);
  if (!std::equal(p.begin(), p.end(), packed.p_words().begin(), packed.p_words().end())) {
    sample.error = true;
    sample.error_message = "the reference loop's P words differ from the library's";
    g.failed = true;
    state.SkipWithError(sample.error_message.c_str());
    return;
  }
  pq_reference::decode(p.data(), q.data(), n, out.data());
  sample.bytes_per_iter = static_cast<double>(n) + packed_bytes(packed);
  check_output(state, sample, dashi::fingerprint(out.view()), dashi::fingerprint(in));
#  else
  (void)row;
  (void)sample;
  (void)in;
  (void)out;
  state.SkipWithError("built without the reference codec loop");
#  endif
}

void run_pq(benchmark::State& state, const Row& row, Sample& sample) {
  State& g = global();
  const InputKey key = input_key(row);
  const dashi::TernaryView in = g.inputs->view(key, row.kernel);
  dashi::ThreadPool& pool = *g.pool;
  const dashi::ParallelOptions options{.num_workers = row.threads, .block_elems = row.block_elems};
  const dashi::pq::PqOptions codec{.block_sites = row.pq_block_sites, .num_workers = row.threads};
  const dashi::TernarySpan out = g.inputs->output(key, row.kernel);
  const dashi::TernarySpan spare = g.inputs->spare(key, row.kernel);
  using Clock = std::chrono::steady_clock;
  auto seconds = [](Clock::time_point a, Clock::time_point b) {
    return std::chrono::duration<double>(b - a).count();
  };

  if (row.suite == Suite::codec && row.backend == Backend::codec_reference) {
    run_codec_reference(state, row, sample, in, out);
    return;
  }
  if (row.suite == Suite::codec) {
    // One core, caller-owned buffers: encode the input, or decode its packed form.
    const dashi::pq::PackedField& packed_in = g.inputs->packed(key, row.pq_block_sites);
    dashi::pq::PackedField packed = packed_in;
    if (row.pipeline == Pipeline::encode) {
      timed_loop(state, sample, [&](Phases& p) {
        const auto t0 = Clock::now();
        encode_to(in, packed, codec);
        p.encode += seconds(t0, Clock::now());
      });
      sample.phased = true;
      sample.bytes_per_iter = static_cast<double>(row.n) + packed_bytes(packed);
      check_output(state, sample, dashi::fingerprint(dashi::pq::decode(packed).view()),
                   dashi::fingerprint(in));
    } else {
      timed_loop(state, sample, [&](Phases& p) {
        const auto t0 = Clock::now();
        decode_to(packed_in, out, codec);
        p.decode += seconds(t0, Clock::now());
      });
      sample.phased = true;
      sample.bytes_per_iter = static_cast<double>(row.n) + packed_bytes(packed_in);
      check_output(state, sample, dashi::fingerprint(out.view()), dashi::fingerprint(in));
    }
    sample.bits_per_site = packed_in.bits_per_site();
    sample.entropy_bits = dashi::pq::entropy_report(packed_in).entropy_bits_per_site;
    return;
  }

  const std::uint64_t ref = g.inputs->reference(key, row.kernel);
  const bool single = row.mode == Mode::pq_1t;
  with_kernel(row.kernel, [&](const auto& kernel) {
    if (row.pipeline == Pipeline::roundtrip) {
      // encode -> decode -> kernel, dense in and dense out, into reused storage.
      dashi::pq::PackedField packed = g.inputs->packed(key, row.pq_block_sites);
      timed_loop(state, sample, [&](Phases& p) {
        const auto t0 = Clock::now();
        encode_to(in, packed, codec);
        const auto t1 = Clock::now();
        decode_to(packed, spare, codec);
        const auto t2 = Clock::now();
        if (single) {
          kernel(spare.view(), out);
        } else {
          dashi::run_kernel_parallel(pool, kernel, spare.view(), out, options);
        }
        const auto t3 = Clock::now();
        p.encode += seconds(t0, t1);
        p.decode += seconds(t1, t2);
        p.kernel += seconds(t2, t3);
      });
      sample.phased = true;
      sample.bits_per_site = packed.bits_per_site();
      sample.entropy_bits = dashi::pq::entropy_report(packed).entropy_bits_per_site;
      sample.bytes_per_iter = 4.0 * static_cast<double>(row.n) + 2.0 * packed_bytes(packed);
      check_output(state, sample, dashi::fingerprint(out.view()), ref);
    } else {
      const dashi::pq::PackedField& packed_in = g.inputs->packed(key, row.pq_block_sites);
      dashi::pq::PackedField result = packed_in;
      timed_loop(state, sample, [&](Phases& p) {
        packed_pipeline(pool, kernel, packed_in, options, spare, out, result, p);
      });
      sample.phased = DASHI_BENCH_PQ_ADAPTER == 0;
      sample.bits_per_site = packed_in.bits_per_site();
      sample.entropy_bits = dashi::pq::entropy_report(packed_in).entropy_bits_per_site;
      sample.bytes_per_iter = packed_bytes(packed_in) + packed_bytes(result);
      check_output(state, sample, dashi::fingerprint(dashi::pq::decode(result).view()), ref);
    }
  });
}

/// True when the codec rows use encode_into / decode_into (no allocation per call).
bool pq_codec_into() noexcept { return codec_into; }
bool pq_packed_fused() noexcept { return DASHI_BENCH_PQ_ADAPTER != 0; }

#else

void add_pq_rows(const Config&, const Plan&, RowList&) {}
void run_pq(benchmark::State& state, const Row&, Sample&) {
  state.SkipWithError("built without <dashi/pq/codec.hpp>");
}
bool pq_codec_into() noexcept { return false; }
bool pq_packed_fused() noexcept { return false; }
bool pq_reference_available() noexcept { return false; }

#endif

}  // namespace dashi_bench
