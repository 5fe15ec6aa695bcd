# rag-service: offline-first RAG with exact citations. CPU only; the embedding model ships in a package.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    HF_HUB_OFFLINE=1 \
    TRANSFORMERS_OFFLINE=1 \
    RAG_HOST=0.0.0.0 \
    RAG_PORT=8000 \
    RAG_SEEDS_DIR=/app/seeds \
    RAG_INDEX_DIR=/app/index \
    RAG_COLLECTIONS_DIR=/app/data/collections \
    RAG_ACCESS_DB=/app/data/access.sqlite3 \
    RAG_PROMPTS_DIR=/app/prompts \
    RAG_INGEST_ON_START=changed

# Tesseract reads scanned PDF pages (English data included); without it such pages are left out with a note.
RUN apt-get update && apt-get install -y --no-install-recommends tesseract-ocr \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app

# CPU-only torch first (the default wheel on Linux would pull several GB of CUDA libraries).
ARG TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu
RUN pip install --index-url "${TORCH_INDEX_URL}" torch==2.13.0

COPY pyproject.toml README.md ./
# The prompt templates: rag_service/prompt_templates links to this folder, so the package built here
# carries them, and RAG_PROMPTS_DIR points at the same folder (a volume, to edit them in place).
COPY prompts ./prompts
COPY rag_service ./rag_service
RUN pip install '.[postgres]'

COPY seeds ./seeds
COPY docker/entrypoint.sh /usr/local/bin/rag-entrypoint

RUN useradd --create-home --uid 10001 rag && mkdir -p /app/index /app/data && chown -R rag:rag /app

# Optionally bake the index into the image: docker build --build-arg BUILD_INDEX=true .
ARG BUILD_INDEX=false
USER rag
RUN if [ "${BUILD_INDEX}" = "true" ]; then rag-service ingest --quiet; fi

EXPOSE 8000
VOLUME ["/app/seeds", "/app/index", "/app/data", "/app/prompts"]
HEALTHCHECK --interval=15s --timeout=5s --start-period=90s --retries=3 CMD ["python", "-m", "rag_service.healthcheck"]
ENTRYPOINT ["rag-entrypoint"]
