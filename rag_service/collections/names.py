"""Collection names, and where each collection's documents and index live.

A name is a slug (lower-case letters, digits and single hyphens, 1 to 40 characters, starting with a
letter): it becomes a folder name, part of URLs and an OpenAI ``model`` id, so nothing that could
escape a folder or need quoting is allowed. ``default`` is the collection every existing setting
describes (``RAG_SEEDS_DIR``, ``RAG_INDEX_DIR``); every other one lives in
``RAG_COLLECTIONS_DIR/<name>/documents`` and ``.../index``.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

from rag_service.errors import InvalidRequestError

if TYPE_CHECKING:
    from rag_service.config import Settings

DEFAULT = "default"
_SLUG = re.compile(r"[a-z](?:-?[a-z0-9])*")
MAX_LENGTH = 40


def require_name(name: str) -> str:
    """``name`` if it is a valid collection name, else ``InvalidRequestError`` saying what a name is."""
    if len(name) <= MAX_LENGTH and _SLUG.fullmatch(name):
        return name
    raise InvalidRequestError(
        f"{name[:60]!r} is not a collection name: use 1 to {MAX_LENGTH} lower-case letters, digits and "
        "single hyphens, starting with a letter (for example 'hr-policies')"
    )


def collections_dir(settings: Settings) -> Path:
    """The folder of the non-default collections: ``RAG_COLLECTIONS_DIR``, or beside the index folder."""
    return settings.collections_dir or settings.index_dir.parent / "collections"


def for_collection(settings: Settings, name: str) -> Settings:
    """``settings`` pointed at collection ``name``: its documents folder and index folder."""
    name = require_name(name)
    if name == DEFAULT:
        return (
            settings if settings.collection == DEFAULT else settings.model_copy(update={"collection": name})
        )
    root = collections_dir(settings) / name
    return settings.model_copy(
        update={"collection": name, "seeds_dir": root / "documents", "index_dir": root / "index"}
    )
