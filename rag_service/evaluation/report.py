"""Aggregating turn scores and writing them out: terminal table, JSON, Markdown and a PNG chart."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from rag_service.evaluation import metrics
from rag_service.evaluation.runner import TurnResult

METRICS = (
    "citation_precision",
    "citation_recall",
    "citation_f1",
    "quote_coverage",
    "hit_at_k",
    "mrr",
    "ndcg_at_k",
    "abstention",
    "must_mention",
    "first_holds",
    "grounding",
    "answer_f1",
    "quote_in_reference",
)
SHORT = {
    "citation_precision": "cite P",
    "citation_recall": "cite R",
    "citation_f1": "cite F1",
    "quote_coverage": "quotes",
    "hit_at_k": "hit@k",
    "mrr": "MRR",
    "ndcg_at_k": "nDCG@k",
    "abstention": "abstain",
    "must_mention": "mention",
    "first_holds": "1st holds",
    "grounding": "grounded",
    "answer_f1": "ans F1",
    "quote_in_reference": "in ref",
}
THRESHOLDS = {
    "min_citation_f1": "citation_f1",
    "min_quote_coverage": "quote_coverage",
    "min_hit_at_k": "hit_at_k",
    "min_mrr": "mrr",
    "min_ndcg": "ndcg_at_k",
    "min_abstention": "abstention",
    "min_must_mention": "must_mention",
    "min_grounding": "grounding",
    "min_answer_f1": "answer_f1",
}


def aggregate(results: Sequence[TurnResult]) -> dict[str, Any]:
    overall: dict[str, Any] = {m: metrics.mean(r.scores.get(m) for r in results) for m in METRICS}
    latencies = [r.latency_ms for r in results]
    overall["latency_p50_ms"] = metrics.percentile(latencies, 50)
    overall["latency_p95_ms"] = metrics.percentile(latencies, 95)
    overall["turns"] = len(results)
    overall["cases"] = len({r.case_id for r in results})
    overall["unanswerable_turns"] = sum(not r.expected_sources for r in results)
    return overall


def by_kind(results: Sequence[TurnResult]) -> dict[str, dict[str, Any]]:
    kinds: dict[str, list[TurnResult]] = {}
    for r in results:
        kinds.setdefault(r.kind or "-", []).append(r)
    return {kind: aggregate(group) for kind, group in sorted(kinds.items())}


def check_thresholds(
    overall: dict[str, Any], minimums: dict[str, float | None], max_p95_ms: float | None
) -> list[str]:
    misses = []
    for option, metric in THRESHOLDS.items():
        wanted = minimums.get(option)
        value = overall.get(metric)
        if wanted is not None and (value is None or value < wanted):
            shown = "n/a" if value is None else f"{value:.3f}"
            misses.append(f"{metric} {shown} < {wanted} (--{option.replace('_', '-')})")
    if max_p95_ms is not None and overall["latency_p95_ms"] > max_p95_ms:
        misses.append(
            f"latency p95 {overall['latency_p95_ms']:.1f} ms > {max_p95_ms} ms (--max-latency-p95-ms)"
        )
    return misses


def _cell(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}"


def table(results: Sequence[TurnResult], overall: dict[str, Any]) -> str:
    head = ["case", *[SHORT[m] for m in METRICS], "ms"]
    rows = [[r.label, *[_cell(r.scores.get(m)) for m in METRICS], f"{r.latency_ms:.0f}"] for r in results]
    rows.append(["OVERALL", *[_cell(overall[m]) for m in METRICS], f"{overall['latency_p50_ms']:.0f}"])
    widths = [max(len(str(row[i])) for row in [head, *rows]) for i in range(len(head))]

    def line(cells: list[str]) -> str:
        return "  ".join(
            str(c).ljust(w) if i == 0 else str(c).rjust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        )

    out = [line(head), "  ".join("-" * w for w in widths)]
    out += [line(r) for r in rows[:-1]]
    out += ["  ".join("-" * w for w in widths), line(rows[-1])]
    out.append(
        f"latency p50 {overall['latency_p50_ms']:.1f} ms, p95 {overall['latency_p95_ms']:.1f} ms; "
        f"{overall['turns']} turns in {overall['cases']} cases ({overall['unanswerable_turns']} unanswerable)"
    )
    return "\n".join(out)


def markdown(
    results: Sequence[TurnResult], overall: dict[str, Any], config: dict[str, Any], chart: str | None
) -> str:
    lines = [
        f"# Evaluation: {config.get('file')}",
        "",
        f"Target: `{config.get('target')}`; {overall['turns']} turns in {overall['cases']} cases "
        f"({overall['unanswerable_turns']} unanswerable). Latency p50 {overall['latency_p50_ms']:.1f} ms, "
        f"p95 {overall['latency_p95_ms']:.1f} ms.",
        "",
    ]
    if chart:
        lines += [f"![metrics]({chart})", ""]
    lines += ["## Overall", "", "| metric | value |", "|---|---|"]
    lines += [f"| {m} | {_cell(overall[m])} |" for m in METRICS]
    lines += [
        "",
        "## By kind",
        "",
        "| kind | turns | " + " | ".join(SHORT[m] for m in METRICS) + " |",
        "|---|---|" + "---|" * len(METRICS),
    ]
    for kind, agg in by_kind(results).items():
        lines.append(f"| {kind} | {agg['turns']} | " + " | ".join(_cell(agg[m]) for m in METRICS) + " |")
    lines += [
        "",
        "## Cases",
        "",
        "| case | question | " + " | ".join(SHORT[m] for m in METRICS) + " | ms |",
        "|---|---|" + "---|" * (len(METRICS) + 1),
    ]
    for r in results:
        question = r.question.replace("|", "\\|")
        lines.append(
            f"| {r.label} | {question} | "
            + " | ".join(_cell(r.scores.get(m)) for m in METRICS)
            + f" | {r.latency_ms:.0f} |"
        )
    misses = [r for r in results if r.scores["abstention"] == 0 or (r.scores.get("citation_f1") or 1) < 1]
    if misses:
        lines += ["", "## Misses", ""]
        for r in misses:
            answer = r.response.get("answer", "").replace("\n", " ")[:240]
            lines.append(
                f"- **{r.label}** ({r.kind}): {r.question} — expected {r.expected_sources or 'no answer'}; "
                f"answered: {answer}"
            )
    return "\n".join(lines) + "\n"


def chart(results: Sequence[TurnResult], overall: dict[str, Any], path: Path, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    values = np.array(
        [[np.nan if r.scores.get(m) is None else r.scores[m] for m in METRICS] for r in results], dtype=float
    )
    height = max(6.0, 0.22 * len(results) + 2)
    fig, (bars, heat) = plt.subplots(1, 2, figsize=(14, height), gridspec_kw={"width_ratios": [1, 1.6]})
    names = [SHORT[m] for m in METRICS]
    overall_values = [overall[m] if overall[m] is not None else 0 for m in METRICS]
    colours = plt.get_cmap("RdYlGn")(np.array(overall_values))
    bars.barh(names[::-1], overall_values[::-1], color=colours[::-1])
    for y, v in enumerate(overall_values[::-1]):
        bars.text(min(v + 0.01, 0.9), y, f"{v:.2f}", va="center")
    bars.set_xlim(0, 1)
    bars.set_title("Overall")
    image = heat.imshow(np.ma.masked_invalid(values), aspect="auto", cmap="RdYlGn", vmin=0, vmax=1)
    heat.set_xticks(range(len(METRICS)), names, rotation=45, ha="right")
    heat.set_yticks(range(len(results)), [r.label for r in results], fontsize=7)
    heat.set_title("Per case (blank: not applicable)")
    fig.colorbar(image, ax=heat, fraction=0.03)
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def write_reports(
    results: Sequence[TurnResult], overall: dict[str, Any], config: dict[str, Any], out: Path, stem: str
) -> dict[str, Path]:
    out.mkdir(parents=True, exist_ok=True)
    paths = {"json": out / f"{stem}.json", "markdown": out / f"{stem}.md", "chart": out / f"{stem}.png"}
    chart(results, overall, paths["chart"], f"{config.get('file')} — {config.get('target')}")
    data = {
        "config": config,
        "overall": overall,
        "by_kind": by_kind(results),
        "cases": [asdict(r) for r in results],
    }
    paths["json"].write_text(json.dumps(data, indent=2, ensure_ascii=False), encoding="utf-8")
    paths["markdown"].write_text(markdown(results, overall, config, paths["chart"].name), encoding="utf-8")
    return paths
