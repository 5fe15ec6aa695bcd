"""The reader's second stage: pairs harvested from the real answering path, folds by passage, and
out-of-fold reading (``reader.indomain``, ``reader.folds``)."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from rag_service.config import Settings
from rag_service.errors import ConfigError
from rag_service.reader.folds import FoldedReader, load_folded
from rag_service.reader.indomain import (
    FOLDS,
    HARVEST_CANDIDATES,
    Asked,
    clapnq_asked,
    fold_of,
    indomain_pairs,
    question_folds,
)
from rag_service.reader.model import Candidate

PASSAGES = [
    (
        "p1",
        "Lighthouse keeping",
        "A lighthouse keeper tended the lamp through the night. The lamp burned whale oil until the "
        "eighteen-sixties, when kerosene replaced it. Keepers also logged passing ships in a ledger.",
    ),
    (
        "p2",
        "Lighthouse keeping",
        "Most lighthouses were automated in the twentieth century. The last keeper of the northern "
        "station left in 1998, after forty years of service.",
    ),
    (
        "p3",
        "Tide mills",
        "A tide mill stores sea water in a pond at high tide. At low tide the water is let out through a "
        "wheel that turns the millstones.",
    ),
]
QUESTIONS = [
    {
        "id": "1",
        "question": "what fuel did lighthouse lamps burn before kerosene",
        "answerable": True,
        "gold_passages": ["p1"],
        "related_passages": ["p1"],
        "gold_answers": ["The lamp burned whale oil until the eighteen-sixties, when kerosene replaced it."],
    },
    {
        "id": "2",
        "question": "when did the last keeper of the northern station leave",
        "answerable": True,
        "gold_passages": ["p2"],
        "related_passages": ["p2"],
        "gold_answers": ["The last keeper of the northern station left in 1998."],
    },
    {
        "id": "3",
        "question": "how much did a lighthouse keeper earn a year",
        "answerable": False,
        "gold_passages": [],
        "related_passages": ["p1"],
        "gold_answers": [],
    },
]


def _clapnq(tmp: Path) -> Path:
    folder = tmp / "qa"
    folder.mkdir()
    corpus = [{"_id": i, "title": t, "text": x} for i, t, x in PASSAGES]
    (folder / "corpus.jsonl").write_text("".join(json.dumps(r) + "\n" for r in corpus))
    (folder / "questions.jsonl").write_text("".join(json.dumps(q) + "\n" for q in QUESTIONS))
    return folder


def _seeds(tmp: Path) -> tuple[Path, Path]:
    seeds = tmp / "seeds"
    seeds.mkdir()
    (seeds / "mills.txt").write_text(
        "Tide mills of the coast\n\nThe Woodbridge tide mill was first recorded in 1170. It still turns "
        "its wheel for visitors on summer afternoons. The mill pond covers seven acres.\n"
    )
    cases = tmp / "cases.jsonl"
    rows = [
        {
            "id": "s1",
            "question": "When was the Woodbridge tide mill first recorded?",
            "expected_sources": ["mills.txt"],
            "expected_quotes": ["first recorded in 1170"],
        },
        {"id": "s2", "question": "Who owns the Woodbridge tide mill today?", "expected_sources": []},
    ]
    cases.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return seeds, cases


def test_what_answers_a_question_is_a_gold_sentence_in_its_reference_or_a_seeds_quote() -> None:
    clapnq = Asked(
        "what fuel",
        True,
        "clapnq:x",
        ("A lamp burned whale oil. Keepers logged ships.",),
        ("it burned whale oil",),
    )
    assert clapnq.answers("A  lamp burned whale oil.")
    assert not clapnq.answers("Keepers logged ships.")  # gold, but not the reference
    assert not clapnq.answers("Lamps burned whale oil.")  # the reference's words, not a gold sentence
    seeds = Asked("when", True, "seeds:m.txt", quotes=("first recorded in 1170",))
    assert seeds.answers("The mill was FIRST recorded in 1170.") and not seeds.answers("The mill pond.")
    assert not Asked("who", False, "seeds:s2").answers("anything at all")


def test_questions_on_one_passage_title_share_a_fold(tmp_path: Path) -> None:
    files, asked = clapnq_asked(_clapnq(tmp_path))
    assert [name for name, _ in files] == ["p1.txt", "p2.txt", "p3.txt"]
    assert {q.group for q in asked} == {"clapnq:Lighthouse keeping"}  # the unanswerable by its related one
    assert fold_of("clapnq:Lighthouse keeping") == fold_of("clapnq:Lighthouse keeping")
    assert {fold_of(f"group {i}") for i in range(200)} == set(range(FOLDS))


def test_pairs_are_harvested_from_the_real_answering_path(tmp_path: Path, embedder: object) -> None:
    seeds, cases = _seeds(tmp_path)
    settings = Settings(seeds_dir=seeds, index_dir=tmp_path / "index")
    pairs = indomain_pairs(_clapnq(tmp_path), cases, settings, embedder)  # type: ignore[arg-type]
    by_question: dict[str, list] = {}
    for p in pairs:
        by_question.setdefault(p.question, []).append(p)
    assert set(by_question) == {q["question"] for q in QUESTIONS} | {
        "When was the Woodbridge tide mill first recorded?",
        "Who owns the Woodbridge tide mill today?",
    }
    for found in by_question.values():
        assert 1 <= len(found) <= HARVEST_CANDIDATES
        assert len({p.sentence for p in found}) == len(found)
    fuel = by_question["what fuel did lighthouse lamps burn before kerosene"]
    assert [p.sentence for p in fuel if p.label] == [
        "The lamp burned whale oil until the eighteen-sixties, when kerosene replaced it."
    ]
    assert all(p.title.startswith("Lighthouse keeping") for p in fuel if "lamp" in p.sentence)
    assert not any(p.label for p in by_question["how much did a lighthouse keeper earn a year"])
    mill = by_question["When was the Woodbridge tide mill first recorded?"]
    assert [p.sentence for p in mill if p.label] == ["The Woodbridge tide mill was first recorded in 1170."]
    assert {p.article for p in mill} == {"seeds:mills.txt"}


class _Fixed:
    def __init__(self, value: float) -> None:
        self.value = value

    def scores(self, question: str, candidates: list[Candidate]) -> np.ndarray:
        return np.full(len(candidates), self.value)


def test_each_training_question_is_read_by_the_reader_that_never_saw_it(tmp_path: Path) -> None:
    seeds, cases = _seeds(tmp_path)
    folds = question_folds(_clapnq(tmp_path), cases, seeds)
    assert len(folds) == 5 and set(folds.values()) <= set(range(FOLDS))
    folded = FoldedReader([_Fixed(float(k)) for k in range(FOLDS)], folds, "3:abc")
    question = "when did the last keeper of the northern station leave"
    assert folded.scores(question, [Candidate("t", "s")])[0] == folds[question]
    with pytest.raises(ConfigError, match="not a training question"):
        folded.scores("a question nobody trained on", [Candidate("t", "s")])
    staged = SimpleNamespace(card={"training": {"second_stage": {}}}, version="3:abc")
    with pytest.raises(ConfigError, match="train-reader --clapnq"):
        load_folded(tmp_path / "no-state", tmp_path / "qa", cases, seeds, staged)  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="no second stage"):
        unstaged = SimpleNamespace(card={"training": {}}, version="3:abc")
        load_folded(tmp_path / "no-state", tmp_path / "qa", cases, seeds, unstaged)  # type: ignore[arg-type]


def test_eval_qa_reads_each_question_with_its_fold_reader(tmp_path: Path) -> None:
    """Fold readers that are copies of the shipped one must give exactly the shipped reader's answers:
    the out-of-fold path changes which reader reads, nothing else."""
    from rag_service.reader.model import CARD_FILE, GRAPH_FILE, packaged_dir
    from rag_service.reader.stage2 import fold_dir
    from tests.test_evaluation import run_cli

    folder = _clapnq(tmp_path)
    shipped = tmp_path / "shipped"  # the packaged graph, its card saying it had a second stage
    shipped.mkdir()
    (shipped / GRAPH_FILE).symlink_to(packaged_dir() / GRAPH_FILE)
    card = json.loads((packaged_dir() / CARD_FILE).read_text())
    card["training"]["second_stage"] = {"folds": FOLDS}
    (shipped / CARD_FILE).write_text(json.dumps(card))
    state = tmp_path / "state"
    for k in range(FOLDS):
        fold_dir(state, k).mkdir(parents=True)
        for name in (GRAPH_FILE, CARD_FILE):
            (fold_dir(state, k) / name).symlink_to(packaged_dir() / name)
    env = {"RAG_READER_DIR": str(shipped)}
    reports = {}
    for name, extra in (("shipped", []), ("folds", ["--reader-folds", str(state)])):
        args = ("eval-qa", str(folder), "--out", str(tmp_path), "--name", name, "--no-progress", *extra)
        result = run_cli(*args, env=env)
        assert result.returncode == 0, result.stderr[-2000:]
        reports[name] = json.loads((tmp_path / f"report-{name}.json").read_text())
    answers = {n: [q["response"]["answer"] for q in r["questions"]] for n, r in reports.items()}
    assert answers["folds"] == answers["shipped"] and len(answers["folds"]) == len(QUESTIONS)
    missing = run_cli("eval-qa", str(folder), "--reader-folds", str(tmp_path / "none"), env=env)
    assert missing.returncode != 0 and "train-reader --clapnq" in missing.stderr
    # The packaged reader had no second stage: fold readers are refused, not silently used.
    first_stage_only = run_cli("eval-qa", str(folder), "--reader-folds", str(state))
    assert first_stage_only.returncode != 0 and "no second stage" in first_stage_only.stderr
