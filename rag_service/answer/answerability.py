"""The learned answerability model: the probability that the retrieved passages answer the question.

A logistic regression over ``rag_service.answer.features.FEATURES``, trained by
``rag-service train-answerability`` on public questions with known answerability (the shipped file
records the command, the data and the cross-validated figures). Its parameters are a small JSON file in
the package (``answerability.json``), so the service needs nothing at run time but numpy.

The threshold is an operating point, not a constant of the model: ``prefer_answering`` keeps most
answerable questions answered and declines fewer unanswerable ones, ``prefer_declining`` the reverse,
``balanced`` maximises their mean. The thresholds were chosen on out-of-fold probabilities, so each
point's figures in the file are what a user should expect on unseen questions of the same kind.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from rag_service.errors import ConfigError

OPERATING_POINTS = ("prefer_answering", "balanced", "prefer_declining")
MODEL_FILE = "answerability.json"
READER_MODEL_FILE = "answerability-reader.json"
"""The gate refitted with the reader's features (``answer.reading``); the first file is the gate of the
path without the reader (``RAG_READER=false``)."""
MODEL_VERSION = 1


@dataclass(frozen=True)
class AnswerabilityModel:
    features: tuple[str, ...]
    mean: tuple[float, ...]
    scale: tuple[float, ...]
    coef: tuple[float, ...]
    intercept: float
    thresholds: dict[str, float]
    reader: str | None = None
    """The version of the reader whose scores it was fitted on (``Reader.version``), if any."""

    def probability(self, values: dict[str, float]) -> float:
        z = self.intercept
        for name, m, s, c in zip(self.features, self.mean, self.scale, self.coef, strict=True):
            z += c * (values[name] - m) / s
        return 1.0 / (1.0 + math.exp(-max(-60.0, min(60.0, z))))

    def threshold(self, point: str) -> float:
        return self.thresholds[point]

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> AnswerabilityModel:
        if record.get("version") != MODEL_VERSION:
            raise ValueError(f"answerability model version {record.get('version')}, expected {MODEL_VERSION}")
        model = record["model"]
        return cls(
            features=tuple(model["features"]),
            mean=tuple(float(x) for x in model["mean"]),
            scale=tuple(float(x) for x in model["scale"]),
            coef=tuple(float(x) for x in model["coef"]),
            intercept=float(model["intercept"]),
            thresholds={k: float(v) for k, v in record["thresholds"].items()},
            reader=record.get("provenance", {}).get("reader"),
        )


def packaged_path(with_reader: bool = False) -> Path:
    return Path(
        str(resources.files("rag_service.answer") / (READER_MODEL_FILE if with_reader else MODEL_FILE))
    )


def load_model(
    path: Path | None = None, with_reader: bool = False, reader_version: str | None = None
) -> AnswerabilityModel:
    """The shipped model (with or without the reader's features), or the one at ``path`` (a file
    written by ``rag-service train-answerability``).

    With ``reader_version`` (the reader that will feed it), a gate fitted on another reader's scores is
    refused: its weights and thresholds are calibrated to that reader's logits, and a retrained reader
    would silently shift every operating point."""
    source = path or packaged_path(with_reader or reader_version is not None)
    model = AnswerabilityModel.from_record(json.loads(source.read_text(encoding="utf-8")))
    if reader_version is not None and model.reader != reader_version:
        raise ConfigError(
            f"{source} was fitted on the scores of reader {model.reader}, not of the loaded reader "
            f"{reader_version}: refit it with `rag-service train-answerability`"
        )
    return model
