"""``/api/keys`` and ``/api/audit``: API keys (create, list, revoke) and the audit trail, for admins.

An admin of every collection (``RAG_API_KEY`` is one) manages every key; an admin of one collection
manages that collection's keys and reads its part of the audit trail. A key is returned in full once,
by the request that creates it; lists show its id, label, role, collection and dates, never a hash.
"""

from __future__ import annotations

import time
from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool

from rag_service.api.access_schemas import AuditEntry, KeyCreate, KeyCreated, KeyOut
from rag_service.api.callers import authority, caller_of
from rag_service.api.schemas import ErrorResponse
from rag_service.collections.names import require_name
from rag_service.errors import NotFoundError

router = APIRouter(prefix="/api", tags=["access"])
ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorResponse} for code in (400, 401, 403, 404, 503)
}


@router.get("/keys", response_model=list[KeyOut], responses=ERRORS)
async def list_keys(request: Request) -> list[dict[str, Any]]:
    """The keys the caller administers, revoked and expired ones included."""
    caller = await caller_of(request)
    auth = authority(request)
    scope = await run_in_threadpool(auth.administered, caller)
    keys = await run_in_threadpool(auth.keys.list)
    return [k.public() for k in keys if scope is None or k.collection in scope]


@router.post("/keys", response_model=KeyCreated, status_code=201, responses=ERRORS)
async def create_key(body: KeyCreate, request: Request) -> dict[str, Any]:
    """A new key with a role on one collection (or on all, for an admin of all). The response holds
    the key: it is not stored and cannot be shown again."""
    caller = await caller_of(request)
    auth = authority(request)
    if body.collection is None:
        await run_in_threadpool(auth.require_everywhere, caller, "admin")
    else:
        await run_in_threadpool(auth.require, caller, require_name(body.collection), "admin")
    expires = None if body.expires_in_days is None else time.time() + body.expires_in_days * 86400
    record, key = await run_in_threadpool(auth.keys.create, body.label, body.role, body.collection, expires)
    await run_in_threadpool(auth.audit.record, caller, body.collection, f"create {body.role} key {record.id}")
    return {**record.public(), "key": key}


@router.delete("/keys/{key_id}", response_model=KeyOut, responses=ERRORS)
async def revoke_key(key_id: str, request: Request) -> dict[str, Any]:
    """Revoke a key: from this moment every request with it gets 401."""
    caller = await caller_of(request)
    auth = authority(request)
    scope = await run_in_threadpool(auth.administered, caller)
    record = await run_in_threadpool(auth.keys.get, key_id)
    if record is None or (scope is not None and record.collection not in scope):
        raise NotFoundError(
            f"no key with id {key_id[:40]!r} among those you manage: GET /api/keys lists them"
        )
    await run_in_threadpool(auth.keys.revoke, key_id)
    await run_in_threadpool(auth.audit.record, caller, record.collection, f"revoke key {key_id}")
    revoked = await run_in_threadpool(auth.keys.get, key_id)
    assert revoked is not None
    return revoked.public()


@router.get("/audit", response_model=list[AuditEntry], responses=ERRORS)
async def audit(request: Request, limit: int = Query(200, ge=1, le=10_000)) -> list[dict[str, Any]]:
    """The newest writes (uploads, deletions, ingests, collections, keys), newest first."""
    caller = await caller_of(request)
    auth = authority(request)
    scope = await run_in_threadpool(auth.administered, caller)
    return await run_in_threadpool(auth.audit.entries, scope, limit)
