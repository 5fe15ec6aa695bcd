"""``UploadGate``: what ``POST /api/documents`` must pass before, and while, its body is read.

An upload may be a hundred megabytes sent over two minutes. Read in full before anything was checked
(as every other body is, by ``BodySizeLimit``), it let anonymous clients hold about 95 MB each for two
minutes outside every limit. Here, in order:

1. the caller's key is checked from the headers and the ``collection`` query parameter alone: a client
   that may not write to that collection gets 401, 403 or 404 before one byte of the body is read;
2. the request takes one of ``slots`` upload places (``RAG_MAX_UPLOADS``), or gets 503 with
   ``Retry-After``; it sits inside ``ConcurrencyLimit``, so an upload also counts there;
3. the body is passed through as it arrives, never buffered here: Starlette's form parser spools every
   file over 1 MB to a temporary file on disk. The size limit (413) and the time limit (408) are enforced
   on each piece; when one is hit, the answer the app would have sent is replaced by that refusal.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from urllib.parse import parse_qs

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from rag_service.access.authority import Authority
from rag_service.api.callers import presented_key
from rag_service.api.errors import public, status_of
from rag_service.api.limits import reject, too_large_upload
from rag_service.collections.names import DEFAULT, require_name
from rag_service.config import Settings
from rag_service.errors import AuthError, RagError

UPLOAD_PATH = "/api/documents"


class BodyRefused(Exception):
    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


class UploadGate:
    def __init__(
        self, app: ASGIApp, settings: Settings, limit: int, timeout: float, slots: int | None = None
    ) -> None:
        self.app = app
        self.settings = settings
        self.limit = limit
        self.timeout = timeout
        self.slots = slots or settings.max_uploads
        self.in_flight = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not is_upload(scope):
            await self.app(scope, receive, send)
            return
        problem = await self._refusal(scope)
        if problem is not None:
            extra = [(b"www-authenticate", b"Bearer")] if isinstance(problem, AuthError) else []
            await reject(send, status_of(problem), public(str(problem)), extra)
            return
        if self.in_flight >= self.slots:
            await reject(
                send,
                503,
                f"{self.slots} uploads are being received already (RAG_MAX_UPLOADS): retry shortly",
                [(b"retry-after", b"2")],
            )
            return
        self.in_flight += 1
        try:
            await self._stream(scope, receive, send)
        finally:
            self.in_flight -= 1

    async def _refusal(self, scope: Scope) -> RagError | None:
        """Why this caller may not upload to the collection asked for, or None."""
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers") or []}
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        authority: Authority = scope["app"].state.authority
        try:
            name = require_name(query.get("collection", [DEFAULT])[-1])
            caller = await asyncio.to_thread(authority.caller, presented_key(headers))
            await asyncio.to_thread(authority.require, caller, name, "writer")
        except RagError as exc:
            return exc
        return None

    async def _stream(self, scope: Scope, receive: Receive, send: Send) -> None:
        refused: list[BodyRefused] = []
        size = 0
        done = False
        deadline = time.monotonic() + self.timeout

        async def limited() -> Message:
            nonlocal size, done
            if done:  # the body is in: what follows is the disconnect, however late
                return await receive()
            try:
                message = await asyncio.wait_for(receive(), max(0.0, deadline - time.monotonic()))
            except TimeoutError:
                refused.append(BodyRefused(408, f"the upload did not arrive within {self.timeout:g} s"))
                raise refused[-1] from None
            if message["type"] == "http.request":
                size += len(message.get("body", b""))
                if size > self.limit:
                    refused.append(BodyRefused(413, too_large_upload(self.limit)))
                    raise refused[-1]
                done = not message.get("more_body", False)
            return message

        started = False

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if refused:
                if message["type"] == "http.response.start" and not started:
                    started = True
                    await reject(send, refused[0].status, refused[0].detail)
                return
            started = started or message["type"] == "http.response.start"
            await send(message)

        with contextlib.suppress(BodyRefused):
            await self.app(scope, limited, guarded_send)
        if refused and not started:
            await reject(send, refused[0].status, refused[0].detail)


def is_upload(scope: Scope) -> bool:
    return scope["type"] == "http" and scope["method"] == "POST" and scope["path"].rstrip("/") == UPLOAD_PATH
