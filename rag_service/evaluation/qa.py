"""Answer-level evaluation on a public QA benchmark (ClapNQ's format), with a baseline in the same run.

The data is a BEIR-style ``corpus.jsonl`` (``_id``, ``title``, ``text``) and ``questions.jsonl`` (``id``,
``question``, ``answerable``, ``gold_passages``, ``gold_answers``). Each passage becomes a plain file,
``<_id>.txt``: the title line, a blank line, the text, and is indexed through the real ingest into a
temporary folder. Every question is then asked through the service's own pipeline. Scores per question:

* ``answered_gold``: an answerable question answered (not declined) with a gold passage among the
  citations;
* ``abstained``: an unanswerable question declined with no citations;
* ``balanced``: the mean of the two rates above (what the shared benchmark README reports);
* ``token_f1``: answer tokens against the best reference answer, after lower-casing and dropping
  ``[n]`` markers, punctuation and English stop words (answerable questions; a declined answer is 0);
* ``quote_in_reference``: some cited sentence has at least half of its tokens in a reference answer,
  i.e. the quote is the answer rather than a title or a lead-in (answerable questions);
* ``first_in_reference``: the same for the answer's first quote alone, over the questions answered
  (does the answer lead with the answer?);
* latency of each question.

The baseline is the one in the shared README: the top-1 passage by cosine with the same model (whole
passage embedded), answered when the cosine reaches a threshold chosen by 5-fold cross-validation on
balanced accuracy (fitted on four folds, scored on the fifth). Nothing here is tuned on these questions.
"""

from __future__ import annotations

import contextlib
import json
import re
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from bm25s.stopwords import STOPWORDS_EN_PLUS

from rag_service.config import Settings
from rag_service.embedding.base import Embedder
from rag_service.errors import InvalidRequestError
from rag_service.evaluation.metrics import mean, percentile

if TYPE_CHECKING:
    from rag_service.evaluation.dataset import Case
    from rag_service.evaluation.runner import TurnResult
    from rag_service.pipeline import Pipeline

_MARKER = re.compile(r"\[\d+(?:\s*,\s*\d+)*\]")
_WORD = re.compile(r"\w+")
STOPWORDS = frozenset(STOPWORDS_EN_PLUS)


@dataclass(frozen=True)
class QAQuestion:
    id: str
    question: str
    answerable: bool
    gold: tuple[str, ...]
    """File names (``<_id>.txt``) of the passages that answer it."""
    answers: tuple[str, ...]


@dataclass
class QAResult:
    question: QAQuestion
    response: dict[str, Any]
    latency_ms: float
    scores: dict[str, float | None] = field(default_factory=dict)


def file_name(passage_id: str) -> str:
    return f"{passage_id}.txt"


def load_qa(folder: Path, limit: int | None = None) -> tuple[list[tuple[str, str]], list[QAQuestion]]:
    """``(file name, file text)`` for every passage, and the questions (the first ``limit`` of them).
    ``folder`` may also be SQuAD 2.0's JSON file: its articles the reader never trained on."""
    if folder.is_file() and folder.suffix == ".json":
        from rag_service.reader.data import heldout_qa

        files, held = heldout_qa(folder)
        return files, held[:limit] if limit else held
    corpus, questions = folder / "corpus.jsonl", folder / "questions.jsonl"
    if not corpus.is_file() or not questions.is_file():
        raise InvalidRequestError(
            f"{folder} needs corpus.jsonl and questions.jsonl (see docs/answer-quality.md)"
        )
    files = []
    for line in corpus.read_text(encoding="utf-8").splitlines():
        if line.strip():
            record = json.loads(line)
            files.append((file_name(str(record["_id"])), f"{record['title']}\n\n{record['text']}"))
    asked = []
    for line in questions.read_text(encoding="utf-8").splitlines():
        if line.strip():
            r = json.loads(line)
            asked.append(
                QAQuestion(
                    str(r["id"]),
                    r["question"],
                    bool(r["answerable"]),
                    tuple(file_name(p) for p in r.get("gold_passages", [])),
                    tuple(r.get("gold_answers", [])),
                )
            )
    return files, asked[:limit] if limit else asked


def answer_tokens(text: str) -> list[str]:
    """Lower-cased words without ``[n]`` markers, punctuation and stop words."""
    return [w for w in _WORD.findall(_MARKER.sub(" ", text).lower()) if w not in STOPWORDS]


def token_f1(answer: str, references: Sequence[str]) -> float:
    """Best token F1 of ``answer`` against the references (bag of words, counts clipped)."""
    got = answer_tokens(answer)
    best = 0.0
    for reference in references:
        want = answer_tokens(reference)
        if not got or not want:
            continue
        common = sum(min(got.count(t), want.count(t)) for t in set(got) & set(want))
        if common:
            precision, recall = common / len(got), common / len(want)
            best = max(best, 2 * precision * recall / (precision + recall))
    return best


def quote_in_reference(quotes: Sequence[str], references: Sequence[str]) -> bool:
    """Some quote has at least half of its tokens in some reference answer."""
    for quote in quotes:
        tokens = answer_tokens(quote)
        for reference in references:
            words = set(answer_tokens(reference))
            if tokens and sum(t in words for t in tokens) / len(tokens) >= 0.5:
                return True
    return False


def score(question: QAQuestion, response: dict[str, Any]) -> dict[str, float | None]:
    citations = response.get("citations", [])
    declined = bool(response.get("not_found"))
    if not question.answerable:
        return {"abstained": float(declined and not citations)}
    cited = {c["source"] for c in citations}
    answered_gold = not declined and bool(cited & set(question.gold))
    return {
        "answered_gold": float(answered_gold),
        "token_f1": 0.0 if declined else token_f1(response.get("answer", ""), question.answers),
        "quote_in_reference": float(
            not declined and quote_in_reference([c["quote"] for c in citations], question.answers)
        ),
        "first_in_reference": None
        if declined or not citations
        else float(quote_in_reference([citations[0]["quote"]], question.answers)),
        "answerability": response.get("answerability"),
    }


def summarise(results: Sequence[QAResult]) -> dict[str, float | None]:
    answered = mean(r.scores.get("answered_gold") for r in results if r.question.answerable)
    abstained = mean(r.scores.get("abstained") for r in results if not r.question.answerable)
    latencies = [r.latency_ms for r in results]
    return {
        "questions": float(len(results)),
        "answerable": float(sum(r.question.answerable for r in results)),
        "answered_gold": answered,
        "abstained": abstained,
        "balanced": None if answered is None or abstained is None else (answered + abstained) / 2,
        "token_f1": mean(r.scores.get("token_f1") for r in results if r.question.answerable),
        "quote_in_reference": mean(
            r.scores.get("quote_in_reference") for r in results if r.question.answerable
        ),
        "first_in_reference": mean(r.scores.get("first_in_reference") for r in results),
        "latency_p50_ms": percentile(latencies, 50) if latencies else None,
        "latency_p95_ms": percentile(latencies, 95) if latencies else None,
    }


def cosine_baseline(
    files: Sequence[tuple[str, str]], questions: Sequence[QAQuestion], embedder: Embedder, folds: int = 5
) -> dict[str, float | None]:
    """Top-1 passage by cosine, answered when the cosine reaches a threshold chosen by k-fold CV."""
    names = [name for name, _ in files]
    passages = embedder.embed_documents([text for _, text in files])
    queries = embedder.embed_documents([q.question for q in questions])
    sims = queries @ passages.T
    top = sims.argmax(axis=1)
    best = sims.max(axis=1)
    gold_top = np.array([names[t] in q.gold for t, q in zip(top, questions, strict=True)])
    answerable = np.array([q.answerable for q in questions])
    fold_of = np.arange(len(questions)) % folds
    predicted = np.zeros(len(questions), dtype=bool)
    thresholds = []
    for fold in range(folds):
        train, test = fold_of != fold, fold_of == fold
        threshold = _best_threshold(best[train], answerable[train], gold_top[train])
        thresholds.append(threshold)
        predicted[test] = best[test] >= threshold
    answered = float(np.mean((predicted & gold_top)[answerable])) if answerable.any() else None
    abstained = float(np.mean(~predicted[~answerable])) if (~answerable).any() else None
    return {
        "answered_gold": answered,
        "abstained": abstained,
        "balanced": None if answered is None or abstained is None else (answered + abstained) / 2,
        "threshold_mean": float(np.mean(thresholds)),
        "top1_gold": float(np.mean(gold_top[answerable])) if answerable.any() else None,
    }


def _best_threshold(scores: np.ndarray, answerable: np.ndarray, gold_top: np.ndarray) -> float:
    """The cut that maximises balanced accuracy (answered with gold / abstained) on these questions."""
    best_value, best_cut = -1.0, 0.0
    for cut in np.unique(scores):
        answered = scores >= cut
        value = 0.5 * float(np.mean((answered & gold_top)[answerable])) + 0.5 * float(
            np.mean(~answered[~answerable])
        )
        if value > best_value:
            best_value, best_cut = value, float(cut)
    return best_cut


@contextlib.contextmanager
def corpus_pipeline(
    files: Sequence[tuple[str, str]],
    settings: Settings,
    embedder: Embedder,
    *,
    progress: bool = True,
    configure: Callable[[Settings], Settings] | None = None,
) -> Iterator[Pipeline]:
    """A pipeline over ``files`` (``(name, text)``) indexed by the real ingest in a temporary folder."""
    from rag_service.ingest import ingest_seeds
    from rag_service.pipeline import Pipeline

    tmp = Path(tempfile.mkdtemp(prefix="rag-qa-"))
    try:
        seeds = tmp / "seeds"
        seeds.mkdir()
        for name, text in files:
            (seeds / name).write_text(text, encoding="utf-8")
        # A throw-away index in files, whatever RAG_STORE says: never the configured database.
        run_settings = settings.model_copy(
            update={"seeds_dir": seeds, "index_dir": tmp / "index", "store": "faiss"}
        )
        if configure is not None:
            run_settings = configure(run_settings)
        ingest_seeds(run_settings, embedder, show_progress=progress)
        yield Pipeline.load(run_settings, embedder)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def run_qa(
    folder: Path,
    settings: Settings,
    embedder: Embedder,
    *,
    limit: int | None = None,
    progress: bool = True,
    configure: Callable[[Settings], Settings] | None = None,
    conversations: Sequence[Case] = (),
    turn_results: list[TurnResult] | None = None,
    reader: Any = None,
) -> tuple[list[QAResult], dict[str, float | None], dict[str, float | None]]:
    """Index ``folder``'s corpus in a temporary folder, ask every question, score it; and the baseline.

    ``conversations`` (multi-turn cases in the ``rag-service eval`` format, naming passages as
    ``<_id>.txt``) are run through the same index, their results appended to ``turn_results``.
    ``reader`` replaces the answerer's (``reader.folds``: each question read by the reader that never
    saw it, when the shipped one was trained on these questions)."""
    from tqdm import tqdm

    from rag_service.evaluation.runner import InProcessTarget, run_cases
    from rag_service.serialize import answer_dict

    files, questions = load_qa(folder, limit)
    results = []
    with corpus_pipeline(files, settings, embedder, progress=progress, configure=configure) as pipeline:
        if reader is not None:
            reading = pipeline._state.answerer.reading  # this throw-away pipeline's only index version
            if reading is None:
                raise InvalidRequestError("--reader-folds needs the reader on (RAG_READER=true)")
            reading.reader = reader
        for question in tqdm(questions, desc="questions", disable=not progress, leave=False):
            started = time.perf_counter()
            response = answer_dict(pipeline.ask(question.question))
            result = QAResult(question, response, (time.perf_counter() - started) * 1000)
            result.scores = score(question, response)
            results.append(result)
        if conversations and turn_results is not None:
            turn_results += run_cases(conversations, InProcessTarget(pipeline), progress=progress)
    return results, summarise(results), cosine_baseline(files, questions, embedder)
