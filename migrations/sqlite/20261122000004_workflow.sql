-- The review and approval workflow: the extraction plan and its digest, who reviewed and approved, per-tenant role
-- mapping and separation-of-duty switch, and the hash-chained audit log.
-- the issue's attachments as read by the sync job (JSON list of {id, filename, size, mimeType, created})
ALTER TABLE requests ADD COLUMN attachments TEXT NOT NULL DEFAULT '[]';
ALTER TABLE requests ADD COLUMN version INTEGER NOT NULL DEFAULT 0;
ALTER TABLE requests ADD COLUMN reviewer TEXT;
-- JSON extraction plan (see requests::plan), its SHA-256 and who last changed it (the analyst)
ALTER TABLE requests ADD COLUMN plan TEXT;
ALTER TABLE requests ADD COLUMN plan_digest TEXT;
ALTER TABLE requests ADD COLUMN plan_author TEXT;
-- the analyst's answer to "is personal data involved?" (NULL until answered)
ALTER TABLE requests ADD COLUMN pii INTEGER;
-- the personal-data scan's findings (JSON, written by the extraction engine's dry run; NULL until it ran)
ALTER TABLE requests ADD COLUMN pii_scan TEXT;
ALTER TABLE requests ADD COLUMN approved_digest TEXT;
ALTER TABLE requests ADD COLUMN approved_by TEXT;
ALTER TABLE requests ADD COLUMN approved_at TEXT;

-- role mapping: JSON arrays of Jira group names
ALTER TABLE tenants ADD COLUMN analyst_groups TEXT NOT NULL DEFAULT '["clearance-analysts"]';
ALTER TABLE tenants ADD COLUMN privacy_groups TEXT NOT NULL DEFAULT '["clearance-privacy"]';
ALTER TABLE tenants ADD COLUMN admin_groups TEXT NOT NULL DEFAULT '["clearance-admins","site-admins"]';
-- the privacy officer who approves may not be the analyst who wrote the plan
ALTER TABLE tenants ADD COLUMN sod_author_not_approver INTEGER NOT NULL DEFAULT 1;

-- The newest link of each tenant's audit chain; appends update it in the same transaction, which serialises them.
CREATE TABLE audit_heads (
    tenant_id TEXT PRIMARY KEY NOT NULL REFERENCES tenants (id),
    seq       INTEGER NOT NULL,
    hash      TEXT NOT NULL
) STRICT;

CREATE TABLE audit_events (
    id         TEXT PRIMARY KEY NOT NULL,
    tenant_id  TEXT NOT NULL REFERENCES tenants (id),
    seq        INTEGER NOT NULL,
    at         TEXT NOT NULL,
    actor      TEXT NOT NULL,
    action     TEXT NOT NULL,
    request_id TEXT,
    detail     TEXT NOT NULL,
    prev_hash  TEXT NOT NULL,
    hash       TEXT NOT NULL,
    UNIQUE (tenant_id, seq)
) STRICT;
CREATE INDEX audit_events_request ON audit_events (request_id);
