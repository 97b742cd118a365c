//! Retry delays: `base · 2^(attempt-1)` capped at `max`, with ±20 % jitter; a remote `Retry-After` wins, clamped.

use std::time::Duration;

use rand::Rng;

/// The retry policy.
#[derive(Clone, Copy, Debug)]
pub struct Backoff {
    /// Delay after the first failure.
    pub base: Duration,
    /// Longest computed delay.
    pub max: Duration,
    /// Longest `Retry-After` honoured (a remote asking for more is clamped to this).
    pub retry_after_max: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Self {
            base: Duration::from_secs(5),
            max: Duration::from_secs(3600),
            retry_after_max: Duration::from_secs(900),
        }
    }
}

impl Backoff {
    /// The delay before attempt `attempt + 1`, after attempt `attempt` (1-based) failed.
    pub fn delay(&self, attempt: i32, retry_after: Option<Duration>) -> Duration {
        if let Some(after) = retry_after {
            // Never sooner than asked (retrying early only earns a longer wait), never absurdly late.
            return after.clamp(Duration::from_secs(1), self.retry_after_max);
        }
        let exp = attempt.clamp(1, 30) as u32 - 1;
        let raw = self
            .base
            .saturating_mul(2u32.saturating_pow(exp))
            .min(self.max);
        let jitter = rand::rng().random_range(0.8..1.2);
        raw.mul_f64(jitter).min(self.max)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grows_exponentially_with_jitter_and_cap() {
        let b = Backoff {
            base: Duration::from_secs(10),
            max: Duration::from_secs(100),
            retry_after_max: Duration::from_secs(60),
        };
        for _ in 0..100 {
            let d1 = b.delay(1, None).as_secs_f64();
            let d3 = b.delay(3, None).as_secs_f64();
            assert!((8.0..=12.0).contains(&d1), "{d1}");
            assert!((32.0..=48.0).contains(&d3), "{d3}");
            assert!(b.delay(20, None) <= Duration::from_secs(100));
        }
    }

    #[test]
    fn retry_after_wins_but_is_clamped() {
        let b = Backoff {
            base: Duration::from_secs(10),
            max: Duration::from_secs(100),
            retry_after_max: Duration::from_secs(60),
        };
        assert_eq!(
            b.delay(1, Some(Duration::from_secs(7))),
            Duration::from_secs(7)
        );
        assert_eq!(
            b.delay(1, Some(Duration::from_secs(7200))),
            Duration::from_secs(60)
        );
        assert_eq!(b.delay(1, Some(Duration::ZERO)), Duration::from_secs(1));
    }
}
