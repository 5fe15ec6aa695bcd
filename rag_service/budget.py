"""A time budget for work started on a client's behalf, checked at points where stopping is safe.

An ingest started over HTTP (an upload, a delete, ``POST /api/ingest``) holds the one writer lock while
it runs, so without a bound one request could keep every other write waiting for as long as it likes. A
``Budget`` is handed down to the places that loop over documents and embedding batches; each calls
``check()``, which raises ``BudgetExceededError`` once ``seconds`` have passed, or ``WorkCancelled`` once
``cancelled()`` says the client has gone and nobody needs the result. Nothing is ever interrupted between
two checks: an index is written whole or not at all (see ``store.protocol``), so a stopped ingest leaves
the previous version serving.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from rag_service.errors import BudgetExceededError, WorkCancelled


def _never() -> bool:
    return False


@dataclass
class Budget:
    seconds: float
    what: str = "the ingest"
    cancelled: Callable[[], bool] = _never
    started: float = field(default_factory=time.monotonic)

    def remaining(self) -> float:
        return self.seconds - (time.monotonic() - self.started)

    def check(self) -> None:
        """Raise if the work must stop now."""
        if self.cancelled():
            raise WorkCancelled(f"{self.what} was stopped: its client has gone")
        if self.remaining() < 0:
            raise BudgetExceededError(
                f"{self.what} did not finish within {self.seconds:g} s (RAG_WRITE_BUDGET_SECONDS) and was "
                "stopped; nothing was changed. Send fewer or smaller documents, or run `rag-service ingest`"
            )
