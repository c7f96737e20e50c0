// SPDX-License-Identifier: Apache-2.0
#pragma once

/// @file
/// Arrays in and out of the module through the buffer protocol only (no NumPy C API):
/// inputs are read in place, results are numpy arrays that own the C++ buffer.

#include <pybind11/pybind11.h>

#include <cstddef>
#include <cstdint>
#include <dashi/carrier.hpp>
#include <string>
#include <utility>
#include <vector>

#include "integers.hpp"

namespace dashi_python {

namespace py = pybind11;

/// A C++-owned field exposed through the buffer protocol (format "b", its shape, writable).
/// `numpy.asarray` of it is a zero-copy ndarray whose base chain keeps it alive.
struct FieldBuffer {
  dashi::TernaryField field;
};

/// Raw bytes owned by C++ exposed through the buffer protocol (format "B", 1-D).
struct ByteBuffer {
  std::vector<std::uint8_t> bytes;
};

/// numpy.asarray, numpy.frombuffer and numpy.ma.MaskedArray, looked up once at import.
void set_numpy(const py::module_& numpy);
[[nodiscard]] py::handle numpy_asarray();
[[nodiscard]] py::handle numpy_frombuffer();

/// A zero-copy numpy array owning `field`.
[[nodiscard]] py::object to_array(dashi::TernaryField&& field);
/// A zero-copy 1-D numpy array of `bytes` (dtype uint8, reshaped to `shape`).
[[nodiscard]] py::object to_byte_array(std::vector<std::uint8_t>&& bytes,
                                       const dashi::Shape& shape);

/// The buffer of an int8, C-contiguous array of rank 1–4 (or the `sign` array of a
/// Carrier-like object: anything with `support` and `sign` attributes), held for the
/// object's lifetime. Another dtype, a strided array or an object without a buffer is a
/// `TypeError`; a rank outside 1–4 a `dashi::CarrierError`. Never copies.
class InputArray {
 public:
  /// `what` names the argument in messages. `writable`: the buffer must be writable (`out=`).
  InputArray(py::handle object, const char* what, bool writable = false);
  InputArray(const InputArray&) = delete;
  InputArray& operator=(const InputArray&) = delete;
  ~InputArray();

  [[nodiscard]] const dashi::Shape& shape() const noexcept { return shape_; }
  [[nodiscard]] const std::int8_t* data() const noexcept {
    return static_cast<const std::int8_t*>(buffer_.buf);
  }
  [[nodiscard]] dashi::TernaryView view() const noexcept {
    return dashi::TernaryView::unchecked(data(), shape_);
  }
  [[nodiscard]] dashi::TernarySpan span() const noexcept {
    return dashi::TernarySpan::unchecked(static_cast<std::int8_t*>(buffer_.buf), shape_);
  }
  /// The type of the Carrier-like object given, or a null handle for a plain array.
  [[nodiscard]] py::handle carrier_type() const noexcept { return carrier_type_; }
  /// Throws `dashi::CarrierError` naming the first value outside {-1, 0, 1}.
  void validate() const;
  /// The object whose buffer is read (the array, or a Carrier-like object's `sign`).
  [[nodiscard]] py::handle owner() const noexcept { return owner_; }
  /// Wraps a result array like the input: `type(x)(support=out != 0, sign=out)` for a
  /// Carrier-like input, else the array itself.
  [[nodiscard]] py::object wrap(py::object array) const;

 private:
  Py_buffer buffer_{};
  bool held_ = false;
  dashi::Shape shape_;
  py::object sign_;  // the sign array of a Carrier-like input (keeps it alive)
  py::object owner_;
  py::object carrier_type_;
  std::string what_;
};

/// The contiguous bytes of any bytes-like object (bytes, bytearray, memoryview, arrays).
class InputBytes {
 public:
  InputBytes(py::handle object, const char* what);
  InputBytes(const InputBytes&) = delete;
  InputBytes& operator=(const InputBytes&) = delete;
  ~InputBytes();
  [[nodiscard]] const std::uint8_t* data() const noexcept {
    return static_cast<const std::uint8_t*>(buffer_.buf);
  }
  [[nodiscard]] std::size_t size() const noexcept { return static_cast<std::size_t>(buffer_.len); }

 private:
  Py_buffer buffer_{};
  bool held_ = false;
};

/// A shape from a Python sequence of non-negative ints (or one int). Throws ValueError.
[[nodiscard]] dashi::Shape shape_from(py::handle object, const char* what);
/// The shape as a Python tuple.
[[nodiscard]] py::tuple shape_tuple(const dashi::Shape& shape);
/// The shape as Python prints it: "(8,)", "(3, 4)".
[[nodiscard]] std::string python_shape(const dashi::Shape& shape);

/// Registers FieldBuffer and ByteBuffer on `m`.
void bind_buffers(py::module_& m);

}  // namespace dashi_python
