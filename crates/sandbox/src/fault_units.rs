//! How the simulators' fault settings read and write as JSON (`/_sandbox/faults`): durations as whole milliseconds,
//! statuses as numbers, each checked against a sane range so a typo is a clear 400 rather than a day-long stall.

use std::time::Duration;

use axum::http::StatusCode;
use serde::{Deserialize, Deserializer, Serializer, de::Error};

/// Longest injected delay: ten minutes.
pub const MAX_DELAY_MS: u64 = 600_000;
/// Longest `Retry-After`: one day.
pub const MAX_RETRY_AFTER_SECS: u64 = 86_400;

fn checked_millis<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
    let ms = u64::deserialize(d)?;
    if ms > MAX_DELAY_MS {
        return Err(D::Error::custom(format!(
            "{ms} ms is longer than the longest delay the sandbox injects ({MAX_DELAY_MS} ms)"
        )));
    }
    Ok(Duration::from_millis(ms))
}

fn millis_u64(d: &Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// A [`Duration`] as whole milliseconds, at most [`MAX_DELAY_MS`].
pub mod millis {
    use super::*;

    pub fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u64(millis_u64(d))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        checked_millis(d)
    }
}

/// An optional [`Duration`] as whole milliseconds or `null`.
pub mod opt_millis {
    use super::*;

    pub fn serialize<S: Serializer>(d: &Option<Duration>, s: S) -> Result<S::Ok, S::Error> {
        match d {
            Some(d) => s.serialize_some(&millis_u64(d)),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Duration>, D::Error> {
        #[derive(Deserialize)]
        struct Wrapped(#[serde(deserialize_with = "checked_millis")] Duration);
        Ok(Option::<Wrapped>::deserialize(d)?.map(|w| w.0))
    }
}

/// An optional server-error status (500-599) as a number or `null`.
pub mod opt_server_status {
    use super::*;

    pub fn serialize<S: Serializer>(st: &Option<StatusCode>, s: S) -> Result<S::Ok, S::Error> {
        match st {
            Some(st) => s.serialize_some(&st.as_u16()),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<StatusCode>, D::Error> {
        let Some(code) = Option::<u16>::deserialize(d)? else {
            return Ok(None);
        };
        if !(500..=599).contains(&code) {
            return Err(D::Error::custom(format!(
                "{code} is not a server error status (500-599)"
            )));
        }
        StatusCode::from_u16(code)
            .map(Some)
            .map_err(|e| D::Error::custom(format!("{code}: {e}")))
    }
}

/// Seconds of `Retry-After`, at most [`MAX_RETRY_AFTER_SECS`].
pub fn retry_after<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    let secs = u64::deserialize(d)?;
    if secs > MAX_RETRY_AFTER_SECS {
        return Err(D::Error::custom(format!(
            "Retry-After of {secs} s is longer than a day ({MAX_RETRY_AFTER_SECS} s)"
        )));
    }
    Ok(secs)
}

/// A map of method → seconds of `Retry-After`, each at most [`MAX_RETRY_AFTER_SECS`].
pub fn retry_after_map<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<std::collections::BTreeMap<String, u64>, D::Error> {
    let map = std::collections::BTreeMap::<String, u64>::deserialize(d)?;
    if let Some((method, secs)) = map.iter().find(|(_, s)| **s > MAX_RETRY_AFTER_SECS) {
        return Err(D::Error::custom(format!(
            "Retry-After of {secs} s for {method} is longer than a day ({MAX_RETRY_AFTER_SECS} s)"
        )));
    }
    Ok(map)
}
