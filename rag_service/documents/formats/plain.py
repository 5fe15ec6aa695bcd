"""Plain text and Markdown: decoded exactly as stored, because citations index into that string.

UTF-8 is the norm; a UTF-8 or UTF-16 byte-order mark is honoured and dropped (it is an encoding marker,
not text). No newline translation: ``document.text[start:end]`` must give back the cited characters.
"""

from __future__ import annotations

import codecs

from rag_service.errors import DocumentError


def decode_text(raw: bytes, name: str) -> str:
    """Text of a document file: UTF-8, or UTF-8/UTF-16 with a byte-order mark (dropped)."""
    if raw.startswith(codecs.BOM_UTF8):
        encoding, body = "utf-8", raw[len(codecs.BOM_UTF8) :]
    elif raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encoding, body = "utf-16", raw  # the codec reads the mark to pick the byte order
    elif b"\0" in raw:
        raise DocumentError(f"{name}: a binary file (it contains NUL bytes), not text")
    else:
        encoding, body = "utf-8", raw
    try:
        text = body.decode(encoding)
    except UnicodeDecodeError as exc:
        label = "UTF-16" if encoding == "utf-16" else "UTF-8"
        raise DocumentError(
            f"{name}: not valid {label} (byte {exc.start}); convert it to UTF-8 and re-run ingest"
        ) from exc
    if "\0" in text:
        raise DocumentError(f"{name}: a binary file (it contains NUL characters), not text")
    if not text.strip():
        raise DocumentError(f"{name}: empty or only whitespace, nothing to index")
    return text
