"""Out-of-fold reading: each training question read by the reader trained without its fold.

The shipped reader's second stage learnt from the ClapNQ questions and the seeds cases
(``reader.indomain``), so its scores on those questions are in-sample. Where a figure or the gate's
fit must not see that (``train-answerability --reader-folds``, ``eval-qa --reader-folds``), a
``FoldedReader`` stands in for it: the same interface, each question sent to the fold reader that never
saw it (``reader.stage2`` writes them under the training state). A question of no fold is an error, not
a silent fall-back to the shipped reader.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from rag_service.errors import ConfigError
from rag_service.reader.indomain import FOLDS, question_folds
from rag_service.reader.model import Candidate, Reader, load_reader


class FoldedReader:
    def __init__(self, readers: Sequence[Reader], folds: dict[str, int], version: str) -> None:
        """``version``: the shipped reader's, which the gate fitted on these scores is used with."""
        self._readers = readers
        self._folds = folds
        self.version = version

    def scores(self, question: str, candidates: Sequence[Candidate]) -> np.ndarray:
        fold = self._folds.get(question)
        if fold is None:
            raise ConfigError(
                f"no fold reader saw the training set without {question!r}: not a training question"
            )
        return self._readers[fold].scores(question, candidates)


def load_folded(state: Path, clapnq: Path, cases: Path, seeds_dir: Path, shipped: Reader) -> FoldedReader:
    """The fold readers under ``state`` (``rag-service train-reader --clapnq``), each checked against its
    card, dispatched by the training questions' folds."""
    from rag_service.reader.stage2 import fold_dir

    if "second_stage" not in shipped.card.get("training", {}):
        raise ConfigError(
            "the reader in use has no second stage (`rag-service train-reader --clapnq`): its scores on "
            "ClapNQ and the seeds are out of sample already, and fold readers would not be the reader "
            "the gate is used with; leave out --reader-folds"
        )
    missing = [k for k in range(FOLDS) if not (fold_dir(state, k) / "reader.json").is_file()]
    if missing:
        raise ConfigError(
            f"{state} has no fold readers {missing}: run `rag-service train-reader --clapnq ...` first"
        )
    readers = [load_reader(fold_dir(state, k)) for k in range(FOLDS)]
    return FoldedReader(readers, question_folds(clapnq, cases, seeds_dir), shipped.version)
