// SPDX-License-Identifier: Apache-2.0
// PQ: pack a sparse ternary field at ~1 + s bits per site, run a kernel on the packed form,
// save the bytes, load them back, and check everything against the dense reference.
#include <cstdio>
#include <dashi/pq/adapters.hpp>
#include <dashi/pq/codec.hpp>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <vector>

int main() {
  // A 2-D field where 90% of the sites are 0.
  const dashi::Shape shape{1024, 1024};
  std::mt19937_64 rng(11);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  std::vector<std::int8_t> values(shape.size());
  for (auto& v : values) {
    const double u = unit(rng);
    v = u < 0.9 ? std::int8_t{0} : (u < 0.95 ? std::int8_t{-1} : std::int8_t{1});
  }
  const auto field = dashi::TernaryField::from_signed(values, shape);

  // Pack: support bitset + one sign bit per supported site + block offsets.
  const dashi::pq::PackedField packed = dashi::pq::encode(field, {.num_workers = 2});
  const dashi::pq::EntropyReport entropy = dashi::pq::entropy_report(packed);
  std::printf("packed: %.3f bits/site (entropy bound %.3f, metadata %.4f)\n",
              packed.bits_per_site(), entropy.entropy_bits_per_site,
              entropy.metadata_bits_per_site);

  // Run a 2-D stencil packed in -> packed out: each worker decodes only its rows + halo.
  const dashi::pq::PackedField smoothed =
      dashi::run_kernel_parallel(dashi::kernels::Majority3x3{}, packed, {.num_workers = 2});

  // Save the bytes (self-describing, CRC-protected) and load them back.
  const std::filesystem::path path = std::filesystem::temp_directory_path() / "dashi_example.pq";
  {
    const std::vector<std::byte> bytes = dashi::pq::to_bytes(smoothed);
    std::ofstream out(path, std::ios::binary);
    out.write(reinterpret_cast<const char*>(bytes.data()),
              static_cast<std::streamsize>(bytes.size()));
  }
  std::ifstream in(path, std::ios::binary);
  const std::vector<char> raw((std::istreambuf_iterator<char>(in)),
                              std::istreambuf_iterator<char>());
  std::filesystem::remove(path);
  const dashi::pq::PackedField loaded =
      dashi::pq::from_bytes(std::span(reinterpret_cast<const std::byte*>(raw.data()), raw.size()));

  // Dense is the reference.
  const dashi::TernaryField reference = dashi::apply_kernel(dashi::kernels::Majority3x3{}, field);
  bool same = loaded == smoothed && dashi::pq::decode(loaded) == reference;

  // In a loop, pack and unpack into storage that is reused: no allocation once warm.
  dashi::pq::PackedField scratch;
  dashi::TernaryField unpacked = dashi::TernaryField::uninitialized(shape);
  for (const dashi::TernaryField* step : {&field, &reference, &field}) {
    dashi::pq::encode_into(*step, scratch, {.num_workers = 2});
    dashi::pq::decode_into(scratch, unpacked.span());
    same = same && unpacked == *step;
  }
  std::printf("saved %zu bytes for %zu sites; packed result identical to dense: %s\n", raw.size(),
              field.size(), same ? "yes" : "NO");
  return same ? 0 : 1;
}
