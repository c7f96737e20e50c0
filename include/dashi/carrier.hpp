// SPDX-License-Identifier: Apache-2.0
#pragma once

/// @file
/// Balanced-ternary carriers: `trit`, `Shape`, the owning `TernaryField`, the views
/// `TernaryView` / `TernarySpan`, the `Carrier` concept and `fingerprint`.

#include <algorithm>
#include <array>
#include <bit>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <dashi/detail/aligned_buffer.hpp>
#include <dashi/detail/trit_scan.hpp>
#include <initializer_list>
#include <limits>
#include <ranges>
#include <span>
#include <sstream>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

namespace dashi {

/// A balanced-ternary digit.
enum class trit : std::int8_t { neg = -1, zero = 0, pos = 1 };

/// Invalid carrier data: a value outside {-1, 0, +1}, a size that does not match the
/// shape, or an inconsistent support/sign pair. The message names the first bad index
/// and value.
class CarrierError : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

/// Row-major extents of rank 1 to 4. An extent may be 0 (an empty field).
/// Axis 0 is the partition axis: an axis-0 slice is a "row" of `row_elems()` sites.
/// Value type. The constructors, `from_extents` and `with_rows` throw `CarrierError` for a
/// rank outside 1..4, a negative extent or a size overflow (see `detail::extents_fit`, the
/// one rule they share); `to_string` may throw `std::bad_alloc`; the other members are
/// `noexcept`.
class Shape {
 public:
  /// Highest supported rank.
  static constexpr std::size_t max_rank = 4;

  /// The empty 1-D shape `{0}`.
  Shape() noexcept = default;

  /// `Shape{n}`, `Shape{rows, cols}`, ... from 1 to 4 integral extents.
  template <std::integral... I>
    requires(sizeof...(I) >= 1 && sizeof...(I) <= max_rank)
  Shape(I... extents) : rank_(sizeof...(I)) {  // NOLINT(google-explicit-constructor)
    std::size_t axis = 0;
    ((extents_[axis++] = checked_extent(extents)), ...);
    check_size();
  }

  /// Shape from a run-time list of extents; throws `CarrierError` for a rank outside 1..4 or
  /// when the product of the non-zero extents exceeds `PTRDIFF_MAX`.
  [[nodiscard]] static Shape from_extents(std::span<const std::size_t> extents) {
    if (extents.empty() || extents.size() > max_rank) {
      throw CarrierError("dashi::Shape: rank " + std::to_string(extents.size()) +
                         " is outside 1..4");
    }
    Shape shape;
    shape.rank_ = extents.size();
    std::copy(extents.begin(), extents.end(), shape.extents_.begin());
    shape.check_size();
    return shape;
  }

  /// Number of axes (1..4).
  [[nodiscard]] std::size_t rank() const noexcept { return rank_; }
  /// Extent of `axis`; `axis < rank()` is a precondition (0 is returned otherwise).
  [[nodiscard]] std::size_t operator[](std::size_t axis) const noexcept {
    return axis < rank_ ? extents_[axis] : 0;
  }
  /// The used extents.
  [[nodiscard]] std::span<const std::size_t> extents() const noexcept {
    return {extents_.data(), rank_};
  }
  /// Number of sites: the product of the extents.
  [[nodiscard]] std::size_t size() const noexcept { return rows() * row_elems(); }
  /// Extent of axis 0.
  [[nodiscard]] std::size_t rows() const noexcept { return extents_[0]; }
  /// Sites per axis-0 slice: the product of the extents after axis 0 (1 for rank 1).
  [[nodiscard]] std::size_t row_elems() const noexcept {
    std::size_t product = 1;
    for (std::size_t axis = 1; axis < rank_; ++axis) {
      product *= extents_[axis];
    }
    return product;
  }
  /// The same shape with axis 0 replaced by `rows`; throws `CarrierError` on overflow.
  [[nodiscard]] Shape with_rows(std::size_t rows) const {
    Shape shape = *this;
    shape.extents_[0] = rows;
    shape.check_size();
    return shape;
  }
  /// Human-readable form such as `(3, 5)`.
  [[nodiscard]] std::string to_string() const {
    std::string text = "(";
    for (std::size_t axis = 0; axis < rank_; ++axis) {
      text += (axis == 0 ? "" : ", ") + std::to_string(extents_[axis]);
    }
    return text + ")";
  }

  /// Equal when ranks and extents are equal.
  friend bool operator==(const Shape& a, const Shape& b) noexcept {
    return a.rank_ == b.rank_ && a.extents_ == b.extents_;
  }

 private:
  template <std::integral I>
  static std::size_t checked_extent(I extent) {
    if constexpr (std::is_signed_v<I>) {
      if (extent < 0) {
        throw CarrierError("dashi::Shape: negative extent " + std::to_string(extent));
      }
    }
    if constexpr (sizeof(I) > sizeof(std::size_t)) {
      if (extent > static_cast<I>(std::numeric_limits<std::size_t>::max())) {
        throw CarrierError("dashi::Shape: extent too large");
      }
    }
    return static_cast<std::size_t>(extent);
  }
  void check_size() const;

  std::size_t rank_ = 1;
  std::array<std::size_t, max_rank> extents_{};
};

namespace detail {

/// The one size rule of `Shape`, for every constructor and every reader of stored shapes:
/// the product of the non-zero extents is at most `PTRDIFF_MAX`. Ignoring zero extents makes
/// the rule independent of the order of the axes (`(0, 2^32, 2^32)` is refused like
/// `(2^32, 2^32, 0)`), so `row_elems()` and every partial product never wrap. The rank is
/// not checked here.
[[nodiscard]] constexpr bool extents_fit(std::span<const std::size_t> extents) noexcept {
  constexpr auto limit = static_cast<std::size_t>(std::numeric_limits<std::ptrdiff_t>::max());
  std::size_t product = 1;
  for (const std::size_t extent : extents) {
    if (extent == 0) {
      continue;
    }
    if (product > limit / extent) {
      return false;
    }
    product *= extent;
  }
  return true;
}

}  // namespace detail

inline void Shape::check_size() const {
  if (!detail::extents_fit(extents())) {
    throw CarrierError("dashi::Shape: " + to_string() +
                       " has more sites than memory can hold (the product of the non-zero "
                       "extents exceeds PTRDIFF_MAX)");
  }
}

namespace detail {

/// Message for a bad trit: "<where>: value <v> at index <i> is not a trit (expected -1, 0 or 1)".
template <class T>
std::string bad_trit_message(const char* where, std::size_t index, T value) {
  std::ostringstream out;
  out << where << ": value ";
  if constexpr (sizeof(T) == 1 && std::is_integral_v<T>) {
    out << static_cast<int>(value);
  } else {
    out << value;
  }
  out << " at index " << index << " is not a trit (expected -1, 0 or 1)";
  return out.str();
}

inline void check_size_matches(const char* where, std::size_t values, const Shape& shape) {
  if (values != shape.size()) {
    throw CarrierError(std::string(where) + ": " + std::to_string(values) +
                       " values do not match shape " + shape.to_string() + " of " +
                       std::to_string(shape.size()) + " sites");
  }
}

inline void check_trits(const char* where, std::span<const std::int8_t> values) {
  if (const auto bad = first_non_trit(values.data(), values.size())) {
    throw CarrierError(bad_trit_message(where, *bad, values[*bad]));
  }
}

/// The read-only API shared by `TernaryField`, `TernaryView` and `TernarySpan`.
/// `Derived` provides `shape()` and `values()`. Thread-safe for concurrent reads.
template <class Derived>
class TernaryReadApi {
 public:
  /// Number of sites.
  [[nodiscard]] std::size_t size() const noexcept { return self().shape().size(); }
  /// True when the field has no site.
  [[nodiscard]] bool empty() const noexcept { return size() == 0; }
  /// Signed value of site `i` (row-major); `i < size()` is a precondition.
  [[nodiscard]] std::int8_t value(std::size_t i) const noexcept { return self().values()[i]; }
  /// Support of site `i`: true when its value is not 0.
  [[nodiscard]] bool support(std::size_t i) const noexcept { return value(i) != 0; }
  /// Sign of site `i`: -1 or +1 on support, 0 off support.
  [[nodiscard]] int sign(std::size_t i) const noexcept { return value(i); }
  /// Number of supported sites. O(n), vectorised.
  [[nodiscard]] std::size_t count_support() const noexcept {
    const auto v = self().values();
    return count_nonzero(v.data(), v.size());
  }
  /// The values as a new vector (row-major).
  [[nodiscard]] std::vector<std::int8_t> to_signed() const {
    const auto v = self().values();
    return {v.begin(), v.end()};
  }

 private:
  [[nodiscard]] const Derived& self() const noexcept { return static_cast<const Derived&>(*this); }
};

}  // namespace detail

/// Read-only, non-owning view of a ternary field (a pointer and a shape).
/// Cheap to copy; safe to share between threads. Kernels receive their blocks as views.
class TernaryView : public detail::TernaryReadApi<TernaryView> {
 public:
  /// An empty 1-D view.
  TernaryView() noexcept = default;
  /// View of `values` as `shape`; throws `CarrierError` when the sizes differ or a value
  /// is not a trit (naming the first bad index). O(n).
  TernaryView(std::span<const std::int8_t> values, Shape shape)
      : data_(values.data()), shape_(shape) {
    detail::check_size_matches("dashi::TernaryView", values.size(), shape);
    detail::check_trits("dashi::TernaryView", values);
  }

  /// View of memory already known to hold `shape.size()` trits. No check.
  [[nodiscard]] static TernaryView unchecked(const std::int8_t* data, Shape shape) noexcept {
    TernaryView view;
    view.data_ = data;
    view.shape_ = shape;
    return view;
  }

  /// The shape.
  [[nodiscard]] const Shape& shape() const noexcept { return shape_; }
  /// The `size()` values, row-major.
  [[nodiscard]] std::span<const std::int8_t> values() const noexcept {
    return {data_, shape_.size()};
  }
  /// Pointer to the first value (null for a default-constructed view).
  [[nodiscard]] const std::int8_t* data() const noexcept { return data_; }

  /// The sub-view of `count` whole axis-0 slices starting at `first`.
  /// Throws `std::out_of_range` when the range passes the end of axis 0.
  [[nodiscard]] TernaryView rows(std::size_t first, std::size_t count) const {
    check_row_range(shape_, first, count);
    return unchecked(data_ + first * shape_.row_elems(), shape_.with_rows(count));
  }

  /// Equal when shapes and values are equal.
  friend bool operator==(const TernaryView& a, const TernaryView& b) noexcept {
    return a.shape_ == b.shape_ && (a.size() == 0 || std::memcmp(a.data_, b.data_, a.size()) == 0);
  }

  /// Throws `std::out_of_range` unless rows `[first, first + count)` lie inside `shape`.
  static void check_row_range(const Shape& shape, std::size_t first, std::size_t count) {
    if (first > shape.rows() || count > shape.rows() - first) {
      throw std::out_of_range("dashi: rows [" + std::to_string(first) + ", " +
                              std::to_string(first) + " + " + std::to_string(count) +
                              ") pass the end of axis 0 of shape " + shape.to_string());
    }
  }

 private:
  const std::int8_t* data_ = nullptr;
  Shape shape_;
};

/// Writable, non-owning view of a ternary field: the output of into-kernels.
/// Not thread-safe for overlapping writes; disjoint `rows()` may be written concurrently.
class TernarySpan : public detail::TernaryReadApi<TernarySpan> {
 public:
  /// An empty 1-D span.
  TernarySpan() noexcept = default;
  /// Writable view of `values` as `shape`; throws `CarrierError` when the sizes differ.
  /// The values are not checked: an output buffer may hold anything before it is written.
  TernarySpan(std::span<std::int8_t> values, Shape shape) : data_(values.data()), shape_(shape) {
    detail::check_size_matches("dashi::TernarySpan", values.size(), shape);
  }

  /// Writable view of memory holding `shape.size()` bytes. No check.
  [[nodiscard]] static TernarySpan unchecked(std::int8_t* data, Shape shape) noexcept {
    TernarySpan span;
    span.data_ = data;
    span.shape_ = shape;
    return span;
  }

  /// The shape.
  [[nodiscard]] const Shape& shape() const noexcept { return shape_; }
  /// The `size()` values, row-major, writable.
  [[nodiscard]] std::span<std::int8_t> values() const noexcept { return {data_, shape_.size()}; }
  /// Pointer to the first value (null for a default-constructed span).
  [[nodiscard]] std::int8_t* data() const noexcept { return data_; }

  /// The writable sub-span of `count` whole axis-0 slices starting at `first`.
  /// Throws `std::out_of_range` when the range passes the end of axis 0.
  [[nodiscard]] TernarySpan rows(std::size_t first, std::size_t count) const {
    TernaryView::check_row_range(shape_, first, count);
    return unchecked(data_ + first * shape_.row_elems(), shape_.with_rows(count));
  }

  /// Read-only view of the same memory.
  [[nodiscard]] TernaryView view() const noexcept { return TernaryView::unchecked(data_, shape_); }
  /// Implicit read-only view of the same memory (as `view()`).
  operator TernaryView() const noexcept { return view(); }  // NOLINT(google-explicit-constructor)

 private:
  std::int8_t* data_ = nullptr;
  Shape shape_;
};

/// Owning ternary field: contiguous, cache-line aligned `std::int8_t` values in
/// row-major order. Regular value type (deep copy). Concurrent reads are safe.
class TernaryField : public detail::TernaryReadApi<TernaryField> {
 public:
  /// An empty 1-D field.
  TernaryField() = default;

  /// 1-D field from signed values; throws `CarrierError` naming the first value not in {-1,0,1}.
  [[nodiscard]] static TernaryField from_signed(std::span<const std::int8_t> values) {
    return from_signed(values, Shape{values.size()});
  }
  /// Field of `shape` from signed row-major values; throws `CarrierError` on a size
  /// mismatch or a value not in {-1,0,1} (naming the first bad index and value).
  [[nodiscard]] static TernaryField from_signed(std::span<const std::int8_t> values, Shape shape) {
    const TernaryView checked(values, shape);
    TernaryField field = uninitialized(shape);
    std::copy(values.begin(), values.end(), field.data());
    return field;
  }
  /// From any contiguous range of arithmetic values (`int`, `double`, ...): each must
  /// equal -1, 0 or +1 exactly (`0.2` is rejected, `1.0` accepted). Throws `CarrierError` on
  /// a size mismatch or naming the first value that is not a trit; `std::bad_alloc`.
  template <std::ranges::contiguous_range R>
    requires std::is_arithmetic_v<std::ranges::range_value_t<R>> &&
        (!std::convertible_to<const R&, std::span<const std::int8_t>>)
            [[nodiscard]] static TernaryField from_signed(const R& values, Shape shape) {
      const char* where = "dashi::TernaryField::from_signed";
      detail::check_size_matches(where, std::ranges::size(values), shape);
      TernaryField field = uninitialized(shape);
      std::size_t i = 0;
      using Value = std::ranges::range_value_t<R>;
      for (const auto v : values) {
        bool is_trit = v == Value{0} || v == Value{1};
        if constexpr (std::is_signed_v<Value> || std::is_floating_point_v<Value>) {
          is_trit = is_trit || v == Value{-1};
        }
        if (!is_trit) {
          throw CarrierError(detail::bad_trit_message(where, i, v));
        }
        field.data()[i++] = static_cast<std::int8_t>(v);
      }
      return field;
    }
    /// 1-D overload of the range form.
    template <std::ranges::contiguous_range R>
      requires std::is_arithmetic_v<std::ranges::range_value_t<R>> &&
          (!std::convertible_to<const R&, std::span<const std::int8_t>>)
              [[nodiscard]] static TernaryField from_signed(const R& values) {
        return from_signed(values, Shape{std::ranges::size(values)});
      }
      /// `from_signed({1, 0, -1})`.
      [[nodiscard]] static TernaryField from_signed(std::initializer_list<int> values) {
        return from_signed(std::span<const int>(values.begin(), values.size()));
      }
      /// `from_signed({1, 0, -1, 1}, Shape{2, 2})`.
      [[nodiscard]] static TernaryField from_signed(std::initializer_list<int> values,
                                                    Shape shape) {
        return from_signed(std::span<const int>(values.begin(), values.size()), shape);
      }

      /// Field from its factorisation, validated like the Python `Carrier(support, sign)`:
      /// sizes must match the shape, support must be 0/1, sign must be in {-1,0,1}, 0 where
      /// support is 0 and ±1 where support is 1. The checks run in that (the Python) order,
      /// each over every site: throws `CarrierError` naming the first bad site of the first
      /// check that fails; `std::bad_alloc`.
      [[nodiscard]] static TernaryField from_support_sign(std::span<const std::uint8_t> support,
                                                          std::span<const std::int8_t> sign,
                                                          Shape shape) {
        const char* where = "dashi::TernaryField::from_support_sign";
        if (support.size() != sign.size()) {
          throw CarrierError(std::string(where) + ": support and sign must have identical shape (" +
                             std::to_string(support.size()) + " vs " + std::to_string(sign.size()) +
                             " sites)");
        }
        detail::check_size_matches(where, sign.size(), shape);
        for (std::size_t i = 0; i < support.size(); ++i) {
          if (support[i] > 1) {
            throw CarrierError(std::string(where) + ": support must be boolean, got " +
                               std::to_string(support[i]) + " at index " + std::to_string(i));
          }
        }
        detail::check_trits(where, sign);
        // The Python order: every off-support sign is checked before any on-support sign.
        for (std::size_t i = 0; i < sign.size(); ++i) {
          if (support[i] == 0 && sign[i] != 0) {
            throw CarrierError(std::string(where) +
                               ": sign must be zero wherever support is 0, got " +
                               std::to_string(sign[i]) + " at index " + std::to_string(i));
          }
        }
        TernaryField field = uninitialized(shape);
        for (std::size_t i = 0; i < sign.size(); ++i) {
          if (support[i] != 0 && sign[i] == 0) {
            throw CarrierError(std::string(where) +
                               ": sign must be +1 or -1 wherever support is 1, got 0 at index " +
                               std::to_string(i));
          }
          field.data()[i] = sign[i];
        }
        return field;
      }
      /// Overload taking the support as `bool`s.
      [[nodiscard]] static TernaryField from_support_sign(std::span<const bool> support,
                                                          std::span<const std::int8_t> sign,
                                                          Shape shape) {
        std::vector<std::uint8_t> bytes(support.begin(), support.end());
        return from_support_sign(std::span<const std::uint8_t>(bytes), sign, shape);
      }

      /// All-zero field of `shape`.
      [[nodiscard]] static TernaryField zeros(Shape shape) {
        TernaryField field = uninitialized(shape);
        std::fill_n(field.data(), field.size(), std::int8_t{0});
        return field;
      }
      /// Field of `shape` whose values are unspecified until written (for outputs that are
      /// written in full). Throws `std::bad_alloc` when memory runs out.
      [[nodiscard]] static TernaryField uninitialized(Shape shape) {
        TernaryField field;
        field.shape_ = shape;
        field.storage_ = detail::AlignedBuffer<std::int8_t>(shape.size());
        return field;
      }

      /// The shape.
      [[nodiscard]] const Shape& shape() const noexcept { return shape_; }
      /// The `size()` values, row-major.
      [[nodiscard]] std::span<const std::int8_t> values() const noexcept {
        return {storage_.data(), shape_.size()};
      }
      /// Pointer to the first value.
      [[nodiscard]] const std::int8_t* data() const noexcept { return storage_.data(); }
      /// Writable pointer to the first value.
      [[nodiscard]] std::int8_t* data() noexcept { return storage_.data(); }

      /// Read-only view of the whole field.
      [[nodiscard]] TernaryView view() const noexcept {
        return TernaryView::unchecked(data(), shape_);
      }
      /// Writable view of the whole field.
      [[nodiscard]] TernarySpan span() noexcept { return TernarySpan::unchecked(data(), shape_); }
      /// Implicit read-only view of the same memory (as `view()`).
      operator TernaryView() const noexcept {
        return view();
      }  // NOLINT(google-explicit-constructor)
      /// Read-only view of `count` axis-0 slices from `first`; throws `std::out_of_range`.
      [[nodiscard]] TernaryView rows(std::size_t first, std::size_t count) const {
        return view().rows(first, count);
      }

      /// Equal when shapes and values are equal.
      friend bool operator==(const TernaryField& a, const TernaryField& b) noexcept {
        return a.view() == b.view();
      }

     private:
      Shape shape_;
      detail::AlignedBuffer<std::int8_t> storage_;
};

/// Anything that exposes `shape()` and contiguous signed values.
template <class C>
concept Carrier = requires(const C& c) {
  { c.shape() } -> std::convertible_to<Shape>;
  { c.values() } -> std::convertible_to<std::span<const std::int8_t>>;
};

static_assert(Carrier<TernaryField> && Carrier<TernaryView> && Carrier<TernarySpan>);

namespace detail {

inline constexpr std::uint64_t fp_prime1 = 0x9E3779B185EBCA87ULL;
inline constexpr std::uint64_t fp_prime2 = 0xC2B2AE3D27D4EB4FULL;
inline constexpr std::uint64_t fp_prime3 = 0x165667B19E3779F9ULL;

[[nodiscard]] constexpr std::uint64_t fp_round(std::uint64_t acc, std::uint64_t input) noexcept {
  acc += input * fp_prime2;
  acc = std::rotl(acc, 31);
  return acc * fp_prime1;
}

[[nodiscard]] inline std::uint64_t load_le64(const std::int8_t* p) noexcept {
  std::uint64_t word = 0;
  std::memcpy(&word, p, sizeof word);
  if constexpr (std::endian::native == std::endian::big) {
    word = ((word & 0x00000000FFFFFFFFULL) << 32) | (word >> 32);
    word = ((word & 0x0000FFFF0000FFFFULL) << 16) | ((word >> 16) & 0x0000FFFF0000FFFFULL);
    word = ((word & 0x00FF00FF00FF00FFULL) << 8) | ((word >> 8) & 0x00FF00FF00FF00FFULL);
  }
  return word;
}

}  // namespace detail

namespace detail {

/// The fingerprint of a field fed in pieces: `feed` the values in row-major order (every
/// piece but the last a multiple of 32 sites), then `finish`. The one definition of
/// `fingerprint`, shared by every form of a field. Not thread-safe.
class Fingerprinter {
 public:
  explicit Fingerprinter(const Shape& shape) noexcept {
    lanes_[0] = fp_round(lanes_[0], shape.rank());
    for (std::size_t axis = 0; axis < shape.rank(); ++axis) {
      lanes_[1 + axis % 3] = fp_round(lanes_[1 + axis % 3], shape[axis]);
    }
  }
  /// The next `n` values; every call but the last must pass a multiple of 32.
  void feed(const std::int8_t* p, std::size_t n) noexcept {
    std::size_t i = 0;
    for (; i + 32 <= n; i += 32) {
      for (std::size_t lane = 0; lane < 4; ++lane) {
        lanes_[lane] = fp_round(lanes_[lane], load_le64(p + i + 8 * lane));
      }
    }
    for (std::size_t k = 0; i < n; ++i, ++k) {
      tail_ ^= static_cast<std::uint64_t>(static_cast<std::uint8_t>(p[i])) << (8 * (k % 8));
      if (k % 8 == 7) {
        lanes_[0] = fp_round(lanes_[0], tail_);
        tail_ = 0;
      }
    }
    count_ += n;
  }
  /// The fingerprint of everything fed.
  [[nodiscard]] std::uint64_t finish() const noexcept {
    std::uint64_t h = std::rotl(lanes_[0], 1) + std::rotl(lanes_[1], 7) + std::rotl(lanes_[2], 12) +
                      std::rotl(lanes_[3], 18);
    h = fp_round(h, tail_ ^ count_);
    h ^= h >> 33;
    h *= fp_prime2;
    h ^= h >> 29;
    h *= fp_prime3;
    h ^= h >> 32;
    return h;
  }

 private:
  std::array<std::uint64_t, 4> lanes_ = {fp_prime1 + fp_prime2, fp_prime2, 0, 0 - fp_prime1};
  std::uint64_t tail_ = 0;
  std::uint64_t count_ = 0;
};

}  // namespace detail

/// Deterministic 64-bit parity witness over the shape and the values of a carrier:
/// equal fields give equal fingerprints on every machine, thread count and backend.
/// Not cryptographic and never used by any semantics. O(n); thread-safe.
[[nodiscard]] inline std::uint64_t fingerprint(TernaryView view) noexcept {
  detail::Fingerprinter fingerprinter(view.shape());
  fingerprinter.feed(view.data(), view.size());
  return fingerprinter.finish();
}

}  // namespace dashi
