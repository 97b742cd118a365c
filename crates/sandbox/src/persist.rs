//! Durable, ordered saving of a simulator's whole state (the demo's `jira-site.json`, `slack-workspace.json`).
//!
//! A change is recorded with [`Persister::mark`]; [`Persister::flush`] returns once a snapshot holding every change
//! marked so far is on disk. One writer at a time: it takes the snapshot while holding the write lock, so a later
//! state is never overwritten by an earlier one, and concurrent flushes share one write (whoever waited behind a write
//! finds its change already saved). Each write goes to a new temporary file beside the target, is fsynced, renamed
//! over the target, and the folder is fsynced: after a crash the file holds the old or the new state, never a mix.
//! [`durable`] is the middleware that keeps any answer from leaving before the changes it may reveal are saved.

use std::{
    fs::File,
    io::{self, Write},
    path::{Path, PathBuf},
    sync::{
        Mutex,
        atomic::{AtomicU64, Ordering},
    },
};

use axum::{
    Json,
    extract::{Request, State},
    http::StatusCode,
    middleware::Next,
    response::{IntoResponse, Response},
};
use serde::{Serialize, de::DeserializeOwned};
use serde_json::json;

/// Why a state could not be saved.
#[derive(Debug, thiserror::Error)]
pub enum SaveError {
    /// The state did not serialize (a bug: the state types are plain data).
    #[error("cannot serialize simulator state for {path}")]
    Serialize {
        /// The file it was meant for.
        path: PathBuf,
        /// serde's reason.
        #[source]
        source: serde_json::Error,
    },
    /// Writing, syncing or renaming failed (disk full, folder removed, permissions).
    #[error("cannot save simulator state to {path}")]
    Io {
        /// The file being written.
        path: PathBuf,
        /// The operating system's reason.
        #[source]
        source: io::Error,
    },
}

/// Saves one state to one file; see the module docs.
#[derive(Debug)]
pub struct Persister {
    path: PathBuf,
    /// Changes marked so far.
    marked: AtomicU64,
    /// The highest change count a snapshot on disk covers.
    saved: AtomicU64,
    /// Held while taking a snapshot and writing it: one writer at a time.
    writer: Mutex<()>,
}

impl Persister {
    /// Save to `path` (its folder must exist).
    pub fn new(path: PathBuf) -> Self {
        Self {
            path,
            marked: AtomicU64::new(0),
            saved: AtomicU64::new(0),
            writer: Mutex::new(()),
        }
    }

    /// The file the state is saved to.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Record a change to the state (made before this call); cheap, saves nothing yet.
    pub fn mark(&self) {
        self.marked.fetch_add(1, Ordering::SeqCst);
    }

    /// Whether some marked change is not on disk yet.
    pub fn pending(&self) -> bool {
        self.saved.load(Ordering::SeqCst) < self.marked.load(Ordering::SeqCst)
    }

    /// Return once every change marked before this call is on disk, writing a snapshot of `state` if needed.
    /// Blocks; on a multi-threaded Tokio runtime the worker hands its other tasks over while it waits.
    pub fn flush<T: Serialize>(&self, state: &Mutex<T>) -> Result<(), SaveError> {
        let wanted = self.marked.load(Ordering::SeqCst);
        if self.saved.load(Ordering::SeqCst) >= wanted {
            return Ok(());
        }
        off_the_runtime(|| self.write_newest(state, wanted))
    }

    /// [`Persister::mark`] then [`Persister::flush`].
    pub fn save<T: Serialize>(&self, state: &Mutex<T>) -> Result<(), SaveError> {
        self.mark();
        self.flush(state)
    }

    fn write_newest<T: Serialize>(&self, state: &Mutex<T>, wanted: u64) -> Result<(), SaveError> {
        let _writer = self.writer.lock().unwrap_or_else(|p| p.into_inner());
        if self.saved.load(Ordering::SeqCst) >= wanted {
            // A write that started after our change covered it.
            return Ok(());
        }
        let (covers, json) = {
            let s = state.lock().expect("simulator state lock poisoned");
            // Read under the state lock: every change counted here was made (and its lock released) before.
            let covers = self.marked.load(Ordering::SeqCst);
            let json = serde_json::to_vec(&*s).map_err(|source| SaveError::Serialize {
                path: self.path.clone(),
                source,
            })?;
            (covers, json)
        };
        write_atomically(&self.path, &json).map_err(|source| SaveError::Io {
            path: self.path.clone(),
            source,
        })?;
        self.saved.store(covers, Ordering::SeqCst);
        Ok(())
    }
}

/// Run blocking file work without stalling a multi-threaded runtime's other tasks (plain call elsewhere).
fn off_the_runtime<R>(work: impl FnOnce() -> R) -> R {
    match tokio::runtime::Handle::try_current() {
        Ok(h) if h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread => {
            tokio::task::block_in_place(work)
        }
        _ => work(),
    }
}

/// Prefix and suffix of the temporary files beside `path`.
fn temp_affixes(path: &Path) -> (String, &'static str) {
    let name = path
        .file_name()
        .map_or_else(|| "state".to_owned(), |n| n.to_string_lossy().into_owned());
    (format!(".{name}."), ".tmp")
}

fn folder(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

/// Write `bytes` to a new temporary file beside `path`, fsync it, rename it over `path`, fsync the folder.
fn write_atomically(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let dir = folder(path);
    let (prefix, suffix) = temp_affixes(path);
    let mut tmp = tempfile::Builder::new()
        .prefix(&prefix)
        .suffix(suffix)
        .tempfile_in(dir)?;
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    File::open(dir)?.sync_all()
}

/// Read a saved state; `None` when there is none yet. Removes temporary files a killed process left behind.
pub fn load<T: DeserializeOwned>(path: &Path) -> anyhow::Result<Option<T>> {
    use anyhow::Context;
    let (prefix, suffix) = temp_affixes(path);
    if let Ok(entries) = std::fs::read_dir(folder(path)) {
        for e in entries.flatten() {
            let name = e.file_name();
            let name = name.to_string_lossy();
            if name.starts_with(&prefix) && name.ends_with(suffix) {
                let _ = std::fs::remove_file(e.path());
            }
        }
    }
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
    };
    let state = serde_json::from_slice(&bytes).with_context(|| {
        format!(
            "{} is damaged; delete the data folder to start over",
            path.display()
        )
    })?;
    Ok(Some(state))
}

/// Something whose pending changes [`durable`] saves before an answer leaves.
pub trait Durable: Clone + Send + Sync + 'static {
    /// Save every change made so far, if any is unsaved (a no-op without persistence).
    fn flush(&self) -> Result<(), SaveError>;
}

/// Middleware: the answer leaves only once every change made so far is on disk, so a client that got a 2xx never
/// loses its write to a crash. A failed save turns the answer into a 500.
pub async fn durable<S: Durable>(State(sim): State<S>, req: Request, next: Next) -> Response {
    let resp = next.run(req).await;
    match sim.flush() {
        Ok(()) => resp,
        Err(e) => {
            tracing::error!(error = %e, cause = ?std::error::Error::source(&e), "simulator state not saved");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                Json(json!({"errorMessages": ["The change could not be saved."], "errors": {}})),
            )
                .into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use std::{collections::BTreeSet, sync::Arc};

    use super::*;

    /// Many threads change one state and save at once: no save fails, each returns only once its change is in the
    /// file, and a reader sees a whole, never-shrinking state on every read.
    #[test]
    fn concurrent_saves_are_whole_ordered_and_durable() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.json");
        let persister = Arc::new(Persister::new(path.clone()));
        let state = Arc::new(Mutex::new(BTreeSet::<u32>::new()));
        let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let reader = {
            let (path, done) = (path.clone(), done.clone());
            std::thread::spawn(move || {
                let mut seen = 0;
                let mut reads = 0;
                while !done.load(Ordering::SeqCst) {
                    if let Ok(bytes) = std::fs::read(&path) {
                        let s: BTreeSet<u32> = serde_json::from_slice(&bytes)
                            .unwrap_or_else(|e| panic!("torn file after {reads} reads: {e}"));
                        assert!(s.len() >= seen, "{} entries after {seen}", s.len());
                        seen = s.len();
                        reads += 1;
                    }
                }
            })
        };
        let writers: Vec<_> = (0..8u32)
            .map(|t| {
                let (persister, state, path) = (persister.clone(), state.clone(), path.clone());
                std::thread::spawn(move || {
                    for i in 0..60 {
                        let n = t * 1000 + i;
                        state.lock().unwrap().insert(n);
                        persister.save(&state).expect("save");
                        let on_disk: BTreeSet<u32> =
                            serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
                        assert!(on_disk.contains(&n), "{n} saved but not on disk");
                    }
                })
            })
            .collect();
        for w in writers {
            w.join().unwrap();
        }
        done.store(true, Ordering::SeqCst);
        reader.join().unwrap();
        let last: BTreeSet<u32> = load(&path).unwrap().unwrap();
        assert_eq!(last, *state.lock().unwrap());
        let leftovers: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .flatten()
            .map(|e| e.file_name())
            .filter(|n| n != "state.json")
            .collect();
        assert!(leftovers.is_empty(), "{leftovers:?}");
    }

    #[test]
    fn load_skips_a_missing_file_and_removes_stale_temporaries() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("site.json");
        let stale = dir.path().join(".site.json.abc123.tmp");
        std::fs::write(&stale, b"{").unwrap();
        assert!(load::<serde_json::Value>(&path).unwrap().is_none());
        assert!(!stale.exists());
        std::fs::write(&path, b"{\"a\":").unwrap();
        let err = load::<serde_json::Value>(&path).unwrap_err();
        assert!(format!("{err:#}").contains("damaged"), "{err:#}");
    }
}
