"""Giving memory back to the operating system after large, short-lived buffers (uploads, page renders).

glibc's allocator keeps freed memory for reuse, and its threshold for serving a large block straight from
the kernel (``mmap``, returned whole on ``free``) rises to the size of the largest block freed, up to
32 MB: after a few uploads, blocks of tens of megabytes come from the heap, and a heap rarely shrinks. A
server that took ten 95 MB uploads kept 900 MB it no longer used. ``cap_mmap_threshold`` fixes the
threshold at 1 MB, so every large buffer is returned when freed, and ``release_memory`` asks glibc to
trim what is left free after an upload. Both do nothing where there is no glibc.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
from typing import Any

M_MMAP_THRESHOLD = -3
THRESHOLD = 1024 * 1024


@functools.cache
def _libc() -> Any | None:
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name) if name else None
    except OSError:
        return None
    return libc if libc is not None and hasattr(libc, "malloc_trim") else None


def cap_mmap_threshold() -> bool:
    """Serve every block over 1 MB from ``mmap`` (returned on free); True where glibc took it."""
    libc = _libc()
    return bool(libc and libc.mallopt(M_MMAP_THRESHOLD, THRESHOLD))


def release_memory() -> None:
    """Return the allocator's free memory to the operating system."""
    libc = _libc()
    if libc is not None:
        libc.malloc_trim(0)
