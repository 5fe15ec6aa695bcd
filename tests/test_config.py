"""Settings: defaults in one place, validators that fail fast, and error messages that name the
variable but never a secret's value."""

from __future__ import annotations

import pytest

from rag_service.answer.grounding import GroundingChecker
from rag_service.config import (
    DEFAULT_CANDIDATE_POOL,
    DEFAULT_RRF_K,
    DEFAULT_TOP_K,
    Settings,
    load_settings,
)
from rag_service.errors import ConfigError
from rag_service.retrieval.hybrid import SearchParams

SECRETS = {"RAG_API_KEY": "k-secret-1", "RAG_LLM_API_KEY": "sk-secret-2"}


def test_component_defaults_are_the_settings_defaults() -> None:
    settings = Settings()
    params = SearchParams()
    assert (
        (params.top_k, params.candidate_pool, params.rrf_k)
        == (
            settings.top_k,
            settings.candidate_pool,
            settings.rrf_k,
        )
        == (DEFAULT_TOP_K, DEFAULT_CANDIDATE_POOL, DEFAULT_RRF_K)
    )
    with pytest.raises(TypeError):  # no silent default that could drift from RAG_GROUNDING_THRESHOLD
        GroundingChecker(None, str.split)  # type: ignore[arg-type,call-arg]


def _load(monkeypatch: pytest.MonkeyPatch, **env: str) -> Settings:
    for name, value in {**SECRETS, **env}.items():
        monkeypatch.setenv(name, value)
    return load_settings()


def test_valid_environment_loads(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = _load(monkeypatch, RAG_TOP_K="8", RAG_CORS_ORIGINS='["http://a.example"]')
    assert settings.top_k == 8 and settings.cors_origins == ["http://a.example"]
    assert settings.api_key is not None and settings.api_key.get_secret_value() == "k-secret-1"
    assert "k-secret-1" not in repr(settings) and "sk-secret-2" not in str(settings)


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"RAG_CHUNK_OVERLAP": "900"}, "RAG_CHUNK_OVERLAP (900) must be smaller than RAG_CHUNK_SIZE (800)"),
        ({"RAG_PORT": "http"}, "RAG_PORT (got 'http'): Input should be a valid integer"),
        ({"RAG_PORT": "70000"}, "RAG_PORT (got '70000'): Input should be less than or equal to 65535"),
        ({"RAG_TOP_K": "0"}, "RAG_TOP_K"),
        ({"RAG_GROUNDING_THRESHOLD": "1.5"}, "RAG_GROUNDING_THRESHOLD"),
        (
            {"RAG_EMBEDDING_BACKEND": "gpu"},
            "RAG_EMBEDDING_BACKEND (got 'gpu'): Input should be 'onnx', 'onnx-int8' or 'torch'",
        ),
        ({"RAG_INDEX_TYPE": "ivf"}, "RAG_INDEX_TYPE"),
        ({"RAG_MAX_HEADERS": "1"}, "RAG_MAX_HEADERS"),
        ({"RAG_CORS_ORIGINS": "not json"}, "RAG_CORS_ORIGINS must be JSON"),
    ],
)
def test_invalid_settings_name_the_variable_and_never_a_secret(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], message: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        _load(monkeypatch, **env)
    text = str(caught.value)
    assert text.startswith("invalid settings: ") and message in text
    assert all(secret not in text for secret in SECRETS.values())
    assert caught.value.__cause__ is None  # pydantic's own text (with every input) is not chained


def test_a_value_is_shown_for_plain_settings_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RAG_API_KEY", "k-secret-1")
    monkeypatch.setenv("RAG_LLM_TIMEOUT", "-1")
    with pytest.raises(ConfigError) as caught:
        load_settings()
    assert "RAG_LLM_TIMEOUT (got '-1')" in str(caught.value) and "k-secret-1" not in str(caught.value)
