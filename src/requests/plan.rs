//! The extraction plan: everything that decides what leaves the warehouse, and its digest, which approval binds to.
//! Changing any field changes the digest and so voids an approval.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

pub use clearance_extract::{Format, Masking};

use crate::digest::{canonical_json, sha256_hex};

/// Longest SQL text accepted (bytes).
pub const MAX_SQL_BYTES: usize = 100_000;

/// What an analyst writes and a privacy officer approves.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Plan {
    /// Data source name (configured per tenant).
    pub source: String,
    /// The query.
    pub sql: String,
    /// An ID list from a file attached to the issue, bound to a query parameter.
    #[serde(default)]
    pub id_list: Option<IdList>,
    /// What to do with each output column; columns not named are kept.
    #[serde(default)]
    pub masking: BTreeMap<String, Masking>,
    /// Row cap.
    pub max_rows: u64,
    /// Byte cap of the output file.
    pub max_bytes: u64,
    /// Output format.
    pub format: Format,
    /// How the bundle is encrypted.
    pub encryption: Encryption,
    /// Account ids that receive the secret (besides the requester). Only a privacy officer's approval can add
    /// anyone: a plan with recipients cannot be approved directly.
    #[serde(default)]
    pub recipients: Vec<String>,
    /// CSV text cells that a spreadsheet would run as formulas (`=`, `+`, `-`, `@`, TAB, CR first) get a leading
    /// `'`, as OWASP advises; on unless the plan says otherwise.
    #[serde(default = "on")]
    pub neutralise_formulas: bool,
}

fn on() -> bool {
    true
}

/// An ID list taken from one column of an attached CSV/XLSX file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IdList {
    /// Jira attachment id.
    pub attachment_id: String,
    /// File name, for people.
    pub file_name: String,
    /// SHA-256 of the file's content (hex).
    pub sha256: String,
    /// Header of the column holding the IDs.
    pub column: String,
    /// Query parameter it binds to (`customer_ids` for `:customer_ids`).
    pub parameter: String,
}

/// Bundle encryption.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Encryption {
    /// age with a generated passphrase.
    Age,
    /// age to the registered public keys of everyone the delivery is for: no password to send.
    AgeRecipients,
    /// AES-256 zip.
    ZipAes,
}

impl Encryption {
    /// Its name in plans and settings (`zip_aes`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Age => "age",
            Self::AgeRecipients => "age_recipients",
            Self::ZipAes => "zip_aes",
        }
    }
}

impl Plan {
    /// Check the plan is complete and sane; the message names the field.
    pub fn validate(&self) -> Result<(), String> {
        if self.source.trim().is_empty() {
            return Err("plan.source: choose a data source".into());
        }
        if self.sql.trim().is_empty() {
            return Err("plan.sql: write the query".into());
        }
        if self.sql.len() > MAX_SQL_BYTES {
            return Err(format!("plan.sql: longer than {MAX_SQL_BYTES} bytes"));
        }
        if self.max_rows == 0 || self.max_bytes == 0 {
            return Err("plan.max_rows and plan.max_bytes must be above zero".into());
        }
        if let Some(ids) = &self.id_list {
            let hex64 = ids.sha256.len() == 64 && ids.sha256.bytes().all(|b| b.is_ascii_hexdigit());
            if !hex64 {
                return Err("plan.id_list.sha256: expected 64 hex digits".into());
            }
            let ident = |s: &str| {
                !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
            };
            if !ident(&ids.parameter) {
                return Err("plan.id_list.parameter: letters, digits and _ only".into());
            }
            if ids.column.trim().is_empty() || ids.attachment_id.trim().is_empty() {
                return Err("plan.id_list: name the attachment and its ID column".into());
            }
        }
        if self.masking.keys().any(|c| c.trim().is_empty()) {
            return Err("plan.masking: a column name is empty".into());
        }
        if self
            .recipients
            .iter()
            .any(|r| crate::tenant::AccountId::parse(r).is_none())
        {
            return Err("plan.recipients: expected Atlassian account ids".into());
        }
        Ok(())
    }

    /// The same plan in canonical form: recipients sorted and deduplicated, ID-file hash in lower case.
    pub fn normalized(mut self) -> Self {
        self.recipients.sort();
        self.recipients.dedup();
        if let Some(ids) = &mut self.id_list {
            ids.sha256.make_ascii_lowercase();
        }
        self
    }

    /// SHA-256 (hex) of the canonical JSON of the normalized plan.
    pub fn digest(&self) -> String {
        let value = serde_json::to_value(self.clone().normalized()).unwrap_or_default();
        sha256_hex("clearance-plan-v1", &[&canonical_json(&value)])
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A complete plan for tests.
    pub(crate) fn sample() -> Plan {
        Plan {
            source: "warehouse".into(),
            sql: "SELECT id, email FROM customers WHERE id = ANY(:ids)".into(),
            id_list: Some(IdList {
                attachment_id: "10001".into(),
                file_name: "ids.csv".into(),
                sha256: "ab".repeat(32),
                column: "customer_id".into(),
                parameter: "ids".into(),
            }),
            masking: [("email".to_owned(), Masking::Mask)].into(),
            max_rows: 10_000,
            max_bytes: 50_000_000,
            format: Format::Csv,
            encryption: Encryption::Age,
            recipients: vec!["acc-b".into(), "acc-a".into()],
            neutralise_formulas: true,
        }
    }

    #[test]
    fn names_are_the_serde_names() {
        for f in [Format::Csv, Format::Xlsx] {
            assert_eq!(serde_json::to_value(f).unwrap(), f.as_str());
        }
        for e in [
            Encryption::Age,
            Encryption::AgeRecipients,
            Encryption::ZipAes,
        ] {
            assert_eq!(serde_json::to_value(e).unwrap(), e.as_str());
        }
    }

    #[test]
    fn digest_covers_every_field() {
        let base = sample();
        let d = base.digest();
        assert_eq!(d.len(), 64);
        type Change = Box<dyn Fn(&mut Plan)>;
        let changes: Vec<Change> = vec![
            Box::new(|p| p.source = "other".into()),
            Box::new(|p| p.sql.push(' ')),
            Box::new(|p| p.id_list = None),
            Box::new(|p| {
                p.id_list
                    .as_mut()
                    .into_iter()
                    .for_each(|i| i.sha256 = "cd".repeat(32))
            }),
            Box::new(|p| {
                p.id_list
                    .as_mut()
                    .into_iter()
                    .for_each(|i| i.column = "x".into())
            }),
            Box::new(|p| {
                p.masking.insert("email".into(), Masking::Keep);
            }),
            Box::new(|p| {
                p.masking.insert("phone".into(), Masking::Drop);
            }),
            Box::new(|p| p.max_rows += 1),
            Box::new(|p| p.max_bytes -= 1),
            Box::new(|p| p.format = Format::Xlsx),
            Box::new(|p| p.encryption = Encryption::ZipAes),
            Box::new(|p| p.recipients.push("acc-c".into())),
            Box::new(|p| p.neutralise_formulas = false),
        ];
        for (i, change) in changes.iter().enumerate() {
            let mut p = base.clone();
            change(&mut p);
            assert_ne!(p.digest(), d, "change {i} kept the digest");
        }
    }

    #[test]
    fn recipient_order_and_hash_case_do_not_matter() {
        let mut p = sample();
        p.recipients.reverse();
        p.recipients.push("acc-a".into());
        if let Some(i) = &mut p.id_list {
            i.sha256.make_ascii_uppercase();
        }
        assert_eq!(p.digest(), sample().digest());
    }

    #[test]
    fn validation_names_the_field() {
        let mut p = sample();
        p.sql = "  ".into();
        assert!(p.validate().unwrap_err().contains("plan.sql"));
        let mut p = sample();
        p.max_rows = 0;
        assert!(p.validate().unwrap_err().contains("max_rows"));
        let mut p = sample();
        p.recipients = vec!["<script>".into()];
        assert!(p.validate().unwrap_err().contains("recipients"));
        let mut p = sample();
        p.id_list
            .as_mut()
            .into_iter()
            .for_each(|i| i.parameter = "ids; DROP".into());
        assert!(p.validate().unwrap_err().contains("parameter"));
        assert_eq!(sample().validate(), Ok(()));
        let unknown = serde_json::json!({"source": "w", "sql": "SELECT 1", "max_rows": 1, "max_bytes": 1,
            "format": "csv", "encryption": "age", "extra": true});
        assert!(serde_json::from_value::<Plan>(unknown).is_err());
    }
}
