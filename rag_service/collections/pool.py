"""The pipelines of the collections one process serves.

The default collection's pipeline is loaded at start-up (``rag_service.api.app``), as it always was;
every other collection's is loaded on its first request and kept. All of them share the one embedding
model; each has its own index, BM25, answerer and write lock, so nothing derived from one collection's
documents can serve another's question. A collection with no index yet (just created) gets an empty
one first, so asking it says the documents do not answer instead of failing.

``RAG_MAX_OPEN_COLLECTIONS`` bounds how many stay loaded: past it, the least recently asked one is
dropped from the pool (a question in flight on it finishes on the pipeline it holds) and is loaded again
on its next request, which costs that request the load (about 0.3 s for 1,000 chunks from files).

A pipeline is kept with its collection's creation time (its generation): a collection deleted through
another process and created again under the same name is a different collection, and the pipeline of
the old one is dropped, never served for the new one.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

from rag_service.collections.names import DEFAULT, for_collection
from rag_service.config import Settings
from rag_service.errors import IndexMissingError
from rag_service.ingest import ingest_seeds
from rag_service.pipeline import Pipeline
from rag_service.store.factory import make_store


class CollectionPool:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._pipelines: OrderedDict[str, tuple[float | None, Pipeline]] = OrderedDict()
        self._locks: dict[str, threading.Lock] = {}
        self._lock = threading.Lock()

    def loaded(self, name: str, generation: float | None) -> Pipeline | None:
        """The pipeline of collection ``name`` created at ``generation``, if this process has it."""
        with self._lock:
            entry = self._pipelines.get(name)
            if entry is None:
                return None
            if entry[0] != generation:  # deleted and created again elsewhere: another collection
                del self._pipelines[name]
                return None
            self._pipelines.move_to_end(name)
            return entry[1]

    def get(self, name: str, default: Pipeline, generation: float | None = None) -> Pipeline:
        """Collection ``name``'s pipeline, loading it (and building an empty index) the first time."""
        if name == DEFAULT:
            return default
        found = self.loaded(name, generation)
        if found is not None:
            return found
        with self._lock:
            lock = self._locks.setdefault(name, threading.Lock())
        with lock:
            found = self.loaded(name, generation)
            if found is None:
                found = self._load(name, default)
                with self._lock:
                    self._pipelines[name] = (generation, found)
                    limit = self.settings.max_open_collections
                    while limit and len(self._pipelines) > limit:
                        self._pipelines.popitem(last=False)
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
            entry = self._pipelines.pop(name, None)
        return None if entry is None else entry[1]
