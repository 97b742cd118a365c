//! Typed jobs, in the manner of crates.io's `BackgroundJob`: a job kind is a payload struct with its [`JobKind`]
//! ([`Job`], one file per kind in [`kinds`](super::kinds)), and the code that runs it implements [`RunJob`] for the
//! context it needs. The runner decodes the stored payload into the struct before the handler sees it; a payload
//! that does not decode is permanent (retrying cannot fix it).

use std::future::Future;

use serde::{Serialize, de::DeserializeOwned};

use super::{JobError, JobKind};
use crate::store::JobRow;

/// A job kind: its payload (the struct, stored as JSON) and its name.
pub trait Job: Serialize + DeserializeOwned + Send + Sync + 'static {
    /// The kind, whose name `jobs.kind` holds.
    const KIND: JobKind;
}

/// The handler of a job kind, run with context `C`.
pub trait RunJob<C>: Job {
    /// Run one try of the job `row`, whose payload is `self`.
    fn run(self, ctx: C, row: JobRow) -> impl Future<Output = Result<(), JobError>> + Send;
}

/// Decode `row`'s payload as `J`.
pub fn payload<J: Job>(row: &JobRow) -> Result<J, JobError> {
    serde_json::from_str(&row.payload).map_err(|e| JobError::Permanent(format!("bad payload: {e}")))
}

/// `payload` as stored JSON.
pub fn to_json<J: Job>(payload: &J) -> serde_json::Value {
    serde_json::to_value(payload).expect("a payload of strings and numbers serialises")
}
