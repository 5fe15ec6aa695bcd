"""Roles and callers: what a request may do, decided from the key it sent (or none).

    reader   ask, read sources, documents and page images
    writer   also upload, delete and ingest
    admin    also create and delete collections, create and revoke keys, read the audit trail

A key holds one role on one collection, or on all of them (``collection`` is ``None``). ``RAG_API_KEY``
is an admin key on all collections, as it always gave every write. A caller without a valid key reads public
collections only (OpenAI clients always send some key, often a placeholder: that must not turn
reading a public collection into an error).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

Role = Literal["reader", "writer", "admin"]
ROLES: tuple[Role, ...] = get_args(Role)
_RANK = {role: rank for rank, role in enumerate(ROLES, start=1)}


@dataclass(frozen=True)
class Caller:
    key_id: str | None
    """The key's id (``env`` for ``RAG_API_KEY``), ``None`` for a request without a key."""
    label: str
    role: Role | None
    collection: str | None
    """The one collection the key is for, or ``None`` for all of them."""
    problem: str | None = None
    """Why the key this caller sent was not accepted (unknown, expired, revoked): such a caller reads
    what anyone may, and is told this reason wherever they are refused."""

    def may(self, need: Role, collection: str) -> bool:
        """Whether this caller holds ``need`` (or a higher role) on ``collection``."""
        if self.role is None or self.collection not in (None, collection):
            return False
        return _RANK[self.role] >= _RANK[need]

    def may_everywhere(self, need: Role) -> bool:
        """Whether this caller holds ``need`` on every collection, present and future."""
        return self.role is not None and self.collection is None and _RANK[self.role] >= _RANK[need]


ANONYMOUS = Caller(None, "anonymous", None, None)
ENV_ADMIN = Caller("env", "RAG_API_KEY", "admin", None)
