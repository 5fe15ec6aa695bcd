"""Keep a serving process's heap from growing with the questions it has answered (glibc only).

A question over a large collection allocates arrays of several megabytes and frees them (BM25's scores,
one float per chunk: 8 MB at a million chunks; the postings fetched for its terms). glibc serves a
large allocation by ``mmap`` and returns it to the system when freed, but it then raises its threshold
for doing so to the size just freed, so the next arrays of that size come from the heap, whose freed
pages stay in the process; and each thread that allocates may get an arena of its own (up to eight a
core). A replica's peak memory then crept up question after question. Here the threshold is fixed at
``MMAP_THRESHOLD`` (which also turns the adjustment off) and the arenas are limited to ``ARENAS``,
unless the operator set ``MALLOC_MMAP_THRESHOLD_`` or ``MALLOC_ARENA_MAX`` themselves. Measured with
``rag-service bench --only replicas`` (docs/deployment.md, "Past one machine").
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os

M_MMAP_THRESHOLD = -3
M_ARENA_MAX = -8
MMAP_THRESHOLD = 1 << 20
ARENAS = 2


def limit_heap_growth() -> bool:
    """Set glibc's mmap threshold and arena limit for this process; False where there is no glibc."""
    name = ctypes.util.find_library("c")
    if not name:
        return False
    try:
        libc = ctypes.CDLL(name)
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # musl, macOS: no mallopt
        return False
    done = True
    if "MALLOC_MMAP_THRESHOLD_" not in os.environ:
        done = bool(mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and done
    if "MALLOC_ARENA_MAX" not in os.environ:
        done = bool(mallopt(M_ARENA_MAX, ARENAS)) and done
    return done
