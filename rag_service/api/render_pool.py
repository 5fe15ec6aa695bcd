"""The page renderer's own small pool, so that page images never slow down questions.

Rendering a PDF page (or finding a passage on it) parses the whole file and rasterises at up to 40
million pixels: tens to hundreds of milliseconds of CPU. Run in the shared thread pool, 64 concurrent
anonymous requests for page images took ``/api/ask`` from 51 ms to 10.4 s. Here renders run on
``workers`` threads of their own (one by default: on two cores the other stays free for questions),
and at most ``queue`` renders may wait; beyond that a request gets 503 with ``Retry-After`` at once
instead of joining a queue that only grows.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from rag_service.errors import BusyError

T = TypeVar("T")


class RenderPool:
    def __init__(self, workers: int = 1, queue: int = 8) -> None:
        self.workers = workers
        self.queue = queue
        self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="render")
        self._lock = threading.Lock()
        self._pending = 0
        """Renders running or waiting."""

    async def run(self, work: Callable[..., T], *args: object) -> T:
        with self._lock:
            if self._pending >= self.workers + self.queue:
                raise BusyError(
                    f"{self._pending} page renders are running or waiting (RAG_MAX_WAITING_RENDERS): "
                    "retry in a moment"
                )
            self._pending += 1
        try:
            return await asyncio.get_running_loop().run_in_executor(self._executor, work, *args)
        finally:
            with self._lock:
                self._pending -= 1

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)
