# SPDX-License-Identifier: Apache-2.0
"""The shipped kernels and the rule kernels; each has ``.radius`` and runs in C++ without
the GIL."""

from ._core import kernels as _kernels

Kernel = _kernels.Kernel
SignFlip = _kernels.SignFlip
Clamp = _kernels.Clamp
ClampNonnegative = _kernels.ClampNonnegative
LeftNeighbor = _kernels.LeftNeighbor
Majority3x3 = _kernels.Majority3x3
Rule1D = _kernels.Rule1D
Totalistic2D = _kernels.Totalistic2D
ComposedKernel = _kernels.ComposedKernel

__all__ = [
    "Clamp",
    "ClampNonnegative",
    "ComposedKernel",
    "Kernel",
    "LeftNeighbor",
    "Majority3x3",
    "Rule1D",
    "SignFlip",
    "Totalistic2D",
]
