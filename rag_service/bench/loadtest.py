"""``rag-service load``: a bounded load test of ``/api/ask`` on this machine.

It sends exactly ``--requests`` requests with ``--concurrency`` in flight, then stops; each request has a
timeout. It refuses any target that is not a loopback address (127.0.0.0/8, ::1, localhost): load is only
ever sent to a server of ours on this machine. Questions cycle through the evaluation set's single-turn
questions, each made unique with a number so the query-embedding cache cannot flatter the result.
Prints throughput, latency p50/p95/p99 and max, and the count of each status.
"""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import json
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from rag_service.errors import InvalidRequestError
from rag_service.evaluation.metrics import percentile


@dataclass
class LoadResult:
    requests: int
    concurrency: int
    seconds: float
    latencies_ms: list[float] = field(default_factory=list)
    statuses: Counter[str] = field(default_factory=Counter)
    resent: int = 0
    """Requests sent again on a new connection because the server had closed the reused one before
    answering a byte (see ``StaleConnection``)."""

    @property
    def errors(self) -> int:
        return sum(n for status, n in self.statuses.items() if status != "200")

    @property
    def throughput(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def max_ms(self) -> float:
        return max(self.latencies_ms, default=0.0)

    def summary(self) -> str:
        lat = self.latencies_ms
        return (
            f"{self.requests} requests, concurrency {self.concurrency}, {self.seconds:.1f} s: "
            f"{self.throughput:.1f} req/s; latency p50 {percentile(lat, 50):.1f} ms, p95 "
            f"{percentile(lat, 95):.1f} ms, p99 {percentile(lat, 99):.1f} ms, max {self.max_ms:.1f} ms; "
            f"errors {self.errors}; "
            f"statuses {dict(self.statuses)}"
        )


def require_loopback(url: str) -> None:
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return
    try:
        if ipaddress.ip_address(host).is_loopback:
            return
    except ValueError:
        pass
    raise InvalidRequestError(
        f"refusing to send load to {host!r}: only loopback addresses (127.0.0.1, ::1) are allowed"
    )


def default_questions() -> list[str]:
    path = Path("eval/seeds.jsonl")
    if not path.is_file():
        return ["Who heads Roscosmos?", "How many launches does Russia plan in 2017?"]
    cases = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [c["question"] for c in cases if "question" in c]


async def run_load(
    url: str,
    requests: int,
    concurrency: int,
    questions: list[str],
    timeout: float = 30.0,
    unique: bool = True,
) -> LoadResult:
    """``requests`` POSTs to ``/api/ask``, ``concurrency`` at a time, each on its own keep-alive
    connection.

    The client is a few lines of HTTP/1.1 over asyncio streams rather than httpx: on a 2-core machine
    the load generator shares the CPU with the server it measures, and httpx spent about 2 ms of CPU per
    request (a fifth of the machine at 200 req/s); this client spends a tenth of that. It speaks only
    what the benchmark needs: JSON bodies with ``Content-Length``, keep-alive, reconnecting when the
    server closes. Like browsers and HTTP libraries, it sends a request once more on a new connection
    when a *reused* one turns out to have been closed by the server before any byte of the answer came
    (a worker retiring during a restart closes its idle connections; a request can cross that close in
    flight). A connection that fails otherwise, or a second time, is an error."""
    require_loopback(url)
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    result = LoadResult(requests, concurrency, 0.0)
    counter = iter(range(requests))

    async def worker() -> None:
        connection: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None
        for i in counter:
            question = questions[i % len(questions)] + (f" ({i})" if unique else "")
            body = json.dumps({"question": question}).encode()
            request = (
                f"POST /api/ask HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(body)}\r\n\r\n"
            ).encode() + body
            started = time.perf_counter()
            try:
                if connection is not None:
                    try:
                        status, keep = await asyncio.wait_for(_exchange(*connection, request), timeout)
                    except StaleConnection:
                        connection[1].close()
                        connection = None
                        result.resent += 1
                if connection is None:
                    connection = await asyncio.wait_for(asyncio.open_connection(host, port), timeout)
                    status, keep = await asyncio.wait_for(_exchange(*connection, request), timeout)
                if not keep:
                    connection[1].close()
                    connection = None
            except (TimeoutError, OSError, asyncio.IncompleteReadError, ValueError) as exc:
                status = "Timeout" if isinstance(exc, asyncio.TimeoutError) else type(exc).__name__
                if connection is not None:
                    connection[1].close()
                connection = None
            result.latencies_ms.append((time.perf_counter() - started) * 1000)
            result.statuses[status] += 1
        if connection is not None:
            connection[1].close()

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    result.seconds = time.perf_counter() - started
    return result


class StaleConnection(ConnectionResetError):
    """The server closed the connection before answering a byte of the request sent on it."""


async def _exchange(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes
) -> tuple[str, bool]:
    """Send one request and read its whole response: the status, and whether the connection stays open.
    ``StaleConnection`` when the server had closed the connection before answering anything."""
    try:
        writer.write(request)
        await writer.drain()
        raw_head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError as exc:
        if exc.partial:
            raise
        raise StaleConnection from exc
    except (ConnectionResetError, BrokenPipeError) as exc:
        raise StaleConnection from exc
    head = raw_head.decode("latin-1").split("\r\n")
    status = head[0].split(" ", 2)[1]
    headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in head[1:] if line)}
    if "content-length" not in headers:
        raise ValueError("response without Content-Length")
    await reader.readexactly(int(headers["content-length"]))
    return status, headers.get("connection", "").lower() != "close"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--url", default="http://127.0.0.1:8000", help="a server on this machine (loopback only)"
    )
    parser.add_argument("--requests", type=int, default=5000, help="total requests (then it stops)")
    parser.add_argument("--concurrency", type=int, default=32, help="requests in flight")
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds per request")
    parser.add_argument(
        "--repeat-questions", action="store_true", help="send the questions verbatim (cache hits)"
    )


def run(args: argparse.Namespace, settings: object) -> int:
    if not 1 <= args.requests <= 1_000_000 or not 1 <= args.concurrency <= 1024:
        raise InvalidRequestError("--requests must be 1..1,000,000 and --concurrency 1..1024")
    result = asyncio.run(
        run_load(
            args.url,
            args.requests,
            args.concurrency,
            default_questions(),
            args.timeout,
            unique=not args.repeat_questions,
        )
    )
    print(result.summary())
    return 0 if result.errors == 0 else 1
