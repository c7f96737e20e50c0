// SPDX-License-Identifier: Apache-2.0
// Writes the seed corpora of the fuzz harnesses: small valid inputs, each prefixed by the
// harness's mode byte (see the harness files). Deterministic; run it to regenerate
// fuzz/corpus after a format change:
//
//   make_corpus <folder>     → <folder>/{from_bytes_fuzz,legacy_decode_fuzz,pq_file_fuzz}/

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <dashi/carrier.hpp>
#include <dashi/pq/codec.hpp>
#include <dashi/pq/file.hpp>
#include <dashi/pq/legacy.hpp>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <span>
#include <string>
#include <vector>

#include "support/seeded.hpp"

namespace {

using dashi::Shape;
using dashi::TernaryField;
using Bytes = std::vector<std::uint8_t>;

using dashi_test::percent_field;

void save(const std::filesystem::path& path, std::uint8_t mode,
          std::span<const std::uint8_t> body) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.put(static_cast<char>(mode));
  out.write(reinterpret_cast<const char*>(body.data()), static_cast<std::streamsize>(body.size()));
  if (!out) {
    throw std::runtime_error("cannot write " + path.string());
  }
}

Bytes read_all(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::uint64_t load_le(const std::uint8_t* src, std::size_t bytes) {
  std::uint64_t value = 0;
  for (std::size_t i = 0; i < bytes; ++i) {
    value |= static_cast<std::uint64_t>(src[i]) << (8 * i);
  }
  return value;
}

/// The compact form of a PQ-FS file read by pq_file_fuzz (mode bit 1): the header's first
/// 84 bytes, then each superblock's used prefix.
Bytes compact(const Bytes& file) {
  Bytes out(file.begin(), file.begin() + 84);
  const std::size_t sb = static_cast<std::size_t>(load_le(file.data() + 20, 4));
  for (std::size_t base = 4096; base + sb <= file.size(); base += sb) {
    const std::uint64_t q_offset = load_le(file.data() + base + 48, 4);
    const std::uint64_t q_bits = load_le(file.data() + base + 52, 4);
    const auto used = static_cast<std::size_t>(q_offset + q_bits / 8 + (q_bits % 8 != 0));
    out.insert(out.end(), file.begin() + static_cast<std::ptrdiff_t>(base),
               file.begin() + static_cast<std::ptrdiff_t>(base + used));
  }
  return out;
}

struct Case {
  std::string name;
  Shape shape;
  unsigned percent;
};

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s <corpus folder>\n", argv[0]);
    return 2;
  }
  const std::filesystem::path root(argv[1]);
  const auto dir = [&](const char* name) {
    const std::filesystem::path path = root / name;
    std::filesystem::create_directories(path);
    return path;
  };
  std::size_t files = 0;

  // from_bytes_fuzz: serialised packed fields; mode 1 repairs the CRCs of mutants.
  {
    const auto out = dir("from_bytes_fuzz");
    struct Packed {
      Case field;
      std::uint32_t block;
      std::uint8_t mode;
    };
    const Packed cases[] = {
        {{"empty", Shape{0}, 50}, 4096, 1},
        {{"one_site", Shape{1}, 100}, 64, 1},
        {{"n63", Shape{63}, 60}, 64, 1},
        {{"n64_full", Shape{64}, 100}, 64, 1},
        {{"n65", Shape{65}, 40}, 64, 0},
        {{"n200_b64", Shape{200}, 50}, 64, 5},
        {{"n1000_b128_sparse", Shape{1000}, 5}, 128, 1},
        {{"r2_7x9", Shape{7, 9}, 50}, 64, 1},
        {{"r3_2x3x5", Shape{2, 3, 5}, 70}, 64, 3},
        {{"r4_2x2x3x4", Shape{2, 2, 3, 4}, 50}, 256, 1},
        {{"zero_extent_3x0", Shape{3, 0}, 50}, 64, 1},
        {{"n4100_two_blocks", Shape{4100}, 30}, 4096, 5},
        {{"n700_all_zero", Shape{700}, 0}, 64, 1},
        {{"n640_b65536", Shape{640}, 90}, 65536, 0},
    };
    std::uint64_t seed = 1;
    for (const auto& c : cases) {
      const TernaryField field = percent_field(c.field.shape, c.field.percent, seed++);
      const auto bytes = dashi::pq::to_bytes(dashi::pq::encode(field, {.block_sites = c.block}));
      const std::span<const std::uint8_t> body(reinterpret_cast<const std::uint8_t*>(bytes.data()),
                                               bytes.size());
      save(out / (c.field.name + ".bin"), c.mode, body);
      ++files;
    }
  }

  // legacy_decode_fuzz: control byte (t = 4 × len − n in bits 0-1, rank − 1 in bits 2-3).
  {
    const auto out = dir("legacy_decode_fuzz");
    const Case cases[] = {
        {"n1", Shape{1}, 100},
        {"n2", Shape{2}, 100},
        {"n3", Shape{3}, 60},
        {"n4", Shape{4}, 60},
        {"n5", Shape{5}, 60},
        {"n17", Shape{17}, 50},
        {"n64", Shape{64}, 50},
        {"n101", Shape{101}, 30},
        {"r2_6x7", Shape{6, 7}, 50},
        {"r3_5x2x3", Shape{5, 2, 3}, 70},
        {"r4_3x2x2x5", Shape{3, 2, 2, 5}, 50},
    };
    std::uint64_t seed = 100;
    for (const auto& c : cases) {
      const TernaryField field = percent_field(c.shape, c.percent, seed++);
      const Bytes bytes = dashi::pq::legacy::encode_2bit(field);
      const std::size_t t = 4 * bytes.size() - field.size();
      const auto control = static_cast<std::uint8_t>(t | ((c.shape.rank() - 1) << 2));
      save(out / (c.name + ".bin"), control, bytes);
      ++files;
    }
    // The empty field: no byte at all.
    save(out / "empty_r2.bin", std::uint8_t{1U << 2}, {});
    ++files;
  }

  // pq_file_fuzz: compact forms (mode bits 0-1) of small files, and two raw files.
  {
    const auto out = dir("pq_file_fuzz");
    struct FileCase {
      Case field;
      std::uint32_t sb_bytes;
      std::uint8_t mode;
      bool raw;
    };
    const FileCase cases[] = {
        {{"empty", Shape{0}, 50}, 4096, 3, false},
        {{"n1", Shape{1}, 100}, 4096, 3, false},
        {{"n100", Shape{100}, 50}, 4096, 11, false},
        {{"r2_33x17", Shape{33, 17}, 60}, 4096, 7, false},
        {{"r3_4x5x6", Shape{4, 5, 6}, 40}, 8192, 3, false},
        {{"r4_2x3x4x5", Shape{2, 3, 4, 5}, 50}, 4096, 15, false},
        {{"n40000_sparse_multi_sb", Shape{40000}, 3}, 4096, 3, false},
        {{"r2_200x100_dense_multi_sb", Shape{200, 100}, 90}, 4096, 7, false},
        {{"raw_n300", Shape{300}, 50}, 4096, 0, true},
        {{"raw_r2_20x20", Shape{20, 20}, 50}, 4096, 8, true},
    };
    const std::filesystem::path temp =
        std::filesystem::temp_directory_path() / "dashi_make_corpus.pqfs";
    std::uint64_t seed = 200;
    for (const auto& c : cases) {
      const TernaryField field = percent_field(c.field.shape, c.field.percent, seed++);
      dashi::pq::write_file(temp, field, {.sb_bytes = c.sb_bytes});
      const Bytes file = read_all(temp);
      const Bytes body = c.raw ? file : compact(file);
      save(out / (c.field.name + ".bin"), c.mode, body);
      ++files;
    }
    std::filesystem::remove(temp);
  }
  std::printf("wrote %zu seed files under %s\n", files, root.string().c_str());
  return 0;
}
