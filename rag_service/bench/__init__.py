"""``rag-service bench``: the performance suite. Every figure is a median over repeated runs after a
warm-up (p95 where latency matters), measured in one run on this machine and written to
``docs/benchmarks.md`` with the machine's description."""
