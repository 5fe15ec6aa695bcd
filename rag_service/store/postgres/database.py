"""Connections to the index database: a pool for the primary, one for an optional read replica.

Every failure to reach the database, or to hear back from it within ``timeout`` seconds, becomes a
``StoreUnavailableError`` (HTTP 503 with ``Retry-After``) that names the server by host, port and
database only: the URLs may carry a password, which never reaches a message, a log or a client.

After the server restarts, pooled connections are broken. The write pool checks each connection before
lending it (an extra round trip, nothing next to an ingest); reads, one or two per question, do not pay
for that: ``read`` runs its work again once on a fresh connection when the one it was lent turns out
broken, and the pool replaces broken connections as they come back. So the service reconnects by
itself, and the first question after an outage does not fail for a stale connection.
Once a request finds the database unreachable, the next ones fail at once (503 within milliseconds,
not after waiting out a pool timeout) while one caller a second probes it with a fresh connection (at
most 2 s); when the probe connects, the pools are opened anew and requests go through again.
Reads carry a ``statement_timeout`` of ``timeout``; a slow database answers 503 instead of holding a
request. Writes (ingest) have no statement timeout: building an HNSW index may take minutes.

Schema migrations run once per process, on the primary, before the first pool is opened: the pools
register pgvector's type adapters when they connect, and that needs the extension to exist.
"""

from __future__ import annotations

import contextlib
import logging
import math
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import psycopg
import psycopg_pool
from pgvector.psycopg import register_vector

from rag_service.errors import StoreUnavailableError
from rag_service.store.postgres import schema

log = logging.getLogger("rag_service.store")
FAIL_FAST = 1.5
"""Seconds a request waits for a connection once the database looks gone (a broken connection)."""
WAIT_SLICE = 0.25
"""A request waiting for a read connection looks this often whether another found the database gone."""
PROBE_EVERY = 1.0
"""While the database is down, requests fail at once; one caller this often tries a fresh connection."""
T = TypeVar("T")


def where(url: str) -> str:
    """``host:port/dbname`` of a connection URL, with no user name or password."""
    try:
        info = psycopg.conninfo.conninfo_to_dict(url)
    except psycopg.ProgrammingError:
        return "the configured database (its URL cannot be parsed)"
    host = info.get("host") or info.get("hostaddr") or "localhost"
    return f"{host}:{info.get('port') or 5432}/{info.get('dbname') or ''}"


def _reachable(url: str) -> bool:
    """Whether a fresh connection to ``url`` opens (libpq waits at most 2 s)."""
    try:
        psycopg.connect(url, connect_timeout=2, autocommit=True).close()
    except psycopg.Error:
        return False
    return True


class Database:
    def __init__(
        self,
        url: str,
        read_url: str | None = None,
        *,
        timeout: float = 5.0,
        pool_size: int = 8,
        ef_search: int = 128,
    ):
        self.url, self.read_url = url, read_url
        self.timeout, self.pool_size = timeout, pool_size
        self.ef_search = ef_search
        """``hnsw.ef_search`` of every read connection, set once when it connects: a search then
        costs one round trip, with no transaction around a ``SET LOCAL``."""
        self._primary: psycopg_pool.ConnectionPool | None = None
        self._reader: psycopg_pool.ConnectionPool | None = None
        """Reads: the replica when one is configured, else the primary, with a statement timeout."""
        self._lock = threading.Lock()
        self._down_since: float | None = None
        """When a request last found the database unreachable; None while it answers."""
        self._last_probe = 0.0
        self._probe_lock = threading.Lock()

    def _pool(self, url: str, *, reads: bool) -> psycopg_pool.ConnectionPool:
        kwargs: dict[str, Any] = {
            "autocommit": True,
            "connect_timeout": max(1, math.ceil(self.timeout)),
            # A peer that vanishes without closing the socket is noticed in seconds, not hours.
            "keepalives_idle": 5,
            "keepalives_interval": 2,
            "keepalives_count": 3,
            "tcp_user_timeout": int(self.timeout * 1000) + 5000,
        }
        if reads:
            kwargs["options"] = f"-c statement_timeout={int(self.timeout * 1000)}"
        return psycopg_pool.ConnectionPool(
            url,
            min_size=1,
            max_size=self.pool_size,
            timeout=self.timeout,
            kwargs=kwargs,
            configure=self._configure_reads if reads else register_vector,
            check=None if reads else psycopg_pool.ConnectionPool.check_connection,
            open=False,
            name="rag-primary" if not reads else "rag-replica",
        )

    def _configure_reads(self, conn: psycopg.Connection[Any]) -> None:
        register_vector(conn)
        conn.execute("SELECT set_config('hnsw.ef_search', %s, false)", (str(self.ef_search),))

    def _open(self) -> None:
        with self._lock:
            if self._primary is not None:
                return
            with self.translated(self.url):
                schema.migrate(self.url, self.timeout)
            primary = self._pool(self.url, reads=False)
            reader = self._pool(self.read_url or self.url, reads=True)
            primary.open(wait=False)
            reader.open(wait=False)
            self._primary, self._reader = primary, reader

    def _guard(self, url: str) -> None:
        """While the database is known to be down, fail at once (one caller a second probes it with a
        fresh connection instead); once a probe connects, open fresh pools and carry on."""
        down = self._down_since
        if down is None:
            return
        now = time.monotonic()
        if now - self._last_probe < PROBE_EVERY or not self._probe_lock.acquire(blocking=False):
            raise self._down(url, now - down)
        try:
            self._last_probe = now
            if not _reachable(url):
                raise self._down(url, now - down)
            self._close_pools()  # their reconnection back-off would keep the first requests waiting
            self._down_since = None
            log.info("index database %s is reachable again", where(url))
        finally:
            self._probe_lock.release()

    def _down(self, url: str, seconds: float) -> StoreUnavailableError:
        return StoreUnavailableError(
            f"the index database {where(url)} has not been reachable for {seconds:.0f} s: "
            "retry in a few seconds"
        )

    @contextlib.contextmanager
    def connection(self, *, write: bool = False) -> Iterator[psycopg.Connection[Any]]:
        """A pooled connection: the primary for writes, the replica (when configured) for reads."""
        self._guard(self.url if write else self.read_url or self.url)
        self._open()
        pool = self._primary if write else self._reader
        assert pool is not None
        with self.translated(self.url if write else self.read_url or self.url), pool.connection() as conn:
            yield conn

    def read(self, work: Callable[[psycopg.Connection[Any]], T]) -> T:
        """``work(connection)`` on a read connection, run again once on another connection when the
        first was broken (pooled before the server restarted); that second wait is short, since a
        broken connection usually means the server is gone."""
        self._guard(self.read_url or self.url)
        self._open()
        pool = self._reader
        assert pool is not None
        with self.translated(self.read_url or self.url):
            for attempt in (1, 2):
                conn = self._lend(pool, self.timeout if attempt == 1 else min(self.timeout, FAIL_FAST))
                try:
                    return work(conn)
                except psycopg.OperationalError:
                    if attempt == 2 or not conn.broken:
                        raise
                finally:
                    pool.putconn(conn)
        raise AssertionError("unreachable")

    def _lend(self, pool: psycopg_pool.ConnectionPool, timeout: float) -> psycopg.Connection[Any]:
        """A connection from ``pool`` within ``timeout`` seconds, waited for in short slices: a request
        already queued when another one finds the database gone fails then (a quick 503) instead of
        waiting out the whole pool timeout for a connection that cannot come."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            try:
                return pool.getconn(timeout=max(min(WAIT_SLICE, left), 0.01))
            except psycopg_pool.PoolTimeout:
                down = self._down_since
                if down is not None:
                    raise self._down(self.read_url or self.url, time.monotonic() - down) from None
                if time.monotonic() >= deadline:
                    raise

    @contextlib.contextmanager
    def translated(self, url: str) -> Iterator[None]:
        """Database failures as ``StoreUnavailableError``; other errors (bugs) pass through."""
        try:
            yield
        except (psycopg_pool.PoolTimeout, psycopg.OperationalError, psycopg.InterfaceError) as exc:
            # A query cut by its timeout is a slow database, and a pool timeout may be a busy one: only
            # a database that cannot be reached makes the next requests fail at once.
            slow = isinstance(exc, psycopg.errors.QueryCanceled)
            if not slow and (not isinstance(exc, psycopg_pool.PoolTimeout) or not _reachable(url)):
                self._down_since = self._down_since or time.monotonic()
            raise self._unavailable(url, exc) from None
        except psycopg_pool.PoolClosed:  # closed under it by a recovery: the next try gets the new pool
            raise StoreUnavailableError(
                f"the index database {where(url)} was just reconnected: retry now"
            ) from None

    def _unavailable(self, url: str, exc: Exception) -> StoreUnavailableError:
        """The error a client sees for ``exc``: which database, what happened, what to do."""
        if isinstance(exc, psycopg_pool.PoolTimeout):
            return StoreUnavailableError(
                f"the index database {where(url)} gave no connection within {self.timeout:g} s "
                "(down, or every connection busy): retry in a few seconds"
            )
        if isinstance(exc, psycopg.errors.QueryCanceled):
            return StoreUnavailableError(
                f"the index database {where(url)} did not answer within {self.timeout:g} s: retry later"
            )
        log.warning("index database %s: %s", where(url), type(exc).__name__)
        return StoreUnavailableError(
            f"the index database {where(url)} cannot be reached: retry in a few seconds"
        )

    def close(self) -> None:
        self._close_pools()

    def _close_pools(self) -> None:
        with self._lock:
            for pool in (self._primary, self._reader):
                if pool is not None:
                    pool.close(timeout=0)
            self._primary = self._reader = None
