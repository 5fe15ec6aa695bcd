import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from rag_service.errors import InvalidRequestError
from rag_service.evaluation.dataset import Turn, load_cases
from rag_service.evaluation.runner import locate, score_turn
from tests.conftest import EVAL_SET, GLAVKOSMOS, ROOT, SPUTNIK, eval_cases

# What the default offline pipeline must hold on eval/seeds.jsonl (measured: README "Evaluation").
THRESHOLDS = [
    "--min-citation-f1",
    "0.9",
    "--min-quote-coverage",
    "0.85",
    "--min-hit-at-k",
    "0.95",
    "--min-mrr",
    "0.9",
    "--min-ndcg",
    "0.9",
    "--min-abstention",
    "0.95",
    "--min-must-mention",
    "0.95",
    "--min-grounding",
    "0.95",
    "--min-answer-f1",
    "0.4",
]


def test_the_seed_set_meets_the_issue() -> None:
    cases = eval_cases()
    assert len(cases) >= 40
    turns = [t for c in cases for t in c.get("turns", [c])]
    unanswerable = [c for c in cases if "turns" not in c and c["expected_sources"] == []]
    assert len(unanswerable) >= 8
    assert sum("turns" in c for c in cases) >= 5
    assert any(set(t["expected_sources"]) == {GLAVKOSMOS, SPUTNIK} for t in turns)
    kinds = {c.get("kind") for c in cases}
    assert {"fact", "paraphrase", "typo", "both", "comments-only", "injection", "unanswerable"} <= kinds
    texts = {name: (ROOT / "seeds" / name).read_text(encoding="utf-8") for name in (GLAVKOSMOS, SPUTNIK)}
    for turn in turns:
        for quote in turn.get("expected_quotes", []):
            assert any(locate(quote, texts[s]) for s in turn["expected_sources"]), quote
    load_cases(EVAL_SET)


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("not json", "not valid JSON"),
        ('{"question": "q", "expected_sources": []}', "needs a string 'id'"),
        ('{"id": "a", "question": "", "expected_sources": []}', "non-empty string"),
        ('{"id": "a", "question": "q"}', "'expected_sources' must be a list"),
        (
            '{"id": "a", "question": "q", "expected_sources": [], "must_mention": "x"}',
            "'must_mention' must be",
        ),
        ('{"id": "a", "turns": []}', "non-empty list"),
    ],
)
def test_bad_evaluation_files_name_the_line(tmp_path: Path, line: str, message: str) -> None:
    path = tmp_path / "set.jsonl"
    path.write_text('{"id": "ok", "question": "q", "expected_sources": []}\n' + line + "\n", encoding="utf-8")
    with pytest.raises(InvalidRequestError, match=message) as info:
        load_cases(path)
    assert "set.jsonl:2" in str(info.value)


def test_duplicate_ids(tmp_path: Path) -> None:
    path = tmp_path / "set.jsonl"
    path.write_text('{"id": "a", "question": "q", "expected_sources": []}\n' * 2, encoding="utf-8")
    with pytest.raises(InvalidRequestError, match="duplicate id"):
        load_cases(path)


def test_locate_ignores_whitespace() -> None:
    text = "One  two\n   three. Two three."
    assert locate("two three", text) == [(5, 17)]  # case-sensitive: "Two three" is not a match
    assert locate("absent", text) == []


def test_score_turn_on_a_crafted_response() -> None:
    text = "Alpha beta gamma. Delta epsilon."
    turn = Turn("q?", ("a.txt",), ("Delta epsilon",), ("delta", "zeta"))
    response = {
        "answer": "Delta epsilon. [1]",
        "not_found": False,
        "grounding": {"supported_share": 1.0},
        "citations": [{"source": "a.txt", "start": 18, "end": 32}, {"source": "b.txt", "start": 0, "end": 3}],
        "retrieved": [{"source": "b.txt"}, {"source": "a.txt"}, {"source": "a.txt"}],
    }
    scores = score_turn(turn, response, lambda name: text if name == "a.txt" else None)
    assert scores["citation_precision"] == 0.5 and scores["citation_recall"] == 1.0
    assert scores["quote_coverage"] == 1.0 and scores["must_mention"] == 0.5
    assert scores["hit_at_k"] == 1.0 and scores["mrr"] == 0.5 and scores["abstention"] == 1.0
    assert scores["answer_f1"] is None and scores["quote_in_reference"] is None  # no reference given


def test_reference_answers_are_scored_like_eval_qa() -> None:
    turn = Turn("Which countries?", ("a.txt",), reference_answers=("Brazil, South Africa, India and China.",))
    quote = "new countries like BRICS: Brazil, South Africa, India, China"
    response = {
        "answer": f"{quote}. [1]",
        "not_found": False,
        "citations": [{"source": "a.txt", "quote": quote}],
    }
    scores = score_turn(turn, response, lambda name: None)
    assert 0.5 < scores["answer_f1"] < 1.0 and scores["quote_in_reference"] == 1.0
    declined = score_turn(
        turn, {"answer": "The documents do not contain…", "not_found": True}, lambda n: None
    )
    assert declined["answer_f1"] == 0.0 and declined["quote_in_reference"] == 0.0


def test_every_answerable_seed_turn_has_a_reference_answer() -> None:
    turns = [t for c in eval_cases() for t in c.get("turns", [c])]
    assert all(t.get("reference_answers") for t in turns if t["expected_sources"])
    conversations = [c for c in eval_cases() if "turns" in c]
    clapnq = load_cases(ROOT / "eval" / "clapnq-conversations.jsonl")
    assert len(conversations) + len(clapnq) >= 15


def run_cli(*args: str, env: dict | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "rag_service.cli", *args],
        capture_output=True,
        text=True,
        env={**os.environ, "HF_HUB_OFFLINE": "1", **(env or {})},
        timeout=600,
        check=False,
    )


@pytest.fixture(scope="module")
def index_env(tmp_path_factory) -> dict:
    from tests.conftest import make_settings

    tmp = tmp_path_factory.mktemp("eval-index")
    make_settings(tmp)
    env = {"RAG_SEEDS_DIR": str(tmp / "seeds"), "RAG_INDEX_DIR": str(tmp / "index")}
    assert run_cli("ingest", "--quiet", env=env).returncode == 0
    return env


def test_eval_holds_the_offline_thresholds_and_writes_reports(index_env, tmp_path: Path) -> None:
    result = run_cli(
        "eval", str(EVAL_SET), "--no-progress", "--out", str(tmp_path), *THRESHOLDS, env=index_env
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert "OVERALL" in result.stdout and "THRESHOLD MISSED" not in result.stdout
    data = json.loads((tmp_path / "report-extractive.json").read_text())
    assert len(data["cases"]) == sum(len(c.get("turns", [c])) for c in eval_cases())
    assert data["overall"]["citation_f1"] >= 0.9
    assert (tmp_path / "report-extractive.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    report = (tmp_path / "report-extractive.md").read_text()
    assert "## Overall" in report and "m-head-where#2" in report


def test_eval_exits_1_when_a_threshold_is_missed(index_env, tmp_path: Path) -> None:
    result = run_cli(
        "eval",
        str(EVAL_SET),
        "--no-progress",
        "--out",
        str(tmp_path),
        "--min-citation-f1",
        "1.01",
        "--max-latency-p95-ms",
        "0.001",
        env=index_env,
    )
    assert result.returncode == 1
    assert "THRESHOLD MISSED: citation_f1" in result.stdout and "latency p95" in result.stdout


def test_eval_over_http_scores_like_in_process(live_server, tmp_path: Path) -> None:
    result = run_cli(
        "eval", str(EVAL_SET), "--no-progress", "--out", str(tmp_path), "--url", live_server.url, *THRESHOLDS
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    data = json.loads((tmp_path / "report-http.json").read_text())
    assert data["config"]["target"] == f"http:{live_server.url}"
    assert data["overall"]["citation_f1"] >= 0.9


def test_eval_of_a_missing_file_is_one_clear_line(tmp_path: Path) -> None:
    result = run_cli("eval", str(tmp_path / "nope.jsonl"))
    assert result.returncode == 1 and "cannot read evaluation set" in result.stderr
    assert "Traceback" not in result.stderr
