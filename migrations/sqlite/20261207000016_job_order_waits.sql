-- Issue 17: jobs that must run in order, and waiting that is not failing (see the PostgreSQL twin for the columns).
-- Timestamps are RFC 3339 UTC text, as everywhere on SQLite.
ALTER TABLE jobs ADD COLUMN order_key TEXT;
ALTER TABLE jobs ADD COLUMN order_seq INTEGER;
ALTER TABLE jobs ADD COLUMN waits INTEGER NOT NULL DEFAULT 0;
ALTER TABLE jobs ADD COLUMN waiting_since TEXT;
ALTER TABLE jobs ADD COLUMN waiting_on TEXT CHECK (waiting_on IN ('jira', 'slack'));
CREATE INDEX jobs_order ON jobs (order_key, order_seq) WHERE order_key IS NOT NULL AND state IN ('queued', 'running');

-- SQLite cannot change a CHECK constraint: job_attempts is rebuilt with 'wait' among the outcomes.
CREATE TABLE job_attempts_v2 (
    job_id      TEXT NOT NULL REFERENCES jobs (id),
    attempt     INTEGER NOT NULL,
    worker      TEXT NOT NULL,
    started_at  TEXT NOT NULL,
    finished_at TEXT NOT NULL,
    outcome     TEXT NOT NULL CHECK (outcome IN ('done', 'retry', 'wait', 'dead', 'lease_lost')),
    error       TEXT,
    PRIMARY KEY (job_id, attempt, worker)
) STRICT;
INSERT INTO job_attempts_v2 (job_id, attempt, worker, started_at, finished_at, outcome, error)
    SELECT job_id, attempt, worker, started_at, finished_at, outcome, error FROM job_attempts;
DROP TABLE job_attempts;
ALTER TABLE job_attempts_v2 RENAME TO job_attempts;
