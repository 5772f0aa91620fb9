"""Reusable work arrays for the Kernel SHAP hot loops."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.typing import NDArray


class Scratch:
    """Reusable work arrays, one grow-only buffer per name.

    Large temporaries freed after every call make the allocator hand their pages
    back to the OS, and the next call pays for faulting in and zeroing fresh ones
    (measured: two thirds of a three-record solve). Arrays handed out by
    :meth:`get` are overwritten by the next :meth:`get` of the same name.
    """

    def __init__(self) -> None:
        self._buffers: dict[str, NDArray[np.generic]] = {}

    def get(self, name: str, shape: tuple[int, ...], dtype: type = np.float64) -> NDArray[Any]:
        size = math.prod(shape)
        buffer = self._buffers.get(name)
        if buffer is None or buffer.dtype != np.dtype(dtype) or buffer.size < size:
            buffer = np.empty(size, dtype=dtype)
            self._buffers[name] = buffer
        return buffer[:size].reshape(shape)
