"""The configuration reference, generated from ``Settings`` so that it cannot drift from the code.

The documentation site's configuration page is built from this table (``scripts/docs_hooks.py``), and a
test checks that every ``RAG_`` variable is on the built page. A setting without a description is an
error here, not a blank cell: the reference is only as good as its worst line.
"""

from __future__ import annotations

import types
import typing
from pathlib import Path
from typing import Any, Literal

from pydantic import SecretStr
from pydantic.fields import FieldInfo

from rag_service.config import Settings


def variable(name: str) -> str:
    return f"RAG_{name.upper()}"


def _choices(annotation: Any) -> list[str]:
    """The allowed values of a ``Literal`` setting (inside ``X | None`` too)."""
    if typing.get_origin(annotation) is Literal:
        return [str(value) for value in typing.get_args(annotation)]
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union:
        return [choice for arg in typing.get_args(annotation) for choice in _choices(arg)]
    return []


def _default(field: FieldInfo) -> str:
    value = field.get_default(call_default_factory=True)
    if value is None:
        return "unset"
    if isinstance(value, SecretStr):  # a default is in the source for all to read: never a real secret
        return f"`{value.get_secret_value()}`" if value.get_secret_value() else "unset"
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, list):
        return "`[]`" if not value else f"`{value}`"
    if isinstance(value, Path):
        return f"`{value}`"
    return f"`{value}`"


def rows() -> list[tuple[str, str, str]]:
    """``(variable, default, meaning)`` for every setting, in the class's order (grouped by role)."""
    out = []
    for name, field in Settings.model_fields.items():
        if not field.description:
            raise ValueError(f"setting {variable(name)} has no description: add one in rag_service/config.py")
        meaning = field.description.rstrip(".")
        choices = _choices(field.annotation)
        if choices and not all(f"`{c}`" in meaning or c in meaning for c in choices):
            meaning += f" (one of {', '.join(f'`{c}`' for c in choices)})"
        if typing.get_origin(field.annotation) is list or field.annotation == list[str]:
            meaning += '; a JSON list, e.g. `\'["a", "b"]\'`'
        out.append((variable(name), _default(field), meaning))
    return out


def markdown_table() -> str:
    lines = ["| variable | default | meaning |", "|---|---|---|"]
    for name, default, meaning in rows():
        cell = meaning.replace("|", "\\|")
        lines.append(f"| `{name}` | {default} | {cell} |")
    return "\n".join(lines) + "\n"
