//! The job settings: how many jobs a worker runs at once in each lane, how many long ones per tenant, and how long a
//! job waits on rate limits before it gives up.

use std::{
    num::{NonZeroU32, NonZeroUsize},
    time::Duration,
};

/// Most jobs of one lane a worker may run at once (each holds a database connection while it writes).
const MAX_SLOTS: u32 = 64;

/// Validate the three lane settings together, reporting every problem with its setting's name.
pub(super) fn lane_slots(
    short: &str,
    long: &str,
    per_tenant: &str,
) -> Result<LaneSlots, Vec<String>> {
    let defaults = LaneSlots::default();
    let mut problems = Vec::new();
    let mut count = |raw: &str, env: &str, key: &str, default: String, meaning: &str| {
        let n = raw
            .trim()
            .parse::<u32>()
            .ok()
            .filter(|n| (1..=MAX_SLOTS).contains(n))
            .and_then(NonZeroU32::new);
        if n.is_none() {
            problems.push(format!(
                "{env} ({key}) = {raw:?}; use a whole number 1-{MAX_SLOTS} (default {default}): {meaning}"
            ));
        }
        n
    };
    let short = count(
        short,
        "CLEARANCE_JOB_SHORT_SLOTS",
        "job_short_slots",
        defaults.short.to_string(),
        "short jobs (sync, write-back, notices, secrets, retention) one worker runs at once",
    );
    let long = count(
        long,
        "CLEARANCE_JOB_LONG_SLOTS",
        "job_long_slots",
        defaults.long.to_string(),
        "extractions one worker runs at once",
    );
    let long_per_tenant = count(
        per_tenant,
        "CLEARANCE_JOB_LONG_PER_TENANT",
        "job_long_per_tenant",
        defaults.long_per_tenant.to_string(),
        "extractions one Jira site may have running at once, in all workers together",
    );
    match (short.map(widen), long.map(widen), long_per_tenant) {
        (Some(short), Some(long), Some(long_per_tenant)) => Ok(LaneSlots {
            short,
            long,
            long_per_tenant,
        }),
        _ => Err(problems),
    }
}

/// Longest wait budget: a day.
const MAX_WAIT_BUDGET_MINS: u64 = 24 * 60;

/// `job_wait_budget_mins`: whole minutes, 1 to a day.
pub(super) fn wait_budget(raw: &str) -> Result<Duration, String> {
    match raw.trim().parse::<u64>() {
        Ok(n) if (1..=MAX_WAIT_BUDGET_MINS).contains(&n) => Ok(Duration::from_secs(n * 60)),
        _ => Err(format!(
            "CLEARANCE_JOB_WAIT_BUDGET_MINS (job_wait_budget_mins) = {raw:?}; use whole minutes 1-{MAX_WAIT_BUDGET_MINS} \
             (default {}): how long a job keeps waiting while Jira or Slack asks Clearance to slow down",
            DEFAULT_WAIT_BUDGET.as_secs() / 60
        )),
    }
}

fn widen(n: NonZeroU32) -> NonZeroUsize {
    NonZeroUsize::try_from(n).unwrap_or(NonZeroUsize::MIN)
}

/// How many jobs one worker runs at once in each lane, and how many long jobs one tenant may have running across
/// all workers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LaneSlots {
    /// Short jobs running at once in this worker.
    pub short: NonZeroUsize,
    /// Long jobs running at once in this worker.
    pub long: NonZeroUsize,
    /// Long jobs one tenant may have running at once, in all workers together.
    pub long_per_tenant: NonZeroU32,
}

impl Default for LaneSlots {
    /// Six short slots, two long ones, one long job per tenant.
    fn default() -> Self {
        Self {
            short: const { NonZeroUsize::new(6).unwrap() },
            long: const { NonZeroUsize::new(2).unwrap() },
            long_per_tenant: NonZeroU32::MIN,
        }
    }
}

/// How long a job may keep waiting (rate limits) with no try in between before it gives up.
pub const DEFAULT_WAIT_BUDGET: Duration = Duration::from_secs(60 * 60);

#[cfg(test)]
mod tests {
    use super::{lane_slots, wait_budget};

    #[test]
    fn wait_budget_in_whole_minutes() {
        assert_eq!(wait_budget(" 90 ").unwrap().as_secs(), 90 * 60);
        for bad in ["0", "1441", "1.5", "", "an hour"] {
            let e = wait_budget(bad).unwrap_err();
            assert!(
                e.contains("job_wait_budget_mins") && e.contains("1-1440"),
                "{e}"
            );
        }
    }

    #[test]
    fn counts_in_range_and_every_problem_named() {
        let slots = lane_slots("6", " 2 ", "1").unwrap();
        assert_eq!(
            (
                slots.short.get(),
                slots.long.get(),
                slots.long_per_tenant.get()
            ),
            (6, 2, 1)
        );
        let problems = lane_slots("0", "65", "one").unwrap_err();
        assert_eq!(problems.len(), 3, "{problems:?}");
        for (p, env) in problems.iter().zip([
            "CLEARANCE_JOB_SHORT_SLOTS",
            "CLEARANCE_JOB_LONG_SLOTS",
            "CLEARANCE_JOB_LONG_PER_TENANT",
        ]) {
            assert!(p.contains(env) && p.contains("1-64"), "{p}");
        }
        assert!(lane_slots("6", "2", "-1").is_err());
    }
}
