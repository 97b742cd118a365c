//! The issue properties the site indexes for JQL, taken from what its apps installed: the Connect descriptor's
//! `modules.jiraEntityProperties` (`keyConfigurations[].extractions[]` with an `alias`) and the Forge manifest's
//! `jira:entityProperty` modules (kept with the installation). A site with neither knows no alias.

use serde_json::Value;

use super::{JiraSim, jql::PropertyAlias};

impl JiraSim {
    /// The aliases JQL accepts on this site: the installed Connect app's, then the installed Forge app's.
    pub fn jql_aliases(&self) -> Vec<PropertyAlias> {
        let s = self.state();
        let mut out = s
            .app
            .as_ref()
            .map(|a| from_descriptor(&a.descriptor))
            .unwrap_or_default();
        if let Some(i) = &s.forge.installed {
            out.extend(i.modules.indexed.iter().cloned());
        }
        out
    }
}

/// The issue-property extractions a Connect descriptor indexes under an alias.
pub fn from_descriptor(descriptor: &Value) -> Vec<PropertyAlias> {
    let each = |v: &Value, key: &str| v[key].as_array().cloned().unwrap_or_default();
    let mut out = Vec::new();
    for module in each(&descriptor["modules"], "jiraEntityProperties") {
        if module["entityType"].as_str().unwrap_or("issue") != "issue" {
            continue;
        }
        for config in each(&module, "keyConfigurations") {
            let Some(property_key) = config["propertyKey"].as_str() else {
                continue;
            };
            for x in each(&config, "extractions") {
                let (Some(path), Some(alias)) = (x["objectName"].as_str(), x["alias"].as_str())
                else {
                    continue;
                };
                let declared = x["type"].as_str().unwrap_or_default();
                out.extend(PropertyAlias::declared(alias, property_key, path, declared));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jira::jql::PropertyType;

    #[test]
    fn clearances_descriptor_indexes_status_and_updated() {
        let d: Value =
            serde_json::from_str(include_str!("../../../../atlassian-connect.json")).unwrap();
        let got: Vec<(String, String, PropertyType)> = from_descriptor(&d)
            .into_iter()
            .map(|a| (a.alias, a.path, a.kind))
            .collect();
        assert_eq!(
            got,
            [
                (
                    "clearanceStatus".into(),
                    "state".into(),
                    PropertyType::String
                ),
                (
                    "clearanceUpdated".into(),
                    "updated".into(),
                    PropertyType::Date
                )
            ]
        );
    }
}
