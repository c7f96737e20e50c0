// SPDX-License-Identifier: Apache-2.0
// The extension module `dashicore._distributed` (python/src/distributed: not part of `_core`):
// <dashi/mpi.hpp> on mpi4py communicators. Built only when MPI and mpi4py are found;
// `dashicore.distributed` wraps it.
//
// Every function is collective over the layout's communicator and keeps the C++ guarantees:
// each rank's result equals the matching rows of the one-process result byte for byte, and
// errors never hang. Arguments are converted on each rank while it holds the GIL; what goes
// wrong there (a wrong dtype, a non-trit, a bad option) is agreed over the communicator before
// any other collective, so every rank raises the same exception. The C++ calls, the agreement
// included, run with the GIL released. Kernels run as the module's erased kernels (the same
// `KernelBase::into` the one-process executor runs, with the halo set to the radius), on the
// rank's default thread pool; PythonKernels take their rank's GIL for each block.

#include <mpi4py/mpi4py.h>  // after <mpi.h> (mpi_c.hpp: without the MPI-2 C++ bindings)
#include <pybind11/pybind11.h>

#include <algorithm>
#include <climits>
#include <cstddef>
#include <cstdint>
#include <dashi/carrier.hpp>
#include <dashi/detail/trit_scan.hpp>
#include <dashi/execution/cpu_parallel.hpp>
#include <dashi/execution/iterate.hpp>
#include <dashi/mpi.hpp>
#include <dashi/mpi/detail/mpi_c.hpp>
#include <dashi/pq/codec.hpp>
#include <exception>
#include <filesystem>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "../arrays.hpp"
#include "../errors.hpp"
#include "../kernels.hpp"

namespace dashi_python {

namespace {

namespace dmpi = dashi::mpi;

PyObject* carrier_error = nullptr;   // dashicore.CarrierError
PyObject* contract_error = nullptr;  // dashicore.KernelContractError
PyObject* format_error = nullptr;    // dashicore.pq.FormatError
PyObject* remote_error = nullptr;    // dashicore.distributed.RemoteError

// ---------------------------------------------------------------------------------------
// Agreement on argument errors: every rank raises the lowest failing rank's exception.
// ---------------------------------------------------------------------------------------

/// The Python exception kinds an argument error can have, as sent between ranks.
enum class ErrorKind : char { type = 'T', value = 'V', carrier = 'C', index = 'I', runtime = 'R' };

/// One rank's argument error, if any.
struct LocalError {
  bool raised = false;
  ErrorKind kind = ErrorKind::value;
  std::string text;
  [[nodiscard]] bool failed() const noexcept { return raised; }
};

/// Throws the C++ exception that the translators turn into `kind`.
[[noreturn]] void throw_kind(ErrorKind kind, const std::string& text) {
  switch (kind) {
    case ErrorKind::type:
      throw py::type_error(text);
    case ErrorKind::carrier:
      throw dashi::CarrierError(text);
    case ErrorKind::index:
      throw py::index_error(text);
    case ErrorKind::runtime:
      throw std::runtime_error(text);
    case ErrorKind::value:
      break;
  }
  throw std::invalid_argument(text);
}

/// Runs `convert` (with the GIL held), returning what it threw as a `LocalError`.
template <class F>
LocalError capture(F&& convert) {
  LocalError error;
  try {
    convert();
  } catch (py::error_already_set& e) {
    error.raised = true;
    error.kind = e.matches(PyExc_TypeError)    ? ErrorKind::type
                 : e.matches(carrier_error)    ? ErrorKind::carrier
                 : e.matches(PyExc_IndexError) ? ErrorKind::index
                 : e.matches(PyExc_ValueError) || e.matches(PyExc_OverflowError)
                     ? ErrorKind::value
                     : ErrorKind::runtime;
    error.text = py::str(e.value()).cast<std::string>();
  } catch (const py::type_error& e) {
    error = {true, ErrorKind::type, e.what()};
  } catch (const py::index_error& e) {
    error = {true, ErrorKind::index, e.what()};
  } catch (const py::value_error& e) {
    error = {true, ErrorKind::value, e.what()};
  } catch (const py::cast_error& e) {
    error = {true, ErrorKind::type, e.what()};
  } catch (const dashi::CarrierError& e) {
    error = {true, ErrorKind::carrier, e.what()};
  } catch (const std::invalid_argument& e) {
    error = {true, ErrorKind::value, e.what()};
  } catch (const std::exception& e) {
    error = {true, ErrorKind::runtime, e.what()};
  }
  if (error.failed() && error.text.empty()) {
    error.text =
        "dashicore.distributed: an argument was refused (by an exception without a "
        "message)";
  }
  return error;
}

/// Collective over `comm`, called without the GIL: returns when no rank failed, otherwise
/// every rank throws the lowest failing rank's exception (same type, same text).
void agree_on_arguments(MPI_Comm comm, const LocalError& mine) {
  int rank = 0;
  dmpi::detail::check_mpi(MPI_Comm_rank(comm, &rank), "MPI_Comm_rank");
  int first = mine.failed() ? rank : INT_MAX;
  dmpi::detail::check_mpi(MPI_Allreduce(MPI_IN_PLACE, &first, 1, MPI_INT, MPI_MIN, comm),
                          "MPI_Allreduce");
  if (first == INT_MAX) {
    return;
  }
  const std::string sent =
      rank == first ? std::string(1, static_cast<char>(mine.kind)) + mine.text : std::string();
  const std::string text = dmpi::detail::broadcast_text(comm, first, rank, sent);
  throw_kind(static_cast<ErrorKind>(text.at(0)), text.substr(1));
}

/// The communicator the library talks on for `layout` (its own duplicate of the user's).
MPI_Comm internal_comm(const dmpi::SlabLayout& layout) {
  return dmpi::detail::LayoutAccess::resources(layout).internal.get();
}

// ---------------------------------------------------------------------------------------
// Conversions
// ---------------------------------------------------------------------------------------

/// The MPI communicator of an mpi4py `Comm` (TypeError for anything else).
MPI_Comm comm_of(py::handle object) {
  MPI_Comm* comm = PyMPIComm_Get(object.ptr());
  if (comm == nullptr) {
    throw py::error_already_set();
  }
  if (*comm == MPI_COMM_NULL) {
    throw py::value_error("dashicore.distributed: the communicator is MPI.COMM_NULL");
  }
  return *comm;
}

/// A non-negative Python int as a size: TypeError for a non-integer, ValueError when
/// negative or above 2^63 - 1, naming `name`.
std::size_t size_of(py::handle value, const char* name) {
  if (PyIndex_Check(value.ptr()) == 0) {
    throw py::type_error(std::string("dashicore.distributed: ") + name + " must be an int, got " +
                         py::str(py::type::handle_of(value).attr("__name__")).cast<std::string>());
  }
  const py::object index = py::reinterpret_steal<py::object>(PyNumber_Index(value.ptr()));
  if (!index) {
    throw py::error_already_set();
  }
  int overflow = 0;
  const long long v = PyLong_AsLongLongAndOverflow(index.ptr(), &overflow);
  if (v == -1 && PyErr_Occurred() != nullptr) {
    throw py::error_already_set();
  }
  if (overflow != 0 || v < 0) {
    throw py::value_error(std::string("dashicore.distributed: ") + name +
                          " must be in [0, 2**63), got " + py::repr(index).cast<std::string>());
  }
  return static_cast<std::size_t>(v);
}

/// An int rank (root): TypeError / ValueError like `size_of`, ValueError above INT_MAX.
int root_of(py::handle value) {
  const std::size_t root = size_of(value, "root");
  if (root > static_cast<std::size_t>(INT_MAX)) {
    throw py::value_error("dashicore.distributed: root " + std::to_string(root) + " is not a rank");
  }
  return static_cast<int>(root);
}

/// The executor's options from the keywords (halo: None or a size).
dashi::ParallelOptions parallel_options(py::handle num_workers, py::handle block_sites,
                                        py::handle block_elems, py::handle halo,
                                        py::handle boundary, py::handle check_contract) {
  dashi::ParallelOptions options;
  options.num_workers = size_of(num_workers, "num_workers");
  options.block_sites = size_of(block_sites, "block_sites");
  options.block_elems = size_of(block_elems, "block_elems");
  (void)options.requested_block_sites();  // ValueError when the two spellings disagree
  if (!halo.is_none()) {
    options.halo = size_of(halo, "halo");
  }
  if (!py::isinstance<py::str>(boundary)) {
    throw py::type_error("dashicore.distributed: boundary must be \"clip\" or \"periodic\"");
  }
  const auto name = boundary.cast<std::string>();
  if (name == "clip") {
    options.boundary = dashi::Boundary::clip;
  } else if (name == "periodic") {
    options.boundary = dashi::Boundary::periodic;
  } else {
    throw py::value_error(
        "dashicore.distributed: boundary must be \"clip\" or \"periodic\", got \"" + name + "\"");
  }
  options.check_contract = PyObject_IsTrue(check_contract.ptr()) == 1;
  return options;
}

/// The kernel behind a Python object: a module kernel, or what `dashicore._coerce_kernel`
/// makes of an upstream-style kernel or a callable (as `dashicore.run_kernel_parallel`).
std::shared_ptr<const KernelBase> kernel_of(py::handle object) {
  if (py::isinstance<KernelBase>(object)) {
    return py::cast<std::shared_ptr<KernelBase>>(object);
  }
  const py::object coerced = py::module_::import("dashicore").attr("_coerce_kernel")(object);
  return py::cast<std::shared_ptr<KernelBase>>(coerced);
}

/// `options` with the halo set to the kernel's radius (ValueError when given below it).
template <class Options>
Options with_halo(const Options& options, const KernelBase& kernel) {
  Options result = options;
  const std::size_t r = kernel.radius();
  if (options.halo && *options.halo < r) {
    throw std::invalid_argument("dashicore.distributed: halo " + std::to_string(*options.halo) +
                                " is below the kernel's radius " + std::to_string(r));
  }
  result.halo = std::max(options.halo.value_or(r), r);
  return result;
}

/// Calls `f(ErasedKernel<P, S>{kernel})` with P = `contract_proven()`, S = radius above 0:
/// the kernel as the one-process executor runs the module's run-time kernels.
template <class F>
decltype(auto) with_erased(const KernelBase* kernel, F&& f) {
  const bool stencil = kernel->radius() > 0;
  if (kernel->contract_proven()) {
    return stencil ? f(ErasedKernel<true, true>{kernel}) : f(ErasedKernel<true, false>{kernel});
  }
  return stencil ? f(ErasedKernel<false, true>{kernel}) : f(ErasedKernel<false, false>{kernel});
}

/// CarrierError naming the first non-trit of a rank's slab by its global index.
void validate_slab(const dmpi::SlabLayout& layout, dashi::TernaryView slab, const char* what) {
  if (const auto bad = dashi::detail::first_non_trit(slab.data(), slab.size())) {
    const std::size_t global = layout.first_row() * layout.global_shape().row_elems() + *bad;
    throw dashi::CarrierError(std::string(what) + ": value " + std::to_string(slab.data()[*bad]) +
                              " at global index " + std::to_string(global) + " (index " +
                              std::to_string(*bad) + " of rank " + std::to_string(layout.rank()) +
                              "'s slab) is not a trit (expected -1, 0 or 1)");
  }
}

// ---------------------------------------------------------------------------------------
// SlabLayout
// ---------------------------------------------------------------------------------------

/// `dashicore.distributed.SlabLayout`: the C++ layout and the mpi4py communicator it was
/// made from (kept alive with it).
struct PySlabLayout {
  py::object comm;
  std::optional<dmpi::SlabLayout> layout;

  [[nodiscard]] const dmpi::SlabLayout& get() const { return *layout; }
};

/// `rank` (None: this rank's) checked against the layout: IndexError outside [0, size).
int rank_in(const dmpi::SlabLayout& layout, const py::object& rank, const char* what) {
  if (rank.is_none()) {
    return layout.rank();
  }
  const auto r = rank.cast<long long>();
  if (r < 0 || r >= layout.size()) {
    throw py::index_error(std::string("dashicore.distributed.SlabLayout.") + what + ": rank " +
                          std::to_string(r) + " is not a rank of the " +
                          std::to_string(layout.size()) + " ranks");
  }
  return static_cast<int>(r);
}

std::unique_ptr<PySlabLayout> make_layout(const py::object& comm, const py::object& shape,
                                          const py::object& rows_per_rank) {
  const MPI_Comm c = comm_of(comm);
  dashi::Shape global;
  std::vector<std::size_t> split;
  const LocalError error = capture([&] {
    global = shape_from(shape, "dashicore.distributed.SlabLayout: shape");
    if (!rows_per_rank.is_none()) {
      for (const py::handle count : py::iter(rows_per_rank)) {
        split.push_back(size_of(count, "rows_per_rank entries"));
      }
    }
  });
  auto result = std::make_unique<PySlabLayout>();
  result->comm = comm;
  {
    const py::gil_scoped_release release;
    {
      // A conversion error on one rank must not leave the others in the constructor's
      // collectives: agree on it first, on a duplicate of the user's communicator.
      const dmpi::detail::Comm scratch = dmpi::detail::duplicate_returning_errors(c);
      agree_on_arguments(scratch.get(), error);
    }
    if (rows_per_rank.is_none()) {
      result->layout.emplace(c, global);
    } else {
      result->layout.emplace(c, global, std::span<const std::size_t>(split));
    }
  }
  return result;
}

// ---------------------------------------------------------------------------------------
// The collective functions
// ---------------------------------------------------------------------------------------

py::object scatter(const PySlabLayout& self, const py::object& x, const py::object& root_object) {
  const dmpi::SlabLayout& layout = self.get();
  std::unique_ptr<InputArray> in;
  int root = 0;
  LocalError error = capture([&] {
    root = root_of(root_object);
    if (layout.rank() == root) {
      in = std::make_unique<InputArray>(x, "dashicore.distributed.scatter: x");
    }
  });
  dashi::TernaryField local;
  {
    const py::gil_scoped_release release;
    if (!error.failed() && in) {
      error =
          capture([&] { validate_slab(layout, in->view(), "dashicore.distributed.scatter: x"); });
    }
    agree_on_arguments(internal_comm(layout), error);
    local = dmpi::scatter(layout, in ? in->view() : dashi::TernaryView{}, root);
  }
  return to_array(std::move(local));
}

py::object gather(const PySlabLayout& self, const py::object& local_object,
                  const py::object& root_object) {
  const dmpi::SlabLayout& layout = self.get();
  std::unique_ptr<InputArray> in;
  int root = 0;
  LocalError error = capture([&] {
    root = root_of(root_object);
    in = std::make_unique<InputArray>(local_object, "dashicore.distributed.gather: local");
  });
  dashi::TernaryField global;
  {
    const py::gil_scoped_release release;
    if (!error.failed()) {
      error = capture(
          [&] { validate_slab(layout, in->view(), "dashicore.distributed.gather: local"); });
    }
    agree_on_arguments(internal_comm(layout), error);
    global = dmpi::gather(layout, in->view(), root);
  }
  if (layout.rank() != root) {
    return py::none();
  }
  return in->wrap(to_array(std::move(global)));
}

py::object run_kernel_distributed(const PySlabLayout& self, const py::object& kernel,
                                  const py::object& local_object, const py::object& num_workers,
                                  const py::object& block_sites, const py::object& block_elems,
                                  const py::object& halo, const py::object& boundary,
                                  const py::object& check_contract) {
  const char* where = "dashicore.distributed.run_kernel_distributed: local";
  const dmpi::SlabLayout& layout = self.get();
  std::shared_ptr<const KernelBase> k;
  std::unique_ptr<InputArray> in;
  dashi::ParallelOptions options;
  LocalError error = capture([&] {
    k = kernel_of(kernel);
    in = std::make_unique<InputArray>(local_object, where);
    options = with_halo(
        parallel_options(num_workers, block_sites, block_elems, halo, boundary, check_contract),
        *k);
  });
  dashi::TernaryField result;
  {
    const py::gil_scoped_release release;
    if (!error.failed()) {
      error = capture([&] { validate_slab(layout, in->view(), where); });
    }
    agree_on_arguments(internal_comm(layout), error);
    result = with_erased(k.get(), [&](const auto& erased) {
      return dmpi::run_kernel_distributed(dashi::default_thread_pool(), layout, erased, in->view(),
                                          options);
    });
  }
  return in->wrap(to_array(std::move(result)));
}

py::object run_kernel_iterated_distributed(
    const PySlabLayout& self, const py::object& kernel, const py::object& local_object,
    const py::object& steps_object, const py::object& steps_per_sync, const py::object& num_workers,
    const py::object& block_sites, const py::object& block_elems, const py::object& boundary) {
  const char* where = "dashicore.distributed.run_kernel_iterated_distributed: local";
  const dmpi::SlabLayout& layout = self.get();
  std::shared_ptr<const KernelBase> k;
  std::unique_ptr<InputArray> in;
  dashi::IterateOptions options;
  std::size_t steps = 0;
  LocalError error = capture([&] {
    k = kernel_of(kernel);
    in = std::make_unique<InputArray>(local_object, where);
    steps = size_of(steps_object, "steps");
    static_cast<dashi::ParallelOptions&>(options) = parallel_options(
        num_workers, block_sites, block_elems, py::none(), boundary, py::bool_(true));
    options.steps_per_sync = size_of(steps_per_sync, "steps_per_sync");
    options = with_halo(options, *k);
  });
  dashi::TernaryField result;
  {
    const py::gil_scoped_release release;
    if (!error.failed()) {
      error = capture([&] { validate_slab(layout, in->view(), where); });
    }
    agree_on_arguments(internal_comm(layout), error);
    result = with_erased(k.get(), [&](const auto& erased) {
      return dmpi::run_kernel_iterated_distributed(dashi::default_thread_pool(), layout, erased,
                                                   in->view(), steps, options);
    });
  }
  return in->wrap(to_array(std::move(result)));
}

std::uint64_t defect_aggregate(const PySlabLayout& self, const py::object& pre,
                               const py::object& post) {
  const dmpi::SlabLayout& layout = self.get();
  std::unique_ptr<InputArray> a;
  std::unique_ptr<InputArray> b;
  LocalError error = capture([&] {
    a = std::make_unique<InputArray>(pre, "dashicore.distributed.defect_aggregate: pre_local");
    b = std::make_unique<InputArray>(post, "dashicore.distributed.defect_aggregate: post_local");
  });
  const py::gil_scoped_release release;
  if (!error.failed()) {
    error = capture([&] {
      validate_slab(layout, a->view(), "dashicore.distributed.defect_aggregate: pre_local");
      validate_slab(layout, b->view(), "dashicore.distributed.defect_aggregate: post_local");
    });
  }
  agree_on_arguments(internal_comm(layout), error);
  return dmpi::defect_aggregate(layout, a->view(), b->view());
}

void write_file(const PySlabLayout& self, const py::object& path, const py::object& local_object,
                const py::object& sb_bytes) {
  const char* where = "dashicore.distributed.write_file: local";
  const dmpi::SlabLayout& layout = self.get();
  std::unique_ptr<InputArray> in;
  std::filesystem::path target;
  dashi::pq::FileOptions options;
  LocalError error = capture([&] {
    target =
        std::filesystem::path(py::module_::import("os").attr("fsdecode")(path).cast<std::string>());
    in = std::make_unique<InputArray>(local_object, where);
    const std::size_t bytes = size_of(sb_bytes, "sb_bytes");
    if (bytes > UINT32_MAX) {
      throw py::value_error("dashicore.distributed.write_file: sb_bytes " + std::to_string(bytes) +
                            " is above 2**28");
    }
    options.sb_bytes = static_cast<std::uint32_t>(bytes);
  });
  const py::gil_scoped_release release;
  if (!error.failed()) {
    error = capture([&] { validate_slab(layout, in->view(), where); });
  }
  agree_on_arguments(internal_comm(layout), error);
  dmpi::write_file(layout, target, in->view(), options);
}

py::object read_slab(const PySlabLayout& self, const py::object& path) {
  const dmpi::SlabLayout& layout = self.get();
  std::filesystem::path source;
  const LocalError error = capture([&] {
    source =
        std::filesystem::path(py::module_::import("os").attr("fsdecode")(path).cast<std::string>());
  });
  dashi::TernaryField rows;
  {
    const py::gil_scoped_release release;
    agree_on_arguments(internal_comm(layout), error);
    rows = dmpi::read_slab(layout, source);
  }
  return to_array(std::move(rows));
}

// ---------------------------------------------------------------------------------------
// Exceptions
// ---------------------------------------------------------------------------------------

void translate(std::exception_ptr error) {
  try {
    std::rethrow_exception(error);
  } catch (const dmpi::RemoteError& e) {
    py::object instance =
        py::reinterpret_steal<py::object>(PyObject_CallFunction(remote_error, "s", e.what()));
    if (!instance) {
      return;  // the call set an exception
    }
    instance.attr("rank") = e.rank();
    instance.attr("block") = e.block();
    instance.attr("message") = e.message();
    PyErr_SetObject(remote_error, instance.ptr());
  } catch (...) {
    set_python_error(std::current_exception(), {carrier_error, contract_error, format_error});
  }
}

/// A strong reference to `module.name`, kept for the process's lifetime.
PyObject* keep(const py::handle module, const char* name) {
  return py::object(module.attr(name)).release().ptr();
}

void bind(py::module_& m) {
  using py::arg;
  py::class_<PySlabLayout>(
      m, "SlabLayout",
      "SlabLayout(comm, shape, rows_per_rank=None): who owns which rows of axis 0 of a global "
      "field split over the ranks of an mpi4py communicator (collective).")
      .def(py::init(&make_layout), arg("comm"), arg("shape"), arg("rows_per_rank") = py::none())
      .def_property_readonly("comm", [](const PySlabLayout& s) { return s.comm; })
      .def_property_readonly("rank", [](const PySlabLayout& s) { return s.get().rank(); })
      .def_property_readonly("size", [](const PySlabLayout& s) { return s.get().size(); })
      .def_property_readonly(
          "global_shape", [](const PySlabLayout& s) { return shape_tuple(s.get().global_shape()); })
      .def_property_readonly(
          "local_shape", [](const PySlabLayout& s) { return shape_tuple(s.get().local_shape()); })
      .def(
          "first_row",
          [](const PySlabLayout& s, const py::object& rank) {
            return s.get().first_row(rank_in(s.get(), rank, "first_row"));
          },
          arg("rank") = py::none())
      .def(
          "row_count",
          [](const PySlabLayout& s, const py::object& rank) {
            return s.get().row_count(rank_in(s.get(), rank, "row_count"));
          },
          arg("rank") = py::none())
      .def(
          "owner_of_row",
          [](const PySlabLayout& s, std::size_t row) {
            if (row >= s.get().global_shape().rows()) {
              throw py::index_error("dashicore.distributed.SlabLayout.owner_of_row: row " +
                                    std::to_string(row) + " is not below the " +
                                    std::to_string(s.get().global_shape().rows()) + " rows");
            }
            return s.get().owner_of_row(row);
          },
          arg("row"));

  m.def("scatter", &scatter, arg("layout"), arg("x"), arg("root") = 0);
  m.def("gather", &gather, arg("layout"), arg("local"), arg("root") = 0);
  m.def("run_kernel_distributed", &run_kernel_distributed, arg("layout"), arg("kernel"),
        arg("local"), py::kw_only(), arg("num_workers") = 0, arg("block_sites") = 0,
        arg("block_elems") = 0, arg("halo") = py::none(), arg("boundary") = "clip",
        arg("check_contract") = true);
  m.def("run_kernel_iterated_distributed", &run_kernel_iterated_distributed, arg("layout"),
        arg("kernel"), arg("local"), arg("steps"), py::kw_only(), arg("steps_per_sync") = 1,
        arg("num_workers") = 0, arg("block_sites") = 0, arg("block_elems") = 0,
        arg("boundary") = "clip");
  m.def("defect_aggregate", &defect_aggregate, arg("layout"), arg("pre_local"), arg("post_local"));
  m.def("write_file", &write_file, arg("layout"), arg("path"), arg("local"), py::kw_only(),
        arg("sb_bytes") = 262144);
  m.def("read_slab", &read_slab, arg("layout"), arg("path"));
}

}  // namespace

}  // namespace dashi_python

PYBIND11_MODULE(_distributed, m) {
  namespace dp = dashi_python;
  namespace py = pybind11;
  m.doc() = "dashicore's MPI part on mpi4py communicators (see dashicore.distributed).";
  if (import_mpi4py() < 0) {
    throw py::error_already_set();
  }
  const py::module_ core = py::module_::import("dashicore._core");
  dp::set_numpy(py::module_::import("numpy"));
  dp::carrier_error = dp::keep(core, "CarrierError");
  dp::contract_error = dp::keep(core, "KernelContractError");
  dp::format_error = dp::keep(core.attr("pq"), "FormatError");
  dp::remote_error = PyErr_NewExceptionWithDoc(
      "dashicore.distributed.RemoteError",
      "Raised on every rank but the failing one when a kernel failed on another rank: .rank "
      "(the failing rank), .block (the failing block in that rank's partition of its slab), "
      ".message (its exception's text).",
      PyExc_RuntimeError, nullptr);
  if (dp::remote_error == nullptr) {
    throw py::error_already_set();
  }
  m.add_object("RemoteError", py::handle(dp::remote_error));
  py::register_exception_translator(&dp::translate);
  dp::bind(m);
}
