"""The documentation's charts, drawn at build time from the files that hold the figures.

Each chart reads a file the project already ships or writes (the answerability models' cross-validated
trade-off, the SciFact run, the benchmark report), so a picture in the documentation can never show a
figure the data does not: ``make docs`` redraws them all. SVG, so they stay sharp and small, with the
text kept as text (searchable, and readable by a screen reader's user through the alt text beside it).
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rag_service.answer.answerability import MODEL_FILE, READER_MODEL_FILE

ROOT = Path(__file__).resolve().parents[2]
GATES = ROOT / "rag_service" / "answer"
POINTS = ("prefer_answering", "balanced", "prefer_declining")


def _svg(draw: Callable[[Any], None], size: tuple[float, float] = (7.0, 4.0)) -> str:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams.update({"svg.fonttype": "none", "font.size": 10, "svg.hashsalt": "rag-service"})
    fig, ax = plt.subplots(figsize=size)
    try:
        draw(ax)
        ax.grid(alpha=0.3)
        fig.tight_layout()
        out = io.StringIO()
        fig.savefig(out, format="svg", metadata={"Date": None})
        return out.getvalue()
    finally:
        plt.close(fig)


def trade_off(gates: dict[str, dict]) -> str:
    """Answered-with-gold against declined-unanswerable as the threshold moves, one curve per gate,
    with the three operating points marked: the choice ``RAG_ANSWER_OPERATING_POINT`` makes."""

    def draw(ax: Any) -> None:
        for i, (label, gate) in enumerate(gates.items()):
            curve = gate["trade_off"]
            xs, ys = [p["abstained"] for p in curve], [p["answered_gold"] for p in curve]
            ax.plot(xs, ys, marker=".", label=label)
            if i:
                continue  # the operating points of the first gate only: two sets of labels overlap
            clapnq = gate["cross_validation"]["by_origin"]["clapnq"]
            xs = [clapnq[point]["abstained"] for point in POINTS]
            ys = [clapnq[point]["answered_gold"] for point in POINTS]
            ax.scatter(xs, ys, color="black", zorder=3, label="operating points (ClapNQ)")
            for point, x, y in zip(POINTS, xs, ys, strict=True):
                ax.annotate(point, (x, y), xytext=(-8, -14), textcoords="offset points", ha="right", size=8)
        ax.set_xlabel("unanswerable questions declined (5-fold CV)")
        ax.set_ylabel("answerable answered with a gold passage")
        ax.set_title("Answerability trade-off (ClapNQ and seeds questions, out of fold)")
        ax.legend(loc="lower left")

    return _svg(draw)


def operating_points(gate: dict) -> str:
    """Balanced accuracy of each operating point on each question set, cross-validated."""

    def draw(ax: Any) -> None:
        origins = gate["cross_validation"]["by_origin"]
        width = 0.8 / len(origins)
        for i, (origin, figures) in enumerate(origins.items()):
            xs = [j + i * width for j in range(len(POINTS))]
            values = [figures[p]["balanced"] for p in POINTS]
            ax.bar(xs, values, width, label=f"{origin} ({figures['questions']} questions)")
            for x, v in zip(xs, values, strict=True):
                ax.text(x, v + 0.01, f"{v:.2f}", ha="center", fontsize=8)
        ax.set_xticks([j + 0.4 - width / 2 for j in range(len(POINTS))], POINTS)
        ax.set_ylim(0, 1)
        ax.set_ylabel("balanced accuracy (answered, declined)")
        ax.set_title("Operating points, 5-fold cross-validation")
        ax.legend(loc="lower right")

    return _svg(draw)


def retrieval(run: dict) -> str:
    """SciFact nDCG@10 and Recall@100 of dense, BM25 and hybrid retrieval."""
    modes = ("dense", "lexical", "hybrid")

    def draw(ax: Any) -> None:
        for offset, metric in ((-0.2, "ndcg_at_10"), (0.2, "recall_at_100")):
            values = [run["modes"][m][metric] for m in modes]
            ax.bar([i + offset for i in range(len(modes))], values, 0.4, label=metric.replace("_at_", "@"))
            for i, v in enumerate(values):
                ax.text(i + offset, v + 0.01, f"{v:.3f}", ha="center", fontsize=8)
        ax.set_xticks(range(len(modes)), ["dense (MiniLM + FAISS)", "BM25 (bm25s)", "hybrid (RRF)"])
        ax.set_ylim(0, 1.05)
        ax.set_title(f"BEIR SciFact: {run['queries']} queries over {run['documents']:,} abstracts")
        ax.legend(loc="lower right")

    return _svg(draw)


def latency(report: dict) -> str:
    """The in-process and HTTP latencies of the last benchmark run, beside the floor they compare to."""
    rows: list[tuple[str, float]] = []
    for title, _header, table in report["sections"]:
        if title.startswith(("Floor", "In-process on the seeds")):
            rows += [(row[0], float(row[1])) for row in table]

    def draw(ax: Any) -> None:
        labels = [label if len(label) < 48 else label[:45] + "…" for label, _ in rows]
        ax.barh(range(len(rows)), [v for _, v in rows])
        ax.set_yticks(range(len(rows)), labels, fontsize=8)
        ax.invert_yaxis()
        for i, (_, v) in enumerate(rows):
            ax.text(v, i, f" {v:.2f} ms", va="center", fontsize=8)
        ax.set_xlabel("p50, milliseconds (2 cores, no GPU)")
        ax.set_title("One question, in process, on the seeds")

    return _svg(draw, (7.0, 3.0))


def all_figures(root: Path = ROOT) -> dict[str, str]:
    """``{file name: svg}`` for every chart of the documentation."""
    with_reader = json.loads((GATES / READER_MODEL_FILE).read_text(encoding="utf-8"))
    without = json.loads((GATES / MODEL_FILE).read_text(encoding="utf-8"))
    docs = root / "docs"
    return {
        "trade-off.svg": trade_off({"gate with the reader (default)": with_reader, "without it": without}),
        "operating-points.svg": operating_points(with_reader),
        "scifact.svg": retrieval(json.loads((docs / "scifact-retrieval.json").read_text(encoding="utf-8"))),
        "latency.svg": latency(json.loads((docs / "benchmarks.json").read_text(encoding="utf-8"))),
    }
