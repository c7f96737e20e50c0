// SPDX-License-Identifier: Apache-2.0
#pragma once

/// @file
/// The vector types of the library, the only ones (GCC/Clang vector extensions, so they
/// work on every target and compile to the widest registers of the function they are used
/// in). Byte lanes come signed (trits, comparisons give -1 for true) and unsigned (wrapping
/// arithmetic); `chars*` and `words*` are the element types the compiler builtins of x86.hpp
/// are declared with. Vectors of 32 and 64 bytes are passed by reference between functions
/// of different targets: by value they change the ABI between AVX and non-AVX code.

#include <cstdint>

#if !defined(__GNUC__) && !defined(__clang__)
#  error "dashicore needs the GCC/Clang vector extensions (GCC >= 12 or Clang >= 14)"
#endif

namespace dashi::detail {

/// 16 signed bytes (native in every x86-64 target: the portable scans use it).
using bytes16 = std::int8_t __attribute__((vector_size(16)));
/// 32 signed bytes.
using bytes32 = std::int8_t __attribute__((vector_size(32)));
/// 32 unsigned bytes (wrapping arithmetic).
using ubytes32 = std::uint8_t __attribute__((vector_size(32)));
/// 64 signed bytes (one AVX-512 register).
using bytes64 = std::int8_t __attribute__((vector_size(64)));
/// 64 unsigned bytes (wrapping arithmetic).
using ubytes64 = std::uint8_t __attribute__((vector_size(64)));
/// 16-bit lanes, for the shifts x86 only has on words.
using ushorts32 = std::uint16_t __attribute__((vector_size(32)));
using ushorts64 = std::uint16_t __attribute__((vector_size(64)));
/// 32-bit lanes: broadcasts of half a word.
using uints32 = std::uint32_t __attribute__((vector_size(32)));
/// Plain `char` lanes: the operand type of the byte builtins.
using chars32 = char __attribute__((vector_size(32)));
using chars64 = char __attribute__((vector_size(64)));
/// 64-bit lanes: broadcasts, `vpsadbw` sums, non-temporal stores.
using words16 = long long __attribute__((vector_size(16)));
using words32 = long long __attribute__((vector_size(32)));
using words64 = long long __attribute__((vector_size(64)));
/// Unsigned 64-bit lanes, 2, 4 or 8 words (16, 32 or 64 bytes): the word vectors of the
/// bit-sliced loops (one logic instruction for 64 sites per lane).
using uwords16 = std::uint64_t __attribute__((vector_size(16)));
using uwords32 = std::uint64_t __attribute__((vector_size(32)));
using uwords64 = std::uint64_t __attribute__((vector_size(64)));

}  // namespace dashi::detail
