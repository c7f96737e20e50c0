// SPDX-License-Identifier: Apache-2.0
#pragma once

/// @file
/// Kernels as Python objects. Every bound kernel derives from `KernelBase`, whose virtual
/// entry points run the library's own templates on the concrete C++ kernel type (so a call
/// from Python runs exactly the code a C++ caller gets). Kernels whose radius is only known at
/// run time (`compose`, `PythonKernel`) run as an erased kernel of static radius 0 with the
/// halo set to their radius.

#include <pybind11/pybind11.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <dashi/bits.hpp>
#include <dashi/carrier.hpp>
#include <dashi/detail/checked_map.hpp>
#include <dashi/detail/trit_scan.hpp>
#include <dashi/execution/cpu_parallel.hpp>
#include <dashi/execution/iterate.hpp>
#include <dashi/kernel.hpp>
#include <dashi/pq/adapters.hpp>
#include <dashi/pq/codec.hpp>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace dashi_python {

namespace py = pybind11;

/// Throws `dashi::CarrierError` naming the first value of `in` outside {-1, 0, 1}: its index
/// in the whole input [`base`, `base + size`) when `in` lies there, else in the block.
void check_input_trits(dashi::TernaryView in, const std::int8_t* base, std::size_t size);

/// The base of every kernel object of the module (`dashicore.kernels.Kernel`).
class KernelBase {
 public:
  KernelBase() = default;
  KernelBase(const KernelBase&) = delete;
  KernelBase& operator=(const KernelBase&) = delete;
  virtual ~KernelBase() = default;

  [[nodiscard]] virtual std::size_t radius() const noexcept = 0;
  [[nodiscard]] virtual bool contract_proven() const noexcept = 0;
  [[nodiscard]] virtual std::string name() const = 0;
  /// True for a kernel that declares no radius (an upstream-style kernel or a function given
  /// without `radius=`): it is never split, but runs on the whole field in one call.
  [[nodiscard]] virtual bool whole() const noexcept { return false; }
  /// True when running the kernel calls Python code (it then takes the GIL per block).
  [[nodiscard]] virtual bool calls_python() const noexcept { return false; }
  /// One block: `out` has `in`'s shape. Called without the GIL.
  virtual void into(dashi::TernaryView in, dashi::TernarySpan out) const = 0;

  /// `dashi::run_kernel_parallel` into `out`. With `validate`, every block first checks that
  /// its input values are trits (`CarrierError` naming the site). Called without the GIL.
  virtual void run(dashi::TernaryView in, dashi::TernarySpan out,
                   const dashi::ParallelOptions& options, bool validate) const = 0;
  /// `dashi::apply_kernel` (one thread, contract checked). Called without the GIL.
  [[nodiscard]] virtual dashi::TernaryField apply(dashi::TernaryView in) const = 0;
  /// `dashi::run_kernel_iterated` / `dashi::iterate_to_fixed_point`. Without the GIL.
  [[nodiscard]] virtual dashi::IterationResult iterate(dashi::TernaryView in, std::size_t steps,
                                                       const dashi::IterateOptions& options,
                                                       bool to_fixed_point) const = 0;
  /// Packed in, packed out. Called without the GIL.
  [[nodiscard]] virtual dashi::pq::PackedField run_packed(
      const dashi::pq::PackedField& in, const dashi::ParallelOptions& options) const = 0;
  /// True when the kernel has a bit-sliced form (`dashi::bits::BitKernel`).
  [[nodiscard]] virtual bool has_bits() const noexcept { return false; }
  /// `dashi::run_kernel_parallel` on planes into `out`; only when `has_bits()` (else
  /// `std::logic_error`). Called without the GIL.
  virtual void run_bits(dashi::bits::BitView /*in*/, dashi::bits::BitSpan /*out*/,
                        const dashi::ParallelOptions& /*options*/) const {
    throw std::logic_error("dashicore: " + name() + " has no bit-sliced form");
  }
  /// `dashi::run_kernel_iterated` on planes; only when `has_bits()`. Without the GIL.
  [[nodiscard]] virtual dashi::bits::BitField iterate_bits(
      dashi::bits::BitView /*in*/, std::size_t /*steps*/,
      const dashi::IterateOptions& /*options*/) const {
    throw std::logic_error("dashicore: " + name() + " has no bit-sliced form");
  }
};

/// The byte map of a shipped pointwise kernel (`void` for every other kernel): such kernels
/// check their input in the same pass as they map it (`detail::map_bytes_checked`).
template <class K>
struct ByteMapOf {
  using type = void;
};
template <>
struct ByteMapOf<dashi::kernels::SignFlip> {
  using type = dashi::detail::NegateBytes;
};
template <>
struct ByteMapOf<dashi::kernels::Clamp> {
  using type = dashi::detail::SignBytes;
};
template <>
struct ByteMapOf<dashi::kernels::ClampNonnegative> {
  using type = dashi::detail::NonnegativeBytes;
};

/// Checks that a block's input values are trits, then runs `K`: what the module runs when
/// the input comes from Python. The shipped byte maps check as they map (one pass);
/// otherwise the check reads the block just before the kernel does; with `Pieces`
/// (pointwise C++ kernels: radius 0, so whole axis-0 slices are independent) it runs piece
/// by piece, each piece checked and then computed while it sits in L1, so the check costs a
/// cache-resident scan instead of a pass over memory.
template <class K, bool Pieces = false>
struct ValidatingKernel {
  static constexpr std::size_t radius = dashi::kernel_radius_v<K>;
  static constexpr bool contract_proven = dashi::kernel_contract_proven_v<K>;
  static_assert(!Pieces || radius == 0, "only pointwise kernels run piece by piece");
  /// Sites per piece (whole axis-0 slices, at least one).
  static constexpr std::size_t piece_sites = std::size_t{1} << 14;
  const K* kernel;
  const std::int8_t* base;  // the whole input, to report global sites
  std::size_t size;

  void check(dashi::TernaryView in) const { check_input_trits(in, base, size); }

  void operator()(dashi::TernaryView in, dashi::TernarySpan out) const {
    using ByteMap = typename ByteMapOf<K>::type;
    if constexpr (!std::is_void_v<ByteMap>) {
      // One pass: the map flags non-trits as it reads them; only then is the site looked for.
      if (!dashi::detail::map_bytes_checked(in.data(), out.data(), in.size(), ByteMap{})) {
        check(in);
      }
    } else if constexpr (Pieces) {
      const std::size_t rows = in.shape().rows();
      const std::size_t row_elems = std::max<std::size_t>(1, in.shape().row_elems());
      const std::size_t piece_rows = std::max<std::size_t>(1, piece_sites / row_elems);
      for (std::size_t r = 0; r < rows; r += piece_rows) {
        const std::size_t count = std::min(piece_rows, rows - r);
        const dashi::TernaryView piece = in.rows(r, count);
        check(piece);
        dashi::detail::apply_into(*kernel, piece, out.rows(r, count));
      }
    } else {
      check(in);
      dashi::detail::apply_into(*kernel, in, out);
    }
  }

  /// The row-window form, for row-window `K`: output rows are computed in pieces, and the
  /// input rows each piece reads are checked just before it (so both run while the rows sit
  /// in L1), every input row the window reads exactly once.
  void into_rows(dashi::TernaryView in, std::size_t first_row,
                 dashi::TernarySpan out) const requires dashi::RowWindowKernel<K> {
    const std::size_t rows = in.shape().rows();
    const std::size_t out_rows = out.shape().rows();
    const std::size_t piece_rows =
        std::max<std::size_t>(1, piece_sites / std::max<std::size_t>(1, in.shape().row_elems()));
    std::size_t checked = first_row > radius ? first_row - radius : 0;  // next row to check
    for (std::size_t r = 0; r < out_rows; r += piece_rows) {
      const std::size_t count = std::min(piece_rows, out_rows - r);
      const std::size_t needed = std::min(rows, first_row + r + count + radius);
      if (needed > checked) {
        check(in.rows(checked, needed - checked));
        checked = needed;
      }
      kernel->into_rows(in, first_row + r, out.rows(r, count));
    }
  }
};

/// The bound form of a C++ kernel type `K` with a static radius.
template <class K>
class TypedKernel : public KernelBase {
 public:
  explicit TypedKernel(K kernel, std::string name)
      : kernel_(std::move(kernel)), name_(std::move(name)) {}

  [[nodiscard]] const K& kernel() const noexcept { return kernel_; }
  [[nodiscard]] std::size_t radius() const noexcept override { return dashi::kernel_radius_v<K>; }
  [[nodiscard]] bool contract_proven() const noexcept override {
    return dashi::kernel_contract_proven_v<K>;
  }
  [[nodiscard]] std::string name() const override { return name_; }
  void into(dashi::TernaryView in, dashi::TernarySpan out) const override {
    dashi::detail::apply_into(kernel_, in, out);
  }
  void run(dashi::TernaryView in, dashi::TernarySpan out, const dashi::ParallelOptions& options,
           bool validate) const override {
    if (validate) {
      const ValidatingKernel<K, dashi::kernel_radius_v<K> == 0> checked{&kernel_, in.data(),
                                                                        in.size()};
      dashi::run_kernel_parallel(dashi::default_thread_pool(), checked, in, out, options);
    } else {
      dashi::run_kernel_parallel(dashi::default_thread_pool(), kernel_, in, out, options);
    }
  }
  [[nodiscard]] dashi::TernaryField apply(dashi::TernaryView in) const override {
    return dashi::apply_kernel(kernel_, in);
  }
  [[nodiscard]] dashi::IterationResult iterate(dashi::TernaryView in, std::size_t steps,
                                               const dashi::IterateOptions& options,
                                               bool to_fixed_point) const override {
    if (to_fixed_point) {
      return dashi::iterate_to_fixed_point(dashi::default_thread_pool(), kernel_, in, steps,
                                           options);
    }
    dashi::IterationResult result;
    result.field =
        dashi::run_kernel_iterated(dashi::default_thread_pool(), kernel_, in, steps, options);
    result.steps = steps;
    return result;
  }
  [[nodiscard]] dashi::pq::PackedField run_packed(
      const dashi::pq::PackedField& in, const dashi::ParallelOptions& options) const override {
    return dashi::run_kernel_parallel(dashi::default_thread_pool(), kernel_, in, options);
  }
  [[nodiscard]] bool has_bits() const noexcept override { return dashi::bits::BitKernel<K>; }
  void run_bits(dashi::bits::BitView in, dashi::bits::BitSpan out,
                const dashi::ParallelOptions& options) const override {
    if constexpr (dashi::bits::BitKernel<K>) {
      dashi::run_kernel_parallel(dashi::default_thread_pool(), kernel_, in, out, options);
    } else {
      KernelBase::run_bits(in, out, options);
    }
  }
  [[nodiscard]] dashi::bits::BitField iterate_bits(
      dashi::bits::BitView in, std::size_t steps,
      const dashi::IterateOptions& options) const override {
    if constexpr (dashi::bits::BitKernel<K>) {
      return dashi::run_kernel_iterated(dashi::default_thread_pool(), kernel_, in, steps, options);
    } else {
      return KernelBase::iterate_bits(in, steps, options);
    }
  }

 private:
  K kernel_;
  std::string name_;
};

/// A `KernelBase` seen as a C++ kernel: static radius 0 for a pointwise kernel, 1 for a
/// stencil (the executor is given the real radius as its halo; a static radius of 0 would let
/// it cut a block into pieces along axis 0). `Proven` mirrors `contract_proven()`.
template <bool Proven, bool Stencil>
struct ErasedKernel {
  static constexpr bool contract_proven = Proven;
  static constexpr std::size_t radius = Stencil ? 1 : 0;
  const KernelBase* kernel;
  void operator()(dashi::TernaryView in, dashi::TernarySpan out) const { kernel->into(in, out); }
};

/// A kernel that calls Python, seen as a radius-0 C++ kernel of the functional form: the
/// executor hands each block to it whole (an into kernel of radius 0 would be cut into
/// L1-sized pieces, each a Python call), whatever the block size. With `validate`, the
/// block's input values are checked first.
struct ErasedPythonBlocks {
  static constexpr bool contract_proven = false;
  static constexpr std::size_t radius = 0;
  const KernelBase* kernel;
  const std::int8_t* base;  // the whole input, to report global sites
  std::size_t size;
  bool validate;
  [[nodiscard]] dashi::TernaryField operator()(dashi::TernaryView in) const {
    if (validate) {
      check_input_trits(in, base, size);
    }
    dashi::TernaryField out = dashi::TernaryField::uninitialized(in.shape());
    kernel->into(in, out.span());
    return out;
  }
};

/// Base of kernels whose radius is known only at run time.
class RuntimeKernel : public KernelBase {
 public:
  void run(dashi::TernaryView in, dashi::TernarySpan out, const dashi::ParallelOptions& options,
           bool validate) const override;
  [[nodiscard]] dashi::TernaryField apply(dashi::TernaryView in) const override;
  [[nodiscard]] dashi::IterationResult iterate(dashi::TernaryView in, std::size_t steps,
                                               const dashi::IterateOptions& options,
                                               bool to_fixed_point) const override;
  [[nodiscard]] dashi::pq::PackedField run_packed(
      const dashi::pq::PackedField& in, const dashi::ParallelOptions& options) const override;

 private:
  /// `options` with the halo raised to the radius (ValueError when set below it), and for a
  /// kernel without a radius one block of the whole field of `sites` sites (ValueError with
  /// a periodic boundary, which needs the radius).
  template <class Options>
  [[nodiscard]] Options prepared(const Options& options, std::size_t sites) const;
  /// Whether the executor should see the kernel as `ErasedPythonBlocks`.
  [[nodiscard]] bool python_blocks() const noexcept { return calls_python() && radius() == 0; }
  /// True for a periodic run on a field with fewer rows than the radius: the executor caps a
  /// periodic halo at the rows or the erased kernel's static radius, which this kernel's
  /// run-time radius outreaches, so `run_padded` runs it instead.
  [[nodiscard]] bool needs_padding(const dashi::ParallelOptions& options,
                                   const dashi::Shape& shape) const noexcept {
    return options.boundary == dashi::Boundary::periodic && radius() > 1 && radius() > shape.rows();
  }
  /// The periodic result by its definition: `in` padded periodically by the radius along
  /// axis 0, run clipped, and the middle rows written to `out` (the input is not checked).
  void run_padded(dashi::TernaryView in, dashi::TernarySpan out,
                  dashi::ParallelOptions options) const;
};

/// `compose(*kernels)`: applies the kernels in order; radius = sum of radii.
class ComposedKernel final : public RuntimeKernel {
 public:
  explicit ComposedKernel(std::vector<std::shared_ptr<const KernelBase>> kernels);
  [[nodiscard]] std::size_t radius() const noexcept override { return radius_; }
  [[nodiscard]] bool contract_proven() const noexcept override { return proven_; }
  [[nodiscard]] bool whole() const noexcept override { return whole_; }
  [[nodiscard]] bool calls_python() const noexcept override { return python_; }
  [[nodiscard]] std::string name() const override;
  void into(dashi::TernaryView in, dashi::TernarySpan out) const override;
  /// The Python objects `compose` was called with (for pickling and equality).
  [[nodiscard]] const py::tuple& arguments() const noexcept { return arguments_; }
  void set_arguments(py::tuple arguments) { arguments_ = std::move(arguments); }

 private:
  py::tuple arguments_;
  std::vector<std::shared_ptr<const KernelBase>> kernels_;
  std::size_t radius_ = 0;
  bool proven_ = true;
  bool whole_ = false;
  bool python_ = false;
};

/// `PythonKernel(fn, radius)`: `fn(block)` called block by block; the worker takes the GIL
/// for the call. Contract checked on every block (it is never proven); values outside
/// {-1, 0, 1} in the function's result are refused even when the caller skips the contract
/// check. Without a radius (`std::nullopt`) the kernel runs whole. Each call first checks for
/// pending signals: Ctrl-C raises KeyboardInterrupt from the running call, and every block
/// of the call still to come raises it at once.
class PythonKernel final : public RuntimeKernel {
 public:
  PythonKernel(py::object fn, std::optional<std::size_t> radius);
  ~PythonKernel() override;
  [[nodiscard]] std::size_t radius() const noexcept override { return radius_.value_or(0); }
  [[nodiscard]] bool whole() const noexcept override { return !radius_; }
  [[nodiscard]] bool calls_python() const noexcept override { return true; }
  [[nodiscard]] bool contract_proven() const noexcept override { return false; }
  [[nodiscard]] std::string name() const override;
  void into(dashi::TernaryView in, dashi::TernarySpan out) const override;
  [[nodiscard]] const py::object& function() const noexcept { return fn_; }

 private:
  py::object fn_;
  std::optional<std::size_t> radius_;
};

/// Registers the input of a module call in progress (with the GIL held, for the guard's
/// lifetime): a PythonKernel's block lying inside it is handed to the function as a
/// read-only view whose base keeps that input alive, so a block the function keeps stays
/// valid after the call; any other block (periodic padding, intermediate steps, scratch) is
/// handed out as a read-only copy. Also clears a previous call's interruption when no other
/// call is in progress.
class LiveInput {
 public:
  LiveInput(const std::int8_t* data, std::size_t size, py::handle owner);
  LiveInput(const LiveInput&) = delete;
  LiveInput& operator=(const LiveInput&) = delete;
  ~LiveInput();

 private:
  const std::int8_t* data_;
};

/// Registers `dashicore.kernels` (the kernel classes) on `kernels`, and PythonKernel and
/// compose on `m`.
void bind_kernels(py::module_& m, py::module_& kernels);

/// The kernel behind a Python object: a module kernel, or an object converted by the
/// Python hook `dashicore._coerce_kernel` (upstream-style kernels, plain callables).
[[nodiscard]] std::shared_ptr<const KernelBase> kernel_of(py::handle object);

}  // namespace dashi_python
