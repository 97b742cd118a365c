-- Deliveries: the encrypted bundles built from approved plans and attached to their Jira issues, the one-time links
-- that reveal their secrets, the data subjects (ID-list values, as keyed hashes) each one contains, and the tenant's
-- retention rules.

-- One bundle built from one approved plan. A request that is reopened and extracted again gets another row.
CREATE TABLE deliveries (
    id             TEXT PRIMARY KEY NOT NULL,
    tenant_id      TEXT NOT NULL REFERENCES tenants (id),
    request_id     TEXT NOT NULL REFERENCES requests (id),
    -- the approved plan digest the bundle was built from
    digest         TEXT NOT NULL,
    -- unique per delivery (the request key and a short id), so a retry can find its own upload on the issue
    file_name      TEXT NOT NULL,
    encryption     TEXT NOT NULL CHECK (encryption IN ('age', 'age-recipients', 'zip-aes')),
    -- building → built (bundle on disk, secret sealed) → uploaded (attached) → expired; failed on the way
    state          TEXT NOT NULL CHECK (state IN ('building', 'built', 'uploaded', 'expired', 'failed')),
    row_count      INTEGER,
    data_bytes     INTEGER,
    data_sha256    TEXT,
    bundle_bytes   INTEGER,
    bundle_sha256  TEXT,
    -- JSON: delivered columns, ID-list counts, seconds per stage (never data)
    summary        TEXT,
    -- live counters while building (rows and bytes so far)
    progress_rows  INTEGER NOT NULL DEFAULT 0,
    progress_bytes INTEGER NOT NULL DEFAULT 0,
    -- the passphrase or zip password, sealed with the master key and bound to (tenant_id, id); NULL when the bundle
    -- has none (age recipients) or once every link was used or expired
    secret_sealed  TEXT,
    attachment_id  TEXT,
    created_at     TEXT NOT NULL,
    built_at       TEXT,
    uploaded_at    TEXT,
    expires_at     TEXT,
    reminded_at    TEXT,
    expired_at     TEXT,
    error          TEXT
) STRICT;
CREATE INDEX deliveries_request ON deliveries (request_id);
CREATE INDEX deliveries_expiry ON deliveries (state, expires_at);

-- A one-time link to reveal a delivery's secret, for one Jira account. Only the token's SHA-256 is stored.
CREATE TABLE secret_links (
    id          TEXT PRIMARY KEY NOT NULL,
    tenant_id   TEXT NOT NULL REFERENCES tenants (id),
    delivery_id TEXT NOT NULL REFERENCES deliveries (id),
    account_id  TEXT NOT NULL,
    token_hash  TEXT NOT NULL UNIQUE,
    created_at  TEXT NOT NULL,
    expires_at  TEXT NOT NULL,
    -- when the person was told (Slack DM); a retry skips those already told
    notified_at TEXT,
    revealed_at TEXT,
    UNIQUE (delivery_id, account_id)
) STRICT;

-- The ID-list values a delivery was built from, as HMAC-SHA-256 under the tenant's erasure salt: `clearance erase`
-- finds every live delivery that contained a data subject without Clearance keeping the values.
CREATE TABLE delivery_subjects (
    tenant_id    TEXT NOT NULL REFERENCES tenants (id),
    delivery_id  TEXT NOT NULL REFERENCES deliveries (id),
    subject_hash TEXT NOT NULL,
    PRIMARY KEY (delivery_id, subject_hash)
) STRICT;
CREATE INDEX delivery_subjects_hash ON delivery_subjects (tenant_id, subject_hash);

-- retention: days a delivery stays on the issue by default, the bounds a request's override must keep, and whether
-- closing the issue expires it at once
ALTER TABLE tenants ADD COLUMN retention_days INTEGER NOT NULL DEFAULT 7;
ALTER TABLE tenants ADD COLUMN retention_min_days INTEGER NOT NULL DEFAULT 1;
ALTER TABLE tenants ADD COLUMN retention_max_days INTEGER NOT NULL DEFAULT 30;
ALTER TABLE tenants ADD COLUMN expire_on_close INTEGER NOT NULL DEFAULT 0;
-- random per tenant (hex), made on first use; keys the subject hashes
ALTER TABLE tenants ADD COLUMN erasure_salt TEXT;
-- a request's own retention in days (NULL: the tenant's default)
ALTER TABLE requests ADD COLUMN retention_days INTEGER;
