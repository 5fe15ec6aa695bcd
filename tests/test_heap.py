"""The serving process's malloc settings (``rag_service.heap``): set on this glibc machine, and left to
the operator when they set them in the environment."""

from __future__ import annotations

import ctypes

from rag_service import heap


class _Libc:
    def __init__(self) -> None:
        self.calls: list[tuple[int, int]] = []

    def mallopt(self, option: int, value: int) -> int:
        self.calls.append((option, value))
        return 1


def test_the_threshold_and_arenas_are_set_on_glibc() -> None:
    assert heap.limit_heap_growth() is True  # the real libc of this machine accepts both


def test_an_operator_s_own_settings_win(monkeypatch) -> None:
    libc = _Libc()
    monkeypatch.setattr(ctypes, "CDLL", lambda name: libc)
    monkeypatch.delenv("MALLOC_MMAP_THRESHOLD_", raising=False)
    monkeypatch.delenv("MALLOC_ARENA_MAX", raising=False)
    assert heap.limit_heap_growth()
    assert libc.calls == [(heap.M_MMAP_THRESHOLD, heap.MMAP_THRESHOLD), (heap.M_ARENA_MAX, heap.ARENAS)]
    libc.calls.clear()
    monkeypatch.setenv("MALLOC_ARENA_MAX", "4")
    assert heap.limit_heap_growth()
    assert libc.calls == [(heap.M_MMAP_THRESHOLD, heap.MMAP_THRESHOLD)]


def test_no_libc_means_nothing_is_set(monkeypatch) -> None:
    monkeypatch.setattr(heap.ctypes.util, "find_library", lambda name: None)
    assert heap.limit_heap_growth() is False
