"""Protective ASGI middleware: header size, request body size and read time, concurrent requests, and
security headers on every response.

``HeaderLimit`` answers 431 to a request with more than ``count`` headers or more than ``size`` bytes of
them (uvicorn's httptools parser sets no limit of its own).

``BodySizeLimit`` reads every request body itself before the app sees it: at most ``limit`` bytes (413
otherwise, judged from Content-Length when there is one) and within ``timeout`` seconds (408 otherwise),
so a client that trickles its body cannot hold a worker. The body is then replayed to the app. Document
uploads (``POST /api/documents``) are refused here only by their Content-Length (over ``upload_limit``);
otherwise they pass straight to ``UploadGate`` (``rag_service.api.upload_gate``), which checks the key
before reading and streams the body to disk.

``ConcurrencyLimit`` answers 503 with ``Retry-After`` once ``limit`` requests are in flight, instead of
queueing without bound; the health check is exempt so probes keep working under load. It sits *inside*
``BodySizeLimit``: a slot is taken only once the whole body has arrived, so clients that are still
sending (slowly, or never) hold no slot and cannot starve the others; they get their 408.

``SecurityHeaders`` adds ``nosniff``, ``DENY`` framing and no referrer to every response, and a
Content-Security-Policy: the chat page may load only its own script and style and talk only to its
origin; API answers may load nothing. The interactive docs (``/docs``, ``/redoc``) load Swagger UI from a
CDN with inline script, so they get the framing headers but no CSP.
"""

from __future__ import annotations

import asyncio
import json
import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send


async def reject(
    send: Send, status: int, detail: str, headers: list[tuple[bytes, bytes]] | None = None
) -> None:
    body = json.dumps({"detail": detail}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                *(headers or []),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def too_large_upload(limit: int) -> str:
    return (
        f"the upload is larger than the limit of {limit / 2**20:.1f} MB (RAG_MAX_UPLOAD_MB): "
        "send fewer or smaller files"
    )


class BodySizeLimit:
    UPLOAD_PATH = "/api/documents"

    def __init__(
        self,
        app: ASGIApp,
        limit: int,
        timeout: float = 15.0,
        upload_limit: int | None = None,
    ) -> None:
        self.app = app
        self.limit = limit
        self.timeout = timeout
        self.upload_limit = upload_limit or limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        upload = scope["path"].rstrip("/") == self.UPLOAD_PATH
        limit = self.upload_limit if upload else self.limit
        timeout = self.timeout
        length = dict(scope.get("headers") or []).get(b"content-length")
        if length is not None:
            if not length.isdigit():
                await reject(send, 400, "Content-Length header is not a number")
                return
            if int(length) > limit:
                await reject(send, 413, self._too_large(upload))
                return
        if upload:  # streamed, never buffered: UploadGate checks the key first, then enforces both limits
            await self.app(scope, receive, send)
            return
        messages: list[Message] = []
        size = 0
        deadline = time.monotonic() + timeout
        while True:
            try:
                message = await asyncio.wait_for(receive(), max(0.0, deadline - time.monotonic()))
            except TimeoutError:
                await reject(
                    send,
                    408,
                    f"the request body did not arrive within {timeout:g} s (RAG_CLIENT_TIMEOUT)",
                )
                return
            messages.append(message)
            if message["type"] != "http.request":
                break
            size += len(message.get("body", b""))
            if size > limit:
                await reject(send, 413, self._too_large(upload))
                return
            if not message.get("more_body", False):
                break

        async def replay() -> Message:
            return messages.pop(0) if messages else await receive()

        await self.app(scope, replay, send)

    def _too_large(self, upload: bool) -> str:
        if upload:
            return too_large_upload(self.upload_limit)
        return f"request body is larger than the limit of {self.limit} bytes (RAG_MAX_BODY_BYTES)"


class ConcurrencyLimit:
    EXEMPT = ("/api/health",)

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit
        self.in_flight = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in self.EXEMPT:
            await self.app(scope, receive, send)
            return
        if self.in_flight >= self.limit:
            await reject(
                send,
                503,
                f"the server is busy ({self.limit} requests in progress, RAG_MAX_CONCURRENCY): retry shortly",
                [(b"retry-after", b"1")],
            )
            return
        self.in_flight += 1
        try:
            await self.app(scope, receive, send)
        finally:
            self.in_flight -= 1


class HeaderLimit:
    def __init__(self, app: ASGIApp, count: int, size: int) -> None:
        self.app = app
        self.count = count
        self.size = size

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            headers = scope.get("headers") or []
            total = sum(len(name) + len(value) + 4 for name, value in headers)  # ": " and CRLF
            if len(headers) > self.count or total > self.size:
                await reject(
                    send,
                    431,
                    f"request headers too large: {len(headers)} headers, {total} bytes; the limits are "
                    f"{self.count} headers (RAG_MAX_HEADERS) and {self.size} bytes (RAG_MAX_HEADER_BYTES)",
                )
                return
        await self.app(scope, receive, send)


# blob: images are the page images the chat page fetches with its key (an <img src> cannot send one).
PAGE_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
    "img-src 'self' data: blob:; font-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
API_POLICY = "default-src 'none'; frame-ancestors 'none'"
_ALWAYS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
]


class SecurityHeaders:
    DOCS = ("/docs", "/redoc")

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope["path"]
        extra = list(_ALWAYS)
        if path == "/" or path.startswith("/static/"):
            extra.append((b"content-security-policy", PAGE_POLICY.encode()))
        elif not path.startswith(self.DOCS):
            extra.append((b"content-security-policy", API_POLICY.encode()))

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        await self.app(scope, receive, send_with_headers)
