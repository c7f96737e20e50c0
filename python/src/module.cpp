// SPDX-License-Identifier: Apache-2.0
// The extension module `dashicore._core`: executor, iteration, defect, MDL, fingerprint,
// kernels (see kernels.cpp) and PQ (see pq.cpp). Every C++ call runs with the GIL released.

#include <pybind11/pybind11.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <dashi/carrier.hpp>
#include <dashi/execution/cpu_parallel.hpp>
#include <dashi/execution/iterate.hpp>
#include <dashi/kernels/rule1d.hpp>
#include <dashi/pq/codec.hpp>
#include <dashi/version.hpp>
#include <exception>
#include <memory>
#include <stdexcept>
#include <string>
#include <system_error>
#include <utility>

#include "arrays.hpp"
#include "bindings.hpp"
#include "errors.hpp"
#include "kernels.hpp"
#include "testing.hpp"

namespace dashi_python {

namespace {

PyObject* carrier_error = nullptr;
PyObject* contract_error = nullptr;
PyObject* format_error = nullptr;

/// Threads a call with num_workers=0 uses (0: the shared pool's size); set_num_threads.
std::atomic<std::size_t> default_workers{0};

/// Wall time one chunk of an iteration aims at: signals (Ctrl-C) are checked between chunks.
constexpr double chunk_seconds = 0.03;

/// A new exception class `module.name` deriving from ValueError.
PyObject* value_error_subclass(py::module_& module, const char* name, const char* doc) {
  const std::string full = py::str(module.attr("__name__")).cast<std::string>() + "." + name;
  PyObject* type = PyErr_NewExceptionWithDoc(full.c_str(), doc, PyExc_ValueError, nullptr);
  if (type == nullptr) {
    throw py::error_already_set();
  }
  module.add_object(name, py::handle(type));  // the module takes its own reference
  return type;                                // ours lives as long as the process
}

void translate(std::exception_ptr error) {
  set_python_error(error, {carrier_error, contract_error, format_error});
}

/// The field the result is written into: `out` when given, else a fresh one.
struct Target {
  std::unique_ptr<InputArray> out;
  dashi::TernaryField field;
  [[nodiscard]] dashi::TernarySpan span() { return out ? out->span() : field.span(); }
};

Target make_target(const InputArray& in, const py::object& out) {
  Target target;
  if (out.is_none()) {
    target.field = dashi::TernaryField::uninitialized(in.shape());
  } else {
    target.out = std::make_unique<InputArray>(out, "out", true);
    if (!(target.out->shape() == in.shape())) {
      throw std::invalid_argument("dashicore: out has shape " + python_shape(target.out->shape()) +
                                  ", the input " + python_shape(in.shape()));
    }
  }
  return target;
}

py::object result_of(const InputArray& in, Target&& target, const py::object& out) {
  if (target.out) {
    return in.wrap(out);
  }
  return in.wrap(to_array(std::move(target.field)));
}

py::object run_kernel_parallel(const py::object& kernel, const py::object& x, Integer num_workers,
                               Integer block_sites, Integer block_elems, const py::object& halo,
                               const std::string& boundary, bool check_contract,
                               const py::object& out) {
  const dashi::ParallelOptions options =
      parallel_options(num_workers, block_sites, block_elems, halo, boundary, check_contract);
  if (is_bit_field(x)) {
    return run_kernel_bits(kernel, x, options, out);
  }
  const auto k = kernel_of(kernel);
  const InputArray in(x, "x");
  Target target = make_target(in, out);
  const LiveInput live(in.data(), in.shape().size(), in.owner());
  {
    const py::gil_scoped_release release;
    // check_contract=False also skips the input check (the caller vouches for the values).
    k->run(in.view(), target.span(), options, check_contract);
  }
  return result_of(in, std::move(target), out);
}

py::object apply_kernel(const py::object& kernel, const py::object& x,
                        const std::string& boundary) {
  const auto k = kernel_of(kernel);
  const InputArray in(x, "x");
  dashi::ParallelOptions options = parallel_options(1, 0, 0, py::none(), boundary, true);
  options.num_workers = 1;
  const LiveInput live(in.data(), in.shape().size(), in.owner());
  dashi::TernaryField field;
  {
    const py::gil_scoped_release release;
    in.validate();
    if (options.boundary == dashi::Boundary::clip) {
      field = k->apply(in.view());
    } else {
      // One block of the whole field on this thread, extended periodically by the radius.
      options.block_sites = std::max<std::size_t>(1, in.shape().size());
      field = dashi::TernaryField::uninitialized(in.shape());
      k->run(in.view(), field.span(), options, false);
    }
  }
  return in.wrap(to_array(std::move(field)));
}

/// The iteration in chunks of steps, each run without the GIL and sized to take about
/// `chunk_seconds`; pending signals are checked between chunks, so Ctrl-C raises
/// KeyboardInterrupt within about a chunk. Chained chunks give the result of one call (the
/// result never depends on how the steps are grouped), and a fixed point's step count adds up.
dashi::IterationResult iterate(const py::object& kernel, const InputArray& in, long long steps,
                               long long steps_per_sync, long long num_workers,
                               long long block_sites, long long block_elems,
                               const std::string& boundary, bool to_fixed_point) {
  const auto k = kernel_of(kernel);
  dashi::IterateOptions options;
  static_cast<dashi::ParallelOptions&>(options) =
      parallel_options(num_workers, block_sites, block_elems, py::none(), boundary, true);
  options.steps_per_sync = non_negative(steps_per_sync, "steps_per_sync");
  const std::size_t count = non_negative(steps, to_fixed_point ? "max_steps" : "steps");
  const LiveInput live(in.data(), in.shape().size(), in.owner());
  {
    const py::gil_scoped_release release;
    in.validate();
  }
  dashi::IterationResult total;
  std::size_t done = 0;
  std::size_t chunk = 1;
  const std::size_t per_sync = std::max<std::size_t>(1, options.steps_per_sync);
  while (true) {
    const std::size_t n = std::min(chunk, count - done);
    const dashi::TernaryView from = done == 0 ? in.view() : total.field.view();
    const auto start = std::chrono::steady_clock::now();
    dashi::IterationResult part;
    {
      const py::gil_scoped_release release;
      part = k->iterate(from, n, options, to_fixed_point);
    }
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    done += n;
    total.steps += part.steps;
    total.converged = part.converged;
    total.field = std::move(part.field);
    if (done >= count || (to_fixed_point && part.converged)) {
      break;
    }
    if (PyErr_CheckSignals() != 0) {
      throw py::error_already_set();
    }
    // The next chunk: about chunk_seconds at this chunk's pace, at most 4x longer, and a
    // multiple of steps_per_sync once above it (temporal blocking keeps its grouping).
    const double per_step = seconds / static_cast<double>(n);
    std::size_t next = per_step > 0 ? static_cast<std::size_t>(chunk_seconds / per_step) : 4 * n;
    next = std::clamp<std::size_t>(next, 1, 4 * n);
    if (next > per_sync) {
      next -= next % per_sync;
    }
    chunk = next;
  }
  return total;
}

void bind_core(py::module_& m) {
  using py::arg;
  m.def("run_kernel_parallel", &run_kernel_parallel, arg("kernel"), arg("x").noconvert(),
        py::kw_only(), arg("num_workers") = 0, arg("block_sites") = 0, arg("block_elems") = 0,
        arg("halo") = py::none(), arg("boundary") = "clip", arg("check_contract") = true,
        arg("out") = py::none(),
        "Runs `kernel` block-parallel on `x` (int8, C-contiguous, rank 1-4, Carrier-like, or a "
        "dashicore.bits.BitField for kernels with a bit form): the result equals apply_kernel "
        "byte for byte for any workers and block size. Returns a new array (or `out`, an object "
        "of x's type for a Carrier-like x, a BitField for a BitField x). check_contract=False "
        "skips both the contract check and the check that x holds only -1, 0, 1 (other values "
        "then give unspecified results).");
  m.def("apply_kernel", &apply_kernel, arg("kernel"), arg("x").noconvert(), py::kw_only(),
        arg("boundary") = "clip",
        "The one-thread reference: the kernel on the whole field, contract checked "
        "(boundary=\"periodic\": the field extended periodically along axis 0 by the radius).");
  m.def(
      "set_num_threads", [](Integer n) { default_workers = non_negative(n, "set_num_threads: n"); },
      arg("n"),
      "Threads a call with num_workers=0 uses, the calling thread included (0 restores the "
      "default, the shared pool's size; at most the pool's size + 1 run at once). Process-wide.");
  m.def(
      "get_num_threads",
      [] {
        const std::size_t n = default_workers;
        return n != 0 ? n : std::max<std::size_t>(1, dashi::default_thread_pool().size());
      },
      "Threads a call with num_workers=0 uses (see set_num_threads).");
  m.def(
      "run_kernel_iterated",
      [](const py::object& kernel, const py::object& x, Integer steps, Integer steps_per_sync,
         Integer num_workers, Integer block_sites, Integer block_elems,
         const std::string& boundary) -> py::object {
        if (is_bit_field(x)) {
          dashi::IterateOptions options;
          static_cast<dashi::ParallelOptions&>(options) =
              parallel_options(num_workers, block_sites, block_elems, py::none(), boundary, true);
          options.steps_per_sync = non_negative(steps_per_sync, "steps_per_sync");
          return iterate_bits(kernel, x, non_negative(steps, "steps"), options);
        }
        const InputArray in(x, "x");
        dashi::IterationResult r = iterate(kernel, in, steps, steps_per_sync, num_workers,
                                           block_sites, block_elems, boundary, false);
        return in.wrap(to_array(std::move(r.field)));
      },
      arg("kernel"), arg("x").noconvert(), arg("steps"), py::kw_only(), arg("steps_per_sync") = 1,
      arg("num_workers") = 0, arg("block_sites") = 0, arg("block_elems") = 0,
      arg("boundary") = "clip",
      "`kernel` applied `steps` times (temporal blocking of `steps_per_sync` steps per "
      "synchronisation; the result never depends on it). `x` as for run_kernel_parallel "
      "(a dashicore.bits.BitField for kernels with a bit form gives a BitField); the input and "
      "the contract are always checked.");
  m.def(
      "iterate_to_fixed_point",
      [](const py::object& kernel, const py::object& x, Integer max_steps, Integer steps_per_sync,
         Integer num_workers, Integer block_sites, Integer block_elems,
         const std::string& boundary) {
        const InputArray in(x, "x");
        dashi::IterationResult r = iterate(kernel, in, max_steps, steps_per_sync, num_workers,
                                           block_sites, block_elems, boundary, true);
        return py::make_tuple(in.wrap(to_array(std::move(r.field))), r.steps, r.converged);
      },
      arg("kernel"), arg("x").noconvert(), arg("max_steps"), py::kw_only(),
      arg("steps_per_sync") = 1, arg("num_workers") = 0, arg("block_sites") = 0,
      arg("block_elems") = 0, arg("boundary") = "clip",
      "Applies `kernel` until an application changes nothing or `max_steps` were made: "
      "returns (field, steps, converged).");
  m.def(
      "defect_local",
      [](const py::object& pre, const py::object& post) {
        const InputArray a(pre, "pre");
        const InputArray b(post, "post");
        std::vector<std::uint8_t> local;
        {
          const py::gil_scoped_release release;
          a.validate();
          b.validate();
          local = dashi::defect_local(a.view(), b.view());
        }
        return to_byte_array(std::move(local), a.shape());
      },
      arg("pre").noconvert(), arg("post").noconvert(),
      "|pre - post| per site (uint8 in {0, 1, 2}; upstream returns the same values as float64).");
  m.def(
      "defect_aggregate",
      [](const py::object& pre, const py::object& post) {
        const InputArray a(pre, "pre");
        const InputArray b(post, "post");
        const py::gil_scoped_release release;
        a.validate();
        b.validate();
        return dashi::defect_aggregate(a.view(), b.view());
      },
      arg("pre").noconvert(), arg("post").noconvert(), "Exact L1 defect sum |pre - post| (int).");
  m.def(
      "mdl_score",
      [](const py::object& x) {
        const InputArray in(x, "x");
        const py::gil_scoped_release release;
        in.validate();
        return dashi::mdl_score(in.view());
      },
      arg("x").noconvert(), "support + 0.01 * non-zero signs, as upstream's mdl.score.");
  m.def(
      "mdl_compare",
      [](const py::object& a, const py::object& b) {
        const InputArray x(a, "a");
        const InputArray y(b, "b");
        dashi::MdlChoice choice = dashi::MdlChoice::tie;
        {
          const py::gil_scoped_release release;
          x.validate();
          y.validate();
          choice = dashi::mdl_compare(x.view(), y.view());
        }
        return std::string(choice == dashi::MdlChoice::a   ? "A"
                           : choice == dashi::MdlChoice::b ? "B"
                                                           : "tie");
      },
      arg("a").noconvert(), arg("b").noconvert(),
      "\"A\", \"B\" or \"tie\": the carrier preferred by MDL (lower score).");
  m.def(
      "fingerprint",
      [](const py::object& x) {
        const InputArray in(x, "x");
        const py::gil_scoped_release release;
        in.validate();
        return dashi::fingerprint(in.view());
      },
      arg("x").noconvert(), "Deterministic 64-bit parity witness over shape and values.");
  m.def("_rule_isa",
        [] { return std::string(dashi::detail::isa_name(dashi::detail::rule_isa())); });
  m.def("_pool_size", [] { return dashi::default_thread_pool().size(); });
  m.def(
      "_time_cpp_calls",
      [](const py::object& kernel, const py::object& x, const py::object& out, Integer calls,
         Integer num_workers, Integer block_sites, Integer block_elems) {
        // The C++ call a C++ user writes, on the same buffers, timed in C++: the baseline of
        // the module's call overhead (bench/python).
        const auto k = kernel_of(kernel);
        const InputArray in(x, "x");
        const InputArray target(out, "out", true);
        const dashi::ParallelOptions options =
            parallel_options(num_workers, block_sites, block_elems, py::none(), "clip", true);
        const std::size_t n = non_negative(calls, "calls");
        const py::gil_scoped_release release;
        in.validate();
        const auto start = std::chrono::steady_clock::now();
        for (std::size_t i = 0; i < n; ++i) {
          k->run(in.view(), target.span(), options, false);
        }
        return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      },
      arg("kernel"), arg("x"), arg("out"), arg("calls"), arg("num_workers") = 0,
      arg("block_sites") = 0, arg("block_elems") = 0);
}

}  // namespace

std::size_t non_negative(long long value, const char* name) {
  if (value < 0) {
    throw std::invalid_argument(std::string("dashicore: ") + name + " must be >= 0, got " +
                                std::to_string(value));
  }
  return static_cast<std::size_t>(value);
}

dashi::ParallelOptions parallel_options(long long num_workers, long long block_sites,
                                        long long block_elems, const py::object& halo,
                                        const std::string& boundary, bool check_contract) {
  dashi::ParallelOptions options;
  options.num_workers = non_negative(num_workers, "num_workers");
  if (options.num_workers == 0) {
    options.num_workers = default_workers;
  }
  options.block_sites = non_negative(block_sites, "block_sites");
  options.block_elems = non_negative(block_elems, "block_elems");
  (void)options.requested_block_sites();  // ValueError now when the two spellings disagree
  if (!halo.is_none()) {
    options.halo = non_negative(integer_of(halo, "dashicore: halo"), "halo");
  }
  if (boundary == "clip") {
    options.boundary = dashi::Boundary::clip;
  } else if (boundary == "periodic") {
    options.boundary = dashi::Boundary::periodic;
  } else {
    throw std::invalid_argument("dashicore: boundary must be \"clip\" or \"periodic\", got \"" +
                                boundary + "\"");
  }
  options.check_contract = check_contract;
  return options;
}

}  // namespace dashi_python

PYBIND11_MODULE(_core, m) {
  namespace dp = dashi_python;
  namespace py = pybind11;
  m.doc() = "dashicore: deterministic parallel algebra over balanced-ternary fields (C++ engine).";
  dp::set_numpy(py::module_::import("numpy"));
  m.attr("__version__") = std::to_string(DASHI_VERSION_MAJOR) + "." +
                          std::to_string(DASHI_VERSION_MINOR) + "." +
                          std::to_string(DASHI_VERSION_PATCH);
  py::module_ kernels = m.def_submodule("kernels", "The shipped kernels and the rule kernels.");
  py::module_ pq = m.def_submodule("pq", "PQ packing, PQ-FS files and the legacy 2-bit codec.");
  py::module_ legacy = pq.def_submodule("legacy", "The 2-bit format of the original pq.py.");
  py::module_ bits = m.def_submodule(
      "bits", "Fields as bit planes (support, sign) and the bit-sliced kernels' executor.");
  dp::carrier_error = dp::value_error_subclass(
      m, "CarrierError", "A value outside {-1, 0, 1} or a bad shape (a ValueError, as upstream).");
  dp::contract_error = dp::value_error_subclass(
      m, "KernelContractError",
      "A kernel changed the shape, wrote a non-trit or created support (names block and site).");
  dp::format_error = dp::value_error_subclass(
      pq, "FormatError", "Malformed PQ bytes or file (names the field and the offset).");
  py::register_exception_translator(&dp::translate);
  dp::bind_buffers(m);
  dp::bind_core(m);
  dp::bind_kernels(m, kernels);
  dp::bind_pq(pq, legacy);
  dp::bind_bits(bits);
  dp::bind_testing(m);
}
