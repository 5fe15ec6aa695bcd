"""``rag-service collections``, ``keys``, ``audit`` and ``--collection``, as real subprocesses."""

from __future__ import annotations

import json
from pathlib import Path

from rag_service.bench.server import ServerProcess
from tests.conftest import make_settings
from tests.test_cli import run

POLICY = "The holiday allowance of the staff is 27 days a year, agreed with the works council."


def test_a_collection_from_the_command_line_to_a_private_answer(tmp_path: Path) -> None:
    make_settings(tmp_path)
    assert run(tmp_path, "ingest", "--quiet").returncode == 0
    made = run(tmp_path, "collections", "create", "hr")
    assert made.returncode == 0 and "private collection hr" in made.stdout
    folder = tmp_path / "collections" / "hr" / "documents"
    (folder / "policy.txt").write_text(POLICY, encoding="utf-8")
    assert "1 added" in run(tmp_path, "ingest", "--quiet", "--collection", "hr").stdout
    local = run(tmp_path, "ask", "--local", "--collection", "hr", "How many holiday days do staff get?")
    assert local.returncode == 0 and "27 days" in local.stdout
    elsewhere = run(tmp_path, "ask", "--local", "How many holiday days do staff get?")
    assert "27 days" not in elsewhere.stdout  # the default collection does not hold it
    case = {
        "id": "hr-days",
        "question": "How many holiday days do staff get?",
        "expected_sources": ["policy.txt"],
        "expected_quotes": ["27 days a year"],
        "must_mention": ["27"],
    }
    (tmp_path / "hr.jsonl").write_text(json.dumps(case) + "\n", encoding="utf-8")
    scored = run(
        tmp_path, "eval", "hr.jsonl", "--collection", "hr", "--no-progress", "--out", "out",
        "--min-citation-f1", "0.99",
    )  # fmt: skip
    assert scored.returncode == 0, scored.stdout[-2000:] + scored.stderr[-2000:]
    missed = run(
        tmp_path, "eval", "hr.jsonl", "--no-progress", "--out", "out-default", "--min-citation-f1", "0.99"
    )
    assert missed.returncode == 1 and "THRESHOLD MISSED: citation_f1" in missed.stdout
    key = run(tmp_path, "keys", "create", "--role", "reader", "--collection", "hr", "--label", "hr team")
    token = key.stdout.strip()
    assert key.returncode == 0 and token.startswith("rag_") and len(token.splitlines()) == 1
    listed = run(tmp_path, "keys", "list").stdout
    assert "hr team" in listed and "active" in listed and token not in listed
    server = ServerProcess(tmp_path / "seeds", tmp_path / "index", log_path=tmp_path / "server.log")
    try:
        server.wait_healthy()
        ask = ["ask", "--url", server.url, "--collection", "hr", "How many holiday days do staff get?"]
        anonymous = run(tmp_path, *ask)
        assert anonymous.returncode == 1 and "404" in anonymous.stderr and "27 days" not in anonymous.stdout
        with_key = run(tmp_path, *ask, env={"RAG_API_KEY": token})
        assert with_key.returncode == 0 and "27 days" in with_key.stdout, with_key.stderr
        over_http = ["eval", "hr.jsonl", "--url", server.url, "--collection", "hr", "--no-progress"]
        scored = run(tmp_path, *over_http, "--out", "http-out", "--min-citation-f1", "0.99")
        assert scored.returncode == 1 and "no collection named" in scored.stderr  # private: refused
        keyed = run(
            tmp_path, *over_http, "--out", "http-out", "--min-citation-f1", "0.99", env={"RAG_API_KEY": token}
        )
        assert keyed.returncode == 0, keyed.stdout[-2000:] + keyed.stderr[-2000:]
    finally:
        server.stop()
    key_id = token.split("_")[1]
    assert run(tmp_path, "keys", "revoke", key_id).returncode == 0
    assert "revoked" in run(tmp_path, "keys", "list").stdout
    audit = run(tmp_path, "audit").stdout
    assert "create collection" in audit and f"revoke key {key_id}" in audit and token not in audit


def test_deleting_needs_yes_and_unknown_collections_are_one_line(tmp_path: Path) -> None:
    make_settings(tmp_path)
    assert run(tmp_path, "collections", "create", "tmp-docs", "--public").returncode == 0
    refused = run(tmp_path, "collections", "delete", "tmp-docs")
    assert refused.returncode == 1 and "--yes" in refused.stderr
    assert run(tmp_path, "collections", "delete", "tmp-docs", "--yes").returncode == 0
    assert not (tmp_path / "collections" / "tmp-docs").exists()
    for args in (("ingest", "--collection", "tmp-docs"), ("collections", "delete", "nope", "--yes")):
        result = run(tmp_path, *args)
        assert result.returncode == 1 and result.stderr.startswith("error: no collection named")
    bad = run(tmp_path, "collections", "create", "Bad_Name")
    assert bad.returncode == 1 and "not a collection name" in bad.stderr and "Traceback" not in bad.stderr
