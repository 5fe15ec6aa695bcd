"""Keys, roles, the collections list and the audit trail, on a real SQLite file."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import pytest

from rag_service.access.authority import Authority
from rag_service.access.database import SqliteAccess
from rag_service.access.roles import ANONYMOUS, ENV_ADMIN
from rag_service.collections.names import for_collection, require_name
from rag_service.config import Settings
from rag_service.errors import AuthError, ConflictError, ForbiddenError, InvalidRequestError, NotFoundError


@pytest.fixture
def authority(tmp_path: Path) -> Authority:
    settings = Settings(seeds_dir=tmp_path / "seeds", index_dir=tmp_path / "index", api_key="env-key")
    return Authority(settings, SqliteAccess(tmp_path / "access.sqlite3"))


def test_a_key_is_stored_only_as_a_salted_hash(authority: Authority, tmp_path: Path) -> None:
    record, key = authority.keys.create("ci bot", "writer", "docs")
    assert key.startswith(f"rag_{record.id}_")
    secret = key.split("_", 2)[2]
    dump = "\n".join(sqlite3.connect(tmp_path / "access.sqlite3").iterdump())
    assert secret not in dump and record.id in dump
    assert "hash" not in record.public() and "salt" not in record.public()
    caller = authority.caller(key)
    assert (caller.key_id, caller.role, caller.collection, caller.label) == (
        record.id,
        "writer",
        "docs",
        "ci bot",
    )


def test_a_wrong_secret_for_a_real_id_is_refused(authority: Authority) -> None:
    _record, key = authority.keys.create("x", "reader", None)
    forged = key[:-4] + ("AAAA" if not key.endswith("AAAA") else "BBBB")
    assert authority.caller(key).role == "reader"  # verified once, cached for this secret only
    refused = authority.caller(forged)
    assert refused.role is None and "not valid" in (refused.problem or "")


def test_revoked_and_expired_keys_say_so_only_to_their_holder(authority: Authority) -> None:
    record, key = authority.keys.create("temp", "admin", "docs", expires_at=time.time() + 1.2)
    assert authority.caller(key).role == "admin"
    time.sleep(1.3)
    assert "expired" in (authority.caller(key).problem or "")
    record, key = authority.keys.create("gone", "reader", "docs")
    assert authority.caller(key).role == "reader"
    assert authority.keys.revoke(record.id)
    assert "revoked" in (authority.caller(key).problem or "")
    with pytest.raises(AuthError, match="revoked"):
        authority.require(authority.caller(key), "docs")


def test_private_collections_are_404_without_a_key_of_them(authority: Authority) -> None:
    authority.registry.create("hr", "private")
    authority.registry.create("manual", "public")
    _, hr_reader = authority.keys.create("r", "reader", "hr")
    _, other = authority.keys.create("o", "admin", "manual")
    for caller in (ANONYMOUS, authority.caller(other)):
        with pytest.raises(NotFoundError) as refused:
            authority.require(caller, "hr")
        with pytest.raises(NotFoundError) as unknown:
            authority.require(caller, "hs")
        assert str(refused.value).replace("hr", "hs") == str(unknown.value)  # same words: nothing revealed
    assert authority.require(authority.caller(hr_reader), "hr").name == "hr"
    with pytest.raises(ForbiddenError, match="writer"):
        authority.require(authority.caller(hr_reader), "hr", "writer")
    with pytest.raises(AuthError, match="missing or wrong API key"):
        authority.require(ANONYMOUS, "manual", "writer")
    assert [c.name for c in authority.readable(ANONYMOUS)] == ["default", "manual"]
    assert [c.name for c in authority.readable(ENV_ADMIN)] == ["default", "hr", "manual"]


def test_writes_are_disabled_while_no_key_exists(tmp_path: Path) -> None:
    settings = Settings(seeds_dir=tmp_path / "seeds", index_dir=tmp_path / "index")
    authority = Authority(settings, SqliteAccess(tmp_path / "access.sqlite3"))
    with pytest.raises(ForbiddenError, match="RAG_API_KEY"):
        authority.require(ANONYMOUS, "default", "writer")
    assert not (tmp_path / "access.sqlite3").exists()  # reading created nothing
    authority.keys.create("w", "writer", None)
    with pytest.raises(AuthError):
        authority.require(ANONYMOUS, "default", "writer")


def test_collection_names_and_folders(authority: Authority, tmp_path: Path) -> None:
    for bad in ("", "Upper", "../x", "a_b", "-a", "a--b", "a" * 41, "1abc"):
        with pytest.raises(InvalidRequestError, match="collection name"):
            require_name(bad)
    settings = authority.settings
    hr = for_collection(settings, "hr")
    assert hr.seeds_dir == tmp_path / "collections" / "hr" / "documents"
    assert hr.index_dir == tmp_path / "collections" / "hr" / "index" and hr.collection == "hr"
    assert for_collection(settings, "default").seeds_dir == settings.seeds_dir
    authority.registry.create("hr")
    with pytest.raises(ConflictError):
        authority.registry.create("hr")
    with pytest.raises(ConflictError):
        authority.registry.delete("default")


def test_the_audit_trail_names_the_key_never_the_key_itself(authority: Authority) -> None:
    record, key = authority.keys.create("uploader", "writer", "hr")
    caller = authority.caller(key)
    authority.audit.record(caller, "hr", "upload", "a.pdf")
    authority.audit.record(ENV_ADMIN, "manual", "delete", "b.pdf")
    assert authority.audit.entries({"hr"}) == [
        {"at": pytest.approx(time.time(), abs=5), "key_id": record.id, "label": "uploader",
         "collection": "hr", "action": "upload", "document": "a.pdf"}
    ]  # fmt: skip
    assert len(authority.audit.entries()) == 2
    assert key not in repr(authority.audit.entries())


def test_the_pool_keeps_at_most_the_open_collections_asked_for(seeds_pipeline, tmp_path: Path) -> None:
    from rag_service.collections.pool import CollectionPool

    settings = seeds_pipeline.settings.model_copy(
        update={"collections_dir": tmp_path / "collections", "max_open_collections": 2}
    )
    pool = CollectionPool(settings)
    first = pool.get("one", seeds_pipeline)
    assert first.index.manifest.counts["documents"] == 0  # a new collection gets an empty index
    pool.get("two", seeds_pipeline)
    assert pool.get("one", seeds_pipeline) is first  # kept, and now the most recently asked
    pool.get("three", seeds_pipeline)
    assert pool.loaded("two", None) is None and pool.loaded("one", None) is first
    assert pool.loaded("three", None) is not None
    assert pool.get("default", seeds_pipeline) is seeds_pipeline
    assert pool.get("one", seeds_pipeline, generation=12.5) is not first  # created again: another one
