"""Start-up structures a replica builds over every sentence: the same values as computed eagerly, with
the per-sentence word sets made on demand and bounded (``answer.terms``) and each line searched once for
a caption (``answer.lines``)."""

from __future__ import annotations

import math
from collections import Counter

import numpy as np
import pytest

from rag_service.answer import terms as term_module
from rag_service.answer.lines import CAPTION, line_kinds, title_case
from rag_service.answer.terms import TermStats
from rag_service.retrieval.lexical import content_terms


def test_word_sets_are_made_on_demand_equal_the_eager_ones_and_stay_bounded(
    seeds_pipeline, monkeypatch
) -> None:
    index = seeds_pipeline.index
    sentences = index.content.sentences
    monkeypatch.setattr(term_module, "ROW_CACHE", 8)
    stats = TermStats(index, content_terms)
    speaker = {
        d.name: frozenset(content_terms(" ".join(filter(None, (d.meta.author, d.meta.publisher)))))
        for d in index.content.documents
    }
    own = [frozenset(content_terms(s.text)) for s in sentences]
    counts = Counter(t for words in own for t in words)
    assert stats.idf == {t: math.log(1 + len(own) / df) for t, df in counts.items()}
    assert len(stats.sentence_terms) == len(sentences) > 8
    for row, s in enumerate(sentences):
        assert stats.own_terms[row] == own[row]
        assert stats.sentence_terms[np.int64(row)] == own[row] | speaker[s.source]
    assert any(speaker.values())  # the seeds name an author or publisher: the union is exercised
    assert stats.own_terms._make.cache_info().currsize <= 8  # type: ignore[attr-defined]
    with pytest.raises(IndexError):
        stats.own_terms[len(sentences)]


def test_line_kinds_search_each_line_once_and_find_what_a_search_per_sentence_finds(seeds_pipeline) -> None:
    index = seeds_pipeline.index
    kinds = line_kinds(index)
    labelled_rows = kinds.title & ~kinds.short
    captions = 0
    for row, s in enumerate(index.content.sentences):
        text = index.documents[s.source].text
        start = text.rfind("\n", 0, s.start) + 1
        end = text.find("\n", s.end)
        line = text[start : end if end >= 0 else len(text)]
        if not labelled_rows[row] or kinds.caption[row]:
            assert kinds.caption[row] == bool(CAPTION.search(line)), s.text
        assert kinds.headline[row] == (kinds.short[row] and title_case(s.text))
        captions += int(kinds.caption[row])
    assert captions >= 2  # the seeds carry photo credits
