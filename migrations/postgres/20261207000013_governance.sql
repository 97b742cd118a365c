-- Issue 15, governance. Every plan that was ever saved, kept under its digest and never changed, so the SQL of a
-- dry run or an approval named in the audit trail stays readable after the plan is overwritten.
CREATE TABLE plan_snapshots (
    tenant_id  TEXT NOT NULL REFERENCES tenants (id),
    digest     TEXT NOT NULL,
    plan       TEXT NOT NULL,
    created_at TEXT NOT NULL,
    -- account id of whoever saved it first
    created_by TEXT NOT NULL,
    PRIMARY KEY (tenant_id, digest)
);

-- Whether analysts see the values of columns the personal-data scan flags in a dry run (off: they are masked).
ALTER TABLE tenants ADD COLUMN dry_run_shows_personal_data BOOLEAN NOT NULL DEFAULT FALSE;
