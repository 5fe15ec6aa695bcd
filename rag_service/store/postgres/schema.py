"""The index database's schema, created and migrated by the service, with its version recorded.

Tables (each data table is partitioned by ``version_id``; one partition per index version)::

    rag_schema      one row: the schema version this database is at
    rag_versions    id, name, manifest (jsonb), dimension, created_at, collection
    rag_current     one row per collection: the version its readers get
    rag_documents   version_id, n, name, record (jsonb: text, metadata, sections, structure), head (the
                    record without its text, with its length)
    rag_chunks      version_id, n, record (jsonb), text, embedding vector
    rag_sentences   version_id, n, record (jsonb), embedding vector
    rag_windows     version_id, n, embedding vector
    rag_term_postings version_id, term, span, df, chunks, tfs, lengths (BM25's postings packed per
                    term and span of 65,536 chunks: ``lexicon``)
    rag_postings    version_id, term, n, tf, length (steps 5 to 9: a row per posting, no longer written)
    rag_terms       version_id, term, df (steps 5 to 9)
    rag_jobs        id, collection, settings, state, version, error (ingest jobs: ``jobs``)
    rag_job_files   job_id, name, sha256, state, worker, reason, document, keys, vectors, chunks
    rag_job_attempts job_id, name, attempts (claims that began, committed apart from the claim)
    rag_files       collection, name, content bytea, sha256, size, pdf, sidecar bytea (not partitioned:
                    the documents of a collection, which its versions are built from)

Why a partition per version: an ingest writes its version's partitions and switches ``rag_current`` in
one transaction, so readers never see a half-written corpus and a killed ingest leaves nothing behind;
each version has its own HNSW and GIN indexes, built once over complete data (much faster than growing
them row by row), searched without filtering out other versions' rows, and dropped whole when the
version is retired. The vector column has no fixed width in the parent so that an index of another
model can live beside it; each chunk partition's HNSW index is on ``embedding::vector(D)`` with cosine
ops, the form pgvector documents for mixed dimensions, and queries use the same expression.

``migrate`` applies the steps past the recorded version under an advisory lock (two services starting
together migrate once) and refuses a database whose schema is newer than this code knows.
"""

from __future__ import annotations

import psycopg
from psycopg import sql

from rag_service.errors import ConfigError

MIGRATION_LOCK = 7_261_001
"""Advisory lock key held while migrating (any constant unlikely to clash with an application's)."""

STEPS: tuple[str, ...] = (
    # 1: versions, the current pointer and the partitioned data tables.
    """
    CREATE EXTENSION IF NOT EXISTS vector;
    CREATE TABLE rag_versions (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        name text NOT NULL UNIQUE,
        manifest jsonb NOT NULL,
        dimension int NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE TABLE rag_current (
        only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row),
        version_id bigint NOT NULL REFERENCES rag_versions (id)
    );
    CREATE TABLE rag_documents (
        version_id bigint NOT NULL, n int NOT NULL, name text NOT NULL, record jsonb NOT NULL,
        PRIMARY KEY (version_id, n)
    ) PARTITION BY LIST (version_id);
    CREATE TABLE rag_chunks (
        version_id bigint NOT NULL, n int NOT NULL, record jsonb NOT NULL, text text NOT NULL,
        embedding vector NOT NULL,
        tsv tsvector GENERATED ALWAYS AS (to_tsvector('english', text)) STORED,
        PRIMARY KEY (version_id, n)
    ) PARTITION BY LIST (version_id);
    CREATE TABLE rag_sentences (
        version_id bigint NOT NULL, n int NOT NULL, record jsonb NOT NULL, embedding vector NOT NULL,
        PRIMARY KEY (version_id, n)
    ) PARTITION BY LIST (version_id);
    CREATE TABLE rag_windows (
        version_id bigint NOT NULL, n int NOT NULL, embedding vector NOT NULL,
        PRIMARY KEY (version_id, n)
    ) PARTITION BY LIST (version_id);
    """,
    # 2: vectors stored inline, never TOASTed. A chunk row with its text passes PostgreSQL's 2 kB TOAST
    # threshold, and pgvector's default (EXTERNAL) then moves the vector out of line: an exact scan of
    # SciFact's 5,183 chunks took 18 ms detoasting them, 2.4 ms with the vectors inline.
    """
    ALTER TABLE rag_chunks ALTER COLUMN embedding SET STORAGE PLAIN;
    ALTER TABLE rag_sentences ALTER COLUMN embedding SET STORAGE PLAIN;
    ALTER TABLE rag_windows ALTER COLUMN embedding SET STORAGE PLAIN;
    """,
    # 3: collections. Each version belongs to one collection and each collection has its own current
    # version; what was there is the default collection's. A search reads one version's partition, so
    # one collection's question can never scan another's rows.
    """
    ALTER TABLE rag_versions ADD COLUMN collection text NOT NULL DEFAULT 'default';
    CREATE INDEX rag_versions_collection ON rag_versions (collection, id);
    ALTER TABLE rag_current ADD COLUMN collection text NOT NULL DEFAULT 'default';
    ALTER TABLE rag_current DROP CONSTRAINT rag_current_pkey;
    ALTER TABLE rag_current DROP COLUMN only_row;
    ALTER TABLE rag_current ADD PRIMARY KEY (collection);
    """,
    # 4: the document files themselves, so that any replica can list, show and delete what another
    # received, and an ingest anywhere starts from the same files (``files``). PDFs and Office files are
    # compressed already: stored out of line without a second compression.
    """
    CREATE TABLE rag_files (
        collection text NOT NULL, name text NOT NULL, content bytea NOT NULL, sha256 text NOT NULL,
        size bigint NOT NULL, pdf boolean NOT NULL, sidecar bytea,
        added_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (collection, name)
    );
    ALTER TABLE rag_files ALTER COLUMN content SET STORAGE EXTERNAL;
    """,
    # 5: BM25 in SQL (``lexicon``): postings and document frequencies per version, N and the mean
    # length on the version's row. The generated ``tsvector`` column goes: ``ts_rank_cd`` has no IDF
    # and nothing ranks by it any more, and computing it slowed every chunk's COPY. Versions written
    # before this step have no statistics; they are searched with BM25 in process until re-ingested.
    """
    ALTER TABLE rag_versions ADD COLUMN bm25_documents int, ADD COLUMN bm25_mean_length float8;
    CREATE TABLE rag_postings (
        version_id bigint NOT NULL, term text NOT NULL, n int NOT NULL, tf int NOT NULL,
        length int NOT NULL
    ) PARTITION BY LIST (version_id);
    CREATE TABLE rag_terms (
        version_id bigint NOT NULL, term text NOT NULL, df int NOT NULL
    ) PARTITION BY LIST (version_id);
    ALTER TABLE rag_chunks DROP COLUMN tsv;
    """,
    # 6: ingest jobs (``jobs``): an ingest's files, claimed by any number of workers with
    # ``FOR UPDATE SKIP LOCKED``; each file's extracted document and vectors are kept on its row until
    # the job's version is written. ``content`` holds the bytes of a file not yet in ``rag_files`` (one
    # imported from a folder); NULL means the file's row in ``rag_files`` at hash ``sha256``.
    """
    CREATE TABLE rag_jobs (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        collection text NOT NULL, settings jsonb NOT NULL, state text NOT NULL DEFAULT 'running',
        created_at timestamptz NOT NULL DEFAULT now(), finished_at timestamptz, version text, error text
    );
    CREATE TABLE rag_job_files (
        job_id bigint NOT NULL REFERENCES rag_jobs (id) ON DELETE CASCADE, name text NOT NULL,
        sha256 text NOT NULL, content bytea, sidecar bytea, state text NOT NULL DEFAULT 'pending',
        worker text, reason text, document jsonb, keys text[], vectors bytea, chunks int,
        seconds float8, finished_at timestamptz,
        PRIMARY KEY (job_id, name)
    );
    CREATE INDEX rag_job_files_pending ON rag_job_files (job_id, name) WHERE state = 'pending';
    ALTER TABLE rag_job_files ALTER COLUMN content SET STORAGE EXTERNAL;
    """,
    # 7: claims of each job file, counted by a second connection that commits at once (``jobs``): the
    # claim itself rolls back when its worker dies, so a file that kills every worker reading it would
    # otherwise be claimed again forever. No foreign key: checking one would wait on the claim's lock.
    """
    CREATE TABLE rag_job_attempts (
        job_id bigint NOT NULL, name text NOT NULL, attempts int NOT NULL, PRIMARY KEY (job_id, name)
    );
    """,
    # 8: how many sentences hold each word (``answer.terms.sentence_frequencies``), counted at ingest so
    # that a replica weighs a question's words without reading every sentence at start-up. NULL for
    # versions written before: those are counted when loaded, as before.
    """
    ALTER TABLE rag_versions ADD COLUMN sentence_df bytea;
    """,
    # 9: the answerer's per-sentence facts (``answer.layout``: line kinds, neighbours, headings), computed
    # at ingest so that a replica does not walk every sentence at start-up, and each document's record
    # without its text (its "head", with its length), which a replica reading on demand loads without
    # reading every text. NULL for versions written before: those are loaded whole, as before.
    """
    ALTER TABLE rag_versions ADD COLUMN sentence_layout bytea;
    ALTER TABLE rag_documents ADD COLUMN head jsonb;
    """,
    # 10: BM25's postings packed per term and span of 65,536 chunks (``lexicon``), fetched for a
    # question's terms and scored by the replica: summing a row per posting in SQL took 359 ms a
    # question at a million chunks. The versions kept (current and previous) are packed here from their
    # per-posting rows, as ``lexicon.write`` packs them, so no replica falls back to BM25 in process
    # (every text in memory) until the next ingest; the old rows go with their version.
    """
    CREATE TABLE rag_term_postings (
        version_id bigint NOT NULL, term text NOT NULL, span int NOT NULL, df int NOT NULL,
        chunks bytea NOT NULL,
        tfs bytea NOT NULL, lengths bytea NOT NULL
    ) PARTITION BY LIST (version_id);
    DO $$
    DECLARE
        v bigint;
        packed text;
    BEGIN
        FOR v IN SELECT id FROM rag_versions WHERE bm25_documents IS NOT NULL
                 AND to_regclass('rag_postings_v' || id) IS NOT NULL LOOP
            packed := 'rag_term_postings_v' || v;
            EXECUTE format('CREATE TABLE %I PARTITION OF rag_term_postings FOR VALUES IN (%s)', packed, v);
            EXECUTE format('ALTER TABLE %I ALTER COLUMN chunks SET STORAGE EXTERNAL, '
                'ALTER COLUMN tfs SET STORAGE EXTERNAL, ALTER COLUMN lengths SET STORAGE EXTERNAL', packed);
            EXECUTE format('INSERT INTO %I (version_id, term, span, df, chunks, tfs, lengths) '
                'SELECT %s, term, n >> 16, sum(count(*)) OVER (PARTITION BY term), '
                'string_agg(int4send(n), ''''::bytea ORDER BY n), '
                'string_agg(int2send(least(tf, 32767)::int2), ''''::bytea ORDER BY n), '
                'string_agg(int4send(length), ''''::bytea ORDER BY n) '
                'FROM %I GROUP BY term, n >> 16', packed, v, 'rag_postings_v' || v);
            EXECUTE format('CREATE UNIQUE INDEX ON %I (term, span)', packed);
        END LOOP;
    END $$;
    """,
)
SCHEMA_VERSION = len(STEPS)
DATA_TABLES = (
    "rag_documents",
    "rag_chunks",
    "rag_sentences",
    "rag_windows",
    "rag_term_postings",
    "rag_postings",
    "rag_terms",
)


def partition(table: str, version_id: int) -> str:
    """The name of ``table``'s partition for one version (an identifier made of known parts only)."""
    return f"{table}_v{int(version_id)}"


def rows_of(table: str) -> sql.Composed:
    """``FROM partition WHERE version_id = V``: a partition's primary key is ``(version_id, n)``, and
    without its leading column PostgreSQL reads the whole index to find a row by ``n`` (at a million
    chunks, seconds for each of an answer's lookups)."""
    version_id = int(table.rsplit("_v", 1)[1])
    return sql.SQL("FROM {} WHERE version_id = {}").format(sql.Identifier(table), sql.Literal(version_id))


def migrate(url: str, timeout: float) -> int:
    """Bring the database's schema to ``SCHEMA_VERSION``; returns the version it was at."""
    with psycopg.connect(url, autocommit=True, connect_timeout=max(1, round(timeout))) as conn:
        conn.execute("SELECT pg_advisory_lock(%s)", (MIGRATION_LOCK,))
        try:
            conn.execute("CREATE TABLE IF NOT EXISTS rag_schema (version int NOT NULL)")
            row = conn.execute("SELECT version FROM rag_schema").fetchone()
            found = row[0] if row else 0
            if found > SCHEMA_VERSION:
                raise ConfigError(
                    f"the index database has schema version {found}, newer than this rag-service "
                    f"({SCHEMA_VERSION}): upgrade rag-service, or point RAG_DATABASE_URL at another database"
                )
            for step in range(found, SCHEMA_VERSION):
                with conn.transaction():
                    conn.execute(STEPS[step])  # trusted constant DDL
                    conn.execute("DELETE FROM rag_schema")
                    conn.execute("INSERT INTO rag_schema (version) VALUES (%s)", (step + 1,))
            return found
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", (MIGRATION_LOCK,))
