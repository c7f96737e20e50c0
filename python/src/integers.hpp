// SPDX-License-Identifier: Apache-2.0
#pragma once

/// @file
/// `Integer`: the type of every integer argument of the module. Any Python int (or object
/// with `__index__`) is accepted; one outside the 64-bit signed range is a ValueError naming
/// the value (pybind11's own `long long` gives a TypeError about incompatible arguments, or
/// a RuntimeError when cast by hand), and a float or str remains a TypeError.

#include <pybind11/pybind11.h>

#include <string>

namespace dashi_python {

namespace py = pybind11;

/// A Python integer that fits in 64 signed bits.
struct Integer {
  long long value = 0;
  Integer() = default;
  Integer(long long v) : value(v) {}  // NOLINT(google-explicit-constructor): defaults read as ints
  operator long long() const noexcept { return value; }  // NOLINT(google-explicit-constructor)
};

/// `object` as a 64-bit integer: TypeError when it is no integer, ValueError naming `what`
/// and the value when it does not fit. Needs the GIL.
[[nodiscard]] inline long long integer_of(py::handle object, const char* what) {
  PyObject* index = PyNumber_Index(object.ptr());
  if (index == nullptr) {
    throw py::error_already_set();
  }
  int overflow = 0;
  const long long value = PyLong_AsLongLongAndOverflow(index, &overflow);
  const std::string text = overflow != 0 ? py::repr(index).cast<std::string>() : std::string();
  Py_DECREF(index);
  if (overflow != 0) {
    throw py::value_error(std::string(what) + ": " + text +
                          " is out of range (a 64-bit signed integer)");
  }
  if (value == -1 && PyErr_Occurred() != nullptr) {
    throw py::error_already_set();
  }
  return value;
}

}  // namespace dashi_python

namespace pybind11::detail {

/// Loads `dashi_python::Integer`: a non-integer does not match (TypeError); an integer
/// that does not fit is a ValueError (thrown from the argument loader).
template <>
struct type_caster<dashi_python::Integer> {
  PYBIND11_TYPE_CASTER(dashi_python::Integer, const_name("int"));
  bool load(handle source, bool /*convert*/) {
    if (PyFloat_Check(source.ptr()) != 0 || PyIndex_Check(source.ptr()) == 0) {
      return false;
    }
    value = dashi_python::Integer(dashi_python::integer_of(source, "dashicore: integer argument"));
    return true;
  }
  static handle cast(const dashi_python::Integer& source, return_value_policy /*policy*/,
                     handle /*parent*/) {
    return PyLong_FromLongLong(source.value);
  }
};

}  // namespace pybind11::detail
