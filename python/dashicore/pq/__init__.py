# SPDX-License-Identifier: Apache-2.0
"""PQ packing (P/Q/O streams), serialisation, packed execution and PQ-FS files."""

from .._core import pq as _pq

PackedField = _pq.PackedField
FormatError = _pq.FormatError
encode = _pq.encode
decode = _pq.decode
decode_site = _pq.decode_site
to_bytes = _pq.to_bytes
from_bytes = _pq.from_bytes
run_kernel_parallel = _pq.run_kernel_parallel
write_file = _pq.write_file
PqFile = _pq.PqFile
FileWriter = _pq.FileWriter

from . import legacy  # noqa: E402

__all__ = [
    "FileWriter",
    "FormatError",
    "PackedField",
    "PqFile",
    "decode",
    "decode_site",
    "encode",
    "from_bytes",
    "legacy",
    "run_kernel_parallel",
    "to_bytes",
    "write_file",
]
