-- Issue 17: jobs that must run in order, and waiting that is not failing.
--
-- order_key / order_seq: jobs sharing an order_key run one at a time in order_seq order (a job is claimable only when
-- no job of its key with a lower order_seq is queued or running), so the comments and notices of one request reach
-- Jira and Slack in audit order, also with retries, several workers and several instances.
--
-- waits / waiting_since / waiting_on: a claim that ended because Jira or Slack asked to wait (HTTP 429) does not use
-- up a try (tries = attempts - waits); waiting_since is when the current run of waits began (cleared by any other
-- outcome) and bounds it by the configured budget; waiting_on names who asked ('jira' or 'slack').
ALTER TABLE jobs
    ADD COLUMN order_key TEXT,
    ADD COLUMN order_seq BIGINT,
    ADD COLUMN waits INTEGER NOT NULL DEFAULT 0,
    ADD COLUMN waiting_since TIMESTAMPTZ,
    ADD COLUMN waiting_on TEXT CHECK (waiting_on IN ('jira', 'slack'));
CREATE INDEX jobs_order ON jobs (order_key, order_seq) WHERE order_key IS NOT NULL AND state IN ('queued', 'running');

ALTER TABLE job_attempts DROP CONSTRAINT job_attempts_outcome_check;
ALTER TABLE job_attempts ADD CONSTRAINT job_attempts_outcome_check
    CHECK (outcome IN ('done', 'retry', 'wait', 'dead', 'lease_lost'));
