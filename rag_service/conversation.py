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
* otherwise the previous question is carried along as context, with the names, numbers and places the
  previous *answer* brought (which the follow-up's "he", "that" or "there" usually points at): "Whose
  brother was he? (context: Who was New York City named after?; Duke of York, King James II)".
  Retrieval and answer ranking then see the entities the follow-up points at.

The context always follows the user's own words after ``CONTEXT_MARK``, so the answerer can tell what
was asked (``own_question``: "who" in "Who said that?") from what only narrows the topic. What the
previous answer quoted word for word is found again in the index by the pipeline
(``rag_service.followups``): its passages are searched, and its sentences are not said again.

``LLMCondenser`` asks the chat model with ``prompts/condense.txt`` and falls back to the rules when the
model's reply is empty or implausibly long.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Protocol

from langchain_core.language_models import BaseChatModel
from langchain_core.prompts import PromptTemplate

from rag_service.answer.not_found import says_not_found
from rag_service.models import Message
from rag_service.retrieval.lexical import content_terms, index_terms
from rag_service.serialize import strip_footer

_PRONOUN = re.compile(r"\b(he|him|his|she|her|hers|it|its|they|them|their|theirs)\b", re.IGNORECASE)
_TRAILING_DEMONSTRATIVE = re.compile(r"\b(that|this|these|those|there|then)\s*[?.!]*\s*$", re.IGNORECASE)
_ELLIPSIS = re.compile(
    r"^\s*(?:and|but|also|so)?\s*(?:what|how)?\s*about\s+(?P<topic>.+?)\s*[?.!]*\s*$", re.IGNORECASE
)
_BARE_ELLIPSIS = re.compile(
    r"^\s*(?:and|but|also|or)\s+(?P<topic>(?!(?:what|who|whom|whose|when|where|why|how|which|is|are|was|"
    r"were|do|does|did|can|could|will|would|should|shall|may|might|must|has|have|had|if|then)\b)[^?]+?)"
    r"\s*[?.!]*\s*$",
    re.IGNORECASE,
)
""""And the East Branch?": a name alone, asking what the previous question asked of it. ("And when did
Gagarin fly?" is a question of its own: it may change the subject.)"""
_OBJECT_PRONOUN = re.compile(
    r"\b(about|on|of|for|regarding|could|would|does|did|can|will)\s+(it|them|this|that)\b", re.IGNORECASE
)
_TOPIC = re.compile(r"\babout\s+(?P<topic>.+?)\s*[?.!]*\s*$", re.IGNORECASE)
CONTEXT_MARK = " (context: "
_MARKERS = re.compile(r"\s*\[\d+\]")
_ENTITY = re.compile(
    r"(?:[A-Z][\w'’.-]*[\w’]|[A-Z])"
    r"(?:[ \t]+(?:(?:of|the|de|da|del|von|van|and|for)[ \t]+)?(?:[A-Z][\w'’.-]*[\w’]|[A-Z]))*"
    r"|\b\d[\d,.]*\s*(?:%|percent\b|million\b|billion\b|km\b|miles\b)"
)
_ITEM_MARK = re.compile(r"(?:^|[\n.!?:])\s*[-•*–]$")
"""A list item's marker (not a dash inside a headline: "… This Year - Roscosmos")."""
_NOT_NAMES = frozenset((
    "a", "an", "the", "this", "that", "these", "those", "it", "its", "he", "she", "they", "we", "i", "in",
    "on", "at", "for", "of", "and", "but", "or", "so", "as", "if", "when", "while", "after", "before",
    "during", "since", "from", "by", "with", "to", "despite", "however", "also", "there", "here", "his",
    "her", "their", "our",
))  # fmt: skip
"""Capitalised only because they start a sentence: never the start of a name."""
MAX_ENTITIES = 5
MAX_ENTITY_WORDS = 4
"""Longer runs of capitals are headings or title-case headlines, not names."""


_COURTESY = frozenset(
    index_terms("thanks thank thx ty ok okay alright hello hi hey bye goodbye cheers appreciated great got")
    + index_terms("you again much lot very understood")
)
"""What "Thanks!", "OK, got it" or "Hello" is made of: a turn of courtesy, nothing to look up. (Not "good"
or "fine": "Is it good?" asks something.)"""


def is_courtesy(question: str) -> bool:
    """Whether every word of ``question`` is courtesy (and it has one): it is neither a follow-up to
    condense with its context nor a question the documents could answer."""
    terms = index_terms(question)
    return bool(terms) and all(t in _COURTESY for t in terms)


def own_question(standalone: str) -> str:
    """The user's own words of a condensed question (what precedes the context mark)."""
    return standalone.split(CONTEXT_MARK, 1)[0]


def answer_entities(answer: str, known: str, limit: int = MAX_ENTITIES) -> list[str]:
    """Names (runs of capitalised words) and numbers in ``answer`` that ``known`` (the previous question)
    does not already hold, in order of appearance: what a follow-up's "he" or "that" can point at."""
    seen = {w.lower() for w in re.findall(r"[\w'’]+", known)}
    found: list[str] = []
    text = _MARKERS.sub(" .\n", answer)
    for match in _ENTITY.finditer(text):
        words = match.group().split()
        while words and words[0].lower() in _NOT_NAMES:
            words = words[1:]
        before = text[: match.start()].rstrip()  # a list item's first word starts a sentence too
        starts_sentence = not before or before[-1] in ".!?:\n" or bool(_ITEM_MARK.search(before))
        if len(words) > MAX_ENTITY_WORDS or (
            len(words) == 1 and starts_sentence and words[0] == match.group()
        ):
            continue  # a heading's worth of capitals, or a word capitalised only because it starts a sentence
        entity = " ".join(words).strip(" .,")
        if not entity or all(w.lower().strip(".,") in seen for w in entity.split()):
            continue
        if entity not in found:
            found.append(entity)
        if len(found) == limit:
            break
    return found


class Condenser(Protocol):
    def condense(self, question: str, history: Sequence[Message]) -> str:
        """The question to retrieve with: ``question`` itself when it stands alone."""
        ...


def depends_on_history(question: str) -> bool:
    return bool(
        _PRONOUN.search(question)
        or _TRAILING_DEMONSTRATIVE.search(question)
        or _ELLIPSIS.match(question)
        or _BARE_ELLIPSIS.match(question)
        or len(set(content_terms(question))) < 2
    )


def _last(history: Sequence[Message], role: str) -> str | None:
    for message in reversed(history):
        if message.role == role and message.content.strip():
            return strip_footer(message.content).strip()
    return None


class RuleCondenser:
    MAX_DEPTH = 3
    """Follow-ups of follow-ups: the previous question is itself condensed, this many turns back."""

    def condense(self, question: str, history: Sequence[Message], depth: int = 0) -> str:
        previous = _last(history, "user")
        if previous is None or is_courtesy(question) or not depends_on_history(question):
            return question
        if depth < self.MAX_DEPTH:  # "How many planets…?" after "When was it released?" after "Who made X?"
            before = _before_last(history, "user")
            previous = (
                own_question(previous) if before is None else self.condense(previous, before, depth + 1)
            )
        answer = _last(history, "assistant") or ""
        entities = answer_entities(answer, previous) if not says_not_found(answer) else []
        context = f"{previous}; {', '.join(entities)}" if entities else previous
        topic_match = _TOPIC.search(previous)
        topic = topic_match.group("topic") if topic_match else None
        ellipsis = _ELLIPSIS.match(question)
        if ellipsis and topic_match and _swaps_topic(ellipsis.group("topic"), topic_match.group("topic")):
            return previous[: topic_match.start("topic")] + ellipsis.group("topic") + "?"
        if topic and _OBJECT_PRONOUN.search(question):
            return _OBJECT_PRONOUN.sub(lambda m: f"{m.group(1)} {topic}", question, count=1)
        # "And the Apache License?" after "What does the GPL say about patents?" may put the name in
        # the place of the subject or of the topic: it keeps the whole previous question as context.
        ellipsis = ellipsis or _BARE_ELLIPSIS.match(question)
        if ellipsis:
            return f"{ellipsis.group('topic')}?{CONTEXT_MARK}{context})"
        return f"{question}{CONTEXT_MARK}{context})"


def _swaps_topic(new: str, old: str) -> bool:
    """Whether "And about X?" puts X in the place of the previous question's topic. A name after a
    topic that is none ("What about the GPL?" after "What does the Apache License say about patents?")
    more likely takes the place of the subject: then the previous question is carried as context."""
    return not (_ENTITY.search(new) and not _ENTITY.search(old))


def _before_last(history: Sequence[Message], role: str) -> Sequence[Message] | None:
    """``history`` up to (not including) its last message of ``role``, or None if there is none."""
    for i in range(len(history) - 1, -1, -1):
        if history[i].role == role:
            return history[:i]
    return None


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
