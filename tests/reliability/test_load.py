import asyncio

import pytest

from rag_service.bench.loadtest import default_questions, require_loopback, run_load
from rag_service.errors import InvalidRequestError

pytestmark = pytest.mark.slow


def test_bounded_load_has_no_errors(live_server, capsys) -> None:
    result = asyncio.run(run_load(live_server.url, 400, 32, default_questions()))
    print(result.summary())
    assert result.errors == 0, result.statuses
    assert sum(result.statuses.values()) == 400 and result.throughput > 0
    # No request waits for the whole run: before the embedder handed over after one batch, the caller
    # that led the micro-batches kept encoding others' questions for as long as they kept coming.
    assert result.max_ms < result.seconds * 1000 / 2, result.summary()
    assert "p99" in capsys.readouterr().out


@pytest.mark.parametrize(
    "url", ["http://10.1.2.3:8000", "http://192.168.0.10", "http://example.com", "http://0.0.0.0:8000"]
)
def test_load_refuses_anything_but_loopback(url: str) -> None:
    with pytest.raises(InvalidRequestError, match="loopback"):
        require_loopback(url)


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:8000", "http://127.5.0.1", "http://localhost:1", "http://[::1]:80"]
)
def test_loopback_is_allowed(url: str) -> None:
    require_loopback(url)
