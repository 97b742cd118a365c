-- Data sources: the warehouses a tenant's analysts may query, one row per (tenant, name).
-- The connection URL (credentials included) is sealed with the master key (src/crypto.rs), bound to the tenant and
-- the row's id, so a value copied onto another row or tenant does not open; it is never stored in plaintext.
CREATE TABLE data_sources (
    id                     TEXT PRIMARY KEY NOT NULL,
    tenant_id              TEXT NOT NULL REFERENCES tenants (id),
    name                   TEXT NOT NULL,
    kind                   TEXT NOT NULL CHECK (kind IN ('postgres', 'mysql', 'sqlite')),
    url_sealed             TEXT NOT NULL,
    environment            TEXT NOT NULL CHECK (environment IN ('staging', 'production')),
    -- JSON array of Jira project keys allowed to use the source (empty: none)
    allowed_projects       TEXT NOT NULL DEFAULT '[]',
    max_rows               INTEGER NOT NULL CHECK (max_rows > 0),
    max_bytes              INTEGER NOT NULL CHECK (max_bytes > 0),
    statement_timeout_secs INTEGER NOT NULL CHECK (statement_timeout_secs BETWEEN 1 AND 3600),
    created_at             TEXT NOT NULL,
    updated_at             TEXT NOT NULL,
    -- account id of the admin who last changed the row
    updated_by             TEXT NOT NULL,
    UNIQUE (tenant_id, name)
) STRICT;
