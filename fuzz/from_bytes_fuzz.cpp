// SPDX-License-Identifier: Apache-2.0
// Fuzz harness of `dashi::pq::from_bytes` (docs/PQ_FORMAT.md §2).
//
// Input: one mode byte, then the buffer.
//   bit 0  repair both CRC-32C fields (bytes 80 and 84) before parsing, so that mutations
//          reach the checks behind the checksums;
//   bit 1  write the buffer's length into total_length (byte 72) first;
//   bit 2  also run the multi-threaded codec paths and the packed executor.
// Every outcome is a `PackedField` or `dashi::pq::FormatError` (naming a field and an
// offset inside the buffer). A buffer that parses must:
//   - re-serialise with `to_bytes` to exactly the same bytes;
//   - decode to a valid field whose support count is n_support, and encode back (same
//     block size) to an equal `PackedField`, on the scalar and the SIMD paths;
//   - give `decode_site` and partial decodes equal to the full decode;
//   - (bit 2) encode and decode identically on 3 threads with tiny tasks, and run a
//     kernel packed in → packed out exactly as on the dense field.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <dashi/execution/cpu_parallel.hpp>
#include <dashi/kernel.hpp>
#include <dashi/pq/adapters.hpp>
#include <dashi/pq/codec.hpp>
#include <span>
#include <string>
#include <vector>

#include "fuzz_support.hpp"

namespace {

constexpr const char* harness = "from_bytes_fuzz";

using dashi::TernaryField;
using dashi::pq::PackedField;
using dashi_fuzz::require;

std::vector<dashi::detail::Isa> codec_paths() {
  using dashi::detail::Isa;
  std::vector<Isa> paths;
  for (const Isa path : {Isa::portable, Isa::avx2, Isa::avx512}) {
    if (path <= dashi::pq::detail::codec_isa()) {
      paths.push_back(path);
    }
  }
  return paths;
}

/// Sites whose `decode_site` is checked: all of them for small fields, else a spread that
/// includes both ends and the first and last site of some blocks.
std::vector<std::size_t> sample_sites(std::size_t n, std::size_t block) {
  std::vector<std::size_t> sites;
  if (n <= 2048) {
    for (std::size_t i = 0; i < n; ++i) {
      sites.push_back(i);
    }
    return sites;
  }
  const std::size_t step = n / 1024;
  for (std::size_t i = 0; i < n; i += step) {
    sites.push_back(i);
  }
  for (std::size_t b = block; b < n; b += std::max<std::size_t>(block, n / 64)) {
    sites.push_back(b - 1);
    sites.push_back(b);
  }
  sites.push_back(n - 1);
  return sites;
}

void check_parsed(const PackedField& packed, std::span<const std::byte> buffer, bool threads) {
  // Re-serialisation is exact.
  const std::vector<std::byte> again = dashi::pq::to_bytes(packed);
  require(again.size() == buffer.size() &&
              std::equal(again.begin(), again.end(), buffer.begin(), buffer.end()),
          harness, "to_bytes(from_bytes(b)) != b");
  const auto* raw = reinterpret_cast<const std::uint8_t*>(buffer.data());
  require(dashi_fuzz::load_le(raw + 84, 4) == dashi_fuzz::crc32c(raw, 84), harness,
          "accepted a header CRC that is not the CRC-32C of bytes 0-83");

  // Decode, then encode back with the same block size.
  const TernaryField dense = dashi::pq::decode(packed);
  require(dense.shape() == packed.shape(), harness, "decode changed the shape");
  const auto values = dense.values();
  require(
      std::all_of(values.begin(), values.end(), [](std::int8_t v) { return v >= -1 && v <= 1; }),
      harness, "decode produced a value that is not a trit");
  require(dense.count_support() == packed.support_count(), harness,
          "decoded support count differs from n_support");
  const dashi::pq::PqOptions same_block{.block_sites = packed.block_sites(), .num_workers = 1};
  require(dashi::pq::encode(dense, same_block) == packed, harness,
          "encode(decode(p)) != p with p's block size");

  for (const auto path : codec_paths()) {
    const dashi::pq::detail::Tuning tuning{.isa = path};
    require(dashi::pq::detail::decode_with(packed, {}, tuning) == dense, harness,
            "scalar and SIMD decode disagree");
    require(dashi::pq::detail::encode_with(dense, same_block, tuning) == packed, harness,
            "scalar and SIMD encode disagree");
  }

  // Random access and partial decodes.
  const std::size_t n = packed.size();
  for (const std::size_t site : sample_sites(n, packed.block_sites())) {
    require(dashi::pq::decode_site(packed, site) == values[site], harness,
            "decode_site(" + std::to_string(site) + ") differs from decode");
  }
  if (n != 0) {
    // A few ranges with unaligned ends, derived from the content.
    const std::size_t seed = static_cast<std::size_t>(packed.support_count() * 7919U + n);
    for (std::size_t k = 0; k < 3; ++k) {
      const std::size_t first = (seed * (k + 3)) % n;
      const std::size_t count = std::min(n - first, (seed >> (3 * k)) % 700 + 1);
      for (const auto path : codec_paths()) {
        std::vector<std::int8_t> part(count);
        dashi::pq::detail::decode_sites(packed, first, count, part.data(), path);
        require(std::equal(part.begin(), part.end(),
                           values.begin() + static_cast<std::ptrdiff_t>(first)),
                harness,
                "partial decode of sites [" + std::to_string(first) + ", +" +
                    std::to_string(count) + ") differs from decode");
      }
    }
  }

  if (threads) {
    const dashi::pq::detail::Tuning small_tasks{
        .parallel_min_sites = 0, .task_min_sites = 64, .tasks_per_worker = 2};
    const dashi::pq::PqOptions three{.block_sites = packed.block_sites(), .num_workers = 3};
    require(dashi::pq::detail::encode_with(dense, three, small_tasks) == packed, harness,
            "multi-threaded encode differs");
    require(dashi::pq::detail::decode_with(packed, three, small_tasks) == dense, harness,
            "multi-threaded decode differs");
    static dashi::ThreadPool pool(2);
    const dashi::ParallelOptions options{.num_workers = 3, .block_elems = 200};
    const dashi::kernels::SignFlip flip;
    const PackedField flipped = dashi::run_kernel_parallel(pool, flip, packed, options);
    require(dashi::pq::decode(flipped) == dashi::apply_kernel(flip, dense), harness,
            "packed executor (SignFlip) differs from the dense kernel");
    const dashi::kernels::LeftNeighbor left;
    const PackedField shifted = dashi::run_kernel_parallel(pool, left, packed, options);
    require(dashi::pq::decode(shifted) == dashi::apply_kernel(left, dense), harness,
            "packed executor (LeftNeighbor) differs from the dense kernel");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) {
    return 0;
  }
  const unsigned mode = data[0];
  std::vector<std::uint8_t> bytes(data + 1, data + size);
  if (bytes.size() >= 128) {
    if ((mode & 2U) != 0) {
      dashi_fuzz::store_le(bytes.data() + 72, bytes.size(), 8);
    }
    if ((mode & 1U) != 0) {
      dashi_fuzz::store_le(bytes.data() + 80,
                           dashi_fuzz::crc32c(bytes.data() + 128, bytes.size() - 128), 4);
      dashi_fuzz::store_le(bytes.data() + 84, dashi_fuzz::crc32c(bytes.data(), 84), 4);
    }
  }
  const std::span<const std::byte> buffer(reinterpret_cast<const std::byte*>(bytes.data()),
                                          bytes.size());
  PackedField packed;
  try {
    packed = dashi::pq::from_bytes(buffer);
  } catch (const dashi::pq::FormatError& error) {
    require(error.field() != nullptr && error.field()[0] != '\0', harness,
            "FormatError without a field name");
    require(error.offset() <= buffer.size(), harness,
            "FormatError offset " + std::to_string(error.offset()) + " past the buffer (" +
                std::to_string(buffer.size()) + " bytes): " + error.what());
    return 0;
  }
  check_parsed(packed, buffer, (mode & 4U) != 0);
  return 0;
}
