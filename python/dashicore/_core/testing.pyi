# SPDX-License-Identifier: Apache-2.0
# Type stubs of dashicore._core.testing (checked by mypy --strict).
from typing import Any

def check_kernel(kernel: Any, seed: int = 0, max_sites: int = 65536) -> None: ...
