"""Prompt templates, read from ``RAG_PROMPTS_DIR`` or the default ones, and checked before use.

The defaults live in ``prompts/`` at the top of the repository, where a user edits them;
``rag_service/prompt_templates`` is a link to that folder, so a checkout reads ``prompts/`` itself and a
built wheel carries the same files as package data (one copy, no second set to keep in step). That
keeps ``rag-service`` working from any directory once installed (a folder the working directory had to
hold made ``rag-service ask`` fail outside the repository, extractive backend included).
Each file is a LangChain ``PromptTemplate`` (f-string syntax). A file that is missing, cannot be parsed,
lacks one of its variables or uses one it cannot be given is a ``ConfigError`` naming the file and the
variables, raised at start-up rather than on the first question.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from langchain_core.prompts import PromptTemplate

from rag_service.errors import ConfigError

VARIABLES: dict[str, frozenset[str]] = {
    "system.txt": frozenset(),
    "answer.txt": frozenset({"passages", "question"}),
    "condense.txt": frozenset({"history", "question"}),
}


@dataclass(frozen=True)
class Prompts:
    system: PromptTemplate
    answer: PromptTemplate
    condense: PromptTemplate


def load_template(path: Path, expected: frozenset[str]) -> PromptTemplate:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(
            f"prompt file {path} cannot be read ({exc.strerror}): restore it, or unset "
            "RAG_PROMPTS_DIR to use the packaged templates"
        ) from exc
    try:
        template = PromptTemplate.from_template(text, template_format="f-string")
    except (ValueError, KeyError) as exc:
        raise ConfigError(
            f"prompt file {path} is not a valid template ({exc}); write literal braces as {{{{ }}}}"
        ) from exc
    found = set(template.input_variables)
    missing, unknown = expected - found, found - expected
    if missing or unknown:
        parts = []
        if missing:
            parts.append("missing " + ", ".join("{" + v + "}" for v in sorted(missing)))
        if unknown:
            parts.append("unknown " + ", ".join("{" + v + "}" for v in sorted(unknown)))
        allowed = ", ".join("{" + v + "}" for v in sorted(expected)) or "none"
        raise ConfigError(f"prompt file {path}: {'; '.join(parts)} (its variables must be: {allowed})")
    return template


PACKAGED = Path(__file__).parent / "prompt_templates"
"""The default templates: ``prompts/`` of the checkout, package data once installed (its ``README.md``
lists their variables)."""


def load_prompts(folder: Path | None = None) -> Prompts:
    """The templates in ``folder``, or the packaged ones; a folder that is set must hold all three."""
    folder = folder or PACKAGED
    return Prompts(
        **{
            name.removesuffix(".txt"): load_template(folder / name, variables)
            for name, variables in VARIABLES.items()
        }
    )
