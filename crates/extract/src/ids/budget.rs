//! The time an ID file may cost. The parser carries a [`Deadline`] and checks it as it goes (every read of the
//! file's bytes, through [`DeadlineReader`], and every few thousand cells or records), so it stops by itself; the async
//! entry points run it on a blocking thread, never on the runtime's, and stop waiting at the same deadline.

use std::{
    io::{self, Read, Seek, SeekFrom},
    time::{Duration, Instant},
};

use super::{IdError, IdList, Limits, column_names_until, err, read_ids_until};

/// Cells or records read between two deadline checks (the reads of the file's bytes check it too).
pub(super) const CHECK_EVERY: u64 = 4096;

/// When a parse must stop.
#[derive(Clone, Copy, Debug)]
pub(super) struct Deadline {
    at: Instant,
    budget: Duration,
}

impl Deadline {
    /// `budget` from now.
    pub(super) fn after(budget: Duration) -> Self {
        let now = Instant::now();
        Self {
            at: now.checked_add(budget).unwrap_or(now),
            budget,
        }
    }

    /// Whether the time is up.
    pub(super) fn passed(&self) -> bool {
        Instant::now() >= self.at
    }

    /// `Err` once the time is up.
    pub(super) fn check(&self, file_name: &str) -> Result<(), IdError> {
        if self.passed() {
            Err(self.exceeded(file_name))
        } else {
            Ok(())
        }
    }

    /// The error for a file that took too long.
    pub(super) fn exceeded(&self, file_name: &str) -> IdError {
        err(format!(
            "{file_name} took more than {} s to read and was given up; keep only the ID column, or export it as CSV",
            self.budget.as_secs_f64()
        ))
    }
}

/// A reader over the file's bytes that fails once the deadline has passed: a parser busy inflating or reading a
/// part stops at its next read.
pub(super) struct DeadlineReader<R> {
    inner: R,
    deadline: Deadline,
}

impl<R> DeadlineReader<R> {
    pub(super) fn new(inner: R, deadline: Deadline) -> Self {
        Self { inner, deadline }
    }

    fn check(&self) -> io::Result<()> {
        if self.deadline.passed() {
            Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "the time budget for reading the file is spent",
            ))
        } else {
            Ok(())
        }
    }
}

impl<R: Read> Read for DeadlineReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.check()?;
        self.inner.read(buf)
    }
}

impl<R: Seek> Seek for DeadlineReader<R> {
    fn seek(&mut self, pos: SeekFrom) -> io::Result<u64> {
        self.check()?;
        self.inner.seek(pos)
    }
}

/// [`super::read_ids`] on a blocking thread within `limits.time_budget`: for async callers (the ID-file picker, dry
/// runs, extractions, the CLI).
pub async fn read_ids_off_runtime(
    bytes: Vec<u8>,
    file_name: String,
    column: String,
    limits: Limits,
) -> Result<IdList, IdError> {
    off_runtime(file_name, limits, move |name, deadline| {
        read_ids_until(&bytes, name, &column, &limits, deadline)
    })
    .await
}

/// [`super::column_names`] on a blocking thread within `limits.time_budget`.
pub async fn column_names_off_runtime(
    bytes: Vec<u8>,
    file_name: String,
    limits: Limits,
) -> Result<Vec<String>, IdError> {
    off_runtime(file_name, limits, move |name, deadline| {
        column_names_until(&bytes, name, &limits, deadline)
    })
    .await
}

/// How long past the deadline the caller waits for the blocking thread to notice it before answering anyway.
const GRACE: Duration = Duration::from_secs(1);

async fn off_runtime<T, F>(file_name: String, limits: Limits, parse: F) -> Result<T, IdError>
where
    T: Send + 'static,
    F: FnOnce(&str, Deadline) -> Result<T, IdError> + Send + 'static,
{
    // The deadline starts now, not when a blocking thread is free, so a busy pool cannot stretch the budget.
    let deadline = Deadline::after(limits.time_budget);
    let name = file_name.clone();
    let task = tokio::task::spawn_blocking(move || parse(&name, deadline));
    match tokio::time::timeout(limits.time_budget + GRACE, task).await {
        Ok(Ok(result)) => result,
        Ok(Err(join)) => {
            tracing::error!(error.message = %join, "reading an ID file failed");
            Err(err(format!(
                "{file_name} could not be read; save it again as .xlsx or CSV UTF-8 and attach it again"
            )))
        }
        // The thread stops by itself at its next deadline check.
        Err(_) => Err(deadline.exceeded(&file_name)),
    }
}
