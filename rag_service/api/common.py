"""What the question routes of ``/api`` and ``/v1`` share: the documented error statuses, the answer's
fields in the request log, and starting a stream only once its first event exists."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from fastapi import Request
from fastapi.concurrency import run_in_threadpool

from rag_service.answer.events import StreamEvent
from rag_service.api.access_log import note
from rag_service.api.schemas import ErrorResponse
from rag_service.config import Settings
from rag_service.models import Answer

ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorResponse} for code in (400, 413, 422, 431, 502, 503, 504)
}
COLLECTION_ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorResponse} for code in (400, 401, 404)
}
"""What any route that takes a collection may answer: 400 for a name that is not a collection name,
401 for a key that was revoked, has expired or is made up, 404 for a collection the caller may not
read (or that does not exist). Given to each such router as a whole."""


def log_answer(http: Request, answer: Answer, question: str, settings: Settings) -> None:
    """Retrieved sources and index version on the request's log line; the question only if allowed."""
    note(
        http.state,
        sources=sorted({h.chunk.source for h in answer.retrieved}),
        index_version=answer.index_version,
        not_found=answer.not_found,
        **({"question": question} if settings.log_questions else {}),
    )


async def first_event(events: Iterator[StreamEvent]) -> StreamEvent:
    """The stream's first event, produced before the response starts: a bad request or an LLM that is
    down then gets its real status (4xx, 502, 504) instead of a 200 followed by an error event."""
    return await run_in_threadpool(next, events)
