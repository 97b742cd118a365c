//! Who a Jira account is in Slack: the admin's mapping first; else the account's e-mail address from Jira, looked
//! up in the tenant's workspace. When neither finds anyone the error says why and what an admin can do; outages and
//! rate limits are errors the caller retries. Jira refusing the app e-mail addresses for a scope the installed app
//! lacks is not "no e-mail": it is logged and reported as the site-wide fix it needs.

use super::{DeliveryError, SlackClient, SlackUserId, notify::bot, settings::ConnectedBot};
use crate::{jira::JiraError, services::Services, tenant::Tenant};

const MAP_HINT: &str = "an admin can map them to their Slack user on Clearance's admin page";

/// The Slack user behind the Jira account `account_id` of `tenant`.
///
/// [`DeliveryError::Unresolved`] when nobody can be found (Jira hides the e-mail, or Slack has no user with it) —
/// its message names the person and the fix; [`DeliveryError::JiraScope`] when the installed app may not read
/// e-mail addresses at all; [`DeliveryError::NotSetUp`] without a bot token; Slack and Jira failures otherwise
/// (retry those).
pub async fn resolve(
    app: &Services,
    tenant: &Tenant,
    account_id: &str,
) -> Result<SlackUserId, DeliveryError> {
    let (bot, _) = bot(app, tenant).await?;
    resolve_with(app, tenant, &bot, account_id).await
}

/// [`resolve`] with the tenant's bot already loaded.
#[tracing::instrument(skip_all, fields(tenant = %tenant.id))]
pub(super) async fn resolve_with(
    app: &Services,
    tenant: &Tenant,
    bot: &ConnectedBot,
    account_id: &str,
) -> Result<SlackUserId, DeliveryError> {
    let mapped = app
        .store
        .slack_user_mapping(&tenant.id, account_id)
        .await
        .map_err(|e| DeliveryError::Internal(e.into()))?;
    if let Some(m) = mapped {
        return SlackUserId::parse(&m.slack_user_id).ok_or_else(|| {
            DeliveryError::Internal(anyhow::anyhow!(
                "the stored Slack user id {:?} is not a Slack user id",
                m.slack_user_id
            ))
        });
    }
    let jira = app
        .jira(tenant)
        .await
        .map_err(|e| DeliveryError::Internal(e.context("reading a person's e-mail from Jira")))?;
    let email = match jira.user_email(account_id).await {
        Ok(email) => email,
        Err(e @ JiraError::MissingScope { .. }) => {
            tracing::error!(
                error = %e,
                "Jira refuses the app e-mail addresses: the installed app lacks the scope, so nobody is found in \
                 Slack by e-mail until a site admin updates the app"
            );
            let who = name_of(&jira, account_id).await;
            return Err(DeliveryError::JiraScope(format!(
                "Clearance cannot find {who} in Slack by their Jira e-mail address; until a site admin updates the \
                 app, {MAP_HINT}. {e}"
            )));
        }
        // Jira answers 403 to apps Atlassian has not approved for e-mail addresses, 404 when the account is hidden.
        Err(JiraError::Forbidden(_) | JiraError::NotFound(_)) => None,
        Err(e) => return Err(DeliveryError::Jira(e)),
    };
    let Some(email) = email else {
        let who = name_of(&jira, account_id).await;
        return Err(DeliveryError::Unresolved(format!(
            "Jira does not let the app read {who}'s e-mail address, and no Slack user is mapped to them; {MAP_HINT}"
        )));
    };
    let found = SlackClient::for_app(app)
        .lookup_by_email(&bot.token, &email)
        .await?;
    match found {
        Some(user) => Ok(user),
        None => {
            let who = name_of(&jira, account_id).await;
            Err(DeliveryError::Unresolved(format!(
                "nobody in the Slack workspace {} uses {who}'s Jira e-mail address, and no Slack user is mapped to \
                 them; {MAP_HINT}",
                bot.team_name
            )))
        }
    }
}

/// The person's display name for a message, or their account id when Jira will not say.
async fn name_of(jira: &crate::jira::JiraClient, account_id: &str) -> String {
    match jira.user_display_name(account_id).await {
        Ok(Some(name)) => name,
        Ok(None) | Err(_) => format!("the Jira user {account_id}"),
    }
}
