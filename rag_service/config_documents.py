"""The settings of where documents live and how they are read and accepted: the first group of
``rag_service.config.Settings``, which inherits them (fields keep their order, first in the generated
configuration page). Apart so that ``config.py`` stays one screenful per role."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class DocumentSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="RAG_", env_file=None, extra="ignore")

    # Where things live (relative paths are taken from the working directory).
    seeds_dir: Path = Field(
        Path("seeds"), description="folder of documents (relative paths are taken from the working directory)"
    )
    index_dir: Path = Field(Path("index"), description="folder of the built index (`RAG_STORE=faiss`)")
    prompts_dir: Path | None = Field(
        None,
        description="a folder of prompt templates replacing the default ones; unset: `prompts/` of the "
        "checkout, which the installed package carries too",
    )

    # Reading documents.
    max_document_mb: float = Field(
        50,
        gt=0,
        le=4096,
        description="largest document file read by ingest or accepted by upload, in MB (checked before the "
        "file is read)",
    )
    max_document_chars: int = Field(
        5_000_000,
        ge=1000,
        description="longest text one document may extract to (about 2,000 pages); longer is refused with "
        "its length",
    )
    ocr: bool = Field(
        True,
        description="read PDF pages without a text layer with Tesseract (when installed; a change re-reads "
        "PDFs at the next ingest)",
    )
    allow_hardlinks: bool = Field(
        False,
        description="read document files with several names; off because a hard link may bring in a file "
        "from anywhere on the disk",
    )
    max_upload_files: int = Field(
        20, ge=1, le=1000, description="files accepted in one `POST /api/documents`"
    )
    max_upload_mb: float = Field(
        100,
        gt=0,
        le=8192,
        description="total megabytes of one `POST /api/documents` (streamed; files over 1 MB spool to disk)",
    )
    max_uploads: int = Field(
        2, ge=1, le=64, description="upload requests received at once; more get 503 with `Retry-After`"
    )
    write_budget_seconds: float = Field(
        300,
        gt=0,
        le=86_400,
        description="longest an ingest started over HTTP (upload, delete, `POST /api/ingest`) may run, and "
        "longest a write waits for another; an upload over it is refused and undone",
    )
