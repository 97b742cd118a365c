-- Durable background jobs: claimed with a lease, retried with backoff, dead after max_attempts (kept, re-runnable).
-- Payloads hold ids only; a job reloads what it works on. Timestamps are RFC 3339 UTC text, compared as strings.
CREATE TABLE jobs (
    id           TEXT PRIMARY KEY NOT NULL,
    tenant_id    TEXT REFERENCES tenants (id),
    kind         TEXT NOT NULL,
    payload      TEXT NOT NULL,
    -- at most one queued job per (kind, dedupe_key); NULL = no deduplication. A running one does not count: an
    -- event arriving while its twin runs must still get a run that sees it.
    dedupe_key   TEXT,
    state        TEXT NOT NULL CHECK (state IN ('queued', 'running', 'done', 'dead')),
    priority     INTEGER NOT NULL DEFAULT 0,
    run_at       TEXT NOT NULL,
    attempts     INTEGER NOT NULL DEFAULT 0,
    max_attempts INTEGER NOT NULL,
    locked_by    TEXT,
    locked_until TEXT,
    last_error   TEXT,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    finished_at  TEXT
) STRICT;
CREATE INDEX jobs_due ON jobs (state, run_at);
CREATE UNIQUE INDEX jobs_dedupe ON jobs (kind, dedupe_key) WHERE dedupe_key IS NOT NULL AND state = 'queued';

-- One row per try, for the admin page and for proving exactly-once completion.
CREATE TABLE job_attempts (
    job_id      TEXT NOT NULL REFERENCES jobs (id),
    attempt     INTEGER NOT NULL,
    worker      TEXT NOT NULL,
    started_at  TEXT NOT NULL,
    finished_at TEXT NOT NULL,
    outcome     TEXT NOT NULL CHECK (outcome IN ('done', 'retry', 'dead', 'lease_lost')),
    error       TEXT,
    PRIMARY KEY (job_id, attempt, worker)
) STRICT;
