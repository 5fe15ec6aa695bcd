"""A heading run into the sentence after it: "Space tourism/Commercial space traveling Development of …".

Text flattened from a layout (an abstract whose section titles lost their line breaks, a web page copied as
one line) puts a short heading straight before the next sentence, with no punctuation between them, and
the answerer quoted both as one sentence. The seam is recognisable: a word in lower case (the heading's
last) followed by a capitalised word, a few words into a sentence that then runs on to its full stop or
colon, where the words before the seam hold no verb or pronoun and are taken up again after it (the
sentence under a heading is about it: "… traveling Development of commercial space traveling …"). A
clause ("Two successive Cargo builds may differ") repeats nothing of its first words. The sentence is
taken to start at the seam; the heading stays in its chunk for retrieval.
"""

from __future__ import annotations

import re

MAX_HEADING_WORDS = 6
MIN_SENTENCE_WORDS = 5
_WORD = re.compile(r"\S+")
_FUNCTION = frozenset(
    [
        "the",
        "a",
        "an",
        "of",
        "to",
        "and",
        "or",
        "nor",
        "in",
        "on",
        "at",
        "for",
        "with",
        "by",
        "from",
        "into",
        "onto",
        "that",
        "which",
        "who",
        "as",
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "not",
        "but",
        "than",
        "its",
        "their",
        "his",
        "her",
        "our",
        "your",
        "this",
        "these",
        "those",
        "such",
    ]
)
_NOT_HEADING = frozenset(
    [
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "can",
        "could",
        "will",
        "would",
        "shall",
        "should",
        "may",
        "might",
        "must",
        "do",
        "does",
        "did",
        "has",
        "have",
        "had",
        "there",
        "if",
        "when",
        "why",
        "how",
        "what",
        "where",
        "who",
        "you",
        "we",
        "i",
        "it",
        "he",
        "she",
        "they",
        "the",
        "a",
        "an",
    ]
)
"""A verb or a pronoun makes the words before the seam a clause ("If there is no section Entitled …",
"Why can String be mutated?"), and an article a noun phrase running on ("The requirement to provide
Installation Information does …"), not a heading."""
_CONTENT = re.compile(r"[A-Za-z]{4,}")
_POSSESSIVE = re.compile(r"\w['’]s\b")


def _content_words(text: str) -> set[str]:
    return {w.lower() for w in _CONTENT.findall(text)} - _FUNCTION


def heading_end(sentence: str) -> int:
    """Offset in ``sentence`` where the sentence proper starts after a glued heading, or 0."""
    words = list(_WORD.finditer(sentence))
    if len(words) < 2 + MIN_SENTENCE_WORDS or not words[0].group()[:1].isupper():
        return 0
    if words[0].group().lower() in _NOT_HEADING:
        return 0
    if sentence.rstrip()[-1:] not in (".", "!", ":"):
        return 0  # a question keeps its words: "Why can String be mutated?"
    for k in range(2, min(MAX_HEADING_WORDS, len(words) - MIN_SENTENCE_WORDS) + 1):
        before, word = words[k - 1].group(), words[k].group()
        if any(ch in ".!?:;," for ch in sentence[: words[k - 1].end()]) or _POSSESSIVE.search(
            sentence[: words[k].start()]
        ):
            return 0  # punctuation or a possessive ("Russia's space corporation Roscosmos"): prose
        if before.lower().strip("'’") in _NOT_HEADING:
            return 0
        if not (before.isalpha() and before.islower()) or before in _FUNCTION:
            continue
        if word[:1].isupper() and word[1:].isalpha() and word[1:].islower():
            start = words[k].start()
            if _content_words(sentence[:start]) & _content_words(sentence[start:]):
                return start
    return 0
