# SPDX-License-Identifier: Apache-2.0
"""A minimal Carrier-like type, used where the original ``dashi_core`` is not installed."""

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class BlockCarrier:
    """``support`` (bool) and ``sign`` (int8) arrays of one shape, like ``dashi_core.Carrier``
    (no validation: the engine validates what it reads)."""

    support: np.ndarray
    sign: np.ndarray

    @classmethod
    def from_signed(cls, signed):
        signed = np.asarray(signed, dtype=np.int8)
        return cls(support=signed != 0, sign=signed)

    def to_signed(self):
        return np.where(self.support, self.sign, 0).astype(np.int8)

    @property
    def shape(self):
        return self.sign.shape
