"""``/api/collections``: list the collections the caller may read; create, change and delete them.

Listing shows only what the caller may read, so a private collection's name is never seen by anyone
without a key of it. Creating needs an admin key of every collection; changing the visibility of, or
deleting, one collection needs an admin key of it. Each change is in the audit trail.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool

from rag_service.access.registry import CollectionInfo
from rag_service.access.roles import Caller
from rag_service.api.access_schemas import CollectionCreate, CollectionOut, CollectionUpdate
from rag_service.api.callers import authority, caller_of
from rag_service.api.deps import SettingsDep
from rag_service.api.schemas import ErrorResponse
from rag_service.collections.manage import create_collection, delete_collection
from rag_service.collections.names import require_name

router = APIRouter(prefix="/api", tags=["collections"])
ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorResponse} for code in (400, 401, 403, 404, 409, 503)
}


def _out(info: CollectionInfo, caller: Caller) -> dict[str, Any]:
    return {
        "name": info.name,
        "visibility": info.visibility,
        "created_at": info.created_at,
        "may_write": caller.may("writer", info.name),
        "may_admin": caller.may("admin", info.name),
    }


@router.get("/collections", response_model=list[CollectionOut], responses=ERRORS)
async def list_collections(request: Request) -> list[dict[str, Any]]:
    """The collections the caller may read (public ones, and private ones their key is for)."""
    caller = await caller_of(request)
    found = await run_in_threadpool(authority(request).readable, caller)
    return [_out(info, caller) for info in found]


@router.post("/collections", response_model=CollectionOut, status_code=201, responses=ERRORS)
async def create(body: CollectionCreate, request: Request, settings: SettingsDep) -> dict[str, Any]:
    """Create an empty collection (private unless asked otherwise). Needs an admin key of every
    collection; 409 if the name is taken."""
    caller = await caller_of(request)
    auth = authority(request)
    await run_in_threadpool(auth.require_everywhere, caller, "admin")
    info = await run_in_threadpool(create_collection, auth, settings, body.name, body.visibility)
    await run_in_threadpool(auth.audit.record, caller, info.name, "create collection")
    return _out(info, caller)


@router.patch("/collections/{name}", response_model=CollectionOut, responses=ERRORS)
async def update(name: str, body: CollectionUpdate, request: Request) -> dict[str, Any]:
    """Make a collection public or private. Needs an admin key of it."""
    caller = await caller_of(request)
    auth = authority(request)
    await run_in_threadpool(auth.require, caller, require_name(name), "admin")
    info = await run_in_threadpool(auth.registry.set_visibility, name, body.visibility)
    await run_in_threadpool(auth.audit.record, caller, name, f"make {body.visibility}")
    return _out(info, caller)


@router.delete("/collections/{name}", responses=ERRORS)
async def delete(name: str, request: Request, settings: SettingsDep) -> dict[str, Any]:
    """Delete a collection with all its documents, index versions and keys (which are revoked).
    Needs an admin key of it; ``default`` cannot be deleted (409)."""
    caller = await caller_of(request)
    auth = authority(request)
    await run_in_threadpool(auth.require, caller, require_name(name), "admin")
    await run_in_threadpool(delete_collection, auth, request.app.state.collections, settings, name)
    await run_in_threadpool(auth.audit.record, caller, name, "delete collection")
    return {"deleted": name}
