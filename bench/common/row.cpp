// SPDX-License-Identifier: Apache-2.0
#include "row.hpp"

#include <algorithm>
#include <string>

namespace dashi_bench {

namespace {

/// Concatenation by appending (GCC 12 misreports `"literal" + std::string` under -Wrestrict).
template <class... Parts>
[[nodiscard]] std::string cat(const Parts&... parts) {
  std::string out;
  (out.append(std::string_view(parts)), ...);
  return out;
}

}  // namespace

std::string_view mode_name(Mode m) noexcept {
  switch (m) {
    case Mode::dense_1t:
      return "dense-1t";
    case Mode::dense_mt:
      return "dense-mt";
    case Mode::pq_1t:
      return "pq-1t";
    case Mode::pq_mt:
      return "pq-mt";
    case Mode::iterated:
      return "iterated";
  }
  return "?";
}

std::string_view backend_name(Backend b) noexcept {
  switch (b) {
    case Backend::dashi:
      return "dashi";
    case Backend::serial:
      return "peer_serial";
    case Backend::plain:
      return "peer_plain";
    case Backend::omp:
      return "peer_omp";
    case Backend::omp_plain:
      return "peer_omp_plain";
    case Backend::tbb:
      return "peer_tbb";
    case Backend::tbb_static:
      return "peer_tbb_static";
    case Backend::std_par:
      return "peer_std_par";
    case Backend::memcpy:
      return "memcpy";
    case Backend::step_loop:
      return "step_loop";
    case Backend::codec_reference:
      return "peer_codec_reference";
  }
  return "?";
}

std::string_view pipeline_name(Pipeline p) noexcept {
  switch (p) {
    case Pipeline::none:
      return "dense";
    case Pipeline::roundtrip:
      return "roundtrip";
    case Pipeline::packed:
      return "packed";
    case Pipeline::encode:
      return "encode";
    case Pipeline::decode:
      return "decode";
  }
  return "?";
}

std::string_view suite_name(Suite s) noexcept {
  switch (s) {
    case Suite::sweep:
      return "cpu_multithread";
    case Suite::block_sweep:
      return "block_sweep";
    case Suite::dispatch:
      return "dispatch";
    case Suite::iterated:
      return "iterated";
    case Suite::codec:
      return "codec";
  }
  return "?";
}

std::string row_name(const Row& row) {
  const std::string n = "/N:" + std::to_string(row.n);
  const std::string threads = "/threads:" + std::to_string(row.threads);
  const std::string kernel_workload =
      cat("/", kernel_name(row.kernel), "/", workload_name(row.workload));
  if (row.dispatch_empty) {
    const std::string head =
        row.backend == Backend::dashi ? "dispatch_empty" : std::string(backend_name(row.backend));
    return head + (row.backend == Backend::dashi ? "" : "/empty") + n + threads +
           "/block:" + std::to_string(row.block_elems);
  }
  if (row.copy) {
    return "memcpy" + n;
  }
  if (row.suite == Suite::codec) {
    return "pq_codec/" + std::string(pipeline_name(row.pipeline)) + "/" +
           std::string(backend_name(row.backend)) + "/" + std::string(workload_name(row.workload)) +
           n + threads + "/sparsity:" + format_number(row.sparsity) +
           "/pq_block:" + std::to_string(row.pq_block_sites);
  }
  if (row.suite == Suite::iterated) {
    std::string name = std::string(row.backend == Backend::step_loop ? "step_loop" : "iterated") +
                       kernel_workload + n + threads + "/steps:" + std::to_string(row.steps);
    if (row.backend != Backend::step_loop) {
      name += "/steps_per_sync:" + std::to_string(row.steps_per_sync);
    }
    return name;
  }
  std::string prefix;
  if (row.backend != Backend::dashi) {
    prefix = std::string(backend_name(row.backend));
  } else {
    prefix = std::string(mode_name(row.mode));
    std::replace(prefix.begin(), prefix.end(), '-', '_');
  }
  std::string name = prefix + kernel_workload + n + threads +
                     "/block:" + std::to_string(row.block_elems) +
                     "/sparsity:" + format_number(row.sparsity);
  if (row.pipeline != Pipeline::none) {
    name += "/pipeline:" + std::string(pipeline_name(row.pipeline)) +
            "/pq_block:" + std::to_string(row.pq_block_sites);
  }
  return name;
}

std::string format_size(std::size_t n) {
  if (n == 0) {
    return "0";
  }
  std::size_t p = 1;
  int e = 0;
  while (p < n && e < 19) {
    p *= 10;
    ++e;
  }
  if (p == n) {
    return "1e" + std::to_string(e);
  }
  if ((n & (n - 1)) == 0) {
    int b = 0;
    while ((std::size_t{1} << b) < n) {
      ++b;
    }
    return "2^" + std::to_string(b);
  }
  return std::to_string(n);
}

std::string short_name(const Row& row) {
  std::string head;
  if (row.dispatch_empty) {
    head = row.backend == Backend::dashi ? "dispatch_empty"
                                         : std::string(backend_name(row.backend)) + " empty";
  } else if (row.copy) {
    head = "memcpy";
  } else if (row.suite == Suite::codec) {
    head = "pq " + std::string(pipeline_name(row.pipeline)) +
           (row.backend == Backend::dashi ? "" : " reference");
  } else if (row.suite == Suite::iterated) {
    head = std::string(row.backend == Backend::step_loop ? "step_loop" : "iterated") + " " +
           std::string(kernel_name(row.kernel));
  } else {
    head = row.backend == Backend::dashi ? std::string(mode_name(row.mode))
                                         : std::string(backend_name(row.backend));
    if (row.pipeline != Pipeline::none) {
      head = cat(head, " ", pipeline_name(row.pipeline));
    }
    head = cat(head, " ", kernel_name(row.kernel));
  }
  std::string text = head + " N=" + format_size(row.n) + " T=" + std::to_string(row.threads);
  if (row.suite == Suite::iterated) {
    text += " steps=" + std::to_string(row.steps);
    if (row.backend != Backend::step_loop) {
      text += " S=" + std::to_string(row.steps_per_sync);
    }
  }
  if (row.block_elems != 0) {
    text += " blk=" + std::to_string(row.block_elems);
  }
  if (row.pipeline != Pipeline::none && row.pq_block_sites != 4096) {
    text += " pqb=" + std::to_string(row.pq_block_sites);
  }
  if (!row.no_output() && row.suite != Suite::iterated &&
      (row.workload != Workload::random_sparse || row.sparsity != 0.5)) {
    text += std::string(row.workload == Workload::random_sparse ? " rnd" : " clu") +
            " s=" + format_number(row.sparsity);
  }
  return text;
}

}  // namespace dashi_bench
