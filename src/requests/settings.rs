//! Site settings as an admin changes them on the admin page: which Jira groups hold which role, the
//! separation-of-duty switch, the trigger (label and projects) that makes an issue a data request, and what a new
//! plan starts with. Input is checked whole before anything is stored; a change that would leave the site without an
//! admin group is refused.

use serde::{Deserialize, Serialize};

use serde_json::json;

use super::{
    Context, commands,
    plan::{Encryption, Format},
    roles,
};
use crate::{
    error::AppError,
    model::AuditAction,
    store::{self, AuditEvent, NewAuditEvent, RolePolicy, Store, Tx},
    tenant::{AccountId, Tenant},
};

/// Most groups per role.
const MAX_GROUPS: usize = 50;
/// Longest group name, label or project key accepted.
const MAX_NAME: usize = 255;

/// Everything on the site settings form.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SiteSettings {
    /// Groups whose members are analysts.
    pub analyst_groups: Vec<String>,
    /// Groups whose members are privacy officers.
    pub privacy_groups: Vec<String>,
    /// Groups whose members are Clearance admins.
    pub admin_groups: Vec<String>,
    /// The privacy officer who approves may not be the analyst who wrote the plan.
    pub separation_of_duty: bool,
    /// The Jira label that makes an issue a data request.
    pub trigger_label: String,
    /// Project keys the label counts in; empty: every project.
    pub trigger_projects: Vec<String>,
    /// Output format a new plan starts with.
    pub default_format: Format,
    /// Encryption a new plan starts with.
    pub default_encryption: Encryption,
    /// Dry runs show the values of columns the personal-data scan flags (off: they are masked in the preview).
    pub dry_run_shows_personal_data: bool,
}

/// A change: fields left out keep their values.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SettingsInput {
    analyst_groups: Option<Vec<String>>,
    privacy_groups: Option<Vec<String>>,
    admin_groups: Option<Vec<String>>,
    separation_of_duty: Option<bool>,
    trigger_label: Option<String>,
    trigger_projects: Option<Vec<String>>,
    default_format: Option<Format>,
    default_encryption: Option<Encryption>,
    dry_run_shows_personal_data: Option<bool>,
}

impl SiteSettings {
    /// The role policy part.
    pub fn role_policy(&self) -> RolePolicy {
        RolePolicy {
            analyst_groups: self.analyst_groups.clone(),
            privacy_groups: self.privacy_groups.clone(),
            admin_groups: self.admin_groups.clone(),
            sod_author_not_approver: self.separation_of_duty,
        }
    }

    /// `current` with `input` applied, or what is wrong with the input (naming the field).
    pub fn apply(&self, input: SettingsInput) -> Result<Self, String> {
        let groups = |field: &str, given: Option<Vec<String>>, now: &Vec<String>| match given {
            Some(list) => clean_groups(field, list),
            None => Ok(now.clone()),
        };
        let next = Self {
            analyst_groups: groups("analystGroups", input.analyst_groups, &self.analyst_groups)?,
            privacy_groups: groups("privacyGroups", input.privacy_groups, &self.privacy_groups)?,
            admin_groups: groups("adminGroups", input.admin_groups, &self.admin_groups)?,
            separation_of_duty: input.separation_of_duty.unwrap_or(self.separation_of_duty),
            trigger_label: match input.trigger_label {
                Some(l) => clean_label(&l)?,
                None => self.trigger_label.clone(),
            },
            trigger_projects: match input.trigger_projects {
                Some(p) => clean_projects(p)?,
                None => self.trigger_projects.clone(),
            },
            default_format: input.default_format.unwrap_or(self.default_format),
            default_encryption: input.default_encryption.unwrap_or(self.default_encryption),
            dry_run_shows_personal_data: input
                .dry_run_shows_personal_data
                .unwrap_or(self.dry_run_shows_personal_data),
        };
        if next.admin_groups.is_empty() {
            return Err(
                "adminGroups: keep at least one group, or nobody could change these settings"
                    .into(),
            );
        }
        Ok(next)
    }

    /// Store every part on an open transaction.
    pub async fn save(&self, tx: &mut Tx, tenant_id: &str) -> store::Result<()> {
        tx.set_role_policy(tenant_id, &self.role_policy()).await?;
        let projects = (!self.trigger_projects.is_empty()).then(|| self.trigger_projects.join(","));
        tx.set_trigger(tenant_id, &self.trigger_label, projects.as_deref())
            .await?;
        tx.set_plan_defaults(
            tenant_id,
            self.default_format.as_str(),
            self.default_encryption.as_str(),
        )
        .await?;
        tx.set_dry_run_shows_personal_data(tenant_id, self.dry_run_shows_personal_data)
            .await
    }
}

/// The tenant's settings (`None`: no such tenant). A stored value the code does not know is reported, not guessed.
pub async fn load(store: &Store, tenant_id: &str) -> anyhow::Result<Option<SiteSettings>> {
    let Some(policy) = store.role_policy(tenant_id).await? else {
        return Ok(None);
    };
    let (label, projects) = store
        .tenant_trigger(tenant_id)
        .await?
        .unwrap_or_else(|| ("data-request".into(), None));
    let (default_format, default_encryption) = plan_defaults(store, tenant_id)
        .await?
        .unwrap_or((Format::Csv, Encryption::Age));
    Ok(Some(SiteSettings {
        analyst_groups: policy.analyst_groups,
        privacy_groups: policy.privacy_groups,
        admin_groups: policy.admin_groups,
        separation_of_duty: policy.sod_author_not_approver,
        trigger_label: label,
        trigger_projects: projects
            .map(|p| {
                p.split(',')
                    .map(str::trim)
                    .filter(|k| !k.is_empty())
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default(),
        default_format,
        default_encryption,
        dry_run_shows_personal_data: store
            .dry_run_shows_personal_data(tenant_id)
            .await?
            .unwrap_or(false),
    }))
}

/// The format and encryption a new plan starts with on this site (`None`: no such tenant); the panel's editor reads
/// only these.
pub async fn plan_defaults(
    store: &Store,
    tenant_id: &str,
) -> anyhow::Result<Option<(Format, Encryption)>> {
    let Some((format, encryption)) = store.plan_defaults(tenant_id).await? else {
        return Ok(None);
    };
    Ok(Some((
        from_word(&format).map_err(|e| anyhow::anyhow!("stored default format {format:?}: {e}"))?,
        from_word(&encryption)
            .map_err(|e| anyhow::anyhow!("stored default encryption {encryption:?}: {e}"))?,
    )))
}

/// A stored setting word (`zip_aes`) as its enum.
fn from_word<T: serde::de::DeserializeOwned>(word: &str) -> serde_json::Result<T> {
    serde_json::from_value(serde_json::Value::from(word))
}

fn clean_groups(field: &str, list: Vec<String>) -> Result<Vec<String>, String> {
    if list.len() > MAX_GROUPS {
        return Err(format!("{field}: at most {MAX_GROUPS} groups"));
    }
    let mut out: Vec<String> = Vec::with_capacity(list.len());
    for g in list {
        let g = g.trim();
        if g.is_empty() {
            continue;
        }
        if g.len() > MAX_NAME || g.chars().any(char::is_control) {
            return Err(format!(
                "{field}: {g:?} is not a Jira group name (at most {MAX_NAME} characters, no control characters)"
            ));
        }
        if !out.iter().any(|o| o.eq_ignore_ascii_case(g)) {
            out.push(g.to_owned());
        }
    }
    Ok(out)
}

fn clean_label(label: &str) -> Result<String, String> {
    let label = label.trim();
    if label.is_empty()
        || label.len() > MAX_NAME
        || label.chars().any(|c| c.is_whitespace() || c.is_control())
    {
        return Err(format!(
            "triggerLabel: {label:?} is not a Jira label (one word, no spaces, at most {MAX_NAME} characters)"
        ));
    }
    Ok(label.to_owned())
}

fn clean_projects(list: Vec<String>) -> Result<Vec<String>, String> {
    let mut out: Vec<String> = Vec::new();
    for key in list {
        let key = key.trim().to_ascii_uppercase();
        if key.is_empty() {
            continue;
        }
        let mut chars = key.chars();
        let valid = chars.next().is_some_and(|c| c.is_ascii_uppercase())
            && chars.all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
            && key.len() <= MAX_NAME;
        if !valid {
            return Err(format!(
                "triggerProjects: {key:?} is not a Jira project key (a letter, then letters, digits or _)"
            ));
        }
        if !out.contains(&key) {
            out.push(key);
        }
    }
    Ok(out)
}

/// An admin's change to the site settings, stored with its audit event (the values before and after) in one
/// transaction. Refused: a site that is not installed (404), input that does not fit (422), and a change that would
/// take the admin role from `account`, who makes it (422: they would lock themselves out).
pub async fn update(
    app: &Context,
    tenant: &Tenant,
    account: &AccountId,
    input: SettingsInput,
) -> Result<(SiteSettings, AuditEvent), AppError> {
    let before = load(&app.store, &tenant.id)
        .await
        .map_err(AppError::Internal)?
        .ok_or_else(|| AppError::NotFound("this site is not installed".into()))?;
    let after = before.apply(input).map_err(AppError::Unprocessable)?;
    let groups = commands::groups_of(app, tenant, account).await?;
    if !roles::roles(&after.role_policy(), &groups).admin {
        return Err(AppError::Unprocessable(
            "adminGroups: you are in none of these groups, so you would lose access to this page; keep one of \
             your own groups"
                .into(),
        ));
    }
    let mut tx = app.store.begin().await?;
    after.save(&mut tx, &tenant.id).await?;
    let event = tx
        .append_audit(
            &tenant.id,
            &NewAuditEvent {
                actor: account.as_ref().to_owned(),
                action: AuditAction::SettingsUpdated,
                request_id: None,
                detail: json!({"before": before, "after": after}),
            },
        )
        .await?;
    tx.commit().await?;
    Ok((after, event))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn current() -> SiteSettings {
        SiteSettings {
            analyst_groups: vec!["clearance-analysts".into()],
            privacy_groups: vec!["clearance-privacy".into()],
            admin_groups: vec!["clearance-admins".into()],
            separation_of_duty: true,
            trigger_label: "data-request".into(),
            trigger_projects: vec![],
            default_format: Format::Csv,
            default_encryption: Encryption::Age,
            dry_run_shows_personal_data: false,
        }
    }

    fn input(json: &str) -> SettingsInput {
        serde_json::from_str(json).expect("valid input JSON")
    }

    #[test]
    fn fields_left_out_keep_their_values() {
        let next = current()
            .apply(input(
                r#"{"separationOfDuty": false, "defaultEncryption": "zip_aes"}"#,
            ))
            .unwrap();
        assert!(!next.separation_of_duty);
        assert_eq!(next.default_encryption, Encryption::ZipAes);
        assert_eq!(next.analyst_groups, current().analyst_groups);
        assert_eq!(next.trigger_label, "data-request");
    }

    #[test]
    fn lists_are_trimmed_deduplicated_and_keys_uppercased() {
        let next = current()
            .apply(input(
                r#"{"analystGroups": [" data-team ", "Data-Team", "", "bi"], "triggerProjects": ["data", " ops_2", "DATA"]}"#,
            ))
            .unwrap();
        assert_eq!(next.analyst_groups, ["data-team", "bi"]);
        assert_eq!(next.trigger_projects, ["DATA", "OPS_2"]);
    }

    #[test]
    fn bad_input_is_refused_naming_the_field() {
        let refused = |json: &str, field: &str| {
            let e = current().apply(input(json)).unwrap_err();
            assert!(e.starts_with(field), "{json}: {e}");
        };
        refused(r#"{"adminGroups": []}"#, "adminGroups");
        refused(r#"{"adminGroups": ["  "]}"#, "adminGroups");
        refused(r#"{"privacyGroups": ["a\u0007b"]}"#, "privacyGroups");
        refused(r#"{"triggerLabel": "data request"}"#, "triggerLabel");
        refused(r#"{"triggerLabel": ""}"#, "triggerLabel");
        refused(r#"{"triggerProjects": ["1ABC"]}"#, "triggerProjects");
        refused(r#"{"triggerProjects": ["A-B"]}"#, "triggerProjects");
        let many = format!(
            r#"{{"analystGroups": {:?}}}"#,
            (0..51).map(|i| format!("g{i}")).collect::<Vec<_>>()
        );
        refused(&many, "analystGroups");
        assert!(serde_json::from_str::<SettingsInput>(r#"{"defaultFormat": "pdf"}"#).is_err());
        assert!(serde_json::from_str::<SettingsInput>(r#"{"adminGroup": ["x"]}"#).is_err());
    }
}
