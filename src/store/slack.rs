//! The `slack_settings` and `slack_user_map` tables: a tenant's Slack settings with the sealed bot token, the admin's
//! Jira account → Slack user mapping, and re-sealing tokens for key rotation. Always scoped to one tenant.

use chrono::{DateTime, Utc};
use tracing::instrument;

use super::{QueryContext, Result, SealedSecret, Store, StoreError, Tx, with_pool, with_tx};

macro_rules! settings_columns {
    () => {
        "tenant_id, bot_token_sealed, team_id, team_name, bot_user_id, notice_channel, privacy_mention, \
         secret_in_dm, updated_at, updated_by"
    };
}

/// The bot a stored token belongs to, as `auth.test` reported it when the token was stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SlackBot {
    /// The token, sealed with the master key and bound to the tenant.
    pub token_sealed: SealedSecret,
    /// Workspace id, `T…`.
    pub team_id: String,
    /// Workspace name.
    pub team_name: String,
    /// The bot's user id.
    pub bot_user_id: String,
}

/// A tenant's Slack settings as stored (the token sealed; only `slack::settings` opens it).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredSlackSettings {
    /// Owning tenant (part of the sealed token's associated data).
    pub tenant_id: String,
    /// The bot, once an admin stored a token.
    pub bot: Option<SlackBot>,
    /// Channel id for team notices.
    pub notice_channel: Option<String>,
    /// User group id mentioned when a request awaits privacy approval.
    pub privacy_mention: Option<String>,
    /// The passphrase itself in the DM (else a one-time reveal link).
    pub secret_in_dm: bool,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
    /// Account id of the admin who last changed them.
    pub updated_by: String,
}

#[derive(sqlx::FromRow)]
struct SettingsRow {
    tenant_id: String,
    bot_token_sealed: Option<String>,
    team_id: Option<String>,
    team_name: Option<String>,
    bot_user_id: Option<String>,
    notice_channel: Option<String>,
    privacy_mention: Option<String>,
    secret_in_dm: bool,
    updated_at: DateTime<Utc>,
    updated_by: String,
}

impl TryFrom<SettingsRow> for StoredSlackSettings {
    type Error = StoreError;

    fn try_from(r: SettingsRow) -> Result<Self> {
        let bot = match (r.bot_token_sealed, r.team_id, r.team_name, r.bot_user_id) {
            (Some(t), Some(team_id), Some(team_name), Some(bot_user_id)) => Some(SlackBot {
                token_sealed: SealedSecret(t),
                team_id,
                team_name,
                bot_user_id,
            }),
            (None, None, _, _) => None,
            _ => {
                return Err(StoreError::Corrupt {
                    table: "slack_settings",
                    detail: "a token without its workspace, or a workspace without a token".into(),
                });
            }
        };
        Ok(Self {
            tenant_id: r.tenant_id,
            bot,
            notice_channel: r.notice_channel,
            privacy_mention: r.privacy_mention,
            secret_in_dm: r.secret_in_dm,
            updated_at: r.updated_at,
            updated_by: r.updated_by,
        })
    }
}

/// One Jira account mapped to a Slack user by an admin.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct SlackUserMapping {
    /// Jira account id.
    pub account_id: String,
    /// Slack user id (`U…`/`W…`).
    pub slack_user_id: String,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
    /// Account id of the admin who set it.
    pub updated_by: String,
}

impl Store {
    /// A tenant's Slack settings, if an admin saved any.
    #[instrument(skip_all)]
    pub async fn slack_settings(&self, tenant_id: &str) -> Result<Option<StoredSlackSettings>> {
        let sql = concat!(
            "SELECT ",
            settings_columns!(),
            " FROM slack_settings WHERE tenant_id = $1"
        );
        let row: Option<SettingsRow> = with_pool!(self, pool => sqlx::query_as(sql)
            .bind(tenant_id).fetch_optional(pool).await.op("reading Slack settings"))?;
        row.map(TryInto::try_into).transpose()
    }

    /// Every stored bot token's `(tenant id, sealed token)`, for re-sealing under a new master key.
    pub async fn sealed_slack_tokens(&self) -> Result<Vec<(String, SealedSecret)>> {
        let sql = "SELECT tenant_id, bot_token_sealed FROM slack_settings WHERE bot_token_sealed IS NOT NULL \
                   ORDER BY tenant_id";
        let rows: Vec<(String, String)> = with_pool!(self, pool => sqlx::query_as(sql)
            .fetch_all(pool).await.op("reading sealed Slack tokens"))?;
        Ok(rows
            .into_iter()
            .map(|(t, s)| (t, SealedSecret(s)))
            .collect())
    }

    /// Replace sealed tokens, each `(tenant id, old, new)`; a token replaced meanwhile is left alone. Returns how
    /// many were re-sealed.
    pub async fn reseal_slack_tokens(
        &self,
        entries: &[(String, SealedSecret, SealedSecret)],
    ) -> Result<u64> {
        let sql = "UPDATE slack_settings SET bot_token_sealed = $3 WHERE tenant_id = $1 AND bot_token_sealed = $2";
        self.reseal(sql, entries).await
    }

    /// A tenant's Jira → Slack mappings, by account id.
    #[instrument(skip_all)]
    pub async fn slack_user_mappings(&self, tenant_id: &str) -> Result<Vec<SlackUserMapping>> {
        let sql = "SELECT account_id, slack_user_id, updated_at, updated_by FROM slack_user_map \
                   WHERE tenant_id = $1 ORDER BY account_id";
        with_pool!(self, pool => sqlx::query_as(sql)
            .bind(tenant_id).fetch_all(pool).await.op("listing Slack user mappings"))
    }

    /// The Slack user an admin mapped `account_id` to, if any.
    #[instrument(skip_all)]
    pub async fn slack_user_mapping(
        &self,
        tenant_id: &str,
        account_id: &str,
    ) -> Result<Option<SlackUserMapping>> {
        let sql = "SELECT account_id, slack_user_id, updated_at, updated_by FROM slack_user_map \
                   WHERE tenant_id = $1 AND account_id = $2";
        with_pool!(self, pool => sqlx::query_as(sql).bind(tenant_id).bind(account_id)
            .fetch_optional(pool).await.op("reading a Slack user mapping"))
    }
}

impl Tx {
    /// A tenant's Slack settings, locked until commit (read before changing them).
    pub async fn slack_settings_for_update(
        &mut self,
        tenant_id: &str,
    ) -> Result<Option<StoredSlackSettings>> {
        let sql = format!(
            concat!(
                "SELECT ",
                settings_columns!(),
                " FROM slack_settings WHERE tenant_id = $1{}"
            ),
            self.for_update()
        );
        let row: Option<SettingsRow> = with_tx!(self, c => sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(tenant_id).fetch_optional(&mut *c).await.op("reading Slack settings"))?;
        row.map(TryInto::try_into).transpose()
    }

    /// Store a tenant's Slack settings (insert or overwrite).
    pub async fn upsert_slack_settings(&mut self, s: &StoredSlackSettings) -> Result<()> {
        let sql = concat!(
            "INSERT INTO slack_settings (",
            settings_columns!(),
            ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
             ON CONFLICT (tenant_id) DO UPDATE SET bot_token_sealed = excluded.bot_token_sealed, \
               team_id = excluded.team_id, team_name = excluded.team_name, bot_user_id = excluded.bot_user_id, \
               notice_channel = excluded.notice_channel, privacy_mention = excluded.privacy_mention, \
               secret_in_dm = excluded.secret_in_dm, updated_at = excluded.updated_at, \
               updated_by = excluded.updated_by"
        );
        let bot = s.bot.as_ref();
        with_tx!(self, c => sqlx::query(sql)
            .bind(&s.tenant_id).bind(bot.map(|b| &b.token_sealed.0)).bind(bot.map(|b| &b.team_id))
            .bind(bot.map(|b| &b.team_name)).bind(bot.map(|b| &b.bot_user_id)).bind(&s.notice_channel)
            .bind(&s.privacy_mention).bind(s.secret_in_dm).bind(s.updated_at).bind(&s.updated_by)
            .execute(&mut *c).await.op("storing Slack settings").map(drop))?;
        Ok(())
    }

    /// Map `account_id` to a Slack user (insert or replace); returns the Slack user it was mapped to before.
    pub async fn put_slack_user_mapping(
        &mut self,
        tenant_id: &str,
        m: &SlackUserMapping,
    ) -> Result<Option<String>> {
        let read = format!(
            "SELECT slack_user_id FROM slack_user_map WHERE tenant_id = $1 AND account_id = $2{}",
            self.for_update()
        );
        let before: Option<String> = with_tx!(self, c => sqlx::query_scalar(sqlx::AssertSqlSafe(read))
            .bind(tenant_id).bind(&m.account_id).fetch_optional(&mut *c).await
            .op("reading a Slack user mapping"))?;
        let write = "INSERT INTO slack_user_map (tenant_id, account_id, slack_user_id, updated_at, updated_by) \
                     VALUES ($1, $2, $3, $4, $5) ON CONFLICT (tenant_id, account_id) DO UPDATE SET \
                     slack_user_id = excluded.slack_user_id, updated_at = excluded.updated_at, \
                     updated_by = excluded.updated_by";
        with_tx!(self, c => sqlx::query(write)
            .bind(tenant_id).bind(&m.account_id).bind(&m.slack_user_id).bind(m.updated_at)
            .bind(&m.updated_by).execute(&mut *c).await.op("storing a Slack user mapping").map(drop))?;
        Ok(before)
    }

    /// Remove the mapping of `account_id`; returns what was removed.
    pub async fn delete_slack_user_mapping(
        &mut self,
        tenant_id: &str,
        account_id: &str,
    ) -> Result<Option<SlackUserMapping>> {
        let sql = "DELETE FROM slack_user_map WHERE tenant_id = $1 AND account_id = $2 \
                   RETURNING account_id, slack_user_id, updated_at, updated_by";
        with_tx!(self, c => sqlx::query_as(sql).bind(tenant_id).bind(account_id)
            .fetch_optional(&mut *c).await.op("deleting a Slack user mapping"))
    }
}
