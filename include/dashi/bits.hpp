// SPDX-License-Identifier: Apache-2.0
#pragma once

/// @file
/// Umbrella header of the bit planes: a ternary field held as a **support** plane (bit 1
/// where the site is not 0) and a **sign** plane (bit 1 where it is +1), computed on directly
/// by bit-sliced kernels (64 sites per word, 512 per AVX-512 instruction) and moving 2 bits
/// per site instead of 8. Dense stays the reference: every result unpacks to the dense one.
///
/// - `field.hpp`: `BitField`, `BitView`, `BitSpan`;
/// - `pack.hpp`: `pack`, `pack_into`, `unpack`, `unpack_into`;
/// - `validate.hpp`: `validate`, `fingerprint`;
/// - `pq.hpp`: `from_pq`, `to_pq` (PQ and planes, no byte per site in between);
/// - `kernel.hpp`: the concepts `BitKernel`, `BitRowWindowKernel`;
/// - `executor.hpp`: `dashi::run_kernel_parallel` and `dashi::run_kernel_iterated` on planes.

#include <dashi/bits/executor.hpp>
#include <dashi/bits/field.hpp>
#include <dashi/bits/kernel.hpp>
#include <dashi/bits/pack.hpp>
#include <dashi/bits/pq.hpp>
#include <dashi/bits/validate.hpp>
#include <dashi/kernel.hpp>
