// SPDX-License-Identifier: Apache-2.0
// Bit planes: hold a field as a support plane and a sign plane, run bit-sliced kernels on
// them directly (one logic instruction updates 64 to 512 sites), go to and from PQ without a
// byte per site, and write a bit kernel of one's own. Dense stays the reference throughout.
#include <cstdio>
#include <dashi/bits.hpp>
#include <dashi/pq/adapters.hpp>
#include <random>
#include <vector>

/// A user's bit kernel: keep the sites whose right-hand neighbour (next site of the run)
/// has the same sign, 0 elsewhere. Radius 1, and it never creates support.
struct AgreeWithNext {
  static constexpr std::size_t radius = 1;
  void operator()(dashi::TernaryView in, dashi::TernarySpan out) const {
    const auto v = in.values();
    for (std::size_t i = 0; i < v.size(); ++i) {
      out.values()[i] = i + 1 < v.size() && v[i + 1] == v[i] ? v[i] : std::int8_t{0};
    }
  }
  void bits(dashi::bits::BitView in, dashi::bits::BitSpan out) const {
    const auto s = in.support();
    const auto g = in.sign();
    for (std::size_t w = 0; w < s.size(); ++w) {
      // Site i + 1 is bit b + 1 of the word, or bit 0 of the next word.
      const std::uint64_t s_next = (s[w] >> 1) | (w + 1 < s.size() ? s[w + 1] << 63 : 0);
      const std::uint64_t g_next = (g[w] >> 1) | (w + 1 < s.size() ? g[w + 1] << 63 : 0);
      out.support_words()[w] = s[w] & s_next & ~(g[w] ^ g_next);
      out.sign_words()[w] = g[w] & out.support_words()[w];
    }
  }
};

int main() {
  const dashi::Shape shape{1000, 1000};
  std::mt19937_64 rng(7);
  std::vector<std::int8_t> values(shape.size());
  for (auto& v : values) {
    v = static_cast<std::int8_t>(static_cast<int>(rng() % 3) - 1);
  }
  const auto field = dashi::TernaryField::from_signed(values, shape);

  // Bytes -> planes (2 bits a site) and back.
  const dashi::bits::BitField planes = dashi::bits::pack(field);
  bool same = dashi::bits::unpack(planes) == field &&
              dashi::bits::fingerprint(planes) == dashi::fingerprint(field);
  std::printf("planes: %zu words each, %llu supported sites\n", planes.words(),
              static_cast<unsigned long long>(planes.count_support()));

  // The executor on planes: the same guarantee as on bytes, byte for byte after unpack.
  const dashi::ParallelOptions options{.num_workers = 2, .block_elems = 64 * 1000};
  const dashi::bits::BitField smoothed =
      dashi::run_kernel_parallel(dashi::kernels::Majority3x3{}, planes, options);
  same = same && dashi::bits::unpack(smoothed) ==
                     dashi::run_kernel_parallel(dashi::kernels::Majority3x3{}, field, options);
  dashi::IterateOptions iterate;
  iterate.steps_per_sync = 4;  // 4 steps per block between synchronisations
  const dashi::bits::BitField settled =
      dashi::run_kernel_iterated(dashi::kernels::Majority3x3{}, planes, 8, iterate);
  same = same && dashi::bits::unpack(settled) ==
                     dashi::run_kernel_iterated(dashi::kernels::Majority3x3{}, field, 8);

  // PQ and planes, no byte per site in between; the packed executor runs bit kernels on
  // planes block by block.
  const dashi::pq::PackedField packed = dashi::bits::to_pq(planes);
  same = same && packed == dashi::pq::encode(field) && dashi::bits::from_pq(packed) == planes;
  const dashi::pq::PackedField flipped =
      dashi::run_kernel_parallel(dashi::kernels::SignFlip{}, packed, options);
  same =
      same && dashi::pq::decode(flipped) == dashi::apply_kernel(dashi::kernels::SignFlip{}, field);

  // A user's bit kernel on a 1-D field: its two forms must agree.
  const auto line = dashi::TernaryField::from_signed(field.values(), dashi::Shape{shape.size()});
  const dashi::bits::BitField agreed =
      dashi::run_kernel_parallel(AgreeWithNext{}, dashi::bits::pack(line), options);
  same = same && dashi::bits::unpack(agreed) == dashi::apply_kernel(AgreeWithNext{}, line);

  std::printf("planes equal dense: %s\n", same ? "yes" : "NO");
  return same ? 0 : 1;
}
