# SPDX-License-Identifier: Apache-2.0
"""Fields as bit planes: support (site != 0) and sign (site == +1), computed on directly by
the bit-sliced kernels. ``dashicore.run_kernel_parallel`` and ``run_kernel_iterated`` accept a
``BitField`` and return one; every result unpacks to the int8 result."""

from ._core import bits as _bits

BitField = _bits.BitField
pack = _bits.pack
unpack = _bits.unpack
from_pq = _bits.from_pq
to_pq = _bits.to_pq

__all__ = ["BitField", "from_pq", "pack", "to_pq", "unpack"]
