// SPDX-License-Identifier: Apache-2.0
// `dashicore.bits`: fields as bit planes (BitField), pack / unpack, PQ to planes and back,
// and the executor on planes behind dashicore.run_kernel_parallel / run_kernel_iterated.

#include <pybind11/pybind11.h>

#include <cstdint>
#include <dashi/bits.hpp>
#include <string>
#include <utility>

#include "arrays.hpp"
#include "bindings.hpp"
#include "integers.hpp"
#include "kernels.hpp"

namespace dashi_python {

namespace {

using dashi::bits::BitField;

/// One plane of a BitField exposed read-only through the buffer protocol (format "Q",
/// 1-D): `numpy.asarray` of it is a zero-copy uint64 array whose base keeps the field alive.
struct PlaneBuffer {
  py::object owner;  // the BitField
  const std::uint64_t* words;
  std::size_t count;
};

[[nodiscard]] py::object plane_array(const py::object& owner, bool sign) {
  const auto& field = owner.cast<const BitField&>();
  const PlaneBuffer buffer{owner, sign ? field.sign_data() : field.support_data(), field.words()};
  return numpy_asarray()(py::cast(buffer, py::return_value_policy::move));
}

/// The field of `b` as a new int8 array (the GIL released while it unpacks).
[[nodiscard]] py::object unpacked(const BitField& b) {
  dashi::TernaryField field;
  {
    const py::gil_scoped_release release;
    field = dashi::bits::unpack(b.view());
  }
  return to_array(std::move(field));
}

/// The kernel's bit form, or TypeError naming the kernel.
[[nodiscard]] std::shared_ptr<const KernelBase> bit_kernel_of(const py::object& kernel) {
  auto k = kernel_of(kernel);
  if (!k->has_bits()) {
    throw py::type_error("dashicore: " + k->name() +
                         " has no bit-sliced form; run it on an int8 array, or use one of "
                         "SignFlip, Clamp, ClampNonnegative, LeftNeighbor, Majority3x3, "
                         "Rule1D(radius=1), Totalistic2D on a BitField");
  }
  return k;
}

}  // namespace

bool is_bit_field(py::handle x) { return py::isinstance<BitField>(x); }

py::object run_kernel_bits(const py::object& kernel, const py::object& x,
                           const dashi::ParallelOptions& options, const py::object& out) {
  const auto k = bit_kernel_of(kernel);
  const auto& in = x.cast<const BitField&>();
  if (out.is_none()) {
    BitField result = BitField::uninitialized(in.shape());
    {
      const py::gil_scoped_release release;
      k->run_bits(in.view(), result.span(), options);
    }
    return py::cast(std::move(result));
  }
  auto& target = out.cast<BitField&>();
  const py::gil_scoped_release release;
  k->run_bits(in.view(), target.span(), options);
  return out;
}

py::object iterate_bits(const py::object& kernel, const py::object& x, std::size_t steps,
                        const dashi::IterateOptions& options) {
  const auto k = bit_kernel_of(kernel);
  const auto& in = x.cast<const BitField&>();
  BitField result;
  {
    const py::gil_scoped_release release;
    result = k->iterate_bits(in.view(), steps, options);
  }
  return py::cast(std::move(result));
}

void bind_bits(py::module_& m) {
  using py::arg;
  py::class_<PlaneBuffer>(m, "_PlaneBuffer", py::buffer_protocol()).def_buffer([](PlaneBuffer& b) {
    return py::buffer_info(const_cast<std::uint64_t*>(b.words), sizeof(std::uint64_t),
                           py::format_descriptor<std::uint64_t>::format(), 1,
                           {static_cast<py::ssize_t>(b.count)},
                           {static_cast<py::ssize_t>(sizeof(std::uint64_t))}, true);
  });
  py::class_<BitField>(m, "BitField",
                       "A field as two bit planes, support (site != 0) and sign (site == +1), "
                       "each axis-0 slice starting on a 64-bit word. Immutable from Python; "
                       "== compares the fields.")
      .def_property_readonly("shape", [](const BitField& b) { return shape_tuple(b.shape()); })
      .def_property_readonly("size", [](const BitField& b) { return b.size(); })
      .def(
          "count_support", [](const BitField& b) { return b.count_support(); },
          "Supported sites (a popcount).")
      .def("unpack", &unpacked, "The field as an int8 array.")
      .def_property_readonly(
          "support", [](const py::object& self) { return plane_array(self, false); },
          "The support plane as a read-only uint64 array (no copy): bit b of word w of slice i "
          "is site i * (sites per slice) + 64 w + b.")
      .def_property_readonly(
          "sign", [](const py::object& self) { return plane_array(self, true); },
          "The sign plane, laid out as `support`.")
      .def("__eq__", [](const BitField& a, const BitField& b) { return a == b; })
      .def("__len__", [](const BitField& b) { return b.size(); })
      .def("__repr__", [](const BitField& b) {
        return "BitField(shape=" + python_shape(b.shape()) +
               ", support_count=" + std::to_string(b.count_support()) + ")";
      });
  m.def(
      "pack",
      [](const py::object& x) {
        const InputArray in(x, "x");
        const py::gil_scoped_release release;
        return dashi::bits::pack(in.view());
      },
      arg("x").noconvert(),
      "The bit planes of an int8 array (or Carrier-like); CarrierError names the first value "
      "that is not a trit.");
  m.def("unpack", &unpacked, arg("b"), "The field as an int8 array.");
  m.def(
      "from_pq",
      [](const dashi::pq::PackedField& packed) {
        const py::gil_scoped_release release;
        return dashi::bits::from_pq(packed);
      },
      arg("packed"), "The planes of a packed field, with no byte per site in between.");
  m.def(
      "to_pq",
      [](const BitField& b, Integer block_sites, Integer num_workers) {
        const std::size_t block = non_negative(block_sites, "block_sites");
        if (block > 0xFFFFFFFFULL) {
          throw std::invalid_argument("dashicore.bits.to_pq: block_sites is too large");
        }
        const dashi::pq::PqOptions options{static_cast<std::uint32_t>(block),
                                           non_negative(num_workers, "num_workers")};
        const py::gil_scoped_release release;
        return dashi::bits::to_pq(b.view(), options);
      },
      arg("b"), py::kw_only(), arg("block_sites") = 4096, arg("num_workers") = 1,
      "The packed field, byte-identical to dashicore.pq.encode of the unpacked field.");
}

}  // namespace dashi_python
