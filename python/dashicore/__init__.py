# SPDX-License-Identifier: Apache-2.0
"""dashicore: deterministic parallel algebra over balanced-ternary fields.

The C++ engine under numpy code: int8 arrays (C-contiguous, rank 1-4, values in {-1, 0, 1})
or Carrier-like objects (``support`` and ``sign`` attributes, as ``dashi_core.Carrier``) go in
without a copy, results come back as new arrays owning the C++ buffer (or as the input's
type), and every call releases the GIL while C++ runs. See docs/python.md.
"""

from typing import Any, Callable, Optional, Tuple

from . import _core
from ._carrier import BlockCarrier as _BlockCarrier
from ._core import (
    CarrierError,
    KernelContractError,
    __version__,
    apply_kernel,
    compose,
    defect_local,
    fingerprint,
    get_num_threads,
    iterate_to_fixed_point,
    mdl_compare,
    mdl_score,
    run_kernel_iterated,
    run_kernel_parallel,
    set_num_threads,
)
from . import bits, kernels, pq, testing  # noqa: E402  (after _core)

__all__ = [
    "CarrierError",
    "KernelContractError",
    "PythonKernel",
    "__version__",
    "apply_kernel",
    "bits",
    "compose",
    "defect_aggregate",
    "defect_local",
    "fingerprint",
    "get_num_threads",
    "iterate_to_fixed_point",
    "kernels",
    "mdl_compare",
    "mdl_score",
    "pq",
    "run_kernel_iterated",
    "run_kernel_parallel",
    "set_num_threads",
    "testing",
]


def _default_carrier_type() -> Any:
    """``dashi_core.carrier.Carrier`` when the original package is importable, else a
    minimal stand-in with the same ``support``/``sign``/``to_signed()`` surface."""
    import importlib

    try:
        return importlib.import_module("dashi_core.carrier").Carrier
    except ImportError:
        return _BlockCarrier


def _is_upstream_kernel(obj: Any) -> bool:
    return hasattr(obj, "apply") and not isinstance(obj, _core.kernels.Kernel)


class _UpstreamBlocks:
    """Runs an upstream-style kernel object (``kernel.apply(carrier) -> carrier``) on one
    block: the block becomes ``carrier_type(support=block != 0, sign=block)`` and the result's
    signed values come back."""

    def __init__(self, kernel: Any, carrier_type: Any = None) -> None:
        self.kernel = kernel
        self.carrier_type = carrier_type

    def __call__(self, block: Any) -> Any:
        import numpy as np

        carrier_type = self.carrier_type or _default_carrier_type()
        result = self.kernel.apply(carrier_type(support=block != 0, sign=block))
        if hasattr(result, "support") and hasattr(result, "sign"):
            return np.where(result.support, result.sign, 0).astype(np.int8)
        return result

    def __repr__(self) -> str:
        return f"upstream({self.kernel!r})"


class PythonKernel(_core.PythonKernel):
    """PythonKernel(fn, radius=None, *, carrier_type=None)

    ``fn(block) -> array`` of the block's shape, run block by block: each worker takes the
    GIL for the call (the caller released it first, so there is no deadlock). Deterministic,
    and the exception of the lowest failing block reaches the caller with its Python type.
    It is not faster than numpy (see docs/python.md for the measured cost per block).

    ``radius`` is the number of axis-0 slices ``fn`` reads on each side of a site. Without
    it (``None``) the kernel declares no locality: it is never split, but called once on the
    whole field (and a periodic boundary is a ValueError). Blocks are read-only arrays the
    function may keep; values outside {-1, 0, 1} in its result are always refused
    (KernelContractError).

    ``fn`` may also be an upstream-style kernel object (an ``apply(carrier)`` method and an
    optional ``radius`` attribute, used when ``radius`` is not given): each block is then
    passed as ``carrier_type(support=block != 0, sign=block)`` (``dashi_core.carrier.Carrier``
    by default when importable) and the returned carrier's signed values are used.
    """

    def __init__(self, fn: Callable[..., Any], radius: Optional[int] = None, *,
                 carrier_type: Any = None) -> None:
        if isinstance(fn, type):
            raise TypeError(_class_message(fn))
        if _is_upstream_kernel(fn):
            if radius is None:
                radius = getattr(fn, "radius", None)
            fn = _UpstreamBlocks(fn, carrier_type)
        super().__init__(fn, radius)


def _class_message(cls: type) -> str:
    return (f"expected a kernel instance, got the class {cls.__name__}: pass an instance, "
            f"e.g. {cls.__name__}()")


def _coerce_kernel(obj: Any) -> "PythonKernel":
    """What the C++ entry points call for an argument that is not one of the module's
    kernels: upstream-style kernel objects and plain callables become PythonKernels (of
    their ``radius`` attribute when they have one, else run whole)."""
    if isinstance(obj, type):
        raise TypeError(_class_message(obj))
    if _is_upstream_kernel(obj) or callable(obj):
        return PythonKernel(obj)
    raise TypeError(
        f"expected a dashicore kernel, an upstream-style kernel (apply + radius) or a "
        f"callable, got {type(obj).__name__}"
    )


def defect_aggregate(pre: Any, post: Any = None) -> int:
    """defect_aggregate(pre, post) -> int: the exact L1 defect sum |pre - post|.

    defect_aggregate(local) -> int: upstream's ``aggregate(local)`` form, the sum of a local
    defect array (``defect_local``'s uint8, or upstream's float64 of values 0, 1, 2)."""
    if post is not None:
        return int(_core.defect_aggregate(pre, post))
    import numpy as np

    local = np.asarray(pre)
    if local.dtype.kind not in "biuf":
        raise TypeError(f"defect_aggregate: expected a numeric local defect array, got {local.dtype}")
    bad = (local != 0) & (local != 1) & (local != 2)
    if bad.any():
        index = int(np.flatnonzero(bad)[0])
        raise ValueError(f"defect_aggregate: local defect value {local.reshape(-1)[index]!r} at "
                         f"index {index} is not 0, 1 or 2")
    return int(local.sum(dtype=np.int64))


# Value semantics: kernels compare by kind and parameters, pickle and deep-copy (so they
# cross process boundaries); PackedField pickles, deep-copies and hashes by value.

def _kernel_state(kernel: Any) -> Tuple[Callable[..., Any], Tuple[Any, ...], Tuple[Any, ...]]:
    """(constructor, arguments, comparison key) of a kernel."""
    k = _core.kernels
    if isinstance(kernel, _core.PythonKernel):
        return PythonKernel, (kernel.function, kernel.radius), ("PythonKernel", kernel.function,
                                                               kernel.radius)
    if isinstance(kernel, k.ComposedKernel):
        parts: Tuple[Any, ...] = tuple(kernel.kernels)
        return _compose_again, parts, ("compose",) + parts
    if isinstance(kernel, (k.Rule1D, k.Totalistic2D)):
        table = kernel.table
        args = (table, kernel.radius) if isinstance(kernel, k.Rule1D) else (table,)
        return type(kernel), args, (type(kernel).__name__, table.tobytes(), kernel.radius)
    return type(kernel), (), (type(kernel).__name__,)


def _compose_again(*parts: Any) -> Any:
    return compose(*parts)


def _kernel_reduce(self: Any) -> Tuple[Callable[..., Any], Tuple[Any, ...]]:
    constructor, args, _ = _kernel_state(self)
    return constructor, args


def _kernel_eq(self: Any, other: Any) -> Any:
    if not isinstance(other, _core.kernels.Kernel):
        return NotImplemented
    return _kernel_state(self)[2] == _kernel_state(other)[2]


def _kernel_ne(self: Any, other: Any) -> Any:
    equal = _kernel_eq(self, other)
    return equal if equal is NotImplemented else not equal


def _kernel_hash(self: Any) -> int:
    return hash(_kernel_state(self)[2])


for _name, _method in (("__reduce__", _kernel_reduce), ("__eq__", _kernel_eq),
                       ("__ne__", _kernel_ne), ("__hash__", _kernel_hash)):
    setattr(_core.kernels.Kernel, _name, _method)
    setattr(_core.PythonKernel, _name, _method)
    setattr(PythonKernel, _name, _method)


def _packed_from_bytes(data: bytes) -> Any:
    return _core.pq.from_bytes(data)


def _packed_reduce(self: Any) -> Tuple[Callable[..., Any], Tuple[bytes]]:
    return _packed_from_bytes, (self.to_bytes(),)


def _packed_hash(self: Any) -> int:
    return hash(self.to_bytes())


setattr(_core.pq.PackedField, "__reduce__", _packed_reduce)
setattr(_core.pq.PackedField, "__hash__", _packed_hash)
