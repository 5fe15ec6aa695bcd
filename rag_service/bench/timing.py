"""Small timing helpers shared by the benchmark sections."""

from __future__ import annotations

import platform
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from rag_service.evaluation.metrics import percentile


@dataclass(frozen=True)
class Timing:
    p50: float
    p95: float
    n: int

    def __str__(self) -> str:
        return f"{self.p50:.2f} ms (p95 {self.p95:.2f})"


def measure(call: Callable[[int], object], runs: int, warmup: int = 10) -> Timing:
    """Time ``call(i)`` ``runs`` times after ``warmup`` untimed calls; milliseconds."""
    for i in range(warmup):
        call(i)
    samples = []
    for i in range(runs):
        started = time.perf_counter()
        call(warmup + i)
        samples.append((time.perf_counter() - started) * 1000)
    return Timing(statistics.median(samples), percentile(samples, 95), runs)


def median_of(values: Sequence[float]) -> float:
    return statistics.median(values)


def machine() -> str:
    cpu = "unknown CPU"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    import os

    memory = ""
    meminfo = Path("/proc/meminfo")
    if meminfo.is_file():
        total_kb = int(meminfo.read_text().split()[1])
        memory = f", {total_kb / 1024 / 1024:.0f} GiB RAM"
    system = f"{platform.system()} {platform.release()}, Python {platform.python_version()}"
    return f"{cpu}, {os.cpu_count()} cores{memory}, {system}"


def peak_rss_mb(pid: int) -> float | None:
    """Sum of the peak RSS of ``pid`` and its descendants (Linux): a server and its worker processes."""
    total, found = 0.0, False
    pending = [pid]
    while pending:
        current = pending.pop()
        status = Path(f"/proc/{current}/status")
        try:
            for line in status.read_text().splitlines():
                if line.startswith("VmHWM:"):
                    total += int(line.split()[1]) / 1024
                    found = True
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
        except OSError:
            continue
        pending.extend(int(c) for c in children)
    return total if found else None
