"""One error tree for the whole service.

    RagError                   base: a message that says what to do next
    ├── ConfigError            settings or prompt files are wrong            (HTTP 500 at start-up only)
    ├── IndexMissingError      no index built yet: run `rag-service ingest`  (HTTP 503)
    ├── IndexMismatchError     index built with another model/format/dimension, or damaged (HTTP 503)
    ├── StoreUnavailableError  the index database is down or too slow; retry later (HTTP 503)
    ├── DocumentError          a seed file cannot be read or decoded         (HTTP 422 on ingest)
    ├── BudgetExceededError    an ingest over its time budget, undone        (HTTP 422)
    ├── WorkCancelled          the client of a write has gone; work stopped  (HTTP 499, never seen)
    ├── BusyError              another write holds the lock too long         (HTTP 503)
    ├── InvalidRequestError    a client mistake the schema cannot express    (HTTP 400)
    ├── NotFoundError          an unknown document or collection name        (HTTP 404)
    ├── ConflictError          a collection that exists already, or in use   (HTTP 409)
    ├── AuthError              no key, or a wrong, expired or revoked one    (HTTP 401)
    ├── ForbiddenError         a valid key whose role does not allow this    (HTTP 403)
    └── UpstreamError          the LLM server failed                         (HTTP 502)
        └── UpstreamTimeoutError  ... or took too long                       (HTTP 504)

Core modules raise these; only ``rag_service.api.errors`` maps them to HTTP statuses (the codes above)
and only the CLI turns them into exit codes. Nothing below the API imports FastAPI.
"""


class RagError(Exception):
    """Base class: ``str(error)`` is a complete sentence a user can act on."""


class ConfigError(RagError):
    """Settings, prompt files or the model are wrong: the service cannot start answering."""


class IndexMissingError(RagError):
    """No index has been built yet."""


class IndexMismatchError(RagError):
    """The index cannot serve: another model, format or dimension, or damaged."""


class StoreUnavailableError(RagError):
    """The index store (a database) cannot be reached or did not answer in time; retrying may work."""


class DocumentError(RagError):
    """One document file cannot be used; ingest skips it with this message as the reason."""


class BudgetExceededError(RagError):
    """An ingest started over HTTP ran past RAG_WRITE_BUDGET_SECONDS; it was stopped and undone."""


class WorkCancelled(RagError):
    """The client that asked for a write has gone, and the work was stopped."""


class BusyError(RagError):
    """Another write held the lock for longer than this one may wait; retrying later may work."""


class InvalidRequestError(RagError):
    """A client mistake the request schema cannot express (a limit, a bad combination)."""


class NotFoundError(RagError):
    """An unknown document or collection name (or a private collection the caller may not read: its
    existence is not revealed)."""


class ConflictError(RagError):
    """The request contradicts what exists: a collection created twice, the default one deleted."""


class AuthError(RagError):
    """The request needs an API key and none was sent, or the one sent is unknown, expired or revoked."""


class ForbiddenError(RagError):
    """The key is valid but its role (or the server's configuration) does not allow this action."""


class UpstreamError(RagError):
    """The LLM server failed or answered something unusable."""


class UpstreamTimeoutError(UpstreamError):
    """The LLM server did not answer within RAG_LLM_TIMEOUT."""
