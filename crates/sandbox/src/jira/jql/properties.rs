//! Issue properties indexed for JQL under an alias: an installed app asks Jira to index parts of an issue property
//! (Connect: the descriptor's `jiraEntityProperties`; Forge: the manifest's `jira:entityProperty`), and each indexed
//! value becomes a field named by its alias. A site knows only the aliases its installed apps declared: anywhere else
//! the name is an unknown field, refused as Jira refuses one.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value as Json;

/// How an indexed value is typed, which decides the operators and values its alias takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PropertyType {
    /// `string` (and `user`, an account ID): exact match with `=`, `!=`, `in`, `not in`, `is [not] EMPTY`.
    String,
    /// `date`: an ISO 8601 date or date-time; compared like `created`.
    Date,
}

impl PropertyType {
    /// The type of a declared extraction (`string`, `user`, `date`); `None` for those the simulator does not index
    /// (`number`, `text`).
    pub fn parse(declared: &str) -> Option<Self> {
        match declared {
            "string" | "user" => Some(Self::String),
            "date" => Some(Self::Date),
            _ => None,
        }
    }
}

/// One indexed value: the alias JQL uses, the issue property and the path in its JSON value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PropertyAlias {
    /// The JQL field name (`clearanceStatus`); matched case-insensitively, as field names are.
    pub alias: String,
    /// The issue property's key (`clearance-request`).
    pub property_key: String,
    /// Dot-separated path in the property's value (`state`, `a.b`).
    pub path: String,
    /// How the value is indexed.
    pub kind: PropertyType,
}

impl PropertyAlias {
    /// An alias as an app declares it (`alias` for `path` of the property `property_key`, of type `declared`);
    /// `None` for a type the simulator does not index.
    pub fn declared(alias: &str, property_key: &str, path: &str, declared: &str) -> Option<Self> {
        Some(Self {
            alias: alias.to_owned(),
            property_key: property_key.to_owned(),
            path: path.to_owned(),
            kind: PropertyType::parse(declared)?,
        })
    }

    /// The value at this alias's path in `property` (the whole property value), if there is one.
    pub fn read<'a>(&self, property: &'a Json) -> Option<&'a Json> {
        self.path
            .split('.')
            .try_fold(property, |value, part| value.get(part))
            .filter(|v| !v.is_null())
    }

    /// The indexed string, for [`PropertyType::String`] (a JSON string; a number or boolean as Jira writes it).
    pub(super) fn text(value: &Json) -> Option<String> {
        match value {
            Json::String(s) => Some(s.clone()),
            Json::Number(n) => Some(n.to_string()),
            Json::Bool(b) => Some(b.to_string()),
            _ => None,
        }
    }

    /// The indexed instant, for [`PropertyType::Date`]: RFC 3339, or a bare `yyyy-MM-dd` (midnight UTC).
    pub(super) fn date(value: &Json) -> Option<DateTime<Utc>> {
        let s = value.as_str()?.trim();
        if let Ok(at) = DateTime::parse_from_rfc3339(s) {
            return Some(at.with_timezone(&Utc));
        }
        let day = NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()?;
        Some(day.and_hms_opt(0, 0, 0)?.and_utc())
    }
}

/// The alias named `name` (case-insensitively) among `aliases`.
pub(super) fn find<'a>(aliases: &'a [PropertyAlias], name: &str) -> Option<&'a PropertyAlias> {
    aliases.iter().find(|a| a.alias.eq_ignore_ascii_case(name))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn alias(path: &str) -> PropertyAlias {
        PropertyAlias {
            alias: "x".into(),
            property_key: "p".into(),
            path: path.into(),
            kind: PropertyType::String,
        }
    }

    #[test]
    fn reads_nested_paths_and_treats_null_as_absent() {
        let v = json!({"state": "approved", "a": {"b": 3}, "gone": null});
        assert_eq!(alias("state").read(&v), Some(&json!("approved")));
        assert_eq!(alias("a.b").read(&v), Some(&json!(3)));
        assert_eq!(alias("gone").read(&v), None);
        assert_eq!(alias("missing.deeper").read(&v), None);
    }

    #[test]
    fn an_alias_is_a_field_only_where_it_is_indexed() {
        let status = PropertyAlias {
            alias: "clearanceStatus".into(),
            ..alias("state")
        };
        let unknown =
            "Field 'clearanceStatus' does not exist or you do not have permission to view it.";
        let e = crate::jira::jql::parse("clearanceStatus = approved").unwrap_err();
        assert_eq!(e.messages(), [unknown]);
        let aliases = [status];
        assert!(crate::jira::jql::parse_with("clearanceStatus = approved", &aliases).is_ok());
        let e = crate::jira::jql::parse_with("clearanceStatus > approved", &aliases).unwrap_err();
        assert_eq!(
            e.messages(),
            ["The operator '>' is not supported by the 'clearanceStatus' field."]
        );
        let e =
            crate::jira::jql::parse_with("x = 1 ORDER BY clearanceStatus", &aliases).unwrap_err();
        assert!(
            e.messages()
                .iter()
                .any(|m| m.contains("not supported by the Jira simulator"))
        );
    }

    #[test]
    fn dates_are_rfc3339_or_plain_days() {
        assert!(PropertyAlias::date(&json!("2026-03-31T12:00:00+02:00")).is_some());
        assert_eq!(
            PropertyAlias::date(&json!("2026-03-31")).map(|d| d.to_rfc3339()),
            Some("2026-03-31T00:00:00+00:00".to_owned())
        );
        assert_eq!(PropertyAlias::date(&json!("soon")), None);
        assert_eq!(PropertyType::parse("number"), None);
        assert_eq!(PropertyType::parse("user"), Some(PropertyType::String));
    }
}
