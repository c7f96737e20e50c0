# SPDX-License-Identifier: Apache-2.0
"""The 2-bit format of the original ``pq.py`` (0 = no support, 1 = -1, 2 = +1, four sites a
byte, LSB first), under this module's names and under ``pq.py``'s own."""

from dataclasses import dataclass
from typing import Any, Tuple

from .. import _core

_legacy = _core.pq.legacy

encode_2bit = _legacy.encode_2bit
decode_2bit = _legacy.decode_2bit


@dataclass(frozen=True)
class PQBuffer:
    """``pq.py``'s buffer: the shape kept beside the bytes."""

    shape: Tuple[int, ...]
    data: bytes


def encode_carrier_to_pq(carrier: Any) -> PQBuffer:
    """``pq.py``'s encoder: a Carrier-like object (or an int8 array) to a PQBuffer."""
    sign = getattr(carrier, "sign", carrier)
    return PQBuffer(shape=tuple(sign.shape), data=encode_2bit(carrier))


def decode_pq_to_carrier(buffer: PQBuffer, carrier_type: Any = None) -> Any:
    """``pq.py``'s decoder: a PQBuffer to ``carrier_type(support=..., sign=...)``
    (``dashi_core.carrier.Carrier`` when importable by default). Unlike ``pq.py`` a buffer of
    the wrong length or holding code 3 raises ``dashicore.pq.FormatError`` (a ValueError)."""
    from .. import _default_carrier_type

    values = decode_2bit(buffer.data, tuple(buffer.shape))
    carrier_type = carrier_type or _default_carrier_type()
    return carrier_type(support=values != 0, sign=values)


def expected_pq_length(num_elements: int) -> int:
    """Bytes of the 2-bit code of ``num_elements`` sites: ceil(2 n / 8)."""
    return (2 * int(num_elements) + 7) // 8


__all__ = [
    "PQBuffer",
    "decode_2bit",
    "decode_pq_to_carrier",
    "encode_2bit",
    "encode_carrier_to_pq",
    "expected_pq_length",
]
