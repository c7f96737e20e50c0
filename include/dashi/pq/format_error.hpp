// SPDX-License-Identifier: Apache-2.0
#pragma once

/// @file
/// `dashi::pq::FormatError`: the error of every PQ reader (serialised buffers, PQ-FS files,
/// the legacy 2-bit form).

#include <cstddef>
#include <stdexcept>
#include <string>

namespace dashi::pq {

/// Malformed packed data (a serialised buffer, a PQ-FS file or a legacy 2-bit buffer). The message
/// names the field and the byte offset where the problem was found; `field()` and
/// `offset()` give them separately. Nothrow copyable.
class FormatError : public std::runtime_error {
 public:
  /// `where` is the function, `field` a string literal naming the field, `offset` the
  /// byte offset of that field (or of the bad byte) in the input.
  FormatError(const char* where, const char* field, std::size_t offset, const std::string& what)
      : std::runtime_error(std::string(where) + ": field '" + field + "' at byte offset " +
                           std::to_string(offset) + ": " + what),
        field_(field),
        offset_(offset) {}

  /// The name of the offending field (for example `"version"`, `"payload_crc"`).
  [[nodiscard]] const char* field() const noexcept { return field_; }
  /// The byte offset of the offending field or byte.
  [[nodiscard]] std::size_t offset() const noexcept { return offset_; }

 private:
  const char* field_;
  std::size_t offset_;
};

}  // namespace dashi::pq
