-- age public keys (age1…) of Jira accounts, per tenant: a plan encrypted to `age_recipients` is encrypted to the keys
-- of everyone it is for, so there is no password to send. Set by the person themself (panel) or removed by an admin.
CREATE TABLE age_keys (
    tenant_id  TEXT NOT NULL REFERENCES tenants (id),
    account_id TEXT NOT NULL,
    public_key TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    -- account id of whoever last changed the row
    updated_by TEXT NOT NULL,
    PRIMARY KEY (tenant_id, account_id)
) STRICT;
