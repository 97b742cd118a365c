-- What a new extraction plan starts with on this site (the analyst may still choose otherwise), and saved SQL
-- templates ("recipes") analysts can start a plan from.
ALTER TABLE tenants ADD COLUMN default_format TEXT NOT NULL DEFAULT 'csv'
    CHECK (default_format IN ('csv', 'xlsx'));
ALTER TABLE tenants ADD COLUMN default_encryption TEXT NOT NULL DEFAULT 'age'
    CHECK (default_encryption IN ('age', 'zip_aes', 'age_recipients'));

CREATE TABLE recipes (
    tenant_id   TEXT NOT NULL REFERENCES tenants (id),
    name        TEXT NOT NULL,
    description TEXT NOT NULL,
    -- data source it is written for; NULL: any
    source      TEXT,
    sql_text    TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    -- account id of whoever last changed the row
    updated_by  TEXT NOT NULL,
    PRIMARY KEY (tenant_id, name)
) STRICT;
