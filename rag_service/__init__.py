"""rag-service: offline-first retrieval-augmented question answering with exact citations.

The package is laid out by role (docs/answering.md has the map). At the base: ``config``, ``errors``,
the value types in ``models`` and the question checks in ``questions``. Building the index:
``documents`` (files → documents → chunks and sentences), ``embedding``, ``store`` (the ``IndexStore``
protocol and its file implementation) and ``ingest``. Answering: ``retrieval``, ``conversation``
(follow-ups → standalone questions), ``prompts`` and ``answer``. ``pipeline`` composes them for the
``cli`` and the ``api``; ``serialize`` gives answers one dict and text shape; ``evaluation`` and
``bench`` measure.
"""

__version__ = "0.1.0"
