"""What a command-line process reports about itself: its log format and its peak memory."""

from __future__ import annotations


def peak_memory_mb() -> float | None:
    """This process's peak resident memory since it started (Linux ``VmHWM``; None elsewhere)."""
    from pathlib import Path

    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def configure_logging() -> None:
    """Service logs as ``LEVEL name: message``; access lines (rag_service.access) as bare JSON."""
    import logging

    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    # Some libraries set DEBUG on their own loggers (bm25s: "Building index from IDs objects" at every
    # load): the handler, not only the root logger, holds the INFO floor.
    for handler in logging.getLogger().handlers:
        handler.setLevel(logging.INFO)
    access = logging.getLogger("rag_service.access")
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(message)s"))
    access.addHandler(handler)
    access.propagate = False
