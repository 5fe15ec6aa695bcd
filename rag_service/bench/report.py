"""The benchmark report: tables and targets as they are measured, printed at once and saved as
``docs/benchmarks.md`` (with the machine named) plus a JSON copy of the same figures."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path

from rag_service.bench.timing import machine
from rag_service.config import Settings


@dataclass
class Report:
    sections: list[tuple[str, list[str], list[list[str]]]] = field(default_factory=list)
    targets: list[tuple[str, str, str, bool]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def table(self, title: str, head: list[str], rows: list[list[str]]) -> None:
        self.sections.append((title, head, rows))
        print(f"\n{title}\n" + "\n".join("  " + " | ".join(r) for r in [head, *rows]), flush=True)

    def target(self, name: str, wanted: str, measured: str, met: bool) -> None:
        self.targets.append((name, wanted, measured, met))
        print(f"TARGET {'met   ' if met else 'MISSED'} {name}: {measured} (target {wanted})", flush=True)

    def markdown(self, header: str) -> str:
        out = [header]
        for title, head, rows in self.sections:
            out += ["", f"## {title}", "", "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
            out += ["| " + " | ".join(r) + " |" for r in rows]
        out += ["", "## Targets", "", "| target | wanted | measured | |", "|---|---|---|---|"]
        out += [f"| {n} | {w} | {m} | {'met' if ok else '**missed**'} |" for n, w, m, ok in self.targets]
        if self.notes:
            out += ["", "## Notes", ""] + [f"- {n}" for n in self.notes]
        return "\n".join(out) + "\n"


def header(settings: Settings, command: str = "make bench") -> str:
    import faiss
    import onnxruntime

    return (
        f"# Benchmarks\n\nMeasured {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} with "
        f"`rag-service bench` on: {machine()}.\nEmbedding backend `{settings.embedding_backend}` "
        f"(onnxruntime {onnxruntime.__version__}), FAISS {faiss.__version__}, index type for the seeds and "
        f"SciFact `{settings.index_type}`, top_k {settings.top_k}. Medians over repeated runs after a "
        f"warm-up; query caches off. Regenerate with `{command}`."
    )


def save(report: Report, settings: Settings, path: Path, command: str = "make bench") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(report.markdown(header(settings, command)), encoding="utf-8")
    (path.with_suffix(".json")).write_text(
        json.dumps({"targets": report.targets, "sections": report.sections}, indent=1), encoding="utf-8"
    )
