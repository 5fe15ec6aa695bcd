"""``POST /api/ask`` (one JSON answer) and ``POST /api/chat`` (the same, streamed as server-sent events).

SSE protocol of ``/api/chat``, one event per frame, ``data`` always JSON::

    event: delta       data: {"text": "piece of the answer "}      (repeated)
    event: citations   data: {"citations": [...], "not_found": ..., "standalone_question": ...,
                              "retrieved": [...], "notes": [...], "backend": ..., "grounding": {...}}
    event: done        data: {"answer": "full text", "timings_ms": {...}}
    event: error       data: {"detail": "...", "status": 502}         (instead of the rest, on failure)

Validation happens before the stream starts, so a bad request is a normal 4xx JSON error.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Query, Request
from fastapi.concurrency import iterate_in_threadpool, run_in_threadpool
from fastapi.responses import Response, StreamingResponse

from rag_service.answer.events import Delta, StreamEvent
from rag_service.api.access_log import note
from rag_service.api.common import COLLECTION_ERRORS, ERRORS, first_event, log_answer
from rag_service.api.deps import SettingsDep, collection_pipeline
from rag_service.api.errors import UNEXPECTED, public, status_of
from rag_service.api.schemas import AskRequest, AskResponse, validate_limits
from rag_service.collections.names import DEFAULT
from rag_service.errors import InvalidRequestError, RagError
from rag_service.models import Message
from rag_service.pipeline import Pipeline
from rag_service.serialize import answer_dict

log = logging.getLogger("rag_service.api")
router = APIRouter(prefix="/api", tags=["questions"], responses=COLLECTION_ERRORS)


def _history(request: AskRequest) -> list[Message]:
    return [Message(m.role, m.content) for m in request.history]


OptionalCollection = Annotated[
    str | None, Query(description="the collection (or the body's `collection`; `default` when neither)")
]


async def _pipeline(http: Request, request: AskRequest, query: str | None) -> Pipeline:
    """The pipeline of the collection the body or the query names (400 if they name different ones)."""
    if request.collection is not None and query is not None and request.collection != query:
        raise InvalidRequestError(
            f"the body names collection {request.collection[:60]!r} and the query {query[:60]!r}: give one"
        )
    return await collection_pipeline(http, request.collection or query or DEFAULT)


@router.post("/ask", response_model=AskResponse, responses=ERRORS)
async def ask(
    request: AskRequest, http: Request, settings: SettingsDep, collection: OptionalCollection = None
) -> Response:
    """Answer a question from the documents, with numbered citations of exact passages."""
    validate_limits(request.question, request.history, settings)
    pipeline = await _pipeline(http, request, collection)
    answer = await run_in_threadpool(pipeline.ask, request.question, _history(request), request.top_k)
    log_answer(http, answer, request.question, settings)
    # A ready response: FastAPI would otherwise validate the dict against AskResponse again (the model is
    # still the documented schema, and tests check responses against it). orjson encodes it in a tenth of
    # the time of json.dumps, which counts at a few hundred answers a second.
    return Response(orjson.dumps(answer_dict(answer)), media_type="application/json")


def sse(event: str, data: dict[str, Any]) -> str:
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


@router.post("/chat", responses={200: {"content": {"text/event-stream": {}}}, **ERRORS})
async def chat(
    request: AskRequest, http: Request, settings: SettingsDep, collection: OptionalCollection = None
) -> StreamingResponse:
    """Answer as server-sent events: ``delta`` pieces, then ``citations``, then ``done``."""
    validate_limits(request.question, request.history, settings)
    pipeline = await _pipeline(http, request, collection)
    events = pipeline.stream(request.question, _history(request), request.top_k)
    first = await first_event(events)
    if settings.log_questions:
        note(http.state, question=request.question)
    return StreamingResponse(
        _sse_events(first, events),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


async def _sse_events(first: StreamEvent, events: Any) -> AsyncIterator[str]:
    yield _frame(first)
    try:
        async for event in iterate_in_threadpool(events):
            yield _frame(event)
    except RagError as exc:
        yield sse("error", {"detail": public(str(exc)), "status": status_of(exc)})
    except Exception:  # the response has started: report it as an event rather than cut the stream
        log.exception("stream failed")
        yield sse("error", {"detail": UNEXPECTED, "status": 500})


def _frame(event: StreamEvent) -> str:
    if isinstance(event, Delta):
        return sse("delta", {"text": event.text})
    data = answer_dict(event)
    final = {"answer": data.pop("answer"), "timings_ms": data.pop("timings_ms")}
    return sse("citations", data) + sse("done", final)
