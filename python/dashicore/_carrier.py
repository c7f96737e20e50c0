# SPDX-License-Identifier: Apache-2.0
"""A minimal Carrier-like type, used where the original ``dashi_core`` is not installed."""

from dataclasses import dataclass
from typing import Any, Tuple

import numpy as np
import numpy.typing as npt


@dataclass(frozen=True)
class BlockCarrier:
    """``support`` (bool) and ``sign`` (int8) arrays of one shape, like ``dashi_core.Carrier``
    (no validation: the engine validates what it reads)."""

    support: npt.NDArray[np.bool_]
    sign: npt.NDArray[np.int8]

    @classmethod
    def from_signed(cls, signed: Any) -> "BlockCarrier":
        signed = np.asarray(signed, dtype=np.int8)
        return cls(support=signed != 0, sign=signed)

    def to_signed(self) -> npt.NDArray[np.int8]:
        return np.where(self.support, self.sign, 0).astype(np.int8)

    @property
    def shape(self) -> Tuple[int, ...]:
        return self.sign.shape
