-- Durable background jobs: claimed with a lease (FOR UPDATE SKIP LOCKED), retried with backoff, dead after
-- max_attempts (kept, re-runnable). Payloads hold ids only; a job reloads what it works on.
CREATE TABLE jobs (
    id           TEXT PRIMARY KEY,
    tenant_id    TEXT REFERENCES tenants (id),
    kind         TEXT NOT NULL,
    payload      TEXT NOT NULL,
    -- at most one queued job per (kind, dedupe_key); NULL = no deduplication. A running one does not count: an
    -- event arriving while its twin runs must still get a run that sees it.
    dedupe_key   TEXT,
    state        TEXT NOT NULL CHECK (state IN ('queued', 'running', 'done', 'dead')),
    priority     INTEGER NOT NULL DEFAULT 0,
    run_at       TIMESTAMPTZ NOT NULL,
    attempts     INTEGER NOT NULL DEFAULT 0,
    max_attempts INTEGER NOT NULL,
    locked_by    TEXT,
    locked_until TIMESTAMPTZ,
    last_error   TEXT,
    created_at   TIMESTAMPTZ NOT NULL,
    updated_at   TIMESTAMPTZ NOT NULL,
    finished_at  TIMESTAMPTZ
);
CREATE INDEX jobs_due ON jobs (state, run_at);
CREATE UNIQUE INDEX jobs_dedupe ON jobs (kind, dedupe_key) WHERE dedupe_key IS NOT NULL AND state = 'queued';

-- One row per try, for the admin page and for proving exactly-once completion.
CREATE TABLE job_attempts (
    job_id      TEXT NOT NULL REFERENCES jobs (id),
    attempt     INTEGER NOT NULL,
    worker      TEXT NOT NULL,
    started_at  TIMESTAMPTZ NOT NULL,
    finished_at TIMESTAMPTZ NOT NULL,
    outcome     TEXT NOT NULL CHECK (outcome IN ('done', 'retry', 'dead', 'lease_lost')),
    error       TEXT,
    PRIMARY KEY (job_id, attempt, worker)
);
