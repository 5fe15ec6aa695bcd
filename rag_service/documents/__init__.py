"""Documents: what a file in the documents folder becomes before it is indexed.

``files`` finds the folder's files, reads only regular files inside it, decodes them and reads their
metadata sidecars into ``Document`` values (``rag_service.models``); a file that cannot be used is a
``DocumentError`` naming it, which ingest turns into a skipped file. ``chunking`` cuts a document into
chunks and sentences that keep exact offsets into its text. New formats (PDF, HTML, Word) belong here,
one module each, producing the same ``Document``.
"""
