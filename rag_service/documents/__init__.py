"""Documents: what a file in the documents folder becomes before it is indexed.

``files`` finds the folder's files, reads only regular files inside it (within the size limit) and reads
their metadata sidecars; ``formats`` turns a file's bytes into the text citations index into and its
structure map (pages, heading paths, tables), choosing the reader by content: PDF (PDFium, Tesseract
for scans), HTML (lxml), Word (python-docx), Markdown and plain text. A file that cannot be used is a
``DocumentError`` naming it, which ingest turns into a skipped file. ``chunking`` cuts a document into
chunks and sentences that keep exact offsets into its text, reading a line break where a hard-wrapped
line ran out of room as a space (``wraps``) and leaving markup-only lines unquoted (``markup``, which also
finds a file's own title); ``uploads`` puts uploaded files into the
folder (and takes them out) without ever writing outside it.
"""
