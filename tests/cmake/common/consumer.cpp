// SPDX-License-Identifier: Apache-2.0
// A downstream program written only against the public names: it must build against the
// package and get byte-identical results from every executor overload, dense and packed.
#include <cstdio>
#include <dashi/execution/cpu_parallel.hpp>
#include <dashi/pq/adapters.hpp>
#include <dashi/pq/codec.hpp>
#include <dashi/pq/legacy.hpp>
#include <vector>

int main() {
  std::vector<std::int8_t> values(300'000);
  for (std::size_t i = 0; i < values.size(); ++i) {
    values[i] = static_cast<std::int8_t>(static_cast<int>((i * 7919U) % 3U) - 1);
  }
  const auto field = dashi::TernaryField::from_signed(values, dashi::Shape{600, 500});
  const dashi::kernels::Majority3x3 kernel;
  const dashi::TernaryField reference = dashi::apply_kernel(kernel, field);

  dashi::ThreadPool pool(2);
  const dashi::TernaryField a = dashi::run_kernel_parallel(kernel, field, {.num_workers = 2});
  const dashi::TernaryField b =
      dashi::run_kernel_parallel(pool, kernel, field, {.block_elems = 4096, .halo = 1});
  dashi::TernaryField c = dashi::TernaryField::zeros(field.shape());
  dashi::run_kernel_parallel(pool, kernel, field, c.span(), {.num_workers = 3});

  // PQ (docs/design.md §5): packed execution, serialisation and the legacy 2-bit form.
  const dashi::pq::PackedField packed = dashi::pq::encode(field, {.num_workers = 2});
  const dashi::pq::PackedField packed_out =
      dashi::run_kernel_parallel(kernel, packed, {.num_workers = 2});
  const dashi::pq::PackedField reloaded = dashi::pq::from_bytes(dashi::pq::to_bytes(packed_out));
  const dashi::TernaryField roundtrip =
      dashi::run_kernel_parallel(pool, dashi::pq::roundtrip(kernel), field);
  const std::vector<std::uint8_t> legacy = dashi::pq::legacy::encode_2bit(field);
  const bool packed_same = dashi::pq::decode(reloaded) == reference && roundtrip == reference &&
                           dashi::pq::decode_site(packed, 7) == field.value(7) &&
                           dashi::pq::legacy::decode_2bit(legacy, field.shape()) == field;

  const bool same = a == reference && b == reference && c == reference && packed_same &&
                    dashi::fingerprint(a) == dashi::fingerprint(reference);
  std::printf("consumer: %s (fingerprint %016llx)\n", same ? "identical" : "MISMATCH",
              static_cast<unsigned long long>(dashi::fingerprint(a)));
  return same ? 0 : 1;
}
