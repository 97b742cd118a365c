-- Forge Remote installations. A Forge site is a tenant whose client_key is `forge:{cloudId}` (the cloud id is stable
-- across re-installs; the installation id is not). The row keeps the installation Forge last called from, the Jira
-- API base URL its tokens name, and the latest app system token (sealed, bound to the tenant): Forge sends tokens only
-- with its calls and offers no refresh, so the newest one is kept until it expires.
CREATE TABLE forge_installations (
    tenant_id        TEXT PRIMARY KEY REFERENCES tenants (id),
    cloud_id         TEXT NOT NULL UNIQUE,
    installation_id  TEXT NOT NULL,
    environment_id   TEXT,
    api_base_url     TEXT NOT NULL,
    system_token     TEXT,
    token_expires_at TIMESTAMPTZ,
    updated_at       TIMESTAMPTZ NOT NULL
);
