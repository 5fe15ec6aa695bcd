"""What a loaded index must satisfy before it may answer, whichever store it came from.

Data can match its hashes (or come out of a database intact) and still be wrong: written by a buggy
tool, or edited by hand. Loading checks what the answer path relies on (record counts, vector shapes,
dtype and finiteness, offsets inside their document, sentence rows that exist) and refuses the index
with a message to re-run ingest, instead of answering 500 to every question.
"""

from __future__ import annotations

import numpy as np

from rag_service.documents.windows import window_groups
from rag_service.store.model import IndexContent, Manifest

RERUN = "re-run `rag-service ingest` to rebuild it"
"""What every refused index's message tells the user to do, whichever store it came from."""


def inconsistency(manifest: Manifest, content: IndexContent) -> str | None:
    """What is wrong with a loaded index that matched its hashes, or None. Cheap: one pass each."""
    documents, chunks, sentences = content.documents, content.chunks, content.sentences
    dimension = manifest.settings.dimension
    counts = manifest.counts
    found = {"documents": len(documents), "chunks": len(chunks), "sentences": len(sentences)}
    if any(counts.get(k) != v for k, v in found.items()):
        return f"record counts {found} differ from the manifest's {counts}"
    # Records read on demand (PostgreSQL, ``rows.RowRecords``) are not walked here: they were checked
    # when written, and walking them would read the whole version.
    walked = isinstance(chunks, tuple) and isinstance(sentences, tuple)
    windows = len(content.window_vectors)
    if walked:  # a retrieval-only index (benchmarks: no sentences) has no windows either
        windows = len(window_groups(chunks)) if sentences else 0
    arrays = (
        ("chunk vectors", content.chunk_vectors, len(chunks)),
        ("sentences.npy", content.sentence_vectors, len(sentences)),
        ("windows.npy", content.window_vectors, windows),
    )
    for name, vectors, rows in arrays:
        if vectors.dtype != np.float32 or vectors.shape != (rows, dimension):
            return f"{name} is {vectors.dtype} {vectors.shape}"
    vector_sets = (
        ("chunk", content.chunk_vectors),
        ("sentence", content.sentence_vectors),
        ("window", content.window_vectors),
    )
    for name, vectors in vector_sets:
        # Vectors read on demand (PostgreSQL) are not read here: they were checked when written.
        if isinstance(vectors, np.ndarray) and not np.isfinite(vectors).all():
            return f"{name} vectors contain NaN or infinite values"
    if not walked:
        return None
    lengths = {d.name: len(d.text) for d in documents}
    for kind, spans in (("chunk", chunks), ("sentence", sentences)):
        for span in spans:
            size = lengths.get(span.source)
            if size is None or not 0 <= span.start < span.end <= size:
                return f"a {kind} points outside its document"
    if any(row < 0 or row >= len(sentences) for chunk in chunks for row in chunk.sentence_ids):
        return "a chunk names a sentence that does not exist"
    return None
