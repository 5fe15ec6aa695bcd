"""The index in PostgreSQL with pgvector (``RAG_STORE=postgres``).

``schema`` creates and migrates the tables, ``database`` holds the connection pools and turns outages
into ``StoreUnavailableError``, ``copy`` moves rows in bulk, ``store`` is the ``IndexStore``, ``search``
its SQL retriever, and ``local`` starts a throw-away server for the tests and the benchmark.
"""
