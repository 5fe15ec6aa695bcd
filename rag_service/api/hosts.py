"""``HostCheck``: requests must name this server in their ``Host`` header (a defence against DNS
rebinding).

A web page the user visits can make the browser resolve its own name to 127.0.0.1 and then read from a
service on the user's machine as if it were the page's own origin: the browser sends ``Host:
attacker.example``, and a server that answers anything reads every document out to that page. So a
request whose host (without the port) is not allowed gets 400 before anything else happens.

Allowed by default: ``localhost``, ``127.0.0.1``, ``::1`` and the address the server is bound to
(``RAG_HOST``); ``RAG_ALLOWED_HOSTS`` (a JSON list) replaces that list. An entry ``*.example.org`` allows
the subdomains of ``example.org``; ``*`` alone allows any host (a server behind a proxy that checks).
"""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from rag_service.api.limits import reject
from rag_service.config import Settings

LOOPBACK = ("localhost", "127.0.0.1", "::1")


def allowed_hosts(settings: Settings) -> list[str]:
    if settings.allowed_hosts:
        return [h.lower().strip("[]") for h in settings.allowed_hosts]
    return [*LOOPBACK, settings.host.lower().strip("[]")]


def host_of(header: str) -> str:
    """The name in a Host header without its port: ``[::1]:8000`` gives ``::1``."""
    header = header.strip().lower()
    if header.startswith("["):
        return header[1 : header.find("]")] if "]" in header else header
    return header.rsplit(":", 1)[0] if header.count(":") == 1 else header


def host_allowed(host: str, allowed: list[str]) -> bool:
    for entry in allowed:
        if entry == "*" or entry == host:
            return True
        if entry.startswith("*.") and host.endswith(entry[1:]):
            return True
    return False


class HostCheck:
    def __init__(self, app: ASGIApp, allowed: list[str]) -> None:
        self.app = app
        self.allowed = allowed

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            raw = dict(scope.get("headers") or []).get(b"host", b"").decode("latin-1")
            host = host_of(raw)
            if not host_allowed(host, self.allowed):
                shown = raw[:100] or "(none)"
                await reject(
                    send,
                    400,
                    f"the Host header {shown!r} does not name this server; allowed: "
                    f"{', '.join(self.allowed)} (RAG_ALLOWED_HOSTS)",
                )
                return
        await self.app(scope, receive, send)
