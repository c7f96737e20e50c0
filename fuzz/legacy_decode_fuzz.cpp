// SPDX-License-Identifier: Apache-2.0
// Fuzz harness of `dashi::pq::legacy::decode_2bit` (docs/PQ_FORMAT.md §4).
//
// Input: one control byte, then the 2-bit buffer (`len` bytes).
//   bits 0-1  t: the shape holds n = 4 × len − t sites (n = 0 when len = 0);
//   bits 2-3  rank − 1 (trailing extents are small divisors of n; for n = 0 axis 0 is
//             len + 1 and a trailing extent is 0);
//   bit 4     wrong size: n moves by 4 × (bits 5-7) − 16 sites (clamped at 0), and with
//             bits 5-7 = 7 the shape is (2^31 + len) × 2^31, which must be rejected
//             before anything is allocated.
// The library's verdict is compared with a reference decoder written here from the format
// text: it must accept exactly the valid buffers, decode them to the reference values,
// and `encode_2bit` must give the input back byte for byte. A rejection must be a
// `FormatError` naming a problem the buffer really has.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <dashi/carrier.hpp>
#include <dashi/pq/codec.hpp>
#include <dashi/pq/legacy.hpp>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "fuzz_support.hpp"

namespace {

constexpr const char* harness = "legacy_decode_fuzz";

using dashi::Shape;
using dashi_fuzz::require;

/// A shape of `n` sites and rank `rank`: trailing extents are the smallest divisors of
/// what is left among 2..7 (1 when there is none).
Shape shape_of(std::size_t n, std::size_t rank, std::size_t len) {
  std::vector<std::size_t> extents(rank, 1);
  if (n == 0) {
    extents[0] = len + 1;
    if (rank > 1) {
      extents[rank - 1] = 0;
    } else {
      extents[0] = 0;
    }
    return Shape::from_extents(extents);
  }
  std::size_t left = n;
  for (std::size_t axis = rank; axis-- > 1;) {
    for (std::size_t d = 2; d <= 7; ++d) {
      if (left % d == 0) {
        extents[axis] = d;
        left /= d;
        break;
      }
    }
  }
  extents[0] = left;
  return Shape::from_extents(extents);
}

/// What the format says about `bytes` as the 2-bit form of `n` sites: nothing when the
/// buffer is valid, else every problem it has (field name and byte offset).
struct Problems {
  bool length = false;
  std::vector<std::size_t> code_bytes;  // bytes holding a code 3 within the n sites
  bool padding = false;                 // non-zero bits past site n in the last byte
  [[nodiscard]] bool any() const { return length || !code_bytes.empty() || padding; }
};

Problems reference_check(std::span<const std::uint8_t> bytes, std::size_t n) {
  Problems problems;
  if (bytes.size() != n / 4 + (n % 4 != 0 ? 1 : 0)) {
    problems.length = true;
    return problems;
  }
  for (std::size_t i = 0; i < n; ++i) {
    if (((bytes[i / 4] >> (2 * (i % 4))) & 3U) == 3U &&
        (problems.code_bytes.empty() || problems.code_bytes.back() != i / 4)) {
      problems.code_bytes.push_back(i / 4);
    }
  }
  if (n % 4 != 0 && (bytes.back() >> (2 * (n % 4))) != 0) {
    problems.padding = true;
  }
  return problems;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) {
    return 0;
  }
  const unsigned control = data[0];
  const std::span<const std::uint8_t> bytes(data + 1, size - 1);
  const std::size_t len = bytes.size();
  const std::size_t rank = ((control >> 2) & 3U) + 1;
  std::size_t n = len == 0 ? 0 : 4 * len - (control & 3U);
  std::optional<Shape> huge;
  if ((control & 16U) != 0) {
    const unsigned delta = control >> 5;
    if (delta == 7) {
      huge = Shape{(std::size_t{1} << 31) + len, std::size_t{1} << 31};
    } else {
      const std::size_t up = 4 * std::size_t{delta};
      n = n + up >= 16 ? n + up - 16 : 0;
    }
  }
  const Shape shape = huge ? *huge : shape_of(n, rank, len);
  n = shape.size();

  const Problems problems = reference_check(bytes, n);
  dashi::TernaryField field;
  try {
    field = dashi::pq::legacy::decode_2bit(bytes, shape);
  } catch (const dashi::pq::FormatError& error) {
    const std::string field_name = error.field();
    const std::string context = std::string(": ") + error.what();
    require(problems.any(), harness, "rejected a valid buffer" + context);
    if (field_name == "length") {
      require(problems.length, harness,
              "'length' error for a buffer of the right length" + context);
    } else if (field_name == "code") {
      require(std::find(problems.code_bytes.begin(), problems.code_bytes.end(), error.offset()) !=
                  problems.code_bytes.end(),
              harness, "'code' error at a byte without a code 3" + context);
    } else if (field_name == "padding") {
      require(problems.padding && error.offset() + 1 == len, harness,
              "'padding' error without non-zero padding bits" + context);
    } else {
      require(false, harness, "unexpected field name" + context);
    }
    return 0;
  }
  require(!problems.any(), harness, "accepted an invalid buffer");
  require(field.shape() == shape, harness, "decoded shape differs");
  for (std::size_t i = 0; i < n; ++i) {
    const unsigned code = (bytes[i / 4] >> (2 * (i % 4))) & 3U;
    const int expected = code == 0 ? 0 : (code == 1 ? -1 : 1);
    require(field.value(i) == expected, harness, "site " + std::to_string(i) + " decoded wrongly");
  }
  const std::vector<std::uint8_t> again = dashi::pq::legacy::encode_2bit(field);
  require(again.size() == len && std::equal(again.begin(), again.end(), bytes.begin()), harness,
          "encode_2bit(decode_2bit(b)) != b");
  // The same field through the PQ codec.
  require(dashi::pq::decode(dashi::pq::encode(field)) == field, harness,
          "PQ round trip of a decoded legacy field differs");
  return 0;
}
