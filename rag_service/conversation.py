"""Turning a follow-up into a standalone question before retrieval.

The API is stateless: each request carries its history, and a follow-up such as "Where did he say
that?" means nothing to a retriever on its own. Two condensers share one contract (``Condenser``):

``RuleCondenser`` (offline, deterministic) leaves a question alone unless it depends on the history:
it has a pronoun (he, it, they, ...), ends on a demonstrative ("... that?"), is an ellipsis ("And about
X?", "What about X?"), or has fewer than two content words. Then:

* an ellipsis takes the previous question and swaps its topic: "What does the abstract say about mining
  on asteroids?" + "And about space junk?" → "What does the abstract say about space junk?";
* an object pronoun ("about it", "could it bring") is replaced by the previous question's topic (what
  followed its last "about");
* otherwise the previous question is carried along as context: "Where did he say that? (context: Who
  heads Roscosmos?)". Retrieval and answer ranking then see the entities the follow-up points at.

``LLMCondenser`` asks the chat model with ``prompts/condense.txt`` and falls back to the rules when the
model's reply is empty or implausibly long.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Protocol

from langchain_core.language_models import BaseChatModel
from langchain_core.prompts import PromptTemplate

from rag_service.models import Message
from rag_service.retrieval.lexical import content_terms
from rag_service.serialize import strip_footer

_PRONOUN = re.compile(r"\b(he|him|his|she|her|hers|it|its|they|them|their|theirs)\b", re.IGNORECASE)
_TRAILING_DEMONSTRATIVE = re.compile(r"\b(that|this|these|those|there|then)\s*[?.!]*\s*$", re.IGNORECASE)
_ELLIPSIS = re.compile(
    r"^\s*(?:and|but|also|so)?\s*(?:what|how)?\s*about\s+(?P<topic>.+?)\s*[?.!]*\s*$", re.IGNORECASE
)
_OBJECT_PRONOUN = re.compile(
    r"\b(about|on|of|for|regarding|could|would|does|did|can|will)\s+(it|them|this|that)\b", re.IGNORECASE
)
_TOPIC = re.compile(r"\babout\s+(?P<topic>.+?)\s*[?.!]*\s*$", re.IGNORECASE)


class Condenser(Protocol):
    def condense(self, question: str, history: Sequence[Message]) -> str:
        """The question to retrieve with: ``question`` itself when it stands alone."""
        ...


def depends_on_history(question: str) -> bool:
    return bool(
        _PRONOUN.search(question)
        or _TRAILING_DEMONSTRATIVE.search(question)
        or _ELLIPSIS.match(question)
        or len(set(content_terms(question))) < 2
    )


def _last(history: Sequence[Message], role: str) -> str | None:
    for message in reversed(history):
        if message.role == role and message.content.strip():
            return strip_footer(message.content).strip()
    return None


class RuleCondenser:
    def condense(self, question: str, history: Sequence[Message]) -> str:
        previous = _last(history, "user")
        if previous is None or not depends_on_history(question):
            return question
        topic_match = _TOPIC.search(previous)
        topic = topic_match.group("topic") if topic_match else None
        ellipsis = _ELLIPSIS.match(question)
        if ellipsis and topic_match:
            return previous[: topic_match.start("topic")] + ellipsis.group("topic") + "?"
        if topic and _OBJECT_PRONOUN.search(question):
            return _OBJECT_PRONOUN.sub(lambda m: f"{m.group(1)} {topic}", question, count=1)
        if ellipsis:
            return f"{ellipsis.group('topic')}? (context: {previous})"
        return f"{question} (context: {previous})"


class LLMCondenser:
    def __init__(
        self,
        model: BaseChatModel,
        template: PromptTemplate,
        fallback: Condenser | None = None,
        max_turns: int = 6,
    ) -> None:
        self._model = model
        self._template = template
        self._fallback = fallback or RuleCondenser()
        self._max_turns = max_turns

    def condense(self, question: str, history: Sequence[Message]) -> str:
        if not history:
            return question
        turns = [m for m in history if m.content.strip()][-self._max_turns :]
        transcript = "\n".join(f"{m.role}: {strip_footer(m.content).strip()}" for m in turns)
        prompt = self._template.format(history=transcript, question=question)
        reply = self._model.invoke(prompt)  # errors propagate: the pipeline maps them to 502/504
        text = (
            str(reply.content).strip().strip('"').splitlines()[0].strip()
            if str(reply.content).strip()
            else ""
        )
        if not text or len(text) > 4 * max(len(question), 60):
            return self._fallback.condense(question, history)
        return text
