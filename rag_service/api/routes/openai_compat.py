"""OpenAI-compatible ``POST /v1/chat/completions`` and ``GET /v1/models``.

Lets the official ``openai`` client, LangChain's ``ChatOpenAI`` and chat front-ends that speak OpenAI use
the service unchanged. The last ``user`` message is the question, earlier user/assistant messages are the
history (their "Sources:" footers stripped), and system messages are ignored: the service's own
behaviour is not up for negotiation by the caller. The reply's content is the answer followed by a
readable "Sources" footer; the structured citations travel in an extra top-level ``citations`` field
(and in the last chunk when streaming). Sampling parameters such as ``temperature`` are accepted and
ignored by the extractive backend.

``model`` names the collection to answer from: ``rag-service`` (what clients have always sent) and
``default`` are the default collection, any other id a collection of that name. ``GET /v1/models``
lists the collections the caller may read (the default one as ``rag-service``); an unknown model, or a
private collection the caller's key is not for, is a 404 that names the models the caller may use.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any, Literal

from fastapi import APIRouter, Request
from fastapi.concurrency import iterate_in_threadpool, run_in_threadpool
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt

from rag_service.answer.events import Delta
from rag_service.api.callers import authority, caller_of
from rag_service.api.common import COLLECTION_ERRORS, ERRORS, first_event, log_answer
from rag_service.api.deps import SettingsDep, collection_pipeline
from rag_service.api.errors import UNEXPECTED, public, status_of
from rag_service.api.schemas import HistoryMessage, Said, Text, validate_limits
from rag_service.collections.names import DEFAULT
from rag_service.errors import InvalidRequestError, NotFoundError, RagError
from rag_service.models import Answer, Message
from rag_service.pipeline import Pipeline
from rag_service.questions import require_question
from rag_service.serialize import answer_dict, strip_footer, with_footer

log = logging.getLogger("rag_service.api")
router = APIRouter(prefix="/v1", tags=["openai-compatible"], responses=COLLECTION_ERRORS)
MODEL_ID = "rag-service"


class ContentPart(BaseModel):
    model_config = ConfigDict(extra="allow")
    type: Text
    text: Said | None = None


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="allow")
    role: Literal["system", "developer", "user", "assistant", "tool"]
    content: Said | list[ContentPart] | None = None


class ChatCompletionRequest(BaseModel):
    # temperature, max_tokens, ... are accepted and ignored; nothing extra is ever echoed back.
    model_config = ConfigDict(extra="allow")
    model: Text = Field(MODEL_ID, max_length=200)
    messages: list[ChatMessage] = Field(min_length=1)
    stream: StrictBool = False
    top_k: StrictInt | None = Field(default=None, ge=1)
    n: StrictInt | None = Field(default=None, ge=1, description="choices to return: only 1 is supported")


def _text(message: ChatMessage) -> str:
    if isinstance(message.content, str):
        return message.content
    return "".join(part.text or "" for part in message.content or [] if part.type == "text")


def _conversation(request: ChatCompletionRequest) -> tuple[str, list[HistoryMessage]]:
    turns = [m for m in request.messages if m.role in ("user", "assistant")]
    if not turns or turns[-1].role != "user":
        raise InvalidRequestError("the last message must come from the user: it is the question to answer")
    question = require_question(_text(turns[-1]), "the last user message")
    history = [HistoryMessage(role=m.role, content=strip_footer(_text(m))) for m in turns[:-1]]
    return question, history


def _extra(answer: Answer) -> dict[str, Any]:
    data = answer_dict(answer)
    return {
        "citations": data["citations"],
        "rag": {
            k: data[k]
            for k in (
                "not_found",
                "standalone_question",
                "retrieved",
                "timings_ms",
                "notes",
                "backend",
                "grounding",
            )
        },
    }


def _usage(prompt: str, completion: str) -> dict[str, int]:
    p, c = len(prompt.split()), len(completion.split())
    return {"prompt_tokens": p, "completion_tokens": c, "total_tokens": p + c}


async def _model_ids(http: Request) -> list[str]:
    caller = await caller_of(http)
    readable = await run_in_threadpool(authority(http).readable, caller)
    return [MODEL_ID if c.name == DEFAULT else c.name for c in readable]


@router.get("/models")
async def models(http: Request) -> dict[str, Any]:
    """The collections the caller may read, as models (the default collection is ``rag-service``)."""
    return {
        "object": "list",
        "data": [
            {"id": model, "object": "model", "created": 0, "owned_by": "rag-service"}
            for model in await _model_ids(http)
        ],
    }


async def _model_pipeline(http: Request, model: str) -> Pipeline:
    """The pipeline of the collection ``model`` names, or a 404 naming the models the caller may use."""
    try:
        return await collection_pipeline(http, DEFAULT if model in (MODEL_ID, DEFAULT) else model)
    except (NotFoundError, InvalidRequestError):
        available = ", ".join(await _model_ids(http))
        raise NotFoundError(
            f"no model named {model[:60]!r}: the models here are {available} (GET /v1/models); "
            "each is a collection of documents"
        ) from None


@router.post("/chat/completions", responses={200: {"content": {"text/event-stream": {}}}, **ERRORS})
async def chat_completions(request: ChatCompletionRequest, http: Request, settings: SettingsDep) -> Any:
    """Answer the last user message, OpenAI style; ``stream: true`` gives ``chat.completion.chunk`` events."""
    pipeline = await _model_pipeline(http, request.model)
    if request.n not in (None, 1):
        raise InvalidRequestError(
            f"n is {request.n}: this service gives one answer per request; send n=1 or leave it out"
        )
    question, history = _conversation(request)
    validate_limits(question, history, settings)
    pipeline.search_params(request.top_k)  # a top_k over the limit is a 400 before any work
    messages = [Message(m.role, m.content) for m in history]
    completion_id = f"chatcmpl-{uuid.uuid4().hex}"
    created = int(time.time())
    if not request.stream:
        answer = await run_in_threadpool(pipeline.ask, question, messages, request.top_k)
        log_answer(http, answer, question, settings)
        content = with_footer(answer)
        return {
            "id": completion_id,
            "object": "chat.completion",
            "created": created,
            "model": request.model,
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": content},
                    "finish_reason": "stop",
                    "logprobs": None,
                }
            ],
            "usage": _usage(question, content),
            **_extra(answer),
        }
    events = pipeline.stream(question, messages, request.top_k)
    first = await first_event(events)
    return StreamingResponse(
        _chunks(first, events, completion_id, created, request.model),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache"},
    )


async def _chunks(
    first: Any, events: Any, completion_id: str, created: int, model: str
) -> AsyncIterator[str]:
    def chunk(delta: dict[str, Any], finish: str | None = None, **extra: Any) -> str:
        body = {
            "id": completion_id,
            "object": "chat.completion.chunk",
            "created": created,
            "model": model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}],
            **extra,
        }
        return f"data: {json.dumps(body, ensure_ascii=False)}\n\n"

    yield chunk({"role": "assistant", "content": ""})

    async def all_events() -> AsyncIterator[Any]:
        yield first
        async for event in iterate_in_threadpool(events):
            yield event

    try:
        async for event in all_events():
            if isinstance(event, Delta):
                yield chunk({"content": event.text})
            else:
                footer = with_footer(event)[len(event.text) :]
                if footer:
                    yield chunk({"content": footer})
                yield chunk({}, "stop", **_extra(event))
    except RagError as exc:
        error = {"message": public(str(exc)), "type": "server_error", "code": status_of(exc)}
        yield f"data: {json.dumps({'error': error})}\n\n"
    except Exception:  # the response has started: say so in the stream, and still end it properly
        log.exception("stream failed")
        error = {"message": UNEXPECTED, "type": "server_error", "code": 500}
        yield f"data: {json.dumps({'error': error})}\n\n"
    yield "data: [DONE]\n\n"
