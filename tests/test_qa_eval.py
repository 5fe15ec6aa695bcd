"""The answer-level QA evaluation: its metrics, its baseline and a real end-to-end run on a slice of
ClapNQ (the shared benchmark beside the checkout; required in CI)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest

from rag_service.evaluation.qa import (
    QAQuestion,
    answer_tokens,
    cosine_baseline,
    quote_in_reference,
    score,
    token_f1,
)
from tests.conftest import ROOT
from tests.test_evaluation import run_cli

CLAPNQ = ROOT.parent / "shared" / "benchmarks" / "clapnq"


def test_answer_tokens_drop_markers_punctuation_and_stop_words() -> None:
    assert answer_tokens("The Prime Minister [1] is the head of government [2, 3].") == [
        "prime",
        "minister",
        "head",
        "government",
    ]


def test_token_f1_is_the_best_over_references() -> None:
    assert token_f1("Ottawa is the capital [1]", ["The capital is Ottawa.", "Toronto"]) == 1.0
    assert token_f1("Toronto", ["The capital is Ottawa."]) == 0.0
    half = token_f1("capital city", ["capital"])
    assert half == pytest.approx(2 * 0.5 * 1 / 1.5)
    assert token_f1("", ["anything"]) == 0.0


def test_a_title_is_not_a_quote_of_the_answer_but_the_answer_sentence_is() -> None:
    reference = ["Seasonality, in which data experiences regular and predictable changes, is the method."]
    assert not quote_in_reference(["Forecasting"], reference)
    assert quote_in_reference(
        ["Seasonality is a characteristic in which data experiences changes"], reference
    )


def test_scores_per_question_kind() -> None:
    answerable = QAQuestion("1", "q", True, ("a.txt",), ("Ottawa is the capital",))
    unanswerable = QAQuestion("2", "q", False, (), ())
    cited = {
        "answer": "Ottawa is the capital [1]",
        "not_found": False,
        "citations": [{"source": "a.txt", "quote": "Ottawa is the capital"}],
    }
    declined = {"answer": "The documents do not contain an answer.", "not_found": True, "citations": []}
    assert score(answerable, cited)["answered_gold"] == 1.0 and score(answerable, cited)["token_f1"] == 1.0
    assert score(answerable, declined) == {
        "answered_gold": 0.0,
        "token_f1": 0.0,
        "quote_in_reference": 0.0,
        "first_in_reference": None,  # a declined question has no first quote: not counted
        "answerability": None,
    }
    assert score(answerable, cited)["first_in_reference"] == 1.0
    lead_in = cited | {"citations": [{"source": "a.txt", "quote": "Canada's politics"}, *cited["citations"]]}
    assert score(answerable, lead_in)["quote_in_reference"] == 1.0
    assert score(answerable, lead_in)["first_in_reference"] == 0.0  # the answer is there, not first
    assert score(unanswerable, declined) == {"abstained": 1.0}
    assert score(unanswerable, cited) == {"abstained": 0.0}


class _Axis:
    """A two-dimensional stand-in embedder: text 'x...' near (1,0), 'y...' near (0,1)."""

    name = "axis"
    dimension = 2

    def embed_documents(self, texts: list[str], *, show_progress: bool = False) -> np.ndarray:
        out = np.array([[1.0, 0.1] if t.startswith("x") else [0.1, 1.0] for t in texts], dtype=np.float32)
        return out / np.linalg.norm(out, axis=1, keepdims=True)

    def embed_query(self, text: str) -> np.ndarray:
        return self.embed_documents([text])[0]


def test_cosine_baseline_answers_close_questions_and_declines_far_ones() -> None:
    files = [("x.txt", "x passage"), ("y.txt", "y passage")]
    questions = [QAQuestion(str(i), "x question", True, ("x.txt",), ("x",)) for i in range(10)]
    questions += [QAQuestion(f"u{i}", "z question", False, (), ()) for i in range(10)]
    baseline = cosine_baseline(files, questions, _Axis())  # 'z' embeds like 'y': far from x, but top-1 y
    assert baseline["answered_gold"] == 1.0 and baseline["top1_gold"] == 1.0
    assert baseline["abstained"] == 0.0  # y is as close to 'z...' as x to 'x...': no threshold separates


def _slice(tmp: Path, questions: int = 16, extra_passages: int = 30) -> Path:
    if not CLAPNQ.is_dir():
        message = f"{CLAPNQ} is missing: the shared benchmarks must be beside the checkout"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    asked = [json.loads(line) for line in (CLAPNQ / "questions.jsonl").read_text().splitlines()]
    chosen = [q for q in asked if q["answerable"]][: questions // 2]
    chosen += [q for q in asked if not q["answerable"]][: questions // 2]
    wanted = {p for q in chosen for p in q["gold_passages"] + q["related_passages"]}
    corpus = [json.loads(line) for line in (CLAPNQ / "corpus.jsonl").read_text().splitlines()]
    kept = [r for r in corpus if r["_id"] in wanted] + [r for r in corpus if r["_id"] not in wanted][
        :extra_passages
    ]
    folder = tmp / "clapnq-slice"
    folder.mkdir()
    (folder / "corpus.jsonl").write_text("\n".join(json.dumps(r) for r in kept) + "\n")
    (folder / "questions.jsonl").write_text("\n".join(json.dumps(q) for q in chosen) + "\n")
    return folder


def test_eval_qa_runs_end_to_end_and_writes_reports(tmp_path: Path) -> None:
    folder = _slice(tmp_path)
    out = tmp_path / "results"
    result = run_cli("eval-qa", str(folder), "--out", str(out), "--no-progress")
    assert result.returncode == 0, result.stderr[-3000:]
    assert "cosine baseline" in result.stdout and "balanced" in result.stdout
    report = json.loads((out / "report-qa.json").read_text())
    assert len(report["questions"]) == 16 and report["service"]["answerable"] == 8
    for key in (
        "answered_gold",
        "abstained",
        "balanced",
        "token_f1",
        "quote_in_reference",
        "first_in_reference",
    ):
        assert 0.0 <= report["service"][key] <= 1.0
    assert 0.0 <= report["baseline"]["balanced"] <= 1.0
    first = report["questions"][0]
    assert first["response"]["retrieved"] and "latency_ms" in first
    assert (out / "report-qa.md").is_file() and (out / "report-qa.png").stat().st_size > 1000
