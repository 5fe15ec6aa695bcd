"""Training pairs for the reader from the service's own kind of questions: ClapNQ and the seeds set.

SQuAD teaches the reader short facts in clean Wikipedia paragraphs. What it reads in service is other:
the candidates the answerer ranks highest, cut by the real ingest, each after its document's title and
heading, and ClapNQ's answers run over several sentences. So these pairs are harvested from the real
path: each question's passages are indexed by the real ingest, the pipeline retrieves as the service
does, and the answerer's ``HARVEST_CANDIDATES`` best candidates are recorded exactly as the reader would
be given them (``answer.reading``). A candidate is a positive when it answers:

- ClapNQ: it is a sentence of a gold passage and at least half of its words are in a reference answer
  (``evaluation.qa.quote_in_reference``, the figure ``eval-qa`` reports as "first quote in reference");
- seeds: it holds one of the case's expected quotes.

Every candidate of an unanswerable question is a negative (the null answer is the target); an answerable
question none of whose candidates answers is left out (nothing to learn which sentence answers).

Questions are dealt into ``FOLDS`` folds by their passage's title or their document (``fold_of``), never
one by one: ClapNQ questions share passages. The gate learns from reader scores of a reader that never
saw the question's fold (``reader.folds``).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from rag_service.config import Settings
from rag_service.embedding.base import Embedder
from rag_service.reader.data import Pair
from rag_service.reader.model import Candidate

HARVEST_CANDIDATES = 8
"""Candidates recorded per question: the 3 the service reads and the next 5, harder negatives."""
FOLDS = 5
_SPACE = re.compile(r"\s+")


def _norm(text: str) -> str:
    return _SPACE.sub(" ", text).strip().casefold()


def fold_of(group: str) -> int:
    """A fixed fold per passage title or document, whatever order the files list them in."""
    return int(hashlib.sha256(group.encode()).hexdigest(), 16) % FOLDS


@dataclass(frozen=True)
class Asked:
    """One training question: what answers it, and the group its fold is drawn by."""

    question: str
    answerable: bool
    group: str
    gold_texts: tuple[str, ...] = ()
    references: tuple[str, ...] = ()
    quotes: tuple[str, ...] = ()

    def answers(self, sentence: str) -> bool:
        from rag_service.evaluation.qa import quote_in_reference

        if not self.answerable:
            return False
        text = _norm(sentence)
        if self.quotes:
            return any(_norm(q) in text for q in self.quotes)
        in_gold = any(text in _norm(g) for g in self.gold_texts)
        return in_gold and quote_in_reference([sentence], self.references)


def clapnq_asked(folder: Path) -> tuple[list[tuple[str, str]], list[Asked]]:
    """The corpus files (as ``eval-qa`` indexes them) and the questions, grouped by passage title."""
    from rag_service.evaluation.qa import file_name, load_qa

    files, _ = load_qa(folder)
    text_of = dict(files)
    title_of = {name: text.split("\n", 1)[0] for name, text in files}
    asked = []
    for line in (folder / "questions.jsonl").read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        r = json.loads(line)
        gold = [file_name(p) for p in r.get("gold_passages", [])]
        near = gold or [file_name(p) for p in r.get("related_passages", [])]
        group = title_of.get(near[0], r["id"]) if near else str(r["id"])
        asked.append(
            Asked(
                r["question"],
                bool(r["answerable"]),
                f"clapnq:{group}",
                tuple(text_of[g] for g in gold if g in text_of),
                tuple(r.get("gold_answers", [])),
            )
        )
    return files, asked


def seed_asked(cases_path: Path, seeds_dir: Path) -> tuple[list[tuple[str, str]], list[Asked]]:
    """The seed files and the single-turn cases, grouped by the document that answers them."""
    from rag_service.evaluation.dataset import load_cases

    files = [(p.name, p.read_text(encoding="utf-8")) for p in sorted(seeds_dir.iterdir()) if p.is_file()]
    asked = []
    for case in load_cases(cases_path):
        if len(case.turns) != 1:
            continue
        turn = case.turns[0]
        source = turn.expected_sources[0] if turn.expected_sources else case.id
        answerable = bool(turn.expected_sources)
        asked.append(Asked(turn.question, answerable, f"seeds:{source}", quotes=turn.expected_quotes))
    return files, asked


class _Recorder:
    """Stands in for the reader: keeps what the answerer would have given it to read."""

    version = "recording"

    def __init__(self) -> None:
        self.seen: list[Candidate] = []

    def scores(self, question: str, candidates: Sequence[Candidate]) -> np.ndarray:
        self.seen = list(candidates)
        return np.zeros(len(candidates), dtype=np.float32)


def harvest(pipeline: Any, asked: Sequence[Asked]) -> list[Pair]:
    """Each question's recorded candidates over ``pipeline``'s index, labelled (``Pair.article`` is the
    question's group)."""
    from rag_service.answer.extractive import ExtractiveAnswerer
    from rag_service.retrieval.lexical import content_terms

    recorder = _Recorder()
    answerer = ExtractiveAnswerer(
        pipeline.index, content_terms, model=None, threshold=0.0, max_sentences=3, reader=recorder
    )
    assert answerer.reading is not None
    answerer.reading.count = HARVEST_CANDIDATES
    pairs: list[Pair] = []
    for q in asked:
        hits = pipeline.retrieve(q.question)
        if not hits:
            continue
        recorder.seen = []
        answerer.features(q.question, pipeline.embedder.embed_query(q.question), hits)
        labels = [int(q.answers(c.sentence)) for c in recorder.seen]
        if not recorder.seen or (q.answerable and not any(labels)):
            continue
        pairs += [
            Pair(q.question, c.title, c.sentence, label, q.group)
            for c, label in zip(recorder.seen, labels, strict=True)
        ]
    return pairs


def indomain_pairs(clapnq: Path, cases: Path, settings: Settings, embedder: Embedder) -> list[Pair]:
    """Harvested pairs of the ClapNQ questions and the seeds cases, each over its own real index."""
    from rag_service.evaluation.qa import corpus_pipeline

    plain = settings.model_copy(update={"reader": False})
    pairs: list[Pair] = []
    for files, asked in (clapnq_asked(clapnq), seed_asked(cases, settings.seeds_dir)):
        with corpus_pipeline(files, plain, embedder, progress=False) as pipeline:
            pairs += harvest(pipeline, asked)
    return pairs


def question_folds(clapnq: Path, cases: Path, seeds_dir: Path) -> dict[str, int]:
    """The fold of every training question, by its text (what the reader is asked)."""
    asked = clapnq_asked(clapnq)[1] + seed_asked(cases, seeds_dir)[1]
    return {q.question: fold_of(q.group) for q in asked}
