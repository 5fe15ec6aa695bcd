"""What a question yields while it is answered: text pieces (``Delta``), then the final ``Answer``; and
the clock that times its stages."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from dataclasses import dataclass

from rag_service.models import Answer

_PIECE = re.compile(r"\S+\s*")


@dataclass(frozen=True)
class Delta:
    """A piece of answer text, streamed before the citations are final."""

    text: str


StreamEvent = Delta | Answer


class Clock:
    """Milliseconds per stage of one question, and the total (an answer's ``timings_ms``)."""

    def __init__(self) -> None:
        self._start = self._last = time.perf_counter()
        self._laps: dict[str, float] = {}

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self._laps[name] = self._laps.get(name, 0.0) + (now - self._last) * 1000
        self._last = now

    def result(self) -> dict[str, float]:
        laps = {k: round(v, 3) for k, v in self._laps.items()}
        laps["total"] = round((time.perf_counter() - self._start) * 1000, 3)
        return laps


def pieces(text: str) -> Iterator[Delta]:
    """An answer that exists in full, as stream pieces of four words."""
    words = _PIECE.findall(text)
    for i in range(0, len(words), 4):
        yield Delta("".join(words[i : i + 4]))
