# SPDX-License-Identifier: Apache-2.0
from typing import Any

import numpy as np
import numpy.typing as npt

def encode_2bit(x: Any) -> bytes: ...
def decode_2bit(data: Any, shape: Any) -> npt.NDArray[np.int8]: ...
