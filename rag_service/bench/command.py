"""``rag-service bench``: run the suite, print it, write ``docs/benchmarks.md``."""

from __future__ import annotations

import argparse
from pathlib import Path

from rag_service.config import Settings


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--scifact",
        type=Path,
        default=Path("../shared/benchmarks/scifact"),
        help="BEIR SciFact folder ('' to skip the SciFact sections)",
    )
    parser.add_argument("--sizes", default="100000,1000000", help="chunk counts for the scale section")
    parser.add_argument("--runs", type=int, default=200, help="timed repetitions per latency figure")
    parser.add_argument("--out", type=Path, default=Path("docs/benchmarks.md"))
    parser.add_argument(
        "--pdf-pages", type=int, default=300, help="pages of the PDF whose ingest is measured"
    )
    parser.add_argument(
        "--store-pages",
        type=int,
        default=1000,
        help="synthetic pages ingested into each store (file, postgres) by the postgres section",
    )
    parser.add_argument(
        "--collections",
        type=int,
        default=100,
        help="collections beside the default one (collections section)",
    )
    parser.add_argument(
        "--collection-pages",
        type=int,
        default=175,
        help="synthetic pages in each collection (about 1,000 chunks)",
    )
    parser.add_argument(
        "--worker-pages",
        type=int,
        default=300,
        help="synthetic pages for each queued-ingest run (--only workers) and each replica (--only replicas)",
    )
    parser.add_argument(
        "--copies",
        type=int,
        default=1,
        help="--only replicas: serve the ingested pages copied this many times (other names, noisy vectors)",
    )
    parser.add_argument(
        "--on-demand-only",
        action="store_true",
        help="--only replicas: measure only the replica that reads on demand (loading a million chunks whole "
        "needs about 30 GB)",
    )
    parser.add_argument(
        "--caches",
        type=_row_bounds,
        default=(100_000,),
        help="--only replicas: the RAG_DATABASE_VECTOR_CACHE row bounds measured on demand, comma-separated",
    )
    parser.add_argument(
        "--fill",
        type=int,
        default=0,
        help="--only replicas: distinct questions asked first, untimed, so that the peak is of filled caches",
    )
    parser.add_argument(
        "--only",
        choices=[
            "documents",
            "postgres",
            "reader",
            "collections",
            "workers",
            "replicas",
            "startup",
            "lexicon",
        ],
        help="run one section and print it (nothing is written unless --out is given explicitly)",
    )


def run(args: argparse.Namespace, settings: Settings) -> int:
    from rag_service.bench import ingest_sections, sections
    from rag_service.bench import report as bench_report

    if args.only == "documents":
        import tempfile

        from rag_service.bench.documents import run_documents

        report = bench_report.Report()
        with tempfile.TemporaryDirectory() as tmp:
            run_documents(report, ingest_sections.bench_sentences(settings, None), Path(tmp), args.pdf_pages)
        return 0
    if args.only in ("collections", "replicas", "workers", "startup"):
        return _one_section(args, settings)
    if args.only == "lexicon":
        return _lexicon(args, settings)
    if args.only == "reader":
        import tempfile

        from rag_service.bench.reader import run_alone

        with tempfile.TemporaryDirectory() as tmp:
            report = run_alone(settings, Path(tmp), args.runs)
        print(report.markdown(bench_report.header(settings, "rag-service bench --only reader")))
        return 0
    if args.only == "postgres":
        import shutil
        import tempfile

        report = bench_report.Report()
        sizes = [int(s) for s in args.sizes.split(",") if s.strip()][-1:]
        with tempfile.TemporaryDirectory() as tmp:
            shutil.copytree(settings.seeds_dir, Path(tmp) / "seeds")
            local = settings.model_copy(update={"seeds_dir": Path(tmp) / "seeds", "query_cache_size": 0})
            sentences = ingest_sections.bench_sentences(settings, None)
            sections.postgres_section(report, local, Path(tmp), args.runs, sizes, sentences, args.store_pages)
        if args.out != Path("docs/benchmarks.md"):
            command = f"rag-service bench --only postgres --sizes {args.sizes} --out {args.out}"
            bench_report.save(report, settings, args.out, command)
        return 0
    scifact = args.scifact if str(args.scifact) not in ("", ".") and args.scifact.is_dir() else None
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    report = sections.run(
        settings,
        scifact,
        sizes,
        args.runs,
        args.pdf_pages,
        args.store_pages,
        (args.collections, args.collection_pages),
    )
    bench_report.save(report, settings, args.out)
    print(f"\nwritten: {args.out}")
    return 0


def _one_section(args: argparse.Namespace, settings: Settings) -> int:
    """``--only collections|replicas|workers|startup``: one section over synthetic pages of the seeds'
    sentences, printed, and saved only when ``--out`` names another file than the full report's."""
    import tempfile

    from rag_service.bench import ingest_sections
    from rag_service.bench import report as bench_report
    from rag_service.bench.collections import run_collections
    from rag_service.bench.replicas import run_replicas
    from rag_service.bench.workers import run_workers

    report = bench_report.Report()
    with tempfile.TemporaryDirectory() as tmp:
        sentences = ingest_sections.bench_sentences(settings, None)
        if args.only == "collections":
            pages = (args.collections, args.collection_pages)
            run_collections(report, settings, Path(tmp), args.runs, sentences, *pages)
        elif args.only == "replicas":
            run_replicas(
                report,
                settings,
                Path(tmp),
                sentences,
                args.worker_pages,
                args.runs,
                args.copies,
                args.on_demand_only,
                args.caches,
                args.fill,
            )
        elif args.only == "startup":
            from rag_service.bench.startup import COPIES, run_startup

            run_startup(report, Path(tmp), sentences, args.worker_pages, COPIES)
        else:
            run_workers(report, settings, Path(tmp), sentences, args.worker_pages, (1, 2, 3))
    command = f"rag-service bench --only {args.only}" + (
        f" --copies {args.copies}" if args.copies > 1 else ""
    )
    command += " --on-demand-only" if args.on_demand_only else ""
    if args.only == "replicas":
        command += f" --caches {','.join(map(str, args.caches))}"
        command += f" --fill {args.fill}" if args.fill else ""
    print(report.markdown(bench_report.header(settings, command)))
    if args.out != Path("docs/benchmarks.md"):
        bench_report.save(report, settings, args.out, command)
    return 0


def _lexicon(args: argparse.Namespace, settings: Settings) -> int:
    """``--only lexicon``: BM25 over packed postings in PostgreSQL at each of ``--sizes`` chunks."""
    from rag_service.bench import ingest_sections
    from rag_service.bench import report as bench_report
    from rag_service.bench.lexicon import run_lexicon, scifact_sentences

    folder = args.scifact if str(args.scifact) not in ("", ".") and args.scifact.is_dir() else None
    sentences, questions = scifact_sentences(folder)
    sentences = sentences or ingest_sections.bench_sentences(settings, None)
    report = bench_report.Report()
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    run_lexicon(report, sizes, args.runs, sentences, questions)
    command = f"rag-service bench --only lexicon --sizes {args.sizes} --runs {args.runs}"
    print(report.markdown(bench_report.header(settings, command)))
    if args.out != Path("docs/benchmarks.md"):
        bench_report.save(report, settings, args.out, command)
    return 0


def _row_bounds(text: str) -> tuple[int, ...]:
    """``--caches 100000,20000``: positive row counts, or a usage error that says which part is wrong."""
    try:
        bounds = tuple(int(part) for part in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r}: give row counts separated by commas, as 100000,20000"
        ) from None
    if min(bounds) < 1:
        raise argparse.ArgumentTypeError(f"{text!r}: each row bound must be 1 or more")
    return bounds
