-- Slack, per tenant: the bot token (sealed with the master key, bound to the tenant, never stored in plaintext), the
-- workspace it belongs to as auth.test reported it when the token was stored, where team notices go and whom they
-- mention, and how a bundle's secret reaches the requester. One row per tenant; no row: Slack is not set up.
CREATE TABLE slack_settings (
    tenant_id        TEXT PRIMARY KEY REFERENCES tenants (id),
    -- NULL until an admin pastes a token (the channel may be set first)
    bot_token_sealed TEXT,
    team_id          TEXT,
    team_name        TEXT,
    bot_user_id      TEXT,
    -- channel id (C…/G…) for team notices; NULL: no notices
    notice_channel   TEXT,
    -- user group id (S…) mentioned when a request awaits privacy approval; NULL: nobody mentioned
    privacy_mention  TEXT,
    -- TRUE: the passphrase itself in the DM; FALSE (default): a one-time reveal link
    secret_in_dm     BOOLEAN NOT NULL DEFAULT FALSE,
    updated_at       TIMESTAMPTZ NOT NULL,
    -- account id of the admin who last changed the row
    updated_by       TEXT NOT NULL,
    CHECK ((bot_token_sealed IS NULL) = (team_id IS NULL))
);

-- Jira account → Slack user, set by an admin for people whose e-mail Jira hides or whose Slack e-mail differs.
-- Consulted before the e-mail lookup.
CREATE TABLE slack_user_map (
    tenant_id     TEXT NOT NULL REFERENCES tenants (id),
    account_id    TEXT NOT NULL,
    slack_user_id TEXT NOT NULL,
    updated_at    TIMESTAMPTZ NOT NULL,
    updated_by    TEXT NOT NULL,
    PRIMARY KEY (tenant_id, account_id)
);
