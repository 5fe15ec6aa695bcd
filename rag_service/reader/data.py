"""Training pairs for the reader from SQuAD 2.0: (question, sentence, does this sentence answer it).

Every paragraph is cut into sentences by the same rules the index uses (``chunking.plain_sentences``),
so the reader learns on sentences shaped exactly like those it will read. For an answerable question the
sentence holding the answer's first character is the positive; the negatives are the hardest sentences
that do not hold it, by the embedding model's cosine: other sentences of the same paragraph, and the
closest sentence of another paragraph of the same article (what a retriever ranks high without
answering). For an unanswerable question every sentence is a negative, first the one holding the
crowdworker's plausible answer (written to fool a reader) and then the closest ones.

Articles, not questions, are split between training and validation: questions on one paragraph share its
words, so a question-level split would score the reader on text it has read.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from rag_service.documents.chunking import plain_sentences

IN_PARAGRAPH_NEGATIVES = 3
"""Of an answerable question's own paragraph: the other sentences closest to it."""
OTHER_PARAGRAPH_NEGATIVES = 1
"""Of the same article's other paragraphs: the sentences closest to the question."""
VALIDATION_ARTICLES = 3
"""Articles held out for the validation figures: the three whose titles hash lowest (of SQuAD's 16)."""


@dataclass(frozen=True)
class Pair:
    question: str
    title: str
    sentence: str
    label: int
    article: str


@dataclass(frozen=True)
class Question:
    """One SQuAD question with its paragraph's sentences, for validation figures."""

    question: str
    article: str
    answerable: bool
    titles: tuple[str, ...]
    sentences: tuple[str, ...]
    answers: tuple[int, ...]
    """Indices into ``sentences`` holding an answer (empty when unanswerable)."""


def validation_articles(articles: Sequence[str]) -> frozenset[str]:
    """A fixed choice, independent of the order the file lists them in."""
    ranked = sorted(set(articles), key=lambda a: hashlib.sha256(a.encode()).hexdigest())
    return frozenset(ranked[:VALIDATION_ARTICLES])


def _holding(spans: Sequence[tuple[int, int, str]], offset: int) -> int | None:
    for i, (start, end, _) in enumerate(spans):
        if start <= offset < end:
            return i
    return None


def _holding_all(spans: Sequence[tuple[int, int, str]], answers: list[dict]) -> set[int]:
    found = (_holding(spans, a["answer_start"]) for a in answers)
    return {i for i in found if i is not None}


def squad_questions(path: Path) -> list[Question]:
    """Every question of a SQuAD 2.0 file whose paragraph cuts into at least two sentences."""
    data = json.loads(path.read_text(encoding="utf-8"))["data"]
    found: list[Question] = []
    for article in data:
        title = article["title"].replace("_", " ")
        for paragraph in article["paragraphs"]:
            spans = plain_sentences(paragraph["context"])
            if len(spans) < 2:
                continue
            texts = tuple(s for _, _, s in spans)
            for qa in paragraph["qas"]:
                answers = {i for a in qa["answers"] if (i := _holding(spans, a["answer_start"])) is not None}
                plausible = {
                    i
                    for a in qa.get("plausible_answers", [])
                    if (i := _holding(spans, a["answer_start"])) is not None
                }
                if not qa["is_impossible"] and not answers:
                    continue  # the answer fell in text no sentence keeps
                found.append(
                    Question(
                        qa["question"],
                        title,
                        not qa["is_impossible"],
                        (title,) * len(texts),
                        texts,
                        tuple(sorted(answers)) if answers else tuple(sorted(plausible)),
                    )
                )
    return found


def squad_pairs(questions: Sequence[Question], embed: Callable[[list[str]], np.ndarray]) -> list[Pair]:
    """Positive and hard negative pairs of ``questions`` (``embed`` gives unit vectors of texts)."""
    sentences = sorted({s for q in questions for s in q.sentences})
    row = {s: i for i, s in enumerate(sentences)}
    sentence_vectors = embed(sentences)
    question_vectors = embed([q.question for q in questions])
    by_article: dict[str, list[int]] = {}
    for q in questions:
        by_article.setdefault(q.article, []).extend(row[s] for s in q.sentences)
    pairs: list[Pair] = []
    for q, vector in zip(questions, question_vectors, strict=True):

        def pair(text: str, label: int, q: Question = q) -> Pair:
            return Pair(q.question, q.article, text, label, q.article)

        cosine = sentence_vectors[[row[s] for s in q.sentences]] @ vector
        order = [int(i) for i in np.argsort(-cosine)]
        if q.answerable:
            pairs.extend(pair(q.sentences[i], 1) for i in q.answers)
            others = [i for i in order if i not in q.answers][:IN_PARAGRAPH_NEGATIVES]
        else:  # the plausible answer's sentence first: written to look like the answer
            others = list(q.answers) + [i for i in order if i not in q.answers]
            others = others[:IN_PARAGRAPH_NEGATIVES]
        pairs.extend(pair(q.sentences[i], 0) for i in others)
        own = set(q.sentences)
        elsewhere = [r for r in dict.fromkeys(by_article[q.article]) if sentences[r] not in own]
        if elsewhere:
            scores = sentence_vectors[elsewhere] @ vector
            for i in np.argsort(-scores)[:OTHER_PARAGRAPH_NEGATIVES]:
                pairs.append(pair(sentences[elsewhere[int(i)]], 0))
    return pairs


def cached_pairs(path: Path, build: Callable[[], list[Pair]], message: str) -> list[Pair]:
    """The pairs kept at ``path`` by an earlier run, or ``build()``'s, kept there (training resumes)."""
    if path.is_file():
        return [Pair(**json.loads(line)) for line in path.read_text(encoding="utf-8").splitlines()]
    print(message, flush=True)
    pairs = build()
    path.write_text("".join(json.dumps(asdict(p)) + "\n" for p in pairs), encoding="utf-8")
    return pairs


def digest(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def heldout_qa(path: Path) -> tuple[list[tuple[str, str]], list[Any]]:
    """The SQuAD articles the reader never trains on (``validation_articles``), in ``evaluation.qa``'s
    form: each paragraph a passage file (title line, blank line, text), each question with its own
    paragraph as gold when answerable. Near-topic unanswerable questions over Wikipedia that neither the
    reader nor, by default, the gate was fitted on (``rag-service eval-qa dev-v2.0.json``)."""
    from rag_service.evaluation.qa import QAQuestion, file_name

    data = json.loads(path.read_text(encoding="utf-8"))["data"]
    held = validation_articles([a["title"].replace("_", " ") for a in data])
    files: list[tuple[str, str]] = []
    questions: list[Any] = []
    for article in data:
        title = article["title"].replace("_", " ")
        if title not in held:
            continue
        for n, paragraph in enumerate(article["paragraphs"]):
            name = file_name(f"{article['title']}_{n}")
            files.append((name, f"{title}\n\n{paragraph['context']}"))
            for qa in paragraph["qas"]:
                answerable = not qa["is_impossible"]
                answers = tuple(dict.fromkeys(a["text"] for a in qa["answers"]))
                gold = (name,) if answerable else ()
                questions.append(QAQuestion(str(qa["id"]), qa["question"], answerable, gold, answers))
    return files, questions
