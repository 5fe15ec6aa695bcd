"""The index store: where index versions live and how readers get one complete version.

``model`` holds the in-memory values (``IndexContent``, ``LoadedIndex``, the typed ``Manifest`` and the
``IndexSettings`` compatibility check), ``protocol`` the ``IndexStore`` seam with its contract, and
``files`` the default implementation: a versioned folder of plain files with FAISS, switched atomically.
``postgres`` keeps the same versions in PostgreSQL with pgvector and passes the same contract tests;
``records`` and ``checks`` are the serialisation and load checks both share, and ``factory.make_store``
picks a store from ``RAG_STORE``.
"""
