"""Who is calling: the key a request presents, checked once per request (``request.state.caller``).

A key comes as ``Authorization: Bearer <key>`` or ``X-API-Key: <key>``. Checking it reads the key's row
and, the first time in a process, runs scrypt, so it runs in the thread pool, never on the event loop.
"""

from __future__ import annotations

from collections.abc import Mapping

from fastapi import Request
from fastapi.concurrency import run_in_threadpool

from rag_service.access.authority import Authority
from rag_service.access.roles import ANONYMOUS, Caller


def presented_key(headers: Mapping[str, str]) -> str | None:
    """The key in a request's headers (lower-case names), or None."""
    given = headers.get("x-api-key")
    if given is None:
        authorization = headers.get("authorization") or ""
        if authorization.lower().startswith("bearer "):
            given = authorization[7:]
    given = (given or "").strip()
    return given or None


def authority(request: Request) -> Authority:
    found: Authority = request.app.state.authority
    return found


async def caller_of(request: Request) -> Caller:
    """The request's caller: anonymous without a valid key (a refused key's reason is kept for refusals)."""
    caller: Caller | None = getattr(request.state, "caller", None)
    if caller is None:
        key = presented_key(request.headers)
        caller = ANONYMOUS if key is None else await run_in_threadpool(authority(request).caller, key)
        request.state.caller = caller
    return caller
