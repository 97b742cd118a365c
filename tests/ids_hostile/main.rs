//! Hostile ID files (issue 16): the 1.6 KB workbook that declared a 1,048,576 × 16,384 sheet, zip bombs, lying
//! declarations, references past Excel's grid, endless records; then mutated CSV and XLSX files by the hundred. Each
//! parse runs on its own thread under a hard allocation limit ([`ALLOCATION_BOUND`] above what the test holds; an
//! allocation past it fails and aborts this binary) and a hang guard, and must return — an error is fine, a panic,
//! an abort or a hang is not.
//!
//! Its own test binary because it installs a counting global allocator (`cap`); its tests take turns ([`serial`])
//! so one test's limit never meets another's allocations.

mod attacks;
mod files;
mod fuzz;

use std::{
    alloc::System,
    sync::{Mutex, MutexGuard, Once, mpsc},
    thread,
    time::Duration,
};

use cap::Cap;

#[global_allocator]
static ALLOCATOR: Cap<System> = Cap::new(System, usize::MAX);

/// Most bytes one parse of these test files may allocate beyond what the test already holds. The reader's own
/// bounds for a file of a few hundred kilobytes: the file's zip directory, one XML event (a few KB here), the shared
/// strings and cells it has, a CSV record buffer (1 MiB with the default limits), the IDs.
pub const ALLOCATION_BOUND: usize = 32 * 1024 * 1024;

/// How long a parse may run before the test calls it hung: far above the reader's own time budget would allow.
pub const HANG_GUARD: Duration = Duration::from_secs(60);

static TURN: Mutex<()> = Mutex::new(());

/// Hold while the test runs: the tests of this binary take turns.
pub fn serial() -> MutexGuard<'static, ()> {
    TURN.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Run `parse` on its own thread under the allocation limit; `Err` if it panicked or did not return within
/// [`HANG_GUARD`].
pub fn bounded<T: Send + 'static>(parse: impl FnOnce() -> T + Send + 'static) -> Result<T, String> {
    lift_limit_on_panic();
    let (tx, rx) = mpsc::channel();
    let base = ALLOCATOR.allocated();
    ALLOCATOR
        .set_limit(base.saturating_add(ALLOCATION_BOUND))
        .expect("the limit is above what is allocated");
    let worker = thread::spawn(move || {
        let _ = tx.send(parse());
    });
    let outcome = rx.recv_timeout(HANG_GUARD);
    ALLOCATOR.set_limit(usize::MAX).expect("no limit");
    match outcome {
        Ok(value) => {
            let _ = worker.join();
            Ok(value)
        }
        Err(mpsc::RecvTimeoutError::Timeout) => {
            Err(format!("did not return within {HANG_GUARD:?}"))
        }
        Err(mpsc::RecvTimeoutError::Disconnected) => Err("panicked".into()),
    }
}

/// A panic is a failure to report, not an allocation to refuse: the hook lifts the limit before the default hook
/// formats the message and backtrace (which would otherwise fail to allocate and abort, or hang, the binary).
fn lift_limit_on_panic() {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let _ = ALLOCATOR.set_limit(usize::MAX);
            default(info);
        }));
    });
}

/// The most bytes allocated at once so far in this process.
pub fn peak_allocated() -> usize {
    ALLOCATOR.max_allocated()
}
