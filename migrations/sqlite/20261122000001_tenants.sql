-- Tenants: one row per Jira site that installed Clearance.
-- Keyed by our own id (every tenant-owned table references it) with the Connect clientKey unique, because a site import
-- brings a new clientKey for the same baseUrl and a rename brings a new baseUrl for the same clientKey.
-- Timestamps are RFC 3339 text in UTC (sqlx's chrono encoding), so they compare correctly as strings.
CREATE TABLE tenants (
    id             TEXT PRIMARY KEY NOT NULL,
    client_key     TEXT NOT NULL UNIQUE,
    -- sealed with the master key (src/crypto.rs), bound to the clientKey; never plaintext
    shared_secret  TEXT NOT NULL,
    base_url       TEXT NOT NULL,
    display_url    TEXT NOT NULL,
    product_type   TEXT NOT NULL,
    description    TEXT,
    state          TEXT NOT NULL CHECK (state IN ('installed', 'enabled', 'disabled', 'uninstalled')),
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL,
    installed_at   TEXT NOT NULL,
    uninstalled_at TEXT
) STRICT;
