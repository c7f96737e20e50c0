# SPDX-License-Identifier: Apache-2.0
"""dashicore: deterministic parallel algebra over balanced-ternary fields.

The C++ engine under numpy code: int8 arrays (C-contiguous, rank 1-4, values in {-1, 0, 1})
or Carrier-like objects (``support`` and ``sign`` attributes, as ``dashi_core.Carrier``) go in
without a copy, results come back as new arrays owning the C++ buffer (or as the input's
type), and every call releases the GIL while C++ runs. See docs/python.md.
"""

from . import _core
from ._carrier import BlockCarrier as _BlockCarrier
from ._core import (
    CarrierError,
    KernelContractError,
    __version__,
    apply_kernel,
    compose,
    defect_aggregate,
    defect_local,
    fingerprint,
    iterate_to_fixed_point,
    mdl_compare,
    mdl_score,
    run_kernel_iterated,
    run_kernel_parallel,
)
from . import kernels, pq, testing  # noqa: E402  (after _core)

__all__ = [
    "CarrierError",
    "KernelContractError",
    "PythonKernel",
    "__version__",
    "apply_kernel",
    "compose",
    "defect_aggregate",
    "defect_local",
    "fingerprint",
    "iterate_to_fixed_point",
    "kernels",
    "mdl_compare",
    "mdl_score",
    "pq",
    "run_kernel_iterated",
    "run_kernel_parallel",
    "testing",
]


def _default_carrier_type():
    """``dashi_core.carrier.Carrier`` when the original package is importable, else a
    minimal stand-in with the same ``support``/``sign``/``to_signed()`` surface."""
    try:
        from dashi_core.carrier import Carrier  # type: ignore[import-not-found]
    except ImportError:
        return _BlockCarrier
    return Carrier


def _is_upstream_kernel(obj):
    return hasattr(obj, "apply") and not isinstance(obj, _core.kernels.Kernel)


class _UpstreamBlocks:
    """Runs an upstream-style kernel object (``kernel.apply(carrier) -> carrier``) on one
    block: the block becomes ``carrier_type(support=block != 0, sign=block)`` and the result's
    signed values come back."""

    def __init__(self, kernel, carrier_type=None):
        self.kernel = kernel
        self.carrier_type = carrier_type

    def __call__(self, block):
        import numpy as np

        carrier_type = self.carrier_type or _default_carrier_type()
        result = self.kernel.apply(carrier_type(support=block != 0, sign=block))
        if hasattr(result, "support") and hasattr(result, "sign"):
            return np.where(result.support, result.sign, 0).astype(np.int8)
        return result

    def __repr__(self):
        return f"upstream({self.kernel!r})"


class PythonKernel(_core.PythonKernel):
    """PythonKernel(fn, radius=0, *, carrier_type=None)

    ``fn(block) -> array`` of the block's shape, run block by block: each worker takes the
    GIL for the call (the caller released it first, so there is no deadlock). Deterministic,
    and the exception of the lowest failing block reaches the caller with its Python type.
    It is not faster than numpy (see docs/python.md for the measured cost per block).

    ``fn`` may also be an upstream-style kernel object (an ``apply(carrier)`` method and an
    optional ``radius`` attribute): each block is then passed as
    ``carrier_type(support=block != 0, sign=block)`` (``dashi_core.carrier.Carrier`` by
    default when importable) and the returned carrier's signed values are used.
    """

    def __init__(self, fn, radius=None, *, carrier_type=None):
        if _is_upstream_kernel(fn):
            if radius is None:
                radius = getattr(fn, "radius", 0)
            fn = _UpstreamBlocks(fn, carrier_type)
        super().__init__(fn, 0 if radius is None else int(radius))


def _coerce_kernel(obj):
    """What the C++ entry points call for an argument that is not one of the module's
    kernels: upstream-style kernel objects and plain callables become PythonKernels."""
    if _is_upstream_kernel(obj) or callable(obj):
        return PythonKernel(obj)
    raise TypeError(
        f"expected a dashicore kernel, an upstream-style kernel (apply + radius) or a "
        f"callable, got {type(obj).__name__}"
    )
