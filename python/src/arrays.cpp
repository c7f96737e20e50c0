// SPDX-License-Identifier: Apache-2.0

#include "arrays.hpp"

#include <cstring>
#include <dashi/carrier.hpp>
#include <dashi/detail/trit_scan.hpp>
#include <string>
#include <vector>

namespace dashi_python {

namespace {

PyObject* asarray_function = nullptr;  // strong references kept for the process's lifetime
PyObject* masked_array_type = nullptr;
PyObject* frombuffer_function = nullptr;

bool is_int8_format(const char* format) {
  if (format == nullptr) {
    return false;
  }
  const std::string f(format);
  return f == "b" || f == "@b" || f == "=b" || f == "<b" || f == ">b" || f == "|b";
}

std::string type_name(py::handle object) {
  return py::str(reinterpret_cast<PyObject*>(Py_TYPE(object.ptr()))).cast<std::string>();
}

std::string describe_buffer(const Py_buffer& b) {
  return std::string("dtype format '") + (b.format != nullptr ? b.format : "B") + "', " +
         std::to_string(b.ndim) + "-D";
}

/// Calls numpy.asarray on `holder` (a buffer-protocol object): a zero-copy ndarray.
py::object asarray_of(py::handle holder) {
  PyObject* result = PyObject_CallOneArg(asarray_function, holder.ptr());
  if (result == nullptr) {
    throw py::error_already_set();
  }
  return py::reinterpret_steal<py::object>(result);
}

}  // namespace

void set_numpy(const py::module_& numpy) {
  asarray_function = py::object(numpy.attr("asarray")).release().ptr();
  frombuffer_function = py::object(numpy.attr("frombuffer")).release().ptr();
  masked_array_type =
      py::object(py::module_::import("numpy.ma").attr("MaskedArray")).release().ptr();
}

py::handle numpy_asarray() { return asarray_function; }

py::handle numpy_frombuffer() { return frombuffer_function; }

py::object to_array(dashi::TernaryField&& field) {
  const py::object holder = py::cast(FieldBuffer{std::move(field)}, py::return_value_policy::move);
  return asarray_of(holder);
}

py::object to_byte_array(std::vector<std::uint8_t>&& bytes, const dashi::Shape& shape) {
  const py::object holder = py::cast(ByteBuffer{std::move(bytes)}, py::return_value_policy::move);
  return asarray_of(holder).attr("reshape")(shape_tuple(shape));
}

InputArray::InputArray(py::handle object, const char* what, bool writable) : what_(what) {
  if (masked_array_type != nullptr) {
    const int masked = PyObject_IsInstance(object.ptr(), masked_array_type);
    if (masked < 0) {
      throw py::error_already_set();
    }
    if (masked != 0) {
      throw py::type_error(what_ +
                           ": masked arrays are refused (the mask would be lost); pass "
                           "numpy.ma.filled(x, 0) or the data with the masked sites set to 0");
    }
  }
  py::handle source = object;
  if (PyObject_CheckBuffer(object.ptr()) == 0) {
    if (PyObject_HasAttrString(object.ptr(), "sign") != 0 &&
        PyObject_HasAttrString(object.ptr(), "support") != 0) {
      sign_ = object.attr("sign");
      carrier_type_ =
          py::reinterpret_borrow<py::object>(reinterpret_cast<PyObject*>(Py_TYPE(object.ptr())));
      source = sign_;
    } else {
      throw py::type_error(what_ +
                           ": expected a numpy int8 array or a Carrier-like object (support and "
                           "sign attributes), got " +
                           type_name(object));
    }
  }
  const int flags = PyBUF_STRIDES | PyBUF_FORMAT | (writable ? PyBUF_WRITABLE : 0);
  if (PyObject_GetBuffer(source.ptr(), &buffer_, flags) != 0) {
    PyErr_Clear();
    throw py::type_error(what_ + ": expected " + (writable ? "a writable" : "an") +
                         " int8 C-contiguous array, got " + type_name(source) +
                         (writable ? " (read-only or without a buffer)" : " without a buffer"));
  }
  held_ = true;
  owner_ = py::reinterpret_borrow<py::object>(source);
  if (!is_int8_format(buffer_.format) || buffer_.itemsize != 1) {
    throw py::type_error(what_ + ": expected an int8 array, got " + describe_buffer(buffer_) +
                         " (convert explicitly, e.g. x.astype(numpy.int8))");
  }
  if (PyBuffer_IsContiguous(&buffer_, 'C') == 0) {
    throw py::type_error(what_ +
                         ": expected a C-contiguous array, got a strided view (copy it "
                         "explicitly with numpy.ascontiguousarray)");
  }
  if (buffer_.ndim < 1 || buffer_.ndim > 4) {
    throw dashi::CarrierError(what_ + ": fields have rank 1 to 4, got a " +
                              std::to_string(buffer_.ndim) + "-D array");
  }
  std::vector<std::size_t> extents(static_cast<std::size_t>(buffer_.ndim));
  for (std::size_t axis = 0; axis < extents.size(); ++axis) {
    extents[axis] = static_cast<std::size_t>(buffer_.shape[axis]);
  }
  shape_ = dashi::Shape::from_extents(extents);
}

InputArray::~InputArray() {
  if (held_) {
    PyBuffer_Release(&buffer_);
  }
}

void InputArray::validate() const {
  if (const auto bad = dashi::detail::first_non_trit(data(), shape_.size())) {
    throw dashi::CarrierError(what_ + ": value " + std::to_string(data()[*bad]) + " at index " +
                              std::to_string(*bad) + " is not a trit (expected -1, 0 or 1)");
  }
}

py::object InputArray::wrap(py::object array) const {
  if (!carrier_type_) {
    return array;
  }
  py::object support = array.attr("__ne__")(0);
  return carrier_type_(py::arg("support") = support, py::arg("sign") = array);
}

InputBytes::InputBytes(py::handle object, const char* what) {
  if (PyObject_GetBuffer(object.ptr(), &buffer_, PyBUF_C_CONTIGUOUS) != 0) {
    PyErr_Clear();
    throw py::type_error(std::string(what) + ": expected a bytes-like object, got " +
                         type_name(object));
  }
  held_ = true;
}

InputBytes::~InputBytes() {
  if (held_) {
    PyBuffer_Release(&buffer_);
  }
}

dashi::Shape shape_from(py::handle object, const char* what) {
  std::vector<std::size_t> extents;
  auto extent = [&](py::handle v) {
    const auto e = integer_of(v, what);
    if (e < 0) {
      throw py::value_error(std::string(what) + ": extents must be >= 0, got " + std::to_string(e));
    }
    extents.push_back(static_cast<std::size_t>(e));
  };
  if (PyLong_Check(object.ptr()) != 0) {
    extent(object);
  } else {
    for (const py::handle v : py::iter(object)) {
      extent(v);
    }
  }
  return dashi::Shape::from_extents(extents);
}

std::string python_shape(const dashi::Shape& shape) {
  return py::repr(shape_tuple(shape)).cast<std::string>();
}

py::tuple shape_tuple(const dashi::Shape& shape) {
  py::tuple t(shape.rank());
  for (std::size_t axis = 0; axis < shape.rank(); ++axis) {
    t[axis] = py::int_(shape[axis]);
  }
  return t;
}

void bind_buffers(py::module_& m) {
  py::class_<FieldBuffer>(m, "_FieldBuffer", py::buffer_protocol()).def_buffer([](FieldBuffer& b) {
    const dashi::Shape& shape = b.field.shape();
    std::vector<py::ssize_t> extents(shape.rank());
    std::vector<py::ssize_t> strides(shape.rank());
    py::ssize_t stride = 1;
    for (std::size_t k = shape.rank(); k-- > 0;) {
      extents[k] = static_cast<py::ssize_t>(shape[k]);
      strides[k] = stride;
      stride *= std::max<py::ssize_t>(1, extents[k]);
    }
    return py::buffer_info(b.field.data(), 1, "b", static_cast<py::ssize_t>(shape.rank()),
                           std::move(extents), std::move(strides));
  });
  py::class_<ByteBuffer>(m, "_ByteBuffer", py::buffer_protocol()).def_buffer([](ByteBuffer& b) {
    return py::buffer_info(b.bytes.data(), static_cast<py::ssize_t>(b.bytes.size()));
  });
}

}  // namespace dashi_python
