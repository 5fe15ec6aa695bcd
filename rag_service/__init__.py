"""rag-service: offline-first retrieval-augmented question answering with exact citations.

The package is laid out by role (see README "How it works"): ``config`` and ``errors`` at the
base; ``documents`` → ``chunking`` → ``embedding`` → ``store`` → ``ingest`` build the index;
``lexical`` + ``retrieval`` find passages; ``conversation`` condenses follow-ups; ``answer`` composes
cited answers (extractive, or an LLM through ``prompts``), ``citations`` and ``grounding`` check them;
``pipeline`` wires them together for the ``cli`` and the ``api``; ``evaluation`` and ``bench`` measure.
"""

__version__ = "0.1.0"
