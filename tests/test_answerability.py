"""The learned answerability model: its arithmetic, the shipped file, training and the operating point."""

import json
import math

import numpy as np
import pytest

from rag_service.answer.answer_types import (
    PERSON,
    PLACE,
    QUANTITY,
    SEVERAL,
    TIME,
    holds_filler,
    question_type,
)
from rag_service.answer.answerability import OPERATING_POINTS, AnswerabilityModel, load_model, packaged_path
from rag_service.answer.extractive import ExtractiveAnswerer
from rag_service.answer.features import FEATURES
from rag_service.config import Settings
from rag_service.errors import ConfigError
from rag_service.evaluation import answerability_training as training
from rag_service.reader.model import shared_reader
from rag_service.retrieval.lexical import content_terms


def _record(coef: list[float], intercept: float = 0.0) -> dict:
    n = len(coef)
    return {
        "version": 1,
        "model": {
            "features": list("abc"[:n]),
            "mean": [1.0] * n,
            "scale": [2.0] * n,
            "coef": coef,
            "intercept": intercept,
        },
        "thresholds": {"prefer_answering": 0.2, "balanced": 0.5, "prefer_declining": 0.8},
    }


def test_probability_is_the_logistic_of_the_standardised_features() -> None:
    model = AnswerabilityModel.from_record(_record([1.0, -2.0], 0.5))
    z = 0.5 + 1.0 * (3.0 - 1.0) / 2.0 - 2.0 * (2.0 - 1.0) / 2.0
    assert model.probability({"a": 3.0, "b": 2.0}) == pytest.approx(1 / (1 + math.exp(-z)))
    assert model.probability({"a": 1e9, "b": 0.0}) == pytest.approx(1.0)  # no overflow


def test_a_model_file_of_another_version_is_refused(tmp_path) -> None:
    record = _record([1.0]) | {"version": 99}
    path = tmp_path / "model.json"
    path.write_text(json.dumps(record))
    with pytest.raises(ValueError, match="version 99"):
        load_model(path)


def test_a_gate_fitted_on_another_reader_s_scores_is_refused(tmp_path) -> None:
    path = tmp_path / "model.json"
    path.write_text(json.dumps(_record([1.0]) | {"provenance": {"reader": "2:aaaaaaaaaaaa"}}))
    assert load_model(path, reader_version="2:aaaaaaaaaaaa").reader == "2:aaaaaaaaaaaa"
    with pytest.raises(ConfigError, match="train-answerability"):
        load_model(path, reader_version="2:bbbbbbbbbbbb")


def test_the_shipped_gate_was_fitted_on_the_shipped_reader() -> None:
    assert load_model(with_reader=True).reader == shared_reader().version


def test_the_shipped_model_records_how_it_was_trained_and_its_cross_validated_figures() -> None:
    record = json.loads(packaged_path().read_text())
    model = load_model()
    assert model.features == FEATURES, "the shipped model was trained on another feature list: retrain it"
    thresholds = [model.threshold(p) for p in OPERATING_POINTS]
    assert thresholds == sorted(thresholds) and all(0 <= t <= 1 for t in thresholds)
    provenance = record["provenance"]
    assert provenance["command"].startswith("rag-service train-answerability")
    assert any(name.endswith("questions.jsonl") for name in provenance["data"])
    assert provenance["rows"]["clapnq"] >= 300
    for origin in ("clapnq", "seeds"):
        figures = record["cross_validation"]["by_origin"][origin]["balanced"]
        assert 0 < figures["answered_gold"] <= 1 and 0 < figures["abstained"] <= 1
    assert record["cross_validation"]["auc"] > 0.75
    assert len(record["trade_off"]) >= 10


def _rows(n: int, separable: bool) -> list[training.Row]:
    rng = np.random.default_rng(1)
    rows = []
    for i in range(n):
        answerable = i % 2 == 0
        signal = (1.0 if answerable else -1.0) if separable else 0.0
        features = {name: float(rng.normal()) for name in FEATURES}
        features["window_max"] = signal + float(rng.normal(scale=0.1))
        rows.append(training.Row("synthetic", str(i), answerable, answerable, features))
    return rows


def test_cross_validation_finds_a_separating_feature_and_not_noise() -> None:
    _, clean = training.cross_validate(_rows(200, separable=True))
    _, noise = training.cross_validate(_rows(200, separable=False))
    assert clean["auc"] > 0.95
    assert 0.3 < noise["auc"] < 0.7
    assert clean["by_origin"]["synthetic"]["balanced"]["balanced"] > 0.9


def test_operating_points_trade_answering_for_declining() -> None:
    rng = np.random.default_rng(2)
    y = np.arange(400) % 2 == 0
    prob = np.clip(np.where(y, 0.65, 0.35) + rng.normal(scale=0.2, size=400), 0, 1)
    cuts = training.choose_thresholds(prob, y, y)
    assert cuts["prefer_answering"] <= cuts["balanced"] <= cuts["prefer_declining"]
    answering = training.rates(prob, y, y, cuts["prefer_answering"])
    declining = training.rates(prob, y, y, cuts["prefer_declining"])
    assert answering["answered"] >= training.PREFER_ANSWERING_RECALL
    assert declining["abstained"] >= training.PREFER_DECLINING_ABSTENTION


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("when does the show the doctors come on", TIME),
        ("In which year did Yuri Gagarin fly to space?", TIME),
        ("how many episodes of supergirl is superman in", QUANTITY),
        ("who plays the scream killer in scary movie", PERSON),
        ("Which other Glavkosmos person is listed besides Loskutov?", PERSON),
        ("which king built the castle", PERSON),
        ("what is wonder woman's sword and shield made of", "other"),
        ("Where did he say that?", PLACE),
        ("What are the reasons for the revolutions of 1848?", SEVERAL),
        ("what is the role of the prime minister in canada", "other"),
        ("What is the minimum multipart chunk size for uploads?", QUANTITY),  # a number answers it
        ("What is the largest city of Nigeria?", "other"),
    ],
)
def test_question_types(question: str, kind: str) -> None:
    assert question_type(question) == kind


def test_a_filler_must_add_something_the_question_does_not_say() -> None:
    assert holds_filler(TIME, "The battle took place in November 1811.", "when was the battle of tippecanoe")
    assert not holds_filler(
        TIME, "The battle was fought near Tippecanoe.", "when was the battle of tippecanoe"
    )
    assert holds_filler(QUANTITY, "There were twelve episodes.", "how many episodes")
    assert not holds_filler(PERSON, "the killer wore a mask.", "who plays the killer")
    assert holds_filler(PERSON, "The killer is voiced by Roger Jackson.", "who plays the killer")
    # the digit of a name is no number: "S3" or "UTF8" do not say how big a chunk is; "5MB" does
    size = "what is the minimum chunk size"
    assert not holds_filler(QUANTITY, "The chunk size fits the limits for S3 and UTF8 names.", size)
    assert holds_filler(QUANTITY, "Minimum For Uploads - ``5MB``", size)


def test_the_operating_point_setting_moves_the_threshold(seeds_pipeline) -> None:
    model = load_model(with_reader=True)  # the reader is on by default
    for point in OPERATING_POINTS:
        settings = Settings(answer_operating_point=point)
        answerer = ExtractiveAnswerer.from_settings(seeds_pipeline.index, content_terms, settings)
        assert answerer.threshold == model.threshold(point)
    explicit = Settings(answerability_threshold=0.33)
    assert ExtractiveAnswerer.from_settings(seeds_pipeline.index, content_terms, explicit).threshold == 0.33


def test_every_answer_carries_its_answerability_and_declines_below_the_threshold(seeds_pipeline) -> None:
    threshold = seeds_pipeline._state.answerer.threshold
    for question in (
        "Who heads Roscosmos?",
        "What is the recipe for borscht?",
        "What is the capital of France?",
    ):
        answer = seeds_pipeline.ask(question)
        assert answer.answerability is not None and 0.0 <= answer.answerability <= 1.0
        # Below the threshold the model declines; above it, only a rule can, and it says why in a note.
        assert answer.not_found == (answer.answerability < threshold or bool(answer.notes)), answer.notes


def test_origin_balance_weighs_each_question_or_each_origin_the_same() -> None:
    rows = _rows(30, separable=True)
    small = [training.Row("small", r.id, r.answerable, r.cited_gold, r.features) for r in rows[:10]]
    mixed = rows + small
    per_question = training.origin_weights(mixed, 0.0)
    per_origin = training.origin_weights(mixed, 1.0)
    assert np.allclose(per_question, 1.0)
    assert per_origin[:30].sum() == pytest.approx(per_origin[30:].sum())  # 30 rows weigh what 10 do
    _, figures = training.cross_validate(mixed, 1.0)
    assert figures["by_origin"]["small"]["questions"] == 10 and figures["by_origin"]["synthetic"]["auc"] > 0.9
