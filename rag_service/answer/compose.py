"""Turning what the answerers produced into the final ``Answer``: claims, citations, the grounding
check, strict-mode replacement.

Whatever backend wrote the text, an answer goes out only through here, so every answer carries the same
things: citations with exact offsets, a grounding verdict per sentence, the passages it was drawn from
and the index version that held them. The pipeline decides *what* to compose (extractive, generated, or
a fallback) and hands over one ``Evidence`` value; this module decides nothing about retrieval or models.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from rag_service.answer.answer_span import with_answer_span
from rag_service.answer.citations import MarkedSentence, cite_passages, render
from rag_service.answer.extract import NOT_FOUND_TEXT, Extract
from rag_service.answer.grounding import Claim, GroundingChecker
from rag_service.models import Answer, Grounding, ScoredChunk
from rag_service.store.model import LoadedIndex

STRICT_NOTE = (
    "The generated answer had sentences its passages do not support; the extractive answer is shown."
)


@dataclass(frozen=True)
class Evidence:
    """Everything one question produced before an answer is written, from one index version."""

    question: str
    standalone: str
    """The question used for retrieval (a follow-up rewritten to stand alone)."""
    hits: tuple[ScoredChunk, ...]
    extract: Extract
    """The extractive answer: always computed, it is the abstention gate and the fallback."""
    index: LoadedIndex


class AnswerComposer:
    def __init__(self, grounding: GroundingChecker, mode: str) -> None:
        self.grounding = grounding
        self.mode = mode
        """``report`` or ``strict`` (RAG_GROUNDING)."""

    def extractive(self, evidence: Evidence, note: str | None = None) -> Answer:
        """The extractive answer, its sentences checked like any other."""
        extract, content = evidence.extract, evidence.index.content
        claims = [  # each quoted sentence is checked on its own, a list's items too
            Claim(
                content.sentences[row].text,
                tuple(n for n, h in enumerate(evidence.hits, start=1) if row in h.chunk.sentence_ids),
                content.sentence_vectors[row],
                alone=False,
            )
            for part in extract.parts
            for row in part
        ]
        return Answer(
            text=extract.text,
            citations=with_answer_span(extract.citations, evidence.standalone),
            not_found=extract.not_found,
            retrieved=evidence.hits,
            standalone_question=evidence.standalone,
            timings_ms={},  # the pipeline times the whole question and fills these in
            backend="extractive",
            notes=extract.notes + ((note,) if note else ()),
            grounding=self.grounding.check(claims, evidence.hits, self.mode),
            index_version=evidence.index.version,
            answerability=extract.answerability,
        )

    def declined(self, evidence: Evidence, backend: str) -> Answer:
        """The generator said the passages do not answer: the standard reply, no citations."""
        return Answer(
            text=NOT_FOUND_TEXT,
            citations=(),
            not_found=True,
            retrieved=evidence.hits,
            standalone_question=evidence.standalone,
            timings_ms={},  # the pipeline times the whole question and fills these in
            backend=backend,
            grounding=Grounding((), None, self.mode),
            index_version=evidence.index.version,
            answerability=evidence.extract.answerability,
        )

    def generated(
        self,
        evidence: Evidence,
        sentences: Sequence[MarkedSentence],
        vectors: np.ndarray,
        backend: str,
    ) -> Answer:
        """A generated answer: its markers become exact citations and every sentence is checked; in
        strict mode an answer with an unsupported sentence is replaced by the extractive one."""
        index = evidence.index
        citations = cite_passages(sentences, vectors, evidence.hits, index.content, index.documents)
        claims = [Claim(s.text, s.markers, v) for s, v in zip(sentences, vectors, strict=True)]
        grounding = self.grounding.check(claims, evidence.hits, self.mode)
        if self.mode == "strict" and not all(c.supported for c in grounding.sentences):
            fallback = self.extractive(evidence, note=STRICT_NOTE)
            assert fallback.grounding is not None
            return replace(fallback, grounding=replace(fallback.grounding, replaced=True))
        return Answer(
            text=render(sentences),
            citations=citations,
            not_found=False,
            retrieved=evidence.hits,
            standalone_question=evidence.standalone,
            timings_ms={},  # the pipeline times the whole question and fills these in
            backend=backend,
            grounding=grounding,
            index_version=index.version,
            answerability=evidence.extract.answerability,
        )
