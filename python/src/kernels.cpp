// SPDX-License-Identifier: Apache-2.0

#include "kernels.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <dashi/detail/periodic_rows.hpp>
#include <dashi/detail/scratch.hpp>
#include <dashi/kernel.hpp>
#include <memory>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "arrays.hpp"

namespace dashi_python {

// ---------------------------------------------------------------------------------------
// RuntimeKernel: the erased forms with the halo raised to the radius.
// ---------------------------------------------------------------------------------------

void check_input_trits(dashi::TernaryView in, const std::int8_t* base, std::size_t size) {
  if (const auto bad = dashi::detail::first_non_trit(in.data(), in.size())) {
    const std::int8_t* where = in.data() + *bad;
    std::string site = std::to_string(*bad) + " of its block";
    if (where >= base && where < base + size) {
      site = std::to_string(static_cast<std::size_t>(where - base));
    }
    throw dashi::CarrierError("dashicore: input value " + std::to_string(*where) + " at index " +
                              site + " is not a trit (expected -1, 0 or 1)");
  }
}

template <class Options>
Options RuntimeKernel::prepared(const Options& options, std::size_t sites) const {
  Options result = options;
  const std::size_t r = radius();
  if (options.halo && *options.halo < r) {
    throw std::invalid_argument("dashicore: halo " + std::to_string(*options.halo) +
                                " is below the kernel's radius " + std::to_string(r));
  }
  result.halo = std::max(options.halo.value_or(r), r);
  if (whole()) {
    if (options.boundary == dashi::Boundary::periodic) {
      throw std::invalid_argument(
          "dashicore: " + name() +
          " declares no radius, so it runs on the whole field, which a periodic boundary "
          "cannot extend: give its radius (PythonKernel(fn, radius=r) or a `radius` attribute)");
    }
    result.block_elems = 0;  // either spelling may have been given: one block, whatever it said
    result.block_sites = std::max<std::size_t>(1, sites);
  }
  return result;
}

namespace {

/// Calls `f(ErasedKernel<P, S>{self})` with P = the kernel's `contract_proven()` and S =
/// whether its radius is above 0.
template <class F>
decltype(auto) with_erased(const KernelBase* self, F&& f) {
  const bool stencil = self->radius() > 0;
  if (self->contract_proven()) {
    return stencil ? f(ErasedKernel<true, true>{self}) : f(ErasedKernel<true, false>{self});
  }
  return stencil ? f(ErasedKernel<false, true>{self}) : f(ErasedKernel<false, false>{self});
}

}  // namespace

void RuntimeKernel::run_padded(dashi::TernaryView in, dashi::TernarySpan out,
                               dashi::ParallelOptions options) const {
  const std::size_t r = radius();
  const std::size_t rows = in.shape().rows();
  const std::size_t row_elems = in.shape().row_elems();
  const dashi::Shape padded_shape = in.shape().with_rows(rows + 2 * r);
  dashi::TernaryField padded = dashi::TernaryField::uninitialized(padded_shape);
  // Row i of `padded` is row (i - r) mod rows of `in`.
  dashi::detail::copy_rows_periodic(in.data(), rows, row_elems,
                                    dashi::detail::periodic_row_before(0, r, rows), padded.data(),
                                    rows + 2 * r);
  dashi::TernaryField result = dashi::TernaryField::uninitialized(padded_shape);
  options.boundary = dashi::Boundary::clip;
  run(padded.view(), result.span(), options, false);
  std::copy_n(result.data() + r * row_elems, out.size(), out.data());
}

void RuntimeKernel::run(dashi::TernaryView in, dashi::TernarySpan out,
                        const dashi::ParallelOptions& options, bool validate) const {
  const dashi::ParallelOptions o = prepared(options, in.size());
  if (needs_padding(o, in.shape()) && in.size() != 0) {
    if (validate) {
      check_input_trits(in, in.data(), in.size());
    }
    run_padded(in, out, o);
    return;
  }
  if (python_blocks()) {
    const ErasedPythonBlocks blocks{this, in.data(), in.size(), validate};
    dashi::run_kernel_parallel(dashi::default_thread_pool(), blocks, in, out, o);
    return;
  }
  with_erased(this, [&](const auto& kernel) {
    using K = std::remove_cvref_t<decltype(kernel)>;
    if (validate) {
      const ValidatingKernel<K> checked{&kernel, in.data(), in.size()};
      dashi::run_kernel_parallel(dashi::default_thread_pool(), checked, in, out, o);
    } else {
      dashi::run_kernel_parallel(dashi::default_thread_pool(), kernel, in, out, o);
    }
  });
}

dashi::TernaryField RuntimeKernel::apply(dashi::TernaryView in) const {
  return with_erased(this, [&](const auto& kernel) { return dashi::apply_kernel(kernel, in); });
}

dashi::IterationResult RuntimeKernel::iterate(dashi::TernaryView in, std::size_t steps,
                                              const dashi::IterateOptions& options,
                                              bool to_fixed_point) const {
  const dashi::IterateOptions o = prepared(options, in.size());
  if (needs_padding(o, in.shape()) && in.size() != 0) {  // step by step, each one padded
    dashi::IterationResult result;
    result.field = dashi::TernaryField::uninitialized(in.shape());
    std::copy_n(in.data(), in.size(), result.field.data());
    for (std::size_t step = 0; step < steps; ++step) {
      dashi::TernaryField next = dashi::TernaryField::uninitialized(in.shape());
      run_padded(result.field.view(), next.span(), o);
      if (to_fixed_point && next == result.field) {
        result.steps = step;
        result.converged = true;
        return result;
      }
      result.field = std::move(next);
    }
    result.steps = steps;
    return result;
  }
  auto run = [&](const auto& kernel) {
    if (to_fixed_point) {
      return dashi::iterate_to_fixed_point(dashi::default_thread_pool(), kernel, in, steps, o);
    }
    dashi::IterationResult result;
    result.field = dashi::run_kernel_iterated(dashi::default_thread_pool(), kernel, in, steps, o);
    result.steps = steps;
    return result;
  };
  if (python_blocks()) {
    return run(ErasedPythonBlocks{this, in.data(), in.size(), false});
  }
  return with_erased(this, run);
}

dashi::pq::PackedField RuntimeKernel::run_packed(const dashi::pq::PackedField& in,
                                                 const dashi::ParallelOptions& options) const {
  const dashi::ParallelOptions o = prepared(options, in.size());
  if (needs_padding(o, in.shape()) && in.size() != 0) {
    const dashi::TernaryField field = dashi::pq::decode(in);
    dashi::TernaryField result = dashi::TernaryField::uninitialized(in.shape());
    run_padded(field.view(), result.span(), o);
    return dashi::pq::encode(result.view(), {.block_sites = in.block_sites()});
  }
  if (python_blocks()) {
    return dashi::run_kernel_parallel(dashi::default_thread_pool(),
                                      ErasedPythonBlocks{this, nullptr, 0, false}, in, o);
  }
  return with_erased(this, [&](const auto& kernel) {
    return dashi::run_kernel_parallel(dashi::default_thread_pool(), kernel, in, o);
  });
}

// ---------------------------------------------------------------------------------------
// compose
// ---------------------------------------------------------------------------------------

ComposedKernel::ComposedKernel(std::vector<std::shared_ptr<const KernelBase>> kernels)
    : kernels_(std::move(kernels)) {
  if (kernels_.empty()) {
    throw std::invalid_argument("dashicore.compose: needs at least one kernel");
  }
  for (const auto& k : kernels_) {
    radius_ += k->radius();
    proven_ = proven_ && k->contract_proven();
    whole_ = whole_ || k->whole();
    python_ = python_ || k->calls_python();
  }
}

std::string ComposedKernel::name() const {
  std::string text = "compose(";
  for (std::size_t i = 0; i < kernels_.size(); ++i) {
    text += (i == 0 ? "" : ", ") + kernels_[i]->name();
  }
  return text + ")";
}

void ComposedKernel::into(dashi::TernaryView in, dashi::TernarySpan out) const {
  const dashi::detail::ScratchLease::Level level;
  const dashi::detail::ScratchLease first(in.size(), 0);
  const dashi::detail::ScratchLease second(in.size(), 1);
  std::int8_t* buffers[2] = {first.data(), second.data()};
  dashi::TernaryView current = in;
  for (std::size_t stage = 0; stage < kernels_.size(); ++stage) {
    const bool last = stage + 1 == kernels_.size();
    const dashi::TernarySpan target =
        last ? out : dashi::TernarySpan::unchecked(buffers[stage % 2], in.shape());
    kernels_[stage]->into(current, target);
    current = target.view();
  }
}

// ---------------------------------------------------------------------------------------
// PythonKernel
// ---------------------------------------------------------------------------------------

PythonKernel::PythonKernel(py::object fn, std::optional<std::size_t> radius)
    : fn_(std::move(fn)), radius_(radius) {}

PythonKernel::~PythonKernel() = default;

std::string PythonKernel::name() const {
  const py::gil_scoped_acquire gil;
  return "PythonKernel(" + py::repr(fn_).cast<std::string>() +
         ", radius=" + (radius_ ? std::to_string(*radius_) : std::string("None")) + ")";
}

namespace {

struct LiveEntry {
  const std::int8_t* data;
  std::size_t size;
  PyObject* owner;  // borrowed: the call holds the object while the entry lives
  py::object flat;  // a read-only 1-D int8 view of the owner, made for the first block
};

// Both touched only with the GIL held.
std::vector<LiveEntry> live_inputs;
bool interrupted = false;

/// The block `in` as the function sees it: a read-only view keeping the input alive when `in`
/// lies inside a registered input, else a read-only copy.
py::object block_for_python(dashi::TernaryView in) {
  py::object block;
  for (const LiveEntry& entry : live_inputs) {
    if (in.size() == 0 || in.data() < entry.data ||
        in.data() + in.size() > entry.data + entry.size) {
      continue;
    }
    // Copies of what the entry holds: the Python calls below may let another thread register
    // or drop an input (moving the entries).
    const std::int8_t* const base = entry.data;
    py::object flat = entry.flat;
    if (!flat) {
      flat = numpy_frombuffer()(py::handle(entry.owner), py::arg("dtype") = "b",
                                py::arg("count") = entry.size);
      flat.attr("setflags")(py::arg("write") = false);
      for (LiveEntry& same : live_inputs) {
        if (same.data == base && !same.flat) {
          same.flat = flat;
          break;
        }
      }
    }
    const auto first = static_cast<py::ssize_t>(in.data() - base);
    block = flat[py::slice(first, first + static_cast<py::ssize_t>(in.size()), 1)];
    break;  // read-only, and its base chain holds the owner
  }
  if (!block) {
    // A copy in an immutable bytes object: the array is read-only and keeps it alive.
    const py::bytes copy(reinterpret_cast<const char*>(in.data()), in.size());
    block = numpy_frombuffer()(copy, py::arg("dtype") = "b");
  }
  return block.attr("reshape")(shape_tuple(in.shape()));
}

[[noreturn]] void raise_interrupt() {
  interrupted = true;
  if (PyErr_Occurred() == nullptr) {
    PyErr_SetNone(PyExc_KeyboardInterrupt);
  }
  throw py::error_already_set();
}

}  // namespace

LiveInput::LiveInput(const std::int8_t* data, std::size_t size, py::handle owner) : data_(data) {
  if (live_inputs.empty()) {
    interrupted = false;
  }
  live_inputs.push_back({data, size, owner.ptr(), py::object()});
}

LiveInput::~LiveInput() {
  for (auto it = live_inputs.end(); it != live_inputs.begin();) {
    --it;
    if (it->data == data_) {
      live_inputs.erase(it);
      break;
    }
  }
}

void PythonKernel::into(dashi::TernaryView in, dashi::TernarySpan out) const {
  const py::gil_scoped_acquire gil;
  // Ctrl-C: the main thread sees the signal; every later block of the call stops too.
  if (interrupted || PyErr_CheckSignals() != 0) {
    raise_interrupt();
  }
  const dashi::Shape& shape = in.shape();
  const py::object result = fn_(block_for_python(in));
  const InputArray values(result, "PythonKernel: the function's result");
  if (!(values.shape() == shape)) {
    throw dashi::KernelContractError(
        "dashicore.PythonKernel: the function changed the shape of block " +
        std::to_string(dashi::detail::CurrentBlock::index()) + " from " + python_shape(shape) +
        " to " + python_shape(values.shape()));
  }
  if (const auto bad = dashi::detail::first_non_trit(values.data(), shape.size())) {
    throw dashi::KernelContractError("dashicore.PythonKernel: the function returned value " +
                                     std::to_string(values.data()[*bad]) + " at index " +
                                     std::to_string(*bad) + " of block " +
                                     std::to_string(dashi::detail::CurrentBlock::index()) +
                                     ", not a trit (expected -1, 0 or 1)");
  }
  std::copy_n(values.data(), shape.size(), out.data());
}

// ---------------------------------------------------------------------------------------
// Rule kernels: one Python class each, over the C++ types of every radius.
// ---------------------------------------------------------------------------------------

namespace {

/// Forwards every entry point to the C++ kernel of the right radius.
class ForwardingKernel : public KernelBase {
 public:
  ForwardingKernel(std::shared_ptr<const KernelBase> inner, std::vector<std::int8_t> table,
                   py::tuple table_shape)
      : inner_(std::move(inner)), table_(std::move(table)), table_shape_(std::move(table_shape)) {}
  [[nodiscard]] std::size_t radius() const noexcept override { return inner_->radius(); }
  [[nodiscard]] bool contract_proven() const noexcept override { return true; }
  [[nodiscard]] std::string name() const override { return inner_->name(); }
  void into(dashi::TernaryView in, dashi::TernarySpan out) const override { inner_->into(in, out); }
  void run(dashi::TernaryView in, dashi::TernarySpan out, const dashi::ParallelOptions& options,
           bool validate) const override {
    inner_->run(in, out, options, validate);
  }
  [[nodiscard]] dashi::TernaryField apply(dashi::TernaryView in) const override {
    return inner_->apply(in);
  }
  [[nodiscard]] dashi::IterationResult iterate(dashi::TernaryView in, std::size_t steps,
                                               const dashi::IterateOptions& options,
                                               bool to_fixed_point) const override {
    return inner_->iterate(in, steps, options, to_fixed_point);
  }
  [[nodiscard]] dashi::pq::PackedField run_packed(
      const dashi::pq::PackedField& in, const dashi::ParallelOptions& options) const override {
    return inner_->run_packed(in, options);
  }
  [[nodiscard]] bool has_bits() const noexcept override { return inner_->has_bits(); }
  void run_bits(dashi::bits::BitView in, dashi::bits::BitSpan out,
                const dashi::ParallelOptions& options) const override {
    inner_->run_bits(in, out, options);
  }
  [[nodiscard]] dashi::bits::BitField iterate_bits(
      dashi::bits::BitView in, std::size_t steps,
      const dashi::IterateOptions& options) const override {
    return inner_->iterate_bits(in, steps, options);
  }
  [[nodiscard]] py::object table() const {
    dashi::TernaryField field =
        dashi::TernaryField::from_signed(std::span<const std::int8_t>(table_));
    return to_array(std::move(field)).attr("reshape")(table_shape_);
  }

 private:
  std::shared_ptr<const KernelBase> inner_;
  std::vector<std::int8_t> table_;
  py::tuple table_shape_;
};

class Rule1DKernel final : public ForwardingKernel {
  using ForwardingKernel::ForwardingKernel;
};
class Totalistic2DKernel final : public ForwardingKernel {
  using ForwardingKernel::ForwardingKernel;
};

/// The entries of a table given as any array-like of integers, row-major. Entries outside
/// the int8 range or not integral are refused here, naming the entry; the C++ constructor
/// refuses the rest.
std::vector<std::int8_t> table_entries(py::handle table, const char* where, py::tuple* shape_out) {
  const py::object array = numpy_asarray()(table);
  *shape_out = py::tuple(array.attr("shape"));
  const py::list flat = array.attr("ravel")().attr("tolist")();
  std::vector<std::int8_t> entries;
  entries.reserve(flat.size());
  for (std::size_t e = 0; e < flat.size(); ++e) {
    const py::handle v = flat[e];
    bool ok = PyLong_Check(v.ptr()) != 0 || PyBool_Check(v.ptr()) != 0;
    long long value = 0;
    if (ok) {
      value = integer_of(v, where);
    } else if (PyFloat_Check(v.ptr()) != 0) {
      const double d = v.cast<double>();
      ok = d == static_cast<double>(static_cast<long long>(d));
      value = static_cast<long long>(d);
    }
    if (!ok || value < -128 || value > 127) {
      throw std::invalid_argument(std::string(where) + ": table entry " + std::to_string(e) +
                                  " is " + py::repr(v).cast<std::string>() +
                                  ", not a trit (expected -1, 0 or 1)");
    }
    entries.push_back(static_cast<std::int8_t>(value));
  }
  return entries;
}

template <std::size_t R>
std::shared_ptr<const KernelBase> make_rule1d(const std::vector<std::int8_t>& table) {
  return std::make_shared<TypedKernel<dashi::kernels::Rule1D<R>>>(
      dashi::kernels::Rule1D<R>(table), "Rule1D(radius=" + std::to_string(R) + ")");
}

std::shared_ptr<Rule1DKernel> rule1d_from(py::handle table, py::object radius_object) {
  const char* where = "dashicore.kernels.Rule1D";
  py::tuple shape;
  const std::vector<std::int8_t> entries = table_entries(table, where, &shape);
  long long radius = 0;
  if (radius_object.is_none()) {
    radius = entries.size() == 27 ? 1 : entries.size() == 243 ? 2 : entries.size() == 2187 ? 3 : 0;
    if (radius == 0) {
      throw std::invalid_argument(std::string(where) + ": the table has " +
                                  std::to_string(entries.size()) +
                                  " entries: expected 27, 243 or 2187 (radius 1, 2 or 3)");
    }
  } else {
    radius = integer_of(radius_object, where);
  }
  if (shape.size() != 1) {
    throw std::invalid_argument(std::string(where) + ": the table must be 1-D, got shape " +
                                py::repr(shape).cast<std::string>());
  }
  std::shared_ptr<const KernelBase> inner;
  switch (radius) {
    case 1:
      inner = make_rule1d<1>(entries);
      break;
    case 2:
      inner = make_rule1d<2>(entries);
      break;
    case 3:
      inner = make_rule1d<3>(entries);
      break;
    default:
      throw std::invalid_argument(std::string(where) + ": radius must be 1, 2 or 3, got " +
                                  std::to_string(radius));
  }
  return std::make_shared<Rule1DKernel>(std::move(inner), entries, std::move(shape));
}

std::shared_ptr<Totalistic2DKernel> totalistic_from(py::handle table) {
  const char* where = "dashicore.kernels.Totalistic2D";
  py::tuple shape;
  const std::vector<std::int8_t> entries = table_entries(table, where, &shape);
  const bool flat = shape.size() == 1;
  const bool grid =
      shape.size() == 2 && shape[0].cast<long long>() == 3 && shape[1].cast<long long>() == 17;
  if (!flat && !grid) {
    throw std::invalid_argument(std::string(where) +
                                ": the table must have shape (3, 17) or (51,), got " +
                                py::repr(shape).cast<std::string>());
  }
  auto inner = std::make_shared<TypedKernel<dashi::kernels::Totalistic2D>>(
      dashi::kernels::Totalistic2D(entries), "Totalistic2D()");
  return std::make_shared<Totalistic2DKernel>(std::move(inner), entries, py::make_tuple(3, 17));
}

template <class K>
void bind_simple(py::module_& kernels, const char* name, const char* doc) {
  using Bound = TypedKernel<K>;
  const std::string repr = std::string(name) + "()";
  py::class_<Bound, KernelBase, std::shared_ptr<Bound>>(kernels, name, doc).def(py::init([repr] {
    return std::make_shared<Bound>(K{}, repr);
  }));
}

std::size_t radius_from(long long radius, const char* where) {
  if (radius < 0) {
    throw std::invalid_argument(std::string(where) + ": radius must be >= 0, got " +
                                std::to_string(radius));
  }
  return static_cast<std::size_t>(radius);
}

}  // namespace

std::shared_ptr<const KernelBase> kernel_of(py::handle object) {
  if (py::isinstance<KernelBase>(object)) {
    return py::cast<std::shared_ptr<KernelBase>>(object);
  }
  const py::object coerced = py::module_::import("dashicore").attr("_coerce_kernel")(object);
  return py::cast<std::shared_ptr<KernelBase>>(coerced);
}

void bind_kernels(py::module_& m, py::module_& kernels) {
  py::class_<KernelBase, std::shared_ptr<KernelBase>>(
      kernels, "Kernel",
      "Base of the module's kernels. Each has a locality radius and runs in C++ without the GIL.")
      .def_property_readonly(
          "radius",
          [](const KernelBase& k) -> py::object {
            if (k.whole()) {
              return py::none();
            }
            return py::int_(k.radius());
          },
          "Axis-0 slices read on each side of a site (0: pointwise); None for a kernel that "
          "declares no radius (it then runs on the whole field in one call).")
      .def_property_readonly("contract_proven", &KernelBase::contract_proven,
                             "True when the kernel keeps the contract by construction (the "
                             "executor then skips its per-block check).")
      .def("__repr__", &KernelBase::name);

  bind_simple<dashi::kernels::SignFlip>(kernels, "SignFlip", "s -> -s (radius 0).");
  bind_simple<dashi::kernels::Clamp>(
      kernels, "Clamp", "Sign of supported sites forced to +-1, 0 off support (radius 0).");
  bind_simple<dashi::kernels::ClampNonnegative>(kernels, "ClampNonnegative",
                                                "-1 -> 0, else unchanged (radius 0).");
  bind_simple<dashi::kernels::LeftNeighbor>(
      kernels, "LeftNeighbor",
      "On support sign(s[i] + s[i-1]) along axis 0, s[-1] = 0; off support 0 (radius 1).");
  bind_simple<dashi::kernels::Majority3x3>(
      kernels, "Majority3x3",
      "2-D: on support the sign of the 3x3 sum (clipped at the edges), 0 on a tie (radius 1).");

  py::class_<Rule1DKernel, KernelBase, std::shared_ptr<Rule1DKernel>>(
      kernels, "Rule1D",
      "Rule1D(table, radius=None): a rule along axis 0 defined by 3**(2*radius+1) trits indexed "
      "by the neighbourhood x[i-r..i+r] read as base-3 digits (x+1), most significant first; "
      "sites beyond the field read 0. radius 1..3 (inferred from the table's length when "
      "omitted). A table that holds a value outside {-1,0,1} or would create support is a "
      "ValueError naming the entry.")
      .def(py::init(&rule1d_from), py::arg("table"), py::arg("radius") = py::none())
      .def_property_readonly("table", &Rule1DKernel::table, "The table (a copy).");

  py::class_<Totalistic2DKernel, KernelBase, std::shared_ptr<Totalistic2DKernel>>(
      kernels, "Totalistic2D",
      "Totalistic2D(table): rank 2, radius 1; table of shape (3, 17) (or 51 entries, row-major): "
      "out = table[x+1][sum of the 8 neighbours + 8]; sites beyond the field read 0 (Majority3x3 "
      "is one such table).")
      .def(py::init(&totalistic_from), py::arg("table"))
      .def_property_readonly("table", &Totalistic2DKernel::table, "The table (a copy), (3, 17).")
      .def_static(
          "majority_table",
          [] {
            const auto table = dashi::kernels::Totalistic2D::majority_table();
            return to_array(dashi::TernaryField::from_signed(std::span<const std::int8_t>(table)))
                .attr("reshape")(py::make_tuple(3, 17));
          },
          "The table of Majority3x3, a new (3, 17) int8 array: 0 where the centre x is 0, "
          "else the sign of the 3x3 sum (0 on a tie). Totalistic2D(Totalistic2D.majority_table()) "
          "equals Majority3x3.");

  py::class_<ComposedKernel, KernelBase, std::shared_ptr<ComposedKernel>>(kernels, "ComposedKernel")
      .def_property_readonly("kernels", &ComposedKernel::arguments,
                             "The kernels composed, as given to compose().");

  py::class_<PythonKernel, KernelBase, std::shared_ptr<PythonKernel>>(
      m, "PythonKernel",
      "PythonKernel(fn, radius=None): fn(block) -> array of the block's shape, called block by "
      "block with the GIL held (the caller releases it first). Deterministic, keeps the "
      "lowest-index exception rule with the Python exception type; not faster than numpy. The "
      "block is a read-only array the function may keep. Without a radius the function is "
      "called once on the whole field (never split).")
      .def(py::init([](py::object fn, const py::object& radius) {
             std::optional<std::size_t> r;
             if (!radius.is_none()) {
               const char* where = "dashicore.PythonKernel";
               r = radius_from(integer_of(radius, where), where);
             }
             return std::make_shared<PythonKernel>(std::move(fn), r);
           }),
           py::arg("fn"), py::arg("radius") = py::none())
      .def_property_readonly("function", &PythonKernel::function);

  m.def(
      "compose",
      [](const py::args& args) {
        std::vector<std::shared_ptr<const KernelBase>> parts;
        for (const py::handle k : args) {
          parts.push_back(kernel_of(k));
        }
        auto composed = std::make_shared<ComposedKernel>(std::move(parts));
        composed->set_arguments(py::tuple(args));
        return composed;
      },
      "compose(*kernels): a kernel applying them in order; radius = sum of radii.");
}

}  // namespace dashi_python
