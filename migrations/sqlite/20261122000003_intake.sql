-- Intake: webhook deliveries (deduplicated per tenant on X-Atlassian-Webhook-Identifier) and data requests (one per
-- Jira issue that carries the tenant's trigger label).
ALTER TABLE tenants ADD COLUMN trigger_label TEXT NOT NULL DEFAULT 'data-request';
-- comma-separated project keys; NULL = every project
ALTER TABLE tenants ADD COLUMN trigger_projects TEXT;

CREATE TABLE webhook_events (
    id          TEXT PRIMARY KEY NOT NULL,
    tenant_id   TEXT NOT NULL REFERENCES tenants (id),
    identifier  TEXT NOT NULL,
    event       TEXT NOT NULL,
    issue_id    TEXT,
    retry       INTEGER NOT NULL DEFAULT 0,
    received_at TEXT NOT NULL,
    body        TEXT NOT NULL,
    UNIQUE (tenant_id, identifier)
) STRICT;

CREATE TABLE requests (
    id          TEXT PRIMARY KEY NOT NULL,
    tenant_id   TEXT NOT NULL REFERENCES tenants (id),
    issue_id    TEXT NOT NULL,
    issue_key   TEXT NOT NULL,
    project_key TEXT NOT NULL,
    summary     TEXT NOT NULL,
    description TEXT NOT NULL,
    reporter    TEXT,
    labels      TEXT NOT NULL,
    state       TEXT NOT NULL,
    reason      TEXT,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    UNIQUE (tenant_id, issue_id)
) STRICT;
