"""One structured (JSON) log line per request, and a request id for tracing.

Fields: ``request_id`` (the client's ``X-Request-ID`` when it is a short safe token, otherwise a new
one; echoed in the response), ``method``, ``route`` (the path template, so ``/api/sources/{name}`` does
not leak document names into metrics), ``status``, ``latency_ms`` and, for question routes,
``sources`` (the retrieved files) and ``index_version``. The question text is logged only with
``RAG_LOG_QUESTIONS=true``. Headers and bodies are never logged, so API keys cannot end up in logs.
"""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("rag_service.access")
_SAFE_ID = re.compile(rb"^[A-Za-z0-9._-]{1,64}$")


def note(scope_state: Any, **fields: Any) -> None:
    """Let a route add fields (sources, question, ...) to its request's log line."""
    extra = getattr(scope_state, "log_fields", None)
    if extra is None:
        extra = {}
        scope_state.log_fields = extra
    extra.update(fields)


class AccessLog:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = dict(scope.get("headers") or []).get(b"x-request-id", b"")
        request_id = given.decode() if _SAFE_ID.match(given) else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", []), (b"x-request-id", request_id.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            route = scope.get("route")
            record: dict[str, Any] = {
                "request_id": request_id,
                "method": scope["method"],
                "route": getattr(route, "path", None) or scope["path"][:200],
                "status": status,
                "latency_ms": round((time.perf_counter() - started) * 1000, 2),
            }
            record.update(scope["state"].get("log_fields", {}))
            log.info(json.dumps(record, ensure_ascii=False))
