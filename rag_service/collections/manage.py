"""Creating and deleting collections: the registry row, the folders or database rows, the pipeline.

Deleting goes in the order that can never show one collection's documents to another: the registry
row first (from then on every request for the name is a 404), then the pipeline this process serves,
then, under that pipeline's write lock (an upload in progress finishes first), the documents and every
index version, then the keys of that collection (revoked). Creating removes whatever a crash left under
the name before making the empty folder, so a new collection never starts with an old one's files.
"""

from __future__ import annotations

import contextlib
import shutil
from pathlib import Path

from rag_service.access.authority import Authority
from rag_service.access.registry import CollectionInfo
from rag_service.collections.names import DEFAULT, collections_dir, for_collection, require_name
from rag_service.collections.pool import CollectionPool
from rag_service.config import Settings
from rag_service.errors import ConflictError
from rag_service.store.factory import make_store


def _folder(settings: Settings, name: str) -> Path:
    return collections_dir(settings) / require_name(name)


def create_collection(authority: Authority, settings: Settings, name: str, visibility: str) -> CollectionInfo:
    folder = _folder(settings, name)
    info = authority.registry.create(name, visibility)
    shutil.rmtree(folder, ignore_errors=True)
    (folder / "documents").mkdir(parents=True)
    return info


def delete_collection(authority: Authority, pool: CollectionPool, settings: Settings, name: str) -> None:
    if name == DEFAULT:
        raise ConflictError("the default collection cannot be deleted: delete its documents instead")
    authority.registry.delete(name)
    pipeline = pool.forget(name)
    with pipeline.writing() if pipeline is not None else contextlib.nullcontext():
        make_store(for_collection(settings, name)).drop_collection()  # files, or the database's rows
        shutil.rmtree(_folder(settings, name), ignore_errors=True)
    authority.keys.drop_collection(name)
