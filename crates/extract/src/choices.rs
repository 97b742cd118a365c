//! What a plan chooses that the engine acts on: the output file's format and each column's treatment.

use serde::{Deserialize, Serialize};

/// Per-column treatment.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Masking {
    /// As is.
    Keep,
    /// Left out.
    Drop,
    /// Partly hidden.
    Mask,
    /// Replaced by a keyed pseudonym.
    Pseudonymise,
}

/// Output file format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    /// RFC 4180 CSV.
    Csv,
    /// Excel workbook.
    Xlsx,
}

impl Format {
    /// Its name in plans and settings (`csv`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Csv => "csv",
            Self::Xlsx => "xlsx",
        }
    }
}
