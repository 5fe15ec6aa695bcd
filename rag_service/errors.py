"""One error tree for the whole service.

    RagError                   base: a message that says what to do next
    ├── ConfigError            settings or prompt files are wrong            (HTTP 500 at start-up only)
    ├── IndexMissingError      no index built yet: run `rag-service ingest`  (HTTP 503)
    ├── IndexMismatchError     index built with another model/format/dimension, or damaged (HTTP 503)
    ├── DocumentError          a seed file cannot be read or decoded         (HTTP 422 on ingest)
    ├── InvalidRequestError    a client mistake the schema cannot express    (HTTP 400)
    ├── NotFoundError          an unknown document name                      (HTTP 404)
    └── UpstreamError          the LLM server failed                         (HTTP 502)
        └── UpstreamTimeoutError  ... or took too long                       (HTTP 504)

Core modules raise these; only ``rag_service.api.errors`` maps them to HTTP statuses and only the CLI
turns them into exit codes. Nothing below the API imports FastAPI.
"""


class RagError(Exception):
    """Base class: ``str(error)`` is a complete sentence a user can act on."""

    status_code = 500


class ConfigError(RagError):
    status_code = 500


class IndexMissingError(RagError):
    status_code = 503


class IndexMismatchError(RagError):
    status_code = 503


class DocumentError(RagError):
    status_code = 422


class InvalidRequestError(RagError):
    status_code = 400


class NotFoundError(RagError):
    status_code = 404


class UpstreamError(RagError):
    status_code = 502


class UpstreamTimeoutError(UpstreamError):
    status_code = 504
