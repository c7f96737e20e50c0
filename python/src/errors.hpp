// SPDX-License-Identifier: Apache-2.0
#pragma once

/// @file
/// The library's exceptions as Python exceptions, written once for every extension module
/// of the package (`_core`, `_distributed`): each module passes the exception types it holds.

#include <pybind11/pybind11.h>

#include <dashi/carrier.hpp>
#include <dashi/kernel_concepts.hpp>
#include <dashi/pq/format_error.hpp>
#include <exception>
#include <stdexcept>
#include <system_error>

namespace dashi_python {

/// The module's own exception types (`dashicore.CarrierError`, `KernelContractError`,
/// `dashicore.pq.FormatError`).
struct ErrorTypes {
  PyObject* carrier;
  PyObject* contract;
  PyObject* format;
};

/// Sets the Python error for the library exception `error`: CarrierError,
/// KernelContractError and FormatError to the module's types, `std::system_error` to OSError,
/// invalid arguments and lengths to ValueError, out of range to IndexError, other logic
/// errors to RuntimeError. Anything else is rethrown for pybind11's other translators. Needs
/// the GIL.
inline void set_python_error(std::exception_ptr error, const ErrorTypes& types) {
  try {
    std::rethrow_exception(error);
  } catch (const dashi::CarrierError& e) {
    PyErr_SetString(types.carrier, e.what());
  } catch (const dashi::KernelContractError& e) {
    PyErr_SetString(types.contract, e.what());
  } catch (const dashi::pq::FormatError& e) {
    PyErr_SetString(types.format, e.what());
  } catch (const std::system_error& e) {
    PyObject* args = Py_BuildValue("(is)", e.code().value(), e.what());
    PyErr_SetObject(PyExc_OSError, args);
    Py_XDECREF(args);
  } catch (const std::invalid_argument& e) {
    PyErr_SetString(PyExc_ValueError, e.what());
  } catch (const std::length_error& e) {
    PyErr_SetString(PyExc_ValueError, e.what());
  } catch (const std::out_of_range& e) {
    PyErr_SetString(PyExc_IndexError, e.what());
  } catch (const std::logic_error& e) {
    PyErr_SetString(PyExc_RuntimeError, e.what());
  }
}

}  // namespace dashi_python
