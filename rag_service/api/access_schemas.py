"""Request and response models of the collections, keys and audit routes (``routes.collections``,
``routes.access``)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from rag_service.api.schemas import Text


class CollectionOut(BaseModel):
    name: str
    visibility: Literal["public", "private"] = Field(
        description="public: anyone reads it; private: a reader key (or higher) of it is needed"
    )
    created_at: float | None = Field(description="Unix time; null for `default`, which always exists")
    may_write: bool = Field(description="whether the caller's key may upload, delete and ingest here")
    may_admin: bool = Field(description="whether the caller's key may delete it and manage its keys")


class CollectionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Text = Field(description="1 to 40 lower-case letters, digits and single hyphens, from a letter")
    visibility: Literal["public", "private"] = Field("private", description="who may read it")


class CollectionUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    visibility: Literal["public", "private"]


class KeyCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    label: Text = Field(description="who or what holds the key (shown in lists and the audit trail)")
    role: Literal["reader", "writer", "admin"]
    collection: Text | None = Field(None, description="the one collection it is for; null: all of them")
    expires_in_days: float | None = Field(None, gt=0, le=36500, description="null: it never expires")


class KeyOut(BaseModel):
    id: str
    label: str
    role: Literal["reader", "writer", "admin"]
    collection: str | None
    created_at: float
    expires_at: float | None
    revoked_at: float | None


class KeyCreated(KeyOut):
    key: str = Field(description="the key itself: shown this once, stored only as a hash")


class AuditEntry(BaseModel):
    at: float
    key_id: str
    label: str
    collection: str | None
    action: str
    document: str | None
