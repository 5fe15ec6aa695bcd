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
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import iterate_in_threadpool, run_in_threadpool
from fastapi.responses import JSONResponse, StreamingResponse

from rag_service.api.access_log import note
from rag_service.api.deps import PipelineDep, SettingsDep
from rag_service.api.errors import UNEXPECTED, public
from rag_service.api.schemas import AskRequest, AskResponse, ErrorResponse, validate_limits
from rag_service.config import Settings
from rag_service.errors import RagError
from rag_service.models import Answer, Message
from rag_service.pipeline import Delta, Pipeline, StreamEvent
from rag_service.serialize import answer_dict

log = logging.getLogger("rag_service.api")
router = APIRouter(prefix="/api", tags=["questions"])
ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorResponse} for code in (400, 413, 422, 502, 503, 504)
}


def _history(request: AskRequest) -> list[Message]:
    return [Message(m.role, m.content) for m in request.history]


def titles(pipeline: Pipeline) -> dict[str, str]:
    return pipeline.index.titles


def log_answer(http: Request, answer: Answer, question: str, settings: Settings) -> None:
    note(
        http.state,
        sources=sorted({h.chunk.source for h in answer.retrieved}),
        index_version=answer.index_version,
        not_found=answer.not_found,
        **({"question": question} if settings.log_questions else {}),
    )


@router.post("/ask", response_model=AskResponse, responses=ERRORS)
async def ask(
    request: AskRequest, http: Request, pipeline: PipelineDep, settings: SettingsDep
) -> JSONResponse:
    """Answer a question from the documents, with numbered citations of exact passages."""
    validate_limits(request.question, request.history, request.top_k, settings)
    answer = await run_in_threadpool(pipeline.ask, request.question, _history(request), request.top_k)
    log_answer(http, answer, request.question, settings)
    # A ready response: FastAPI would otherwise validate the dict against AskResponse again (the model is
    # still the documented schema, and tests check responses against it).
    return JSONResponse(answer_dict(answer, titles(pipeline)))


def sse(event: str, data: dict[str, Any]) -> str:
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


@router.post("/chat", responses={200: {"content": {"text/event-stream": {}}}, **ERRORS})
async def chat(
    request: AskRequest, http: Request, pipeline: PipelineDep, settings: SettingsDep
) -> StreamingResponse:
    """Answer as server-sent events: ``delta`` pieces, then ``citations``, then ``done``."""
    validate_limits(request.question, request.history, request.top_k, settings)
    events = pipeline.stream(request.question, _history(request), request.top_k)
    # The first event is produced before the response starts, so that a bad request or an LLM that is
    # down gets its real status (4xx, 502, 504) instead of a 200 with an error event.
    first = await run_in_threadpool(next, events)
    if settings.log_questions:
        note(http.state, question=request.question)
    return StreamingResponse(
        _sse_events(first, events, pipeline),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


async def _sse_events(first: StreamEvent, events: Any, pipeline: Pipeline) -> AsyncIterator[str]:
    yield _frame(first, pipeline)
    try:
        async for event in iterate_in_threadpool(events):
            yield _frame(event, pipeline)
    except RagError as exc:
        yield sse("error", {"detail": public(str(exc)), "status": exc.status_code})
    except Exception:  # the response has started: report it as an event rather than cut the stream
        log.exception("stream failed")
        yield sse("error", {"detail": UNEXPECTED, "status": 500})


def _frame(event: StreamEvent, pipeline: Pipeline) -> str:
    if isinstance(event, Delta):
        return sse("delta", {"text": event.text})
    data = answer_dict(event, titles(pipeline))
    final = {"answer": data.pop("answer"), "timings_ms": data.pop("timings_ms")}
    return sse("citations", data) + sse("done", final)
