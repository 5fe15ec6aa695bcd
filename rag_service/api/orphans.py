"""A worker of ``serve --workers N`` exits when its supervisor dies, however it dies.

uvicorn's supervisor stops its workers when it is asked to stop, but a ``kill -9`` of the supervisor
asks nothing: the workers went on serving the shared socket, and a restart then failed with "address
already in use". Two guards: the kernel's parent-death signal (``prctl(PR_SET_PDEATHSIG, SIGTERM)``,
Linux), and a thread that checks once a second that the parent is still the supervisor (elsewhere, and
in case the parent died before the signal was armed). SIGTERM lets uvicorn shut the worker down as
usual.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import logging
import os
import signal
import threading
import time

PR_SET_PDEATHSIG = 1
log = logging.getLogger("rag_service.api")


def exit_with_parent(interval: float = 1.0) -> None:
    supervisor = int(os.environ.get("RAG_SUPERVISOR_PID") or os.getppid())
    name = ctypes.util.find_library("c")
    if name:
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(name, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)

    def watch() -> None:
        while os.getppid() == supervisor:
            time.sleep(interval)
        log.warning("the supervisor (pid %d) has gone: this worker stops", supervisor)
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=watch, name="watch-supervisor", daemon=True).start()
