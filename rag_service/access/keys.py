"""API keys: created once, shown once, stored only as a salted scrypt hash.

A key reads ``rag_<id>_<secret>``: the id (12 hex digits, not secret) finds the row, the secret (32
random bytes) is checked against the row's hash with ``hashlib.scrypt`` (OpenSSL's, in the standard
library). scrypt costs about 60 ms and 16 MB on purpose, so each process remembers which (id, secret
digest) pairs it has verified against which stored hash: a key pays for scrypt once per process, not
once per request. The row itself is read on every request, so a revoked or expired key is refused at
once by every process, and a cached verification is only ever used with the hash it was made against.

The status of a key (expired, revoked) is told only to a caller who has proved they hold it.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass

from rag_service.access.database import AccessDB
from rag_service.access.roles import ROLES, Caller, Role
from rag_service.errors import AuthError, InvalidRequestError

_TOKEN = re.compile(r"rag_([0-9a-f]{12})_([A-Za-z0-9_-]{43})")
_SCRYPT = {"n": 2**14, "r": 8, "p": 1, "dklen": 32, "maxmem": 64 * 1024 * 1024}
_UNKNOWN = "this API key is not valid: check it, or ask an admin for one (`rag-service keys create`)"
MAX_LABEL = 100


@dataclass(frozen=True)
class KeyRecord:
    id: str
    label: str
    role: Role
    collection: str | None
    created_at: float
    expires_at: float | None
    revoked_at: float | None

    def public(self) -> dict[str, object]:
        """The key as listed to admins: everything but its hash (the secret itself is never stored)."""
        return {
            "id": self.id,
            "label": self.label,
            "role": self.role,
            "collection": self.collection,
            "created_at": self.created_at,
            "expires_at": self.expires_at,
            "revoked_at": self.revoked_at,
        }


def _hash(secret: str, salt: str) -> str:
    return hashlib.scrypt(secret.encode(), salt=bytes.fromhex(salt), **_SCRYPT).hex()


class Keys:
    def __init__(self, db: AccessDB, cache_size: int = 4096) -> None:
        self.db = db
        self._verified: OrderedDict[tuple[str, bytes], str] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()

    def create(
        self, label: str, role: str, collection: str | None, expires_at: float | None = None
    ) -> tuple[KeyRecord, str]:
        """A new key: its record and the full key, which exists only in this return value."""
        if role not in ROLES:
            raise InvalidRequestError(f"role {role[:40]!r} is not one of {', '.join(ROLES)}")
        label = label.strip()
        if not label or len(label) > MAX_LABEL or not label.isprintable():
            raise InvalidRequestError(f"a key needs a label of 1 to {MAX_LABEL} printable characters")
        if expires_at is not None and expires_at <= time.time():
            raise InvalidRequestError("the expiry is in the past: give a time to come")
        key_id, secret, salt = secrets.token_hex(6), secrets.token_urlsafe(32), secrets.token_hex(16)
        now = time.time()
        self.db.execute(
            "INSERT INTO rag_api_keys (id, label, role, collection, salt, hash, created_at, expires_at) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
            (key_id, label, role, collection, salt, _hash(secret, salt), now, expires_at),
        )
        record = KeyRecord(key_id, label, role, collection, now, expires_at, None)
        return record, f"rag_{key_id}_{secret}"

    _COLUMNS = "SELECT id, label, role, collection, created_at, expires_at, revoked_at FROM rag_api_keys "

    def list(self) -> list[KeyRecord]:
        return [KeyRecord(*row) for row in self.db.execute(self._COLUMNS + "ORDER BY created_at")]

    def get(self, key_id: str) -> KeyRecord | None:
        rows = self.db.execute(self._COLUMNS + "WHERE id = %s", (key_id,))
        return KeyRecord(*rows[0]) if rows else None

    def revoke(self, key_id: str) -> bool:
        """Revoke a key (kept, for the audit trail); False if there is no such key."""
        rows = self.db.execute(
            "UPDATE rag_api_keys SET revoked_at = %s WHERE id = %s AND revoked_at IS NULL RETURNING id",
            (time.time(), key_id),
        )
        return bool(rows) or self.get(key_id) is not None

    def drop_collection(self, collection: str) -> None:
        """Revoke every key of a deleted collection: a new collection of that name starts with none."""
        self.db.execute(
            "UPDATE rag_api_keys SET revoked_at = %s WHERE collection = %s AND revoked_at IS NULL",
            (time.time(), collection),
        )

    def any_active(self) -> bool:
        rows = self.db.execute(
            "SELECT 1 FROM rag_api_keys WHERE revoked_at IS NULL AND (expires_at IS NULL OR expires_at > %s) "
            "LIMIT 1",
            (time.time(),),
        )
        return bool(rows)

    def verify(self, token: str) -> Caller:
        """The caller a key stands for, or ``AuthError`` (unknown, wrong, expired, revoked)."""
        match = _TOKEN.fullmatch(token)
        if match is None:
            raise AuthError(_UNKNOWN)
        key_id, secret = match.groups()
        rows = self.db.execute(
            "SELECT label, role, collection, salt, hash, expires_at, revoked_at FROM rag_api_keys "
            "WHERE id = %s",
            (key_id,),
        )
        if not rows:
            raise AuthError(_UNKNOWN)
        label, role, collection, salt, stored, expires_at, revoked_at = rows[0]
        if not self._matches(key_id, secret, salt, stored):
            raise AuthError(_UNKNOWN)
        if revoked_at is not None:
            raise AuthError("this API key was revoked: ask an admin for a new one")
        if expires_at is not None and expires_at <= time.time():
            when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(expires_at))
            raise AuthError(f"this API key expired at {when}: ask an admin for a new one")
        return Caller(key_id, label, role, collection)

    def _matches(self, key_id: str, secret: str, salt: str, stored: str) -> bool:
        digest = hashlib.sha256(secret.encode()).digest()
        with self._lock:
            known = self._verified.get((key_id, digest))
        if known is not None and hmac.compare_digest(known, stored):
            return True
        if not hmac.compare_digest(_hash(secret, salt), stored):
            return False
        with self._lock:
            self._verified[(key_id, digest)] = stored
            while len(self._verified) > self._cache_size:
                self._verified.popitem(last=False)
        return True
