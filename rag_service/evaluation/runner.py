"""Running an evaluation set against the service and scoring every turn.

A ``Target`` answers questions the way a client sees it: ``InProcessTarget`` calls the same pipeline the
service uses; ``HttpTarget`` goes through the public HTTP API of a running server (``--url``). Both give
the ``/api/ask`` response shape, so scoring is identical.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import httpx

from rag_service.errors import UpstreamError
from rag_service.evaluation import metrics
from rag_service.evaluation.dataset import Case, Turn
from rag_service.models import Message
from rag_service.pipeline import Pipeline
from rag_service.serialize import answer_dict


class Target(Protocol):
    name: str

    def ask(self, question: str, history: list[dict[str, str]]) -> dict[str, Any]: ...

    def source_text(self, name: str) -> str | None: ...


class InProcessTarget:
    def __init__(self, pipeline: Pipeline, top_k: int | None = None) -> None:
        self.pipeline = pipeline
        self.top_k = top_k
        self.name = pipeline.backend

    def ask(self, question: str, history: list[dict[str, str]]) -> dict[str, Any]:
        answer = self.pipeline.ask(question, [Message(m["role"], m["content"]) for m in history], self.top_k)
        return answer_dict(answer)

    def source_text(self, name: str) -> str | None:
        doc = self.pipeline.index.documents.get(name)
        return doc.text if doc else None


class HttpTarget:
    def __init__(
        self,
        url: str,
        top_k: int | None = None,
        timeout: float = 300,
        collection: str = "default",
        api_key: str | None = None,
    ) -> None:
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self.client = httpx.Client(
            base_url=url.rstrip("/"), timeout=timeout, params={"collection": collection}, headers=headers
        )
        self.top_k = top_k
        self._texts: dict[str, str | None] = {}
        health = self.client.get("/api/health")
        if health.status_code != 200:
            raise UpstreamError(f"{url} is not ready: {health.json().get('detail', health.status_code)}")
        self.name = f"http:{url}"

    def ask(self, question: str, history: list[dict[str, str]]) -> dict[str, Any]:
        body: dict[str, Any] = {"question": question, "history": history}
        if self.top_k:
            body["top_k"] = self.top_k
        response = self.client.post("/api/ask", json=body)
        if response.status_code != 200:
            raise UpstreamError(f"/api/ask answered {response.status_code}: {response.text[:300]}")
        return dict(response.json())

    def source_text(self, name: str) -> str | None:
        if name not in self._texts:
            response = self.client.get(f"/api/sources/{name}")
            self._texts[name] = response.json()["text"] if response.status_code == 200 else None
        return self._texts[name]


@dataclass
class TurnResult:
    case_id: str
    turn: int
    kind: str
    question: str
    expected_sources: list[str]
    response: dict[str, Any]
    latency_ms: float
    scores: dict[str, float | None] = field(default_factory=dict)

    @property
    def label(self) -> str:
        return self.case_id if self.turn == 1 and self.kind != "multi-turn" else f"{self.case_id}#{self.turn}"


def locate(quote: str, text: str) -> list[tuple[int, int]]:
    """Every place ``quote`` occurs in ``text``, whitespace-insensitively, as original offsets."""
    pattern = r"\s+".join(re.escape(word) for word in quote.split())
    return [(m.start(), m.end()) for m in re.finditer(pattern, text)] if pattern else []


def score_turn(
    turn: Turn, response: dict[str, Any], source_text: Callable[[str], str | None]
) -> dict[str, float | None]:
    citations = response.get("citations", [])
    cited_sources = [c["source"] for c in citations]
    precision, recall, f1 = metrics.precision_recall_f1(cited_sources, turn.expected_sources)
    ranked = metrics.ranked_sources([h["source"] for h in response.get("retrieved", [])])
    answerable = bool(turn.expected_sources)
    relevance = {s: 1.0 for s in turn.expected_sources}
    scores: dict[str, float | None] = {
        "citation_precision": precision if answerable else None,
        "citation_recall": recall if answerable else None,
        "citation_f1": f1 if answerable else None,
        "hit_at_k": metrics.hit_at_k(ranked, turn.expected_sources, len(ranked)) if answerable else None,
        "mrr": metrics.reciprocal_rank(ranked, turn.expected_sources) if answerable else None,
        "ndcg_at_k": metrics.ndcg_at_k(ranked, relevance, len(ranked)) if answerable else None,
        "abstention": metrics.abstention_correct(
            turn.expected_sources, bool(response.get("not_found")), len(citations)
        ),
        "quote_coverage": None,
        "must_mention": metrics.mention_rate(response.get("answer", ""), turn.must_mention)
        if turn.must_mention
        else None,
        "first_holds": None,
        "grounding": (response.get("grounding") or {}).get("supported_share"),
        "answer_f1": None,
        "quote_in_reference": None,
    }
    if turn.reference_answers and answerable:
        from rag_service.evaluation.qa import quote_in_reference, token_f1

        declined = bool(response.get("not_found"))
        scores["answer_f1"] = (
            0.0 if declined else token_f1(response.get("answer", ""), turn.reference_answers)
        )
        quotes = [c["quote"] for c in citations]
        scores["quote_in_reference"] = float(quote_in_reference(quotes, turn.reference_answers))
    if turn.expected_quotes:
        places = []
        for quote in turn.expected_quotes:
            found = []
            for source in turn.expected_sources:
                text = source_text(source)
                found += [(source, a, b) for a, b in locate(quote, text or "")]
            places.append(found)
        cited = [(c["source"], c["start"], c["end"]) for c in citations]
        scores["quote_coverage"] = metrics.quote_coverage(places, cited)
        # The answer leads with the answer: its first quote holds an expected quote or a must-mention term.
        first = citations[:1]
        scores["first_holds"] = float(
            bool(first)
            and (
                metrics.quote_coverage(places, cited[:1]) > 0
                or any(t.lower() in first[0]["quote"].lower() for t in turn.must_mention)
            )
        )
    return scores


def run_cases(cases: Sequence[Case], target: Target, progress: bool = True) -> list[TurnResult]:
    from tqdm import tqdm

    results: list[TurnResult] = []
    total = sum(len(c.turns) for c in cases)
    with tqdm(total=total, desc=f"eval {target.name}", unit="turn", disable=not progress, leave=False) as bar:
        for case in cases:
            history: list[dict[str, str]] = []
            for number, turn in enumerate(case.turns, start=1):
                started = time.perf_counter()
                response = target.ask(turn.question, history)
                latency = (time.perf_counter() - started) * 1000
                result = TurnResult(
                    case.id, number, case.kind, turn.question, list(turn.expected_sources), response, latency
                )
                result.scores = score_turn(turn, response, target.source_text)
                results.append(result)
                history += [
                    {"role": "user", "content": turn.question},
                    {"role": "assistant", "content": response.get("answer", "")},
                ]
                bar.update()
    return results
