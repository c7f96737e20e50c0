// SPDX-License-Identifier: Apache-2.0
// Compile-only: the Carrier concept accepts the three carrier types (and user types with
// the same API) and rejects others; Shape accepts ranks 1 to 4 only.

#include <cstddef>
#include <cstdint>
#include <dashi/carrier.hpp>
#include <span>
#include <type_traits>
#include <vector>

namespace dashi_compile_tests {

using dashi::Carrier;
using dashi::Shape;
using dashi::TernaryField;
using dashi::TernarySpan;
using dashi::TernaryView;

// ---- Carrier -----------------------------------------------------------------------------

static_assert(Carrier<TernaryField>);
static_assert(Carrier<TernaryView>);
static_assert(Carrier<TernarySpan>);
static_assert(Carrier<const TernaryField>);

/// A user type exposing a shape and contiguous signed values.
struct UserCarrier {
  [[nodiscard]] Shape shape() const { return Shape{static_cast<std::size_t>(data.size())}; }
  [[nodiscard]] std::span<const std::int8_t> values() const { return data; }
  std::vector<std::int8_t> data;
};
static_assert(Carrier<UserCarrier>);

struct NoShape {
  [[nodiscard]] std::span<const std::int8_t> values() const { return {}; }
};
struct NoValues {
  [[nodiscard]] Shape shape() const { return {}; }
};
struct WrongValueType {
  [[nodiscard]] Shape shape() const { return {}; }
  [[nodiscard]] std::span<const int> values() const { return {}; }
};
struct UnsignedValues {
  [[nodiscard]] Shape shape() const { return {}; }
  [[nodiscard]] std::span<const std::uint8_t> values() const { return {}; }
};
struct ShapeIsAVector {
  [[nodiscard]] std::vector<std::size_t> shape() const { return {}; }
  [[nodiscard]] std::span<const std::int8_t> values() const { return {}; }
};

static_assert(!Carrier<int>);
static_assert(!Carrier<std::vector<std::int8_t>>);
static_assert(!Carrier<std::span<const std::int8_t>>);
static_assert(!Carrier<Shape>);
static_assert(!Carrier<NoShape>);
static_assert(!Carrier<NoValues>);
static_assert(!Carrier<WrongValueType>);
static_assert(!Carrier<UnsignedValues>);
static_assert(!Carrier<ShapeIsAVector>);

// ---- Views convert one way only ----------------------------------------------------------

static_assert(std::is_convertible_v<TernaryField, TernaryView>);
static_assert(std::is_convertible_v<TernarySpan, TernaryView>);
static_assert(!std::is_convertible_v<TernaryView, TernarySpan>);
static_assert(!std::is_convertible_v<TernaryView, TernaryField>);
static_assert(std::is_nothrow_copy_constructible_v<TernaryView>);
static_assert(std::is_trivially_copyable_v<TernaryView>);
static_assert(std::is_copy_constructible_v<TernaryField> &&
              std::is_nothrow_move_constructible_v<TernaryField>);

// ---- Shape ranks -------------------------------------------------------------------------

static_assert(std::is_constructible_v<Shape, int>);
static_assert(std::is_constructible_v<Shape, std::size_t, std::size_t>);
static_assert(std::is_constructible_v<Shape, int, long, short>);
static_assert(std::is_constructible_v<Shape, int, int, int, int>);
static_assert(!std::is_constructible_v<Shape, int, int, int, int, int>);  // rank 5
static_assert(!std::is_constructible_v<Shape, double>);
static_assert(!std::is_constructible_v<Shape, const char*>);
static_assert(Shape::max_rank == 4);

// ---- trit --------------------------------------------------------------------------------

static_assert(std::is_same_v<std::underlying_type_t<dashi::trit>, std::int8_t>);
static_assert(static_cast<int>(dashi::trit::neg) == -1 &&
              static_cast<int>(dashi::trit::zero) == 0 && static_cast<int>(dashi::trit::pos) == 1);

// ---- from_signed overloads ---------------------------------------------------------------

template <class R>
concept FromSignedAccepts = requires(const R& r) {
  TernaryField::from_signed(r);
};
static_assert(FromSignedAccepts<std::vector<std::int8_t>>);
static_assert(FromSignedAccepts<std::vector<int>>);
static_assert(FromSignedAccepts<std::vector<double>>);
static_assert(FromSignedAccepts<std::span<const std::int8_t>>);
static_assert(!FromSignedAccepts<std::vector<bool>>);  // not contiguous
static_assert(!FromSignedAccepts<int>);

}  // namespace dashi_compile_tests
