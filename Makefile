# Two commands do all set-up on a fresh machine with Python 3.11:
#   make serve   - create .venv, install, build/update the index, serve the chat on http://127.0.0.1:8000
#   make test    - create .venv, install, run the whole test suite
PY ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
LLM_STAMP := $(VENV)/.installed-llm
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

.PHONY: serve test ingest lint bench bench-retrieval eval clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	# CPU build of torch first: any other torch spec would pull several GB of CUDA packages.
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

# The tests also need a real OpenAI-compatible LLM server (llama-cpp-python builds from source, ~6 min).
$(LLM_STAMP): $(STAMP)
	$(BIN)/pip install --quiet -e '.[dev,llm]'
	touch $(LLM_STAMP)

serve: $(STAMP)
	$(BIN)/rag-service ingest
	$(BIN)/rag-service serve

test: $(LLM_STAMP)
	$(BIN)/python -m pytest

ingest: $(STAMP)
	$(BIN)/rag-service ingest

# The offline pipeline's quality floor on the hand-written set (the test suite runs the same check).
EVAL_THRESHOLDS := --min-citation-f1 0.9 --min-quote-coverage 0.7 --min-hit-at-k 0.95 --min-mrr 0.9 \
	--min-ndcg 0.9 --min-abstention 0.85 --min-must-mention 0.75 --min-grounding 0.95
eval: $(STAMP)
	$(BIN)/rag-service ingest --quiet
	$(BIN)/rag-service eval eval/seeds.jsonl $(EVAL_THRESHOLDS)

bench: $(STAMP)
	$(BIN)/rag-service bench

bench-retrieval: $(STAMP)
	$(BIN)/rag-service bench-retrieval ../shared/benchmarks/scifact --out eval/results/scifact.json

lint: $(STAMP)
	$(BIN)/ruff check rag_service tests
	$(BIN)/ruff format --check rag_service tests
	$(BIN)/mypy rag_service

clean:
	rm -rf $(VENV) index/v-* index/CURRENT
