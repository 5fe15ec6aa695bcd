#!/bin/sh
# The container's start command. The server builds the index first when RAG_INGEST_ON_START asks for it
# (default "missing": only when index/ holds none), answers /api/health with 503 until the model and index
# are loaded, then serves. Extra arguments go to `rag-service serve`.
set -eu
exec rag-service serve "$@"
