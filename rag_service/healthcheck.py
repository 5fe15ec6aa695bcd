"""``python -m rag_service.healthcheck``: exit 0 when the local server's ``/api/health`` answers 200.

The container's HEALTHCHECK and compose's healthcheck run this, so the probe reads the same settings
(``RAG_PORT``) as the server instead of hard-coding a port, and needs no curl in the image. It sends
``RAG_API_KEY`` when there is one: an admin may have made the default collection private, and its
health is then a 404 to anyone without a key.
"""

from __future__ import annotations

import sys
import urllib.error
import urllib.request

from rag_service.config import load_settings
from rag_service.errors import ConfigError


def main() -> int:
    try:
        settings = load_settings()
    except ConfigError as exc:
        print(f"unhealthy: {exc}", file=sys.stderr)
        return 1
    host = "127.0.0.1" if settings.host in ("0.0.0.0", "::", "") else settings.host
    url = f"http://{host}:{settings.port}/api/health"
    request = urllib.request.Request(url)
    if settings.api_key and settings.api_key.get_secret_value():
        request.add_header("Authorization", f"Bearer {settings.api_key.get_secret_value()}")
    try:
        with urllib.request.urlopen(request, timeout=4) as response:
            return 0 if response.status == 200 else 1
    except (urllib.error.URLError, OSError) as exc:
        print(f"unhealthy: {url}: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
