// SPDX-License-Identifier: Apache-2.0
#include "state.hpp"

#include <cstdio>

namespace dashi_bench {

State& global() {
  static State state;
  return state;
}

bool check_output(benchmark::State& state, Sample& sample, std::uint64_t out, std::uint64_t ref) {
  sample.hash_out = out;
  sample.hash_ref = ref;
  if (out != ref) {
    sample.error = true;
    char message[160];
    std::snprintf(message, sizeof message,
                  "output fingerprint %016llx differs from the reference %016llx",
                  static_cast<unsigned long long>(out), static_cast<unsigned long long>(ref));
    sample.error_message = message;
    global().failed = true;
    state.SkipWithError(message);
    return false;
  }
  return true;
}

void set_counters(benchmark::State& state, const Row& row, const Sample& sample) {
  const double iterations = static_cast<double>(std::max<std::int64_t>(1, sample.iterations));
  const double total = sample.per_call_s();
  state.counters["t_total_ms"] = 1e3 * total;
  state.counters["t_encode_ms"] = 1e3 * sample.phases.encode / iterations;
  state.counters["t_decode_ms"] = 1e3 * sample.phases.decode / iterations;
  state.counters["t_kernel_ms"] =
      sample.phased ? 1e3 * sample.phases.kernel / iterations : 1e3 * total;
  if (!row.dispatch_empty && total > 0.0) {
    const double updates = static_cast<double>(row.n) * static_cast<double>(row.steps);
    state.counters["sites_per_s"] = updates / total;
    state.counters["GB_per_s"] = sample.bytes_per_iter / total * 1e-9;
  }
  if (sample.bits_per_site) {
    state.counters["bits_per_site"] = *sample.bits_per_site;
  }
  if (!row.no_output()) {
    state.counters["match"] =
        sample.hash_out && *sample.hash_out == sample.hash_ref && !sample.error ? 1.0 : 0.0;
  }
}

}  // namespace dashi_bench
