"""``rag-service ask`` through a running server when there is one.

Loading the model and index in the CLI takes 2-9 s; a server already has them. So ``ask`` first tries
``--url`` (or, without it, the configured host and port, with a short timeout), and only loads the
pipeline in-process when no server answers there. It always says which one answered, on stderr, so
scripts reading stdout get the answer alone. A server that answers with an error is reported as such,
never silently replaced by an in-process answer computed over a possibly different index.
"""

from __future__ import annotations

from typing import Any

import httpx

from rag_service.errors import RagError, UpstreamError

PROBE_SECONDS = 0.5
"""How long ``ask`` waits for the default server's health check before answering in-process."""


class ServerUnavailable(RagError):
    """No server answered at the URL (connection refused, timeout, or still loading)."""


def server_answer(
    url: str,
    question: str,
    top_k: int | None,
    api_key: str | None,
    *,
    probe: bool,
    collection: str = "default",
) -> dict[str, Any]:
    """The server's ``/api/ask`` answer. With ``probe``, a server that does not answer its health check
    at once raises ``ServerUnavailable`` (the caller falls back to answering in-process)."""
    headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
    base = url.rstrip("/")
    try:
        with httpx.Client(base_url=base, headers=headers, timeout=120, trust_env=False) as client:
            if probe:
                health = client.get("/api/health", params={"collection": collection}, timeout=PROBE_SECONDS)
                if health.status_code != 200:
                    raise ServerUnavailable(f"the server at {base} is not ready ({health.status_code})")
            body: dict[str, Any] = {"question": question, "collection": collection}
            if top_k is not None:
                body["top_k"] = top_k
            response = client.post("/api/ask", json=body)
    except httpx.TransportError as exc:
        raise ServerUnavailable(f"no server answers at {base} ({type(exc).__name__})") from exc
    if response.status_code != 200:
        try:
            detail = response.json().get("detail", response.text[:200])
        except ValueError:
            detail = response.text[:200]
        raise UpstreamError(f"the server at {base} answered {response.status_code}: {detail}")
    data: dict[str, Any] = response.json()
    return data
