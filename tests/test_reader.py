"""The reader: loaded only with its card's checksum, scores answering sentences above the rest, and its
training pieces (pairs, batches, loss) do what the training command relies on."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from rag_service.answer.reading import DROP_LOGIT, LEAD_WEIGHT, READ_CANDIDATES, reader_features, reorder
from rag_service.errors import ConfigError
from rag_service.reader.data import Pair, squad_pairs, squad_questions, validation_articles
from rag_service.reader.model import (
    CARD_FILE,
    GRAPH_FILE,
    Candidate,
    load_reader,
    packaged_dir,
    read_card,
    shared_reader,
)
from rag_service.reader.train import _group_loss, batches, question_groups


def test_the_packaged_reader_is_small_and_carries_its_card() -> None:
    card = read_card(packaged_dir())
    graph = packaged_dir() / GRAPH_FILE
    assert graph.stat().st_size <= 25_000_000 and card["bytes"] == graph.stat().st_size
    assert card["training"]["command"].startswith("rag-service train-reader")
    assert all(len(h) == 64 for h in card["training"]["data"].values())
    figures = card["validation"]
    assert figures["top_sentence_holds_answer"]["reader"] > figures["top_sentence_holds_answer"]["cosine"]
    assert set(card["training"]["held_out_articles"]) == set(figures["articles"])


def test_a_changed_graph_or_card_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "reader"
    shutil.copytree(packaged_dir(), folder, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    load_reader(folder)  # an exact copy loads
    raw = bytearray((folder / GRAPH_FILE).read_bytes())
    raw[len(raw) // 2] ^= 0xFF
    (folder / GRAPH_FILE).write_bytes(bytes(raw))
    with pytest.raises(ConfigError, match="checksum"):
        load_reader(folder)
    card = json.loads((folder / CARD_FILE).read_text())
    (folder / CARD_FILE).write_text(json.dumps(card | {"version": 99}))
    with pytest.raises(ConfigError, match="version"):
        load_reader(folder)
    (folder / CARD_FILE).unlink()
    with pytest.raises(ConfigError, match="train-reader"):
        load_reader(folder)


def test_the_sentence_that_answers_scores_highest_and_alone_as_in_company() -> None:
    # Sentences of zlib's usage example (tests/documents/data/zlib-how.html); never trained on.
    reader = shared_reader()
    title = "zlib Usage Example"
    candidates = [
        Candidate(
            title, "We often get questions about how the deflate() and inflate() functions should be used."
        ),
        Candidate(
            title,
            "CHUNK is simply the buffer size for feeding data to and pulling data from the zlib routines.",
        ),
        Candidate(
            title, "Users wonder when they should provide more input, when they should use more output."
        ),
    ]
    logits = reader.scores("What is CHUNK in the zlib example?", candidates)
    assert int(np.argmax(logits)) == 1 and logits[1] > 0, logits
    alone = reader.scores("What is CHUNK in the zlib example?", candidates[1:2])
    assert alone[0] == pytest.approx(logits[1], abs=1e-6)  # no batch neighbour changes a score


def test_the_lead_weighs_rank_and_logit_and_what_reads_as_not_answering_is_dropped() -> None:
    rows = np.array([10, 11, 12, 13])
    scores = np.array([0.9, 0.6, 0.8, 0.7])
    logits = np.array([-1.0, 2.5, DROP_LOGIT - 1, np.nan])
    chosen = [(10, 0.9), (12, 0.8), (13, 0.7)]
    # 11: 0.6 + 0.3 * 2.5 = 1.35 beats 10: 0.9 - 0.3; 12 is read as not answering and left out
    assert LEAD_WEIGHT == 0.3
    assert reorder(chosen, rows, logits, scores) == [(11, 0.6), (10, 0.9), (13, 0.7)]
    # the sentence the previous answer quoted does not lead a follow-up: the next best does
    assert reorder(chosen, rows, logits, scores, frozenset({11})) == [(10, 0.9), (13, 0.7)]
    # a logit a little higher does not outweigh a rank much lower: the rank's best keeps the lead
    close = np.array([0.5, 1.2, -2.0, np.nan])  # 11: 0.6 + 0.36 against 10: 0.9 + 0.15
    assert reorder(chosen, rows, close, scores) == chosen
    assert reorder(chosen, rows, np.full(4, np.nan), scores) == chosen


def test_reader_features_follow_the_null_answer_softmax() -> None:
    none = reader_features(np.full(3, np.nan))
    assert none["reader_answer"] == 0.0
    high = reader_features(np.array([3.0, np.nan, -2.0]))
    low = reader_features(np.array([-3.0, np.nan, -2.0]))
    assert high["reader_max"] == 3.0 and high["reader_answer"] > 0.9 > 0.2 > low["reader_answer"]
    assert READ_CANDIDATES >= 1


SQUAD = {
    "data": [
        {
            "title": f"Article_{a}",
            "paragraphs": [
                {
                    "context": "The bridge opened in 1932 after six years of work. It carries eight lanes of "
                    "traffic over the harbour. Its arch is the widest steel arch in the country.",
                    "qas": [
                        {
                            "question": "When did the bridge open?",
                            "id": f"{a}1",
                            "is_impossible": False,
                            "answers": [{"text": "1932", "answer_start": 26}],
                        },
                        {
                            "question": "Who designed the bridge?",
                            "id": f"{a}2",
                            "is_impossible": True,
                            "answers": [],
                            "plausible_answers": [{"text": "six years", "answer_start": 37}],
                        },
                    ],
                }
            ],
        }
        for a in range(5)
    ]
}


def test_pairs_hold_the_answer_sentence_as_positive_and_the_plausible_one_as_a_negative(
    tmp_path: Path,
) -> None:
    path = tmp_path / "squad.json"
    path.write_text(json.dumps(SQUAD))
    questions = squad_questions(path)
    assert len(questions) == 10 and questions[0].answers == (0,)
    held = validation_articles([q.article for q in questions])
    assert held == validation_articles(sorted({q.article for q in questions}, reverse=True))
    rng = np.random.default_rng(0)
    pairs = squad_pairs(questions[:2], lambda texts: rng.normal(size=(len(texts), 4)))
    positives = [p for p in pairs if p.label]
    assert [p.sentence for p in positives] == ["The bridge opened in 1932 after six years of work."]
    impossible = [p for p in pairs if p.question.startswith("Who")]
    assert impossible[0].sentence.startswith("The bridge opened") and not any(p.label for p in impossible)


def test_batches_keep_each_question_whole_and_the_loss_prefers_the_answer() -> None:
    import torch

    pairs = [Pair(f"q{i // 3}", "t", f"s{i}", int(i % 3 == 0 and i < 6), "a") for i in range(12)]
    groups = question_groups(pairs)
    assert groups == [[0, 1, 2], [3, 4, 5], [6, 7, 8], [9, 10, 11]]
    plan = batches(groups, [5] * 12)
    assert sorted(g for batch in plan for g in batch) == [0, 1, 2, 3] and plan == batches(groups, [5] * 12)
    right = _group_loss(torch.tensor([3.0, -3.0, -3.0]), [1, 0, 0])
    wrong = _group_loss(torch.tensor([-3.0, 3.0, -3.0]), [1, 0, 0])
    declined = _group_loss(torch.tensor([-3.0, -3.0]), [0, 0])
    assert right < wrong and declined < _group_loss(torch.tensor([3.0, -3.0]), [0, 0])


def test_the_reader_reads_a_sentence_after_its_heading() -> None:
    """Two sentences alike but for the heading they stand under: the one under the asked year wins."""
    from rag_service.answer.reading import SentenceReading
    from rag_service.models import Sentence

    def sentence(text: str) -> Sentence:
        return Sentence("r.md", "body", "author", "Observatory report", 0, len(text), text)

    texts = [
        "The observatory spent 2.1 million dollars, mostly on repairs to the dome and on staff.",
        "The observatory spent 3.4 million dollars, most of it on a new telescope mirror.",
    ]
    reading = SentenceReading(
        shared_reader(), [sentence(t) for t in texts], ["Spending in 2016", "Spending in 2017"]
    )
    logits = reading.read(
        "How much did the observatory spend in 2017?", np.array([0, 1]), np.array([1.0, 0.9])
    )
    assert logits[1] > logits[0] + 0.3, logits


def test_the_held_out_articles_read_as_a_qa_set_with_each_paragraph_a_passage(tmp_path: Path) -> None:
    from rag_service.evaluation.qa import load_qa

    path = tmp_path / "dev-v2.0.json"
    path.write_text(json.dumps(SQUAD))
    files, questions = load_qa(path)
    held = validation_articles([a["title"].replace("_", " ") for a in SQUAD["data"]])  # as training does
    assert len(held) == 3 and [name for name, _ in files] == [
        f"{title.replace(' ', '_')}_0.txt" for title in sorted(held, key=lambda t: int(t.split()[1]))
    ]
    assert files[0][1].startswith(files[0][0].removesuffix("_0.txt").replace("_", " ") + "\n\nThe bridge")
    assert len(questions) == 6 and [q.answerable for q in questions[:2]] == [True, False]
    assert questions[0].gold == (files[0][0],) and questions[0].answers == ("1932",)
    assert questions[1].gold == () and questions[1].answers == ()
    assert len(load_qa(path, limit=4)[1]) == 4
