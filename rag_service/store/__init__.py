"""The index store: where index versions live and how readers get one complete version.

``model`` holds the in-memory values (``IndexContent``, ``LoadedIndex``, the typed ``Manifest`` and the
``IndexSettings`` compatibility check), ``protocol`` the ``IndexStore`` seam with its contract, and
``files`` the default implementation: a versioned folder of plain files with FAISS, switched atomically.
A database store implements the same protocol and passes the same contract tests.
"""
