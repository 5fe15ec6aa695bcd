"""The one place where the service's error tree becomes HTTP statuses.

Every error answer is JSON with a ``detail`` that says what to fix. Under ``/v1`` (the OpenAI-compatible
routes) the body also carries OpenAI's ``error`` object, so the official client shows the message.
Anything unexpected is logged with its traceback and answered 500 with a generic detail: no stack
trace, prompt or setting ever reaches a client. Details of the service's own errors pass through
``public`` first, which shortens any absolute file path to its last part: messages are written without
server paths, and this is the net under them (a model or prompt folder named in a start-up error, say).
"""

from __future__ import annotations

import logging
import re
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from rag_service.errors import (
    AuthError,
    BudgetExceededError,
    BusyError,
    ConfigError,
    ConflictError,
    DocumentError,
    ForbiddenError,
    IndexMismatchError,
    IndexMissingError,
    InvalidRequestError,
    NotFoundError,
    RagError,
    StoreUnavailableError,
    UpstreamError,
    UpstreamTimeoutError,
    WorkCancelled,
)

log = logging.getLogger("rag_service.api")
UNEXPECTED = "internal error: the server logged the details"
STATUS: dict[type[RagError], int] = {
    UpstreamTimeoutError: 504,  # before its parent: the first match in the error's MRO wins
    UpstreamError: 502,
    IndexMissingError: 503,
    IndexMismatchError: 503,
    StoreUnavailableError: 503,
    DocumentError: 422,
    BudgetExceededError: 422,
    WorkCancelled: 499,
    BusyError: 503,
    InvalidRequestError: 400,
    NotFoundError: 404,
    ConflictError: 409,
    AuthError: 401,
    ForbiddenError: 403,
    ConfigError: 500,
}


def status_of(error: RagError) -> int:
    """The HTTP status of one of the service's errors (500 for any not listed)."""
    for kind in type(error).__mro__:
        if kind in STATUS:
            return STATUS[kind]
    return 500


# An absolute path: a slash not preceded by a word character, ':' or '/' (so URLs are left alone),
# followed by at least one more path segment.
_ABSOLUTE_PATH = re.compile(r"(?<![\w:/.~-])/(?:[^\s/'\"(),;:]+/)+([^\s/'\"(),;:]*)")


def public(detail: str) -> str:
    """``detail`` with absolute server paths cut to their last part (``/srv/x/index`` -> ``.../index``)."""
    return _ABSOLUTE_PATH.sub(lambda m: ".../" + m.group(1), detail)


def error_response(
    request: Request, status: int, detail: Any, headers: dict[str, str] | None = None
) -> JSONResponse:
    body: dict[str, Any] = {"detail": detail}
    if request.url.path.startswith("/v1/"):
        message = detail if isinstance(detail, str) else "invalid request: " + _summarise(detail)
        kind = "invalid_request_error" if status < 500 else "server_error"
        body["error"] = {"message": message, "type": kind, "code": status}
    return JSONResponse(body, status_code=status, headers=headers)


def _summarise(errors: Any) -> str:
    if isinstance(errors, list):
        return "; ".join(f"{'.'.join(str(p) for p in e.get('loc', []))}: {e.get('msg')}" for e in errors)
    return str(errors)


def install(app: FastAPI) -> None:
    @app.exception_handler(RagError)
    async def _rag_error(request: Request, exc: RagError) -> JSONResponse:
        status = status_of(exc)
        headers = {"Retry-After": "5"} if status == 503 and not isinstance(exc, IndexMissingError) else None
        if isinstance(exc, AuthError):
            headers = {"WWW-Authenticate": "Bearer"}
        if status >= 500:
            log.warning("request failed: %s", exc)
        return error_response(request, status, public(str(exc)), headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {"loc": list(e.get("loc", ())), "msg": e.get("msg", ""), "type": e.get("type", "")}
            for e in exc.errors()
        ]
        return error_response(request, 422, errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        detail = exc.detail
        if exc.status_code == 404 and detail == "Not Found":
            detail = f"no route {request.url.path[:200]}: the API is described at /docs"
        elif exc.status_code == 400 and detail == "There was an error parsing the body":
            detail = (
                "the request body could not be parsed (not UTF-8, nested too deeply, or a number too "
                "large): send a JSON object"
            )
        elif exc.status_code == 405:
            detail = f"{request.method} is not allowed on {request.url.path[:200]}: see /docs"
        return error_response(request, exc.status_code, detail, dict(exc.headers or {}))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return error_response(request, 500, UNEXPECTED)
