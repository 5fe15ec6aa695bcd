"""The isolation contract: nothing of one collection reaches a caller of another, whatever the route,
the role or the key. Written once over any httpx-style client (the in-process ``TestClient`` or a
real uvicorn through ``httpx.Client``) and run for each store (``tests/api/test_isolation.py``,
``tests/postgres/``).

Three collections hold look-alike documents: the same file names, the same title, the same words,
and one marker sentence each (a vault code). Every route is tried by every caller on every
collection: the status must be the one the rules give (``rag_service.access.authority``), and no body
(answer, citation, quote, retrieved passage, error, title list, count, page image, stream event) may
hold another collection's marker. A caller who may read gets their own collection's marker.

Caches are exercised by the order of the calls: every collection is asked the same question one after
another (the query-vector cache, shared, holds only question vectors), each collection's BM25 and
answerer belong to its own pipeline, and each collection's page 1 is fetched by every caller that may
read it (the render cache is keyed by collection): one image per collection, whoever asked, and each
collection's image its own.
"""

from __future__ import annotations

import concurrent.futures
import hashlib
import time
from dataclasses import dataclass
from typing import Any

import httpx

from tests.documents.writers import one_page_pdf

ADMIN_KEY = "isolation-admin-key"
ADMIN = {"Authorization": f"Bearer {ADMIN_KEY}"}
MARKERS = {
    "alpha": "AMBER-4471",
    "beta": "BIRCH-9083",
    "gamma": "CEDAR-2265",
}
PRIVATE = ("alpha", "beta")
QUESTION = "What is the vault code of the team?"
TITLE = "Team handbook"


def handbook(marker: str) -> str:
    return (
        f"{TITLE}\n\nThis handbook describes the routines of the team. The vault code of the team is "
        f"{marker}. Visitors sign in at the front desk before nine in the morning, and the last person "
        "to leave switches off the lights in the archive."
    )


@dataclass(frozen=True)
class Caller:
    name: str
    headers: dict[str, str]
    role: str | None  # on ``collection``; None for no valid key
    collection: str | None  # None: every collection
    bad_key: bool = False  # an expired or revoked key: refusals are 401

    def may(self, need: str, collection: str) -> bool:
        ranks = {"reader": 1, "writer": 2, "admin": 3}
        if self.role is None or self.collection not in (None, collection):
            return False
        return ranks[self.role] >= ranks[need]


def populate(http: httpx.Client) -> list[Caller]:
    """Create the three collections, upload each one's look-alike documents, and make the keys."""
    for name in MARKERS:
        visibility = "private" if name in PRIVATE else "public"
        made = http.post("/api/collections", json={"name": name, "visibility": visibility}, headers=ADMIN)
        assert made.status_code == 201, made.text
    with concurrent.futures.ThreadPoolExecutor(2) as pool:  # concurrent uploads to two collections
        replies = list(pool.map(lambda name: _upload_handbooks(http, name), PRIVATE))
    replies.append(_upload_handbooks(http, "gamma"))
    assert all(r.status_code == 200 for r in replies), [r.text for r in replies]
    callers = [Caller("anonymous", {}, None, None), Caller("admin of all", ADMIN, "admin", None)]
    for role in ("reader", "writer", "admin"):
        callers.append(Caller(f"alpha {role}", _bearer(_key(http, role, "alpha")), role, "alpha"))
    callers.append(Caller("beta reader", _bearer(_key(http, "reader", "beta")), "reader", "beta"))
    callers.append(Caller("reader of all", _bearer(_key(http, "reader", None)), "reader", None))
    revoked = _key(http, "admin", "alpha", full=True)
    assert http.delete(f"/api/keys/{revoked['id']}", headers=ADMIN).status_code == 200
    callers.append(Caller("revoked alpha admin", _bearer(revoked["key"]), None, None, bad_key=True))
    expired = _key(http, "admin", "alpha", days=1.5 / 86400)
    time.sleep(1.6)
    callers.append(Caller("expired alpha admin", _bearer(expired), None, None, bad_key=True))
    callers.append(Caller("made-up key", _bearer("rag_0123456789ab_" + "x" * 43), None, None, bad_key=True))
    return callers


def _upload_handbooks(http: httpx.Client, name: str) -> httpx.Response:
    text = handbook(MARKERS[name])
    files = [
        ("files", ("handbook.txt", text.encode(), "text/plain")),
        ("files", ("handbook.pdf", one_page_pdf(TITLE, text.split("\n\n", 1)[1]), "application/pdf")),
    ]
    return http.post(f"/api/documents?collection={name}", files=files, headers=ADMIN)


def _key(
    http: httpx.Client, role: str, collection: str | None, days: float | None = None, full: bool = False
):
    body: dict[str, Any] = {
        "label": f"{role} of {collection or 'all'}",
        "role": role,
        "collection": collection,
    }
    if days is not None:
        body["expires_in_days"] = days
    made = http.post("/api/keys", json=body, headers=ADMIN)
    assert made.status_code == 201, made.text
    return made.json() if full else made.json()["key"]


def _bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def expected_status(caller: Caller, collection: str, need: str) -> int:
    visible = collection not in PRIVATE or caller.may("reader", collection)
    if not visible:
        return 401 if caller.bad_key else 404
    if need == "reader" or caller.may(need, collection):
        return 200
    return 401 if caller.role is None else 403


def reads(collection: str) -> list[tuple[str, str, str, dict[str, Any]]]:
    """(label, method, path, request keywords) of every read, each naming ``collection``."""
    q = f"collection={collection}"
    model = collection
    return [
        ("ask", "POST", "/api/ask", {"json": {"question": QUESTION, "collection": collection}}),
        ("ask by query", "POST", f"/api/ask?{q}", {"json": {"question": QUESTION}}),
        ("chat stream", "POST", f"/api/chat?{q}", {"json": {"question": QUESTION}}),
        ("openai", "POST", "/v1/chat/completions", {"json": _openai(model, stream=False)}),
        ("openai stream", "POST", "/v1/chat/completions", {"json": _openai(model, stream=True)}),
        ("sources", "GET", f"/api/sources?{q}", {}),
        ("source text", "GET", f"/api/sources/handbook.txt?{q}", {}),
        ("documents", "GET", f"/api/documents?{q}", {}),
        ("document", "GET", f"/api/documents/handbook.pdf?{q}", {}),
        ("page image", "GET", f"/api/documents/handbook.pdf/pages/1.png?{q}", {}),
        ("highlight", "GET", f"/api/documents/handbook.pdf/pages/1/highlight?{q}&start=0&end=13", {}),
        ("health", "GET", f"/api/health?{q}", {}),
    ]


def _openai(model: str, stream: bool) -> dict[str, Any]:
    return {"model": model, "stream": stream, "messages": [{"role": "user", "content": QUESTION}]}


def foreign_markers(body: bytes, collection: str | None) -> list[str]:
    """The markers in ``body`` of collections other than ``collection``."""
    text = body.decode("utf-8", "replace")
    return [m for name, m in MARKERS.items() if name != collection and m in text]


def check_reads(http: httpx.Client, callers: list[Caller]) -> dict[str, str]:
    """Every read by every caller on every collection; returns each collection's page-image digest."""
    pages: dict[str, set[str]] = {name: set() for name in MARKERS}
    for caller in callers:
        for collection in MARKERS:
            for label, method, path, kwargs in reads(collection):
                reply = http.request(method, path, headers=caller.headers, **kwargs)
                where = f"{caller.name} / {collection} / {label}"
                want = expected_status(caller, collection, "reader")
                assert reply.status_code == want, f"{where}: {reply.status_code} {reply.text[:300]}"
                assert not foreign_markers(reply.content, collection), f"{where}: {reply.text[:500]}"
                if want != 200:
                    assert not foreign_markers(reply.content, None), f"{where} leaked its own collection"
                elif label in (
                    "ask",
                    "ask by query",
                    "chat stream",
                    "openai",
                    "openai stream",
                    "source text",
                ):
                    assert MARKERS[collection] in reply.text, f"{where}: {reply.text[:500]}"
                if label == "page image" and want == 200:
                    pages[collection].add(hashlib.sha256(reply.content).hexdigest())
    assert all(len(d) == 1 for d in pages.values()), pages  # one image per collection, whoever asked
    digests = {name: next(iter(d)) for name, d in pages.items()}
    assert len(set(digests.values())) == len(MARKERS)  # and each collection's is its own
    return digests


def check_listings(http: httpx.Client, callers: list[Caller]) -> None:
    """``/api/collections`` and ``/v1/models`` name only what the caller may read."""
    for caller in callers:
        readable = {c for c in MARKERS if expected_status(caller, c, "reader") == 200} | {"default"}
        listed = http.get("/api/collections", headers=caller.headers)
        assert listed.status_code == 200
        assert {c["name"] for c in listed.json()} == readable, caller.name
        models = http.get("/v1/models", headers=caller.headers).json()["data"]
        assert {m["id"] for m in models} == (readable - {"default"}) | {"rag-service"}, caller.name


def check_writes(http: httpx.Client, callers: list[Caller]) -> None:
    """Upload, delete and ingest by every caller on every collection."""
    for caller in callers:
        for collection in MARKERS:
            want = expected_status(caller, collection, "writer")
            q = f"collection={collection}"
            note = [("files", ("note.txt", b"A short note about the weather on the hill.", "text/plain"))]
            steps = [
                ("upload", "POST", f"/api/documents?{q}", {"files": note}),
                ("delete", "DELETE", f"/api/documents/note.txt?{q}", {}),
                ("ingest", "POST", f"/api/ingest?{q}", {}),
            ]
            for label, method, path, kwargs in steps:
                reply = http.request(method, path, headers=caller.headers, **kwargs)
                where = f"{caller.name} / {collection} / {label}"
                assert reply.status_code == want, f"{where}: {reply.status_code} {reply.text[:300]}"
                assert not foreign_markers(reply.content, collection if want == 200 else None), where


def check_admin_routes(http: httpx.Client, callers: list[Caller]) -> None:
    """Keys, the audit trail and collection changes: an admin of one collection sees and changes only
    that one; every other caller is refused, by the same rules as for documents."""
    for caller in callers:
        where = caller.name
        listing = 200 if caller.role == "admin" else 401 if caller.role is None else 403
        for path in ("/api/keys", "/api/audit?limit=10000"):
            reply = http.get(path, headers=caller.headers)
            assert reply.status_code == listing, f"{where} {path}: {reply.status_code} {reply.text[:200]}"
            if listing == 200 and caller.collection is not None:
                assert {e["collection"] for e in reply.json()} == {caller.collection}, (where, path)
                others = [name for name in MARKERS if name != caller.collection]
                assert not any(f"of {name}" in reply.text for name in others), (where, reply.text[:300])
        for collection in MARKERS:
            want = expected_status(caller, collection, "admin")
            visibility = "private" if collection in PRIVATE else "public"
            changed = http.patch(
                f"/api/collections/{collection}", json={"visibility": visibility}, headers=caller.headers
            )
            assert changed.status_code == want, f"{where} / {collection} / patch: {changed.text[:200]}"
            body = {"label": "probe", "role": "reader", "collection": collection}
            made = http.post("/api/keys", json=body, headers=caller.headers)
            assert made.status_code == (201 if want == 200 else want), f"{where} / {collection} / key"
            assert not foreign_markers(changed.content + made.content, None)
        made = http.post("/api/collections", json={"name": "delta"}, headers=caller.headers)
        if caller.may("admin", "delta") and caller.collection is None:
            assert made.status_code == 201
            assert http.delete("/api/collections/delta", headers=caller.headers).status_code == 200
        else:
            assert made.status_code == (401 if caller.role is None else 403), f"{where}: {made.text}"


def check_history_stays_home(http: httpx.Client) -> None:
    """A follow-up on alpha whose history quotes beta's marker: nothing of beta comes back beyond the
    words the caller sent (the answer, citations and passages are alpha's)."""
    history = [
        {"role": "user", "content": QUESTION},
        {"role": "assistant", "content": f"The vault code of the team is {MARKERS['beta']}. [1]"},
    ]
    body = {"question": "And when do visitors sign in?", "history": history, "collection": "alpha"}
    reply = http.post("/api/ask", json=body, headers=ADMIN)
    assert reply.status_code == 200, reply.text
    data = reply.json()
    shown = {k: v for k, v in data.items() if k != "standalone_question"}
    assert not foreign_markers(repr(shown).encode(), "alpha"), data
    assert all(c["source"] == "handbook.txt" or c["source"] == "handbook.pdf" for c in data["citations"])
    assert "nine" in data["answer"]


def check_audit(http: httpx.Client) -> None:
    """Writes are in the audit trail with the key's id and label, never the key."""
    entries = http.get("/api/audit?limit=10000", headers=ADMIN)
    assert entries.status_code == 200
    text = entries.text
    assert ADMIN_KEY not in text and "rag_" not in text
    actions = {(e["collection"], e["action"], e["document"]) for e in entries.json()}
    assert {("alpha", "upload", "handbook.pdf"), ("beta", "upload", "handbook.txt")} <= actions
    assert ("gamma", "create collection", None) in actions


def check_delete_and_recreate(http: httpx.Client) -> None:
    """A deleted collection is gone with its documents; one made again under its name starts empty."""
    assert http.delete("/api/collections/beta", headers=ADMIN).status_code == 200
    assert http.get("/api/sources?collection=beta", headers=ADMIN).status_code == 404
    assert http.post("/api/collections", json={"name": "beta"}, headers=ADMIN).status_code == 201
    sources = http.get("/api/sources?collection=beta", headers=ADMIN)
    assert sources.status_code == 200 and sources.json() == []
    answer = http.post("/api/ask", json={"question": QUESTION, "collection": "beta"}, headers=ADMIN)
    assert answer.status_code == 200 and answer.json()["not_found"]
    assert not foreign_markers(answer.content, None)


def run_contract(http: httpx.Client) -> None:
    callers = populate(http)
    check_listings(http, callers)
    check_reads(http, callers)
    check_writes(http, callers)
    check_admin_routes(http, callers)
    check_history_stays_home(http)
    check_audit(http)
    check_delete_and_recreate(http)
