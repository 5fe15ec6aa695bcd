"""What kind of answer a question asks for, and whether a text holds something of that kind.

A "when" question is answered by a date, "how many" by a number, "who" by a name, "where" by a place.
A passage on the right topic that holds no date cannot answer "when …", which is the commonest way an
on-topic passage fails to answer (ClapNQ's unanswerable questions were written against such passages).
The same types let the answerer prefer, among equally relevant sentences, the one holding the answer.

Detection is by English wording and surface form (digits, month names, capitalised words), which is
cheap and general; it knows nothing about any particular document.
"""

from __future__ import annotations

import re

TIME = "time"
QUANTITY = "quantity"
PERSON = "person"
PLACE = "place"
SEVERAL = "several"
"""Asks for reasons, steps, kinds or a list: answered by more than one sentence."""
OTHER = "other"

SLOT_TYPES = frozenset({TIME, QUANTITY, PERSON, PLACE})
"""Types answered by one specific piece of text that a passage either holds or not."""

_LEAD = r"^\W*(?:\w+\W+){0,3}?"  # the asking word may follow a few words ("and when did …")
EXTREME_AMOUNT = (
    r"\bwhat(?:'s| is| are)? the (?:largest|highest|maximum|max|minimum|min|lowest|smallest|biggest)\s+"
    r"(?:[\w-]+\s+){0,2}?(?:value|size|number|limit|length|count|amount)s?\b"
)
""""What is the minimum multipart chunk size?": a number answers it ("Minimum For Uploads - 5MB"), as
"how many" is answered."""
_PATTERNS = (
    (QUANTITY, re.compile(_LEAD + r"how (?:many|much|long|old|far|big|tall|high|large|fast|often)\b", re.I)),
    (QUANTITY, re.compile(r"\bwhat (?:percentage|number|amount|proportion)\b", re.I)),
    (QUANTITY, re.compile(EXTREME_AMOUNT, re.I)),
    (TIME, re.compile(_LEAD + r"when\b", re.I)),
    (TIME, re.compile(r"\b(?:what|which) (?:year|date|day|month|decade|century|time|season|era)\b", re.I)),
    (PERSON, re.compile(_LEAD + r"(?:who|whom|whose)\b", re.I)),
    (
        PERSON,  # "which other Glavkosmos person …", "which king …", but not "what is wonder woman's …"
        re.compile(
            r"\b(?:what|which)\s+(?:other\s+)?(?:(?!(?:is|are|was|were|do|does|did|of)\b)[\w'’-]+\s+)?"
            r"(?:person|people|persons|author|authors|writer|writers|man|woman|men|women|player|players|"
            r"actor|actress|actors|singer|singers|president|leader|leaders|founder|inventor|king|queen)\b",
            re.I,
        ),
    ),
    (PLACE, re.compile(_LEAD + r"where\b", re.I)),
    (PLACE, re.compile(r"\b(?:what|which) (?:country|city|state|place|town|continent|location)\b", re.I)),
    (
        SEVERAL,
        re.compile(
            r"\b(?:reasons?|causes|effects|steps|ways|types|kinds|examples|benefits|advantages|"
            r"differences|features|list|describe|explain)\b|^\W*(?:why|how)\b|\bwhat are\b",
            re.I,
        ),
    ),
)
_MONTHS = (
    "january|february|march|april|may|june|july|august|september|october|november|december|"
    "jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec"
)
_TIME_FILLER = re.compile(
    rf"\b(?:1\d{{3}}|20\d{{2}}|\d{{1,2}}(?:st|nd|rd|th)|(?:{_MONTHS})\b|centur(?:y|ies)|decades?|"
    r"monday|tuesday|wednesday|thursday|friday|saturday|sunday|today|yesterday|ago|since|until|"
    r"during|season|spring|summer|autumn|fall|winter|\d{1,2}:\d{2}|morning|evening|night)",
    re.I,
)
_NUMBER_WORDS = (
    "one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|fifty|"
    "hundred|hundreds|thousand|thousands|million|millions|billion|billions|dozen|dozens|half|"
    "several|few|many|once|twice|single|double"
)
_QUANTITY_FILLER = re.compile(rf"(?<![A-Za-z_])\d|\b(?:{_NUMBER_WORDS})\b", re.I)
"""A numeral ("10", "5MB", "2.1") or a number word; not the digit of a name ("S3", "UTF8", "x86")."""
_YEAR = re.compile(r"\b(?:1[5-9]\d{2}|20\d{2})\b")
_DOTTED = re.compile(r"(?<![\w.])[vV]?(\d+(?:\.\d+)+)(?![\w]|\.\d)")
_CAPITALISED = re.compile(r"(?<![.!?]\s)(?<!^)\b[A-Z][\w'’-]+")
_TITLES = frozenset({"mr", "ms", "mrs", "dr", "prof", "sir", "author", "by"})
"""Capitalised words that come with a name but are not one ("Author: Mr. Dmitry Loskutov")."""


def question_type(question: str) -> str:
    """The first matching type of ``question``: a specific slot beats "several", which beats other."""
    for kind, pattern in _PATTERNS:
        if pattern.search(question):
            return kind
    return OTHER


def asked_type(own: str, question: str) -> str:
    """The type the user's own words ``own`` ask for; for an ellipsis ("And the East Branch?"), the type
    its context asked for (``question``: the follow-up condensed with its context)."""
    kind = question_type(own)
    return question_type(question) if kind == OTHER else kind


def holds_filler(kind: str, text: str, question: str) -> bool:
    """Whether ``text`` holds something that could fill a ``kind`` slot and is not already in the
    question (a question naming "Tippecanoe" is not answered by the word "Tippecanoe")."""
    asked = {w.lower() for w in re.findall(r"[\w'’-]+", question)}
    if kind == TIME:
        return any(m.group().lower() not in asked for m in _TIME_FILLER.finditer(text))
    if kind == QUANTITY:
        return any(m.group().lower() not in asked for m in _QUANTITY_FILLER.finditer(text))
    if kind in (PERSON, PLACE):
        asked |= _TITLES
        return any(m.group().lower() not in asked for m in _CAPITALISED.finditer(text))
    return True


def years(text: str) -> frozenset[str]:
    """The years ``text`` names ("1830", "2017"): a question naming one asks about that year only."""
    return frozenset(_YEAR.findall(text))


def versions(text: str) -> frozenset[str]:
    """The dotted numbers ``text`` names ("7.0", "v3.10", "1.5.1"): a release, a section, a rate. A
    question naming one asks about that one only, as with a year."""
    return frozenset(_DOTTED.findall(text))


def named_in(number: str, named: frozenset[str] | set[str]) -> bool:
    """Whether ``number`` is among ``named``, a more precise one counting ("3.10" is named by "3.10.2")."""
    return any(n == number or n.startswith(number + ".") for n in named)
