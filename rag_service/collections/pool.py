"""The pipelines of the collections one process serves.

The default collection's pipeline is loaded at start-up (``rag_service.api.app``), as it always was;
every other collection's is loaded on its first request and kept. All of them share the one embedding
model; each has its own index, BM25, answerer and write lock, so nothing derived from one collection's
documents can serve another's question. A collection with no index yet (just created) gets an empty
one first, so asking it says the documents do not answer instead of failing.
"""

from __future__ import annotations

import threading

from rag_service.collections.names import DEFAULT, for_collection
from rag_service.config import Settings
from rag_service.errors import IndexMissingError
from rag_service.ingest import ingest_seeds
from rag_service.pipeline import Pipeline
from rag_service.store.factory import make_store


class CollectionPool:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._pipelines: dict[str, Pipeline] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._lock = threading.Lock()

    def loaded(self, name: str) -> Pipeline | None:
        return self._pipelines.get(name)

    def get(self, name: str, default: Pipeline) -> Pipeline:
        """Collection ``name``'s pipeline, loading it (and building an empty index) the first time."""
        if name == DEFAULT:
            return default
        found = self._pipelines.get(name)
        if found is not None:
            return found
        with self._lock:
            lock = self._locks.setdefault(name, threading.Lock())
        with lock:
            found = self._pipelines.get(name)
            if found is None:
                found = self._load(name, default)
                self._pipelines[name] = found
            return found

    def _load(self, name: str, default: Pipeline) -> Pipeline:
        settings = for_collection(self.settings, name)
        settings.seeds_dir.mkdir(parents=True, exist_ok=True)
        store = make_store(settings)
        try:
            store.current_version()
        except IndexMissingError:
            ingest_seeds(settings, default.embedder, store=store)
        return Pipeline.load(settings, default.embedder, store)

    def forget(self, name: str) -> Pipeline | None:
        """Stop serving ``name`` (deleted): the next request for it loads it anew, if it exists then."""
        with self._lock:
            return self._pipelines.pop(name, None)
