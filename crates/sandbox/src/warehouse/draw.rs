//! Small random draws shared by the generator: a uniform pick, a weighted index, whole-second timestamps and the
//! per-customer seed mixer.

use chrono::{DateTime, Utc};
use rand::{Rng, rngs::StdRng};

/// A uniformly chosen element of a non-empty list.
pub(crate) fn pick<T: Copy>(rng: &mut StdRng, items: &[T]) -> T {
    items[rng.random_range(0..items.len())]
}

/// An index into `weights`, drawn in proportion to them.
pub(crate) fn weighted(rng: &mut StdRng, weights: &[u32]) -> usize {
    let mut x = rng.random_range(0..weights.iter().sum::<u32>());
    for (i, &w) in weights.iter().enumerate() {
        if x < w {
            return i;
        }
        x -= w;
    }
    0
}

/// A UTC timestamp from Unix seconds.
pub(crate) fn timestamp(secs: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(secs, 0).unwrap_or_default()
}

/// SplitMix64 finaliser: spreads neighbouring customer numbers over unrelated RNG seeds.
pub(crate) fn splitmix(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}
