// SPDX-License-Identifier: Apache-2.0
#pragma once

/// @file
/// A ternary field as two bit planes: `BitField` (owning), `BitView` (read-only) and
/// `BitSpan` (writable). **Support** has bit 1 where the site is not 0, **sign** bit 1
/// where the site is +1 (always 0 off support). Each axis-0 slice starts on a 64-bit word
/// (rank 1: the whole field is one run of words); padding bits past a slice's last site are
/// 0. These two rules make the planes *canonical*: equal fields have equal words.

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <dashi/carrier.hpp>
#include <dashi/detail/aligned_buffer.hpp>
#include <span>
#include <stdexcept>
#include <string>

namespace dashi::bits {

namespace detail {

/// Sites per plane word.
inline constexpr std::size_t word_sites = 64;

/// Words holding `sites` sites.
[[nodiscard]] constexpr std::size_t words_for(std::size_t sites) noexcept {
  return sites / word_sites + (sites % word_sites != 0);
}

/// How a shape's sites lie in a plane: `slices` runs of `slice_words` words, each run
/// holding `slice_sites` sites from its first bit. Rank 1 is one run (the whole field).
struct PlaneLayout {
  std::size_t slices = 0;
  std::size_t slice_sites = 0;
  std::size_t slice_words = 0;
  [[nodiscard]] std::size_t words() const noexcept { return slices * slice_words; }
};

[[nodiscard]] inline PlaneLayout layout_of(const Shape& shape) noexcept {
  PlaneLayout layout;
  if (shape.rank() == 1) {
    layout.slices = 1;
    layout.slice_sites = shape.size();
  } else {
    layout.slices = shape.rows();
    layout.slice_sites = shape.row_elems();
  }
  layout.slice_words = words_for(layout.slice_sites);
  return layout;
}

/// The word and bit of site `i` of a field laid out as `layout`.
[[nodiscard]] inline std::size_t word_of_site(const PlaneLayout& layout, std::size_t i) noexcept {
  const std::size_t slice = layout.slice_sites == 0 ? 0 : i / layout.slice_sites;
  const std::size_t in_slice = i - slice * layout.slice_sites;
  return slice * layout.slice_words + in_slice / word_sites;
}

/// The bits of the last word of a slice that hold sites (all 64 when the slice fills it).
[[nodiscard]] constexpr std::uint64_t last_word_mask(std::size_t slice_sites) noexcept {
  const std::size_t used = slice_sites % word_sites;
  return used == 0 ? ~std::uint64_t{0} : (std::uint64_t{1} << used) - 1;
}

/// Clears the padding bits of the last word of a 1-D `out` (loops that compute whole words
/// from a longer run leave the next sites' results there). Other ranks have none to clear:
/// their loops work slice by slice on canonical input.
template <class Span>
void clear_run_padding(const Span& out) noexcept {
  if (out.shape().rank() == 1 && out.size() % word_sites != 0) {
    const std::size_t last = out.words() - 1;
    out.support_data()[last] &= last_word_mask(out.size());
    out.sign_data()[last] &= last_word_mask(out.size());
  }
}

/// Sets the last word of every slice of `out` to 0 in both planes: what a writer that fills
/// a slice's sites bit by bit needs first, so that the padding bits end up 0.
template <class Span>
void clear_last_words(const Span& out) noexcept {
  const PlaneLayout layout = out.layout();
  if (layout.slice_words == 0) {
    return;
  }
  for (std::size_t i = 0; i < layout.slices; ++i) {
    out.support_data()[(i + 1) * layout.slice_words - 1] = 0;
    out.sign_data()[(i + 1) * layout.slice_words - 1] = 0;
  }
}

/// Throws `std::out_of_range` or `std::invalid_argument` unless rows `[first, first +
/// count)` of `shape` lie inside it and, for rank 1, split no word.
inline void check_bit_rows(const Shape& shape, std::size_t first, std::size_t count) {
  TernaryView::check_row_range(shape, first, count);
  if (shape.rank() == 1 &&
      (first % word_sites != 0 || (count % word_sites != 0 && first + count != shape.size()))) {
    throw std::invalid_argument(
        "dashi::bits: rows [" + std::to_string(first) + ", " + std::to_string(first + count) +
        ") of the 1-D shape " + shape.to_string() +
        " split a 64-site word (the first row and the count must be multiples of 64, "
        "unless the range ends at the field's end)");
  }
}

/// The first word of row `first` of a plane laid out for `shape`.
[[nodiscard]] inline std::size_t first_word_of_row(const Shape& shape, std::size_t first) noexcept {
  return shape.rank() == 1 ? first / word_sites : first * layout_of(shape).slice_words;
}

/// The read API shared by `BitView`, `BitSpan` and `BitField`. `Derived` provides
/// `shape()`, `support_data()` and `sign_data()`. Thread-safe for concurrent reads.
template <class Derived>
class BitReadApi {
 public:
  /// Number of sites.
  [[nodiscard]] std::size_t size() const noexcept { return self().shape().size(); }
  /// True when the field has no site.
  [[nodiscard]] bool empty() const noexcept { return size() == 0; }
  /// Axis-0 slices of the layout: `shape()[0]` for rank >= 2, 1 for rank 1.
  [[nodiscard]] std::size_t slices() const noexcept { return layout().slices; }
  /// Words per slice in each plane: `ceil(sites per slice / 64)`.
  [[nodiscard]] std::size_t slice_words() const noexcept { return layout().slice_words; }
  /// Words in each plane: `slices() * slice_words()`.
  [[nodiscard]] std::size_t words() const noexcept { return layout().words(); }
  /// The support plane: bit `b` of word `w` of slice `i` is site `i * (sites per slice) +
  /// 64 * w + b`.
  [[nodiscard]] std::span<const std::uint64_t> support() const noexcept {
    return {self().support_data(), words()};
  }
  /// The sign plane, laid out as `support()`.
  [[nodiscard]] std::span<const std::uint64_t> sign() const noexcept {
    return {self().sign_data(), words()};
  }
  /// The value (-1, 0 or +1) of site `i` (row-major); `i < size()` is a precondition.
  [[nodiscard]] std::int8_t value(std::size_t i) const noexcept {
    const PlaneLayout l = layout();
    const std::size_t w = word_of_site(l, i);
    const std::size_t b = (l.slice_sites == 0 ? i : i % l.slice_sites) % word_sites;
    const bool s = ((self().support_data()[w] >> b) & 1U) != 0;
    const bool g = ((self().sign_data()[w] >> b) & 1U) != 0;
    return static_cast<std::int8_t>(s ? (g ? 1 : -1) : 0);
  }
  /// Number of supported sites (a popcount of the support plane).
  [[nodiscard]] std::uint64_t count_support() const noexcept {
    std::uint64_t count = 0;
    for (const std::uint64_t word : support()) {
      count += static_cast<std::uint64_t>(std::popcount(word));
    }
    return count;
  }
  /// The layout of the planes.
  [[nodiscard]] PlaneLayout layout() const noexcept { return layout_of(self().shape()); }

 private:
  [[nodiscard]] const Derived& self() const noexcept { return static_cast<const Derived&>(*this); }
};

}  // namespace detail

/// Read-only, non-owning view of a field's two planes (two pointers and a shape). Cheap to
/// copy; safe to share between threads. Bit kernels receive their blocks as views.
class BitView : public detail::BitReadApi<BitView> {
 public:
  /// An empty 1-D view.
  BitView() noexcept = default;
  /// View of planes of `shape`'s layout at `support` and `sign`, known to be canonical
  /// (see `validate`). No check.
  [[nodiscard]] static BitView unchecked(const std::uint64_t* support, const std::uint64_t* sign,
                                         Shape shape) noexcept {
    BitView view;
    view.support_ = support;
    view.sign_ = sign;
    view.shape_ = shape;
    return view;
  }
  /// The shape.
  [[nodiscard]] const Shape& shape() const noexcept { return shape_; }
  /// First word of the support plane (`words()` words).
  [[nodiscard]] const std::uint64_t* support_data() const noexcept { return support_; }
  /// First word of the sign plane (`words()` words).
  [[nodiscard]] const std::uint64_t* sign_data() const noexcept { return sign_; }

  /// The sub-view of `count` axis-0 rows from `first`. Throws `std::out_of_range` when the
  /// range passes the end of axis 0 and, for rank 1, `std::invalid_argument` when it splits a
  /// word (`first` and `count` multiples of 64, unless the range ends at the field's end).
  [[nodiscard]] BitView rows(std::size_t first, std::size_t count) const {
    detail::check_bit_rows(shape_, first, count);
    const std::size_t offset = detail::first_word_of_row(shape_, first);
    return unchecked(support_ + offset, sign_ + offset, shape_.with_rows(count));
  }

  /// Equal when shapes and planes are equal (canonical planes: equal fields).
  friend bool operator==(const BitView& a, const BitView& b) noexcept {
    const std::size_t bytes = a.words() * sizeof(std::uint64_t);
    return a.shape_ == b.shape_ &&
           (bytes == 0 || (std::memcmp(a.support_, b.support_, bytes) == 0 &&
                           std::memcmp(a.sign_, b.sign_, bytes) == 0));
  }

 private:
  const std::uint64_t* support_ = nullptr;
  const std::uint64_t* sign_ = nullptr;
  Shape shape_;
};

/// Writable, non-owning view of a field's two planes: the output of bit kernels. Not
/// thread-safe for overlapping writes; disjoint `rows()` may be written concurrently.
class BitSpan : public detail::BitReadApi<BitSpan> {
 public:
  /// An empty 1-D span.
  BitSpan() noexcept = default;
  /// Writable view of planes of `shape`'s layout at `support` and `sign`. No check: an
  /// output may hold anything before it is written.
  [[nodiscard]] static BitSpan unchecked(std::uint64_t* support, std::uint64_t* sign,
                                         Shape shape) noexcept {
    BitSpan span;
    span.support_ = support;
    span.sign_ = sign;
    span.shape_ = shape;
    return span;
  }
  /// The shape.
  [[nodiscard]] const Shape& shape() const noexcept { return shape_; }
  /// First word of the support plane (`words()` words), writable.
  [[nodiscard]] std::uint64_t* support_data() const noexcept { return support_; }
  /// First word of the sign plane (`words()` words), writable.
  [[nodiscard]] std::uint64_t* sign_data() const noexcept { return sign_; }
  /// The support plane, writable.
  [[nodiscard]] std::span<std::uint64_t> support_words() const noexcept {
    return {support_, words()};
  }
  /// The sign plane, writable.
  [[nodiscard]] std::span<std::uint64_t> sign_words() const noexcept { return {sign_, words()}; }

  /// The writable sub-span of `count` axis-0 rows from `first`; throws as `BitView::rows`.
  [[nodiscard]] BitSpan rows(std::size_t first, std::size_t count) const {
    detail::check_bit_rows(shape_, first, count);
    const std::size_t offset = detail::first_word_of_row(shape_, first);
    return unchecked(support_ + offset, sign_ + offset, shape_.with_rows(count));
  }
  /// Read-only view of the same planes.
  [[nodiscard]] BitView view() const noexcept {
    return BitView::unchecked(support_, sign_, shape_);
  }
  /// Implicit read-only view of the same planes (as `view()`).
  operator BitView() const noexcept { return view(); }  // NOLINT(google-explicit-constructor)

 private:
  std::uint64_t* support_ = nullptr;
  std::uint64_t* sign_ = nullptr;
  Shape shape_;
};

/// Owning field in two bit planes, each 64-byte aligned. Regular value type (deep copy);
/// concurrent reads are safe. Made by `zeros`, `pack`, `from_pq` or the executor.
class BitField : public detail::BitReadApi<BitField> {
 public:
  /// An empty 1-D field.
  BitField() = default;

  /// All-zero field of `shape`. Throws `std::bad_alloc`.
  [[nodiscard]] static BitField zeros(Shape shape) {
    BitField field = uninitialized(shape);
    std::fill_n(field.storage_.data(), field.storage_.size(), std::uint64_t{0});
    return field;
  }
  /// Field of `shape` whose planes are unspecified until written in full (outputs).
  /// Throws `std::bad_alloc`.
  [[nodiscard]] static BitField uninitialized(Shape shape) {
    BitField field;
    field.shape_ = shape;
    field.plane_stride_ = round_to_line(detail::layout_of(shape).words());
    field.storage_ = dashi::detail::AlignedBuffer<std::uint64_t>(2 * field.plane_stride_);
    return field;
  }

  /// The shape.
  [[nodiscard]] const Shape& shape() const noexcept { return shape_; }
  /// First word of the support plane (`words()` words).
  [[nodiscard]] const std::uint64_t* support_data() const noexcept { return storage_.data(); }
  /// First word of the sign plane (`words()` words).
  [[nodiscard]] const std::uint64_t* sign_data() const noexcept {
    return storage_.data() + plane_stride_;
  }
  /// First word of the support plane, writable.
  [[nodiscard]] std::uint64_t* support_data() noexcept { return storage_.data(); }
  /// First word of the sign plane, writable.
  [[nodiscard]] std::uint64_t* sign_data() noexcept { return storage_.data() + plane_stride_; }

  /// Read-only view of the whole field.
  [[nodiscard]] BitView view() const noexcept {
    return BitView::unchecked(support_data(), sign_data(), shape_);
  }
  /// Writable view of the whole field.
  [[nodiscard]] BitSpan span() noexcept {
    return BitSpan::unchecked(support_data(), sign_data(), shape_);
  }
  /// Implicit read-only view of the same planes (as `view()`).
  operator BitView() const noexcept { return view(); }  // NOLINT(google-explicit-constructor)
  /// Read-only view of `count` axis-0 rows from `first`; throws as `BitView::rows`.
  [[nodiscard]] BitView rows(std::size_t first, std::size_t count) const {
    return view().rows(first, count);
  }

  /// Equal when shapes and planes are equal (canonical planes: equal fields).
  friend bool operator==(const BitField& a, const BitField& b) noexcept {
    return a.view() == b.view();
  }

 private:
  /// Words rounded up to whole 64-byte lines, so the sign plane starts on one.
  [[nodiscard]] static std::size_t round_to_line(std::size_t words) noexcept {
    constexpr std::size_t line_words = dashi::detail::cache_line_bytes / sizeof(std::uint64_t);
    return (words + line_words - 1) / line_words * line_words;
  }

  Shape shape_;
  std::size_t plane_stride_ = 0;
  dashi::detail::AlignedBuffer<std::uint64_t> storage_;
};

}  // namespace dashi::bits
