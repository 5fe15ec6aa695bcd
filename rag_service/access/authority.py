"""The one place that decides whether a caller may do something to a collection.

The rules, in order:

1. A collection the caller may not read does not exist for them: an unknown name and a private
   collection without a reader key (or higher) on it get the same 404 with the same words, so a
   caller learns nothing about collections they cannot read, not even that the name is taken.
   A caller whose key was refused (unknown, expired, revoked) gets 401 with the reason instead, for
   every name alike.
2. Reading needs nothing more. Writing needs ``writer`` and administering ``admin``: a caller with
   no key gets 401 (or 403 when no key at all could write, as before keys existed: "set
   RAG_API_KEY"), a key with too low a role 403.

Keys come from ``rag_service.access.keys``; ``RAG_API_KEY`` is compared in constant time and stands
for an admin of every collection.
"""

from __future__ import annotations

import hmac
from dataclasses import replace

from rag_service.access.audit import Audit
from rag_service.access.database import AccessDB
from rag_service.access.keys import Keys
from rag_service.access.registry import CollectionInfo, Registry
from rag_service.access.roles import ANONYMOUS, ENV_ADMIN, Caller, Role
from rag_service.config import Settings
from rag_service.errors import AuthError, ForbiddenError, NotFoundError

MISSING_KEY = "missing or wrong API key: send it as 'Authorization: Bearer <key>' or 'X-API-Key: <key>'"
DISABLED = (
    "this endpoint is disabled: set RAG_API_KEY on the server, or create a key (`rag-service keys create`)"
)


def not_found(name: str) -> NotFoundError:
    return NotFoundError(
        f"no collection named {name[:60]!r} that this caller may read: GET /api/collections lists them"
    )


class Authority:
    def __init__(self, settings: Settings, db: AccessDB) -> None:
        self.settings = settings
        self.keys = Keys(db)
        self.registry = Registry(db)
        self.audit = Audit(db)

    def caller(self, token: str | None) -> Caller:
        """Who sent ``token``: ``ANONYMOUS`` for none, an anonymous caller carrying the reason for a key
        that is not valid (refusals then say it: 401)."""
        if token is None:
            return ANONYMOUS
        env = self.settings.api_key.get_secret_value() if self.settings.api_key else ""
        if env and hmac.compare_digest(token.encode(), env.encode()):
            return ENV_ADMIN
        if not token.startswith("rag_"):
            return replace(ANONYMOUS, problem=MISSING_KEY)
        try:
            return self.keys.verify(token)
        except AuthError as exc:
            return replace(ANONYMOUS, problem=str(exc))

    def writes_enabled(self) -> bool:
        return (
            bool(self.settings.api_key and self.settings.api_key.get_secret_value()) or self.keys.any_active()
        )

    def require(self, caller: Caller, name: str, need: Role = "reader") -> CollectionInfo:
        """The collection, if ``caller`` holds ``need`` on it; else the error rules 1 and 2 give."""
        info = self.registry.get(name)
        if info is None or not (info.public or caller.may("reader", name)):
            if caller.problem is not None:  # the same for every name: nothing is revealed
                raise AuthError(caller.problem)
            raise not_found(name)
        if need == "reader" or caller.may(need, name):
            return info
        self.refuse(caller, need)
        raise AssertionError("unreachable")

    def require_everywhere(self, caller: Caller, need: Role) -> None:
        """For actions on no one collection (creating a collection, a key for all of them)."""
        if not caller.may_everywhere(need):
            self.refuse(caller, need, "of every collection")

    def administered(self, caller: Caller) -> set[str] | None:
        """The collections ``caller`` administers (``None``: all of them); 401/403 for a non-admin."""
        if caller.may_everywhere("admin"):
            return None
        if caller.role != "admin" or caller.collection is None:
            self.refuse(caller, "admin")
        assert caller.collection is not None
        return {caller.collection}

    def refuse(self, caller: Caller, need: Role, scope: str = "of this collection") -> None:
        if caller.role is None:
            if not self.writes_enabled():
                raise ForbiddenError(DISABLED)
            raise AuthError(caller.problem or MISSING_KEY)
        held = "every collection" if caller.collection is None else "one collection"
        article = "an" if need == "admin" else "a"
        raise ForbiddenError(
            f"this key ({caller.role} of {held}) does not allow this: it needs {article} {need} key {scope}"
        )

    def readable(self, caller: Caller) -> list[CollectionInfo]:
        """The collections ``caller`` may read, and only those."""
        return [c for c in self.registry.list() if c.public or caller.may("reader", c.name)]
