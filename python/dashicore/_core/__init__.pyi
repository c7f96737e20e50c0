# SPDX-License-Identifier: Apache-2.0
# Type stubs of the extension module dashicore._core (checked by mypy --strict).
from collections.abc import Callable
from typing import Any, Literal, TypeVar, overload

import numpy as np
import numpy.typing as npt

from . import bits as bits
from . import kernels as kernels
from . import pq as pq
from . import testing as testing

__version__: str

_Int8Array = npt.NDArray[np.int8]
# An int8 array, a Carrier-like object (support and sign attributes) or, for
# run_kernel_parallel and run_kernel_iterated with a kernel that has a bit form, a
# bits.BitField: results come back as the input's type.
_Field = TypeVar("_Field")
_Boundary = Literal["clip", "periodic"]
_KernelLike = kernels.Kernel | Callable[[_Int8Array], Any] | Any

class CarrierError(ValueError): ...
class KernelContractError(ValueError): ...

def run_kernel_parallel(
    kernel: _KernelLike,
    x: _Field,
    *,
    num_workers: int = 0,
    block_sites: int = 0,
    block_elems: int = 0,
    halo: int | None = None,
    boundary: _Boundary = "clip",
    check_contract: bool = True,
    out: _Int8Array | bits.BitField | None = None,
) -> _Field: ...
def apply_kernel(kernel: _KernelLike, x: _Field, *, boundary: _Boundary = "clip") -> _Field: ...
def run_kernel_iterated(
    kernel: _KernelLike,
    x: _Field,
    steps: int,
    *,
    steps_per_sync: int = 1,
    num_workers: int = 0,
    block_sites: int = 0,
    block_elems: int = 0,
    boundary: _Boundary = "clip",
) -> _Field: ...
def iterate_to_fixed_point(
    kernel: _KernelLike,
    x: _Field,
    max_steps: int,
    *,
    steps_per_sync: int = 1,
    num_workers: int = 0,
    block_sites: int = 0,
    block_elems: int = 0,
    boundary: _Boundary = "clip",
) -> tuple[_Field, int, bool]: ...
def compose(*kernels: _KernelLike) -> kernels.ComposedKernel: ...
def defect_local(pre: Any, post: Any) -> npt.NDArray[np.uint8]: ...
def defect_aggregate(pre: Any, post: Any) -> int: ...
def mdl_score(x: Any) -> float: ...
def mdl_compare(a: Any, b: Any) -> Literal["A", "B", "tie"]: ...
def fingerprint(x: Any) -> int: ...
def set_num_threads(n: int) -> None: ...
def get_num_threads() -> int: ...

class PythonKernel(kernels.Kernel):
    def __init__(self, fn: Callable[[_Int8Array], Any], radius: int | None = None) -> None: ...
    @property
    def function(self) -> Callable[[_Int8Array], Any]: ...
