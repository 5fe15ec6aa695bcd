"""The evaluation set format: JSON Lines, one case per line.

A single-turn case::

    {"id": "s-head", "question": "Who heads Roscosmos?", "expected_sources": ["002_....txt"],
     "expected_quotes": ["Roscosmos head Igor Komarov"], "must_mention": ["Komarov"], "kind": "fact"}

A multi-turn case has ``turns`` instead of ``question``; each turn has its own ``question``,
``expected_sources`` and optional ``expected_quotes`` / ``must_mention`` / ``reference_answers`` (what a
good answer says, scored by token F1 as ``eval-qa`` scores ClapNQ), and is asked with the earlier
turns (and the service's answers to them) as history. ``expected_sources: []`` means the documents do
not answer: the right reply is "not in the documents" with no citations. ``kind`` is a free label used
to group results in the report.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from rag_service.errors import InvalidRequestError


@dataclass(frozen=True)
class Turn:
    question: str
    expected_sources: tuple[str, ...]
    expected_quotes: tuple[str, ...] = ()
    must_mention: tuple[str, ...] = ()
    reference_answers: tuple[str, ...] = ()


@dataclass(frozen=True)
class Case:
    id: str
    turns: tuple[Turn, ...]
    kind: str = ""


def _turn(data: object, where: str) -> Turn:
    if not isinstance(data, dict):
        raise InvalidRequestError(f"{where}: a turn must be a JSON object")
    question = data.get("question")
    if not isinstance(question, str) or not question.strip():
        raise InvalidRequestError(f"{where}: 'question' must be a non-empty string")
    sources = data.get("expected_sources")
    if not isinstance(sources, list) or not all(isinstance(s, str) for s in sources):
        raise InvalidRequestError(
            f"{where}: 'expected_sources' must be a list of file names ([] = unanswerable)"
        )
    lists = {}
    for key in ("expected_quotes", "must_mention", "reference_answers"):
        value = data.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            raise InvalidRequestError(f"{where}: '{key}' must be a list of non-empty strings")
        lists[key] = tuple(value)
    return Turn(
        question, tuple(sources), lists["expected_quotes"], lists["must_mention"], lists["reference_answers"]
    )


def load_cases(path: Path) -> list[Case]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise InvalidRequestError(f"cannot read evaluation set {path}: {exc.strerror}") from exc
    cases: list[Case] = []
    seen: set[str] = set()
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        where = f"{path}:{number}"
        try:
            data = json.loads(line)
        except ValueError as exc:
            raise InvalidRequestError(f"{where}: not valid JSON ({exc})") from exc
        if not isinstance(data, dict) or not isinstance(data.get("id"), str) or not data["id"]:
            raise InvalidRequestError(f"{where}: each case needs a string 'id'")
        if data["id"] in seen:
            raise InvalidRequestError(f"{where}: duplicate id {data['id']!r}")
        seen.add(data["id"])
        if "turns" in data:
            if not isinstance(data["turns"], list) or not data["turns"]:
                raise InvalidRequestError(f"{where}: 'turns' must be a non-empty list")
            turns = tuple(_turn(t, f"{where} turn {i + 1}") for i, t in enumerate(data["turns"]))
        else:
            turns = (_turn(data, where),)
        cases.append(Case(data["id"], turns, str(data.get("kind", "multi-turn" if len(turns) > 1 else ""))))
    if not cases:
        raise InvalidRequestError(f"evaluation set {path} has no cases")
    return cases
