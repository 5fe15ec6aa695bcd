"""rag-service: offline-first retrieval-augmented question answering with exact citations.

The package is laid out by role (see README "Architecture"): ``config`` and ``errors`` at the
base; ``documents`` → ``chunking`` → ``embedding`` → ``store`` → ``ingest`` build the index;
``lexical`` + ``retrieval`` find passages; ``answer`` composes cited answers; ``pipeline`` wires
them together for the ``cli`` and the ``api``.
"""

__version__ = "0.1.0"
