"""Generative answers from any OpenAI-compatible chat server, through LangChain's ``ChatOpenAI``.

The chat model is LangChain's ``BaseChatModel`` (the seam: tests pass a fake chat model). This module
builds the messages from ``prompts/`` and the retrieved passages, streams or completes, and turns every
failure of the upstream server into ``UpstreamError`` (502) or ``UpstreamTimeoutError`` (504) with a
detail that says what to check. What the model writes is never trusted: the pipeline parses its markers
(``rag_service.answer.citations``) and grounds every sentence (``rag_service.answer.grounding``).
"""

from __future__ import annotations

from collections.abc import Generator, Iterator, Sequence
from typing import TYPE_CHECKING
from urllib.parse import urlsplit, urlunsplit

import httpx
import openai
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import BaseMessage, HumanMessage, SystemMessage

from rag_service.config import Settings
from rag_service.documents.chunking import embedding_text
from rag_service.errors import UpstreamError, UpstreamTimeoutError
from rag_service.models import ScoredChunk
from rag_service.prompts import Prompts

if TYPE_CHECKING:
    from rag_service.answer.compose import Evidence
from rag_service.answer.events import Delta


def make_chat_model(settings: Settings) -> BaseChatModel:
    from langchain_openai import ChatOpenAI

    return ChatOpenAI(
        base_url=settings.llm_base_url,
        model=settings.llm_model,
        api_key=settings.llm_api_key,
        temperature=settings.llm_temperature,
        # Sent as the classic ``max_tokens``: llama.cpp, Ollama and vLLM read it, while LangChain's own
        # field goes out as ``max_completion_tokens``, which llama.cpp's server ignores (it then generates
        # up to its context size).
        extra_body={"max_tokens": settings.llm_max_tokens},
        timeout=settings.llm_timeout,
        max_retries=settings.llm_max_retries,
    )


def format_passages(hits: Sequence[ScoredChunk]) -> str:
    blocks = []
    for n, hit in enumerate(hits, start=1):
        chunk = hit.chunk
        label = f"{chunk.section}" + (
            ", reader comment: not the position of the author" if chunk.voice != "author" else ""
        )
        # A chunk that continues a table gets the table's header row, so its numbers keep their columns.
        header = f"(table columns: {chunk.header})\n" if chunk.header else ""
        body = embedding_text(chunk.text)
        blocks.append(f"[{n}] {chunk.title} — {chunk.source} ({label})\n{header}{body}")
    return "\n\n".join(blocks)


class LLMGenerator:
    def __init__(
        self, model: BaseChatModel, prompts: Prompts, base_url: str = "", name: str = "openai"
    ) -> None:
        self.model = model
        self.prompts = prompts
        self.base_url = base_url
        self.name = name

    def messages(self, question: str, hits: Sequence[ScoredChunk]) -> list[BaseMessage]:
        return [
            SystemMessage(self.prompts.system.format()),
            HumanMessage(self.prompts.answer.format(passages=format_passages(hits), question=question)),
        ]

    def complete(self, messages: list[BaseMessage]) -> str:
        try:
            reply = self.model.invoke(messages)
        except Exception as exc:
            raise upstream_error(exc, self.base_url) from exc
        return _text_of(reply.content)

    def stream(self, messages: list[BaseMessage]) -> Iterator[str]:
        try:
            for chunk in self.model.stream(messages):
                text = _text_of(chunk.content)
                if text:
                    yield text
        except Exception as exc:
            raise upstream_error(exc, self.base_url) from exc


def _text_of(content: object) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(p if isinstance(p, str) else str(p.get("text", "")) for p in content)
    return str(content)


def public_url(url: str) -> str:
    """``url`` without user:password and query string, which may carry credentials."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, "", "")) if parts.scheme else "(RAG_LLM_BASE_URL)"


def upstream_error(exc: Exception, base_url: str) -> UpstreamError:
    where = f"the LLM server at {public_url(base_url)}" if base_url else "the LLM server"
    if isinstance(exc, UpstreamError):
        return exc
    if isinstance(exc, openai.APITimeoutError | httpx.TimeoutException | TimeoutError):
        return UpstreamTimeoutError(
            f"{where} did not answer in time (RAG_LLM_TIMEOUT): check that it is not overloaded"
        )
    if isinstance(exc, openai.APIConnectionError | httpx.ConnectError):
        return UpstreamError(f"cannot reach {where}: start it or set RAG_LLM_BASE_URL")
    if isinstance(exc, openai.APIStatusError):
        return UpstreamError(
            f"{where} answered HTTP {exc.status_code}: check RAG_LLM_MODEL and RAG_LLM_API_KEY"
        )
    return UpstreamError(f"{where} failed ({type(exc).__name__}): see the server log")


def generate(generator: LLMGenerator, evidence: Evidence, stream: bool) -> Generator[Delta, None, str]:
    """The model's reply to ``evidence``; with ``stream``, its tokens are yielded as they come."""
    messages = generator.messages(evidence.standalone, evidence.hits)
    if not stream:
        return generator.complete(messages)
    parts: list[str] = []
    started = False  # leading whitespace is held back, so an empty reply can still be a 502
    for token in generator.stream(messages):
        parts.append(token)
        if started:
            yield Delta(token)
        elif "".join(parts).strip():
            started = True
            yield Delta("".join(parts).lstrip())
    return "".join(parts)
