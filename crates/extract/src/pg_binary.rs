//! PostgreSQL values read straight from their binary wire form (what sqlx receives for a prepared statement), one
//! `try_get_raw` per value and no per-type `Decode` call: the reading side of a PostgreSQL extraction is its
//! bottleneck, and this halves its cost per value (docs/PERFORMANCE.md). Formats follow PostgreSQL's `*send`
//! functions; numerics keep their display scale, and infinite dates and timestamps become the words PostgreSQL
//! prints for them.

use chrono::{Duration, NaiveDate, NaiveDateTime, NaiveTime};

use super::{cell::Cell, decode::Kind};

/// A value whose bytes do not have the length or form its type requires.
#[derive(Debug, thiserror::Error)]
#[error("PostgreSQL sent a malformed {what} value ({len} bytes)")]
pub struct Malformed {
    what: &'static str,
    len: usize,
}

fn malformed(what: &'static str, b: &[u8]) -> Malformed {
    Malformed { what, len: b.len() }
}

fn fixed<const N: usize>(what: &'static str, b: &[u8]) -> Result<[u8; N], Malformed> {
    b.try_into().map_err(|_| malformed(what, b))
}

/// Days and microseconds count from 2000-01-01 on the wire.
fn epoch() -> NaiveDateTime {
    NaiveDate::from_ymd_opt(2000, 1, 1)
        .unwrap_or_default()
        .and_time(NaiveTime::MIN)
}

/// Fill `slot` with the non-NULL value `b` of a column of kind `kind`.
pub fn fill(slot: &mut Cell, kind: Kind, b: &[u8]) -> Result<(), Malformed> {
    *slot = match kind {
        Kind::Bool => Cell::Bool(fixed::<1>("boolean", b)?[0] != 0),
        Kind::I16 => Cell::Int(i16::from_be_bytes(fixed("int2", b)?).into()),
        Kind::I32 => Cell::Int(i32::from_be_bytes(fixed("int4", b)?).into()),
        Kind::I64 => match b.len() {
            // oid is an unsigned 4-byte integer.
            4 => Cell::Int(u32::from_be_bytes(fixed("oid", b)?).into()),
            _ => Cell::Int(i64::from_be_bytes(fixed("int8", b)?)),
        },
        Kind::F32 => Cell::Float(f32::from_be_bytes(fixed("float4", b)?).into()),
        Kind::F64 => Cell::Float(f64::from_be_bytes(fixed("float8", b)?)),
        Kind::Decimal => Cell::Decimal(numeric(b)?),
        Kind::Uuid => Cell::Text(uuid::Uuid::from_bytes(fixed("uuid", b)?).to_string()),
        Kind::Date => {
            let days = i32::from_be_bytes(fixed("date", b)?);
            match days {
                i32::MAX => Cell::Text("infinity".into()),
                i32::MIN => Cell::Text("-infinity".into()),
                _ => Cell::Date(
                    epoch()
                        .date()
                        .checked_add_signed(Duration::days(days.into()))
                        .ok_or_else(|| malformed("date", b))?,
                ),
            }
        }
        Kind::Time => {
            let micros = i64::from_be_bytes(fixed("time", b)?);
            Cell::Time(
                NaiveTime::MIN
                    .overflowing_add_signed(Duration::microseconds(micros))
                    .0,
            )
        }
        Kind::DateTime | Kind::Timestamp => {
            let micros = i64::from_be_bytes(fixed("timestamp", b)?);
            match micros {
                i64::MAX => Cell::Text("infinity".into()),
                i64::MIN => Cell::Text("-infinity".into()),
                _ => {
                    let t = epoch()
                        .checked_add_signed(Duration::microseconds(micros))
                        .ok_or_else(|| malformed("timestamp", b))?;
                    if kind == Kind::Timestamp {
                        Cell::Timestamp(t.and_utc())
                    } else {
                        Cell::DateTime(t)
                    }
                }
            }
        }
        Kind::Json | Kind::Jsonb => {
            // jsonb carries a version byte (1) before its text; json is plain text.
            let text = match (kind, b.split_first()) {
                (Kind::Json, _) => b,
                (_, Some((1, rest))) => rest,
                _ => return Err(malformed("jsonb", b)),
            };
            let v: serde_json::Value =
                serde_json::from_slice(text).map_err(|_| malformed("json", b))?;
            Cell::Json(v.to_string())
        }
        Kind::Bytes => Cell::Bytes(b.to_vec()),
        Kind::Text | Kind::U64 | Kind::Dynamic(_) => {
            match std::str::from_utf8(b) {
                Ok(t) => slot.set_text(t),
                Err(_) => slot.set_text(&String::from_utf8_lossy(b)),
            }
            return Ok(());
        }
    };
    Ok(())
}

/// A binary `numeric` as plain digits at its display scale (`12.50` stays `12.50`): a header of digit count,
/// weight (of the first base-10,000 digit), sign and display scale, then the base-10,000 digits.
pub fn numeric(b: &[u8]) -> Result<String, Malformed> {
    let word = |i: usize| -> Result<u16, Malformed> {
        b.get(i * 2..i * 2 + 2)
            .map(|w| u16::from_be_bytes([w[0], w[1]]))
            .ok_or_else(|| malformed("numeric", b))
    };
    let ndigits = usize::from(word(0)?);
    let weight = i32::from(word(1)? as i16);
    let sign = word(2)?;
    let dscale = usize::from(word(3)?);
    if b.len() != 8 + ndigits * 2 {
        return Err(malformed("numeric", b));
    }
    match sign {
        0xC000 => return Ok("NaN".into()),
        0xD000 => return Ok("Infinity".into()),
        0xF000 => return Ok("-Infinity".into()),
        0x0000 | 0x4000 => {}
        _ => return Err(malformed("numeric", b)),
    }
    let digit = |k: i32| -> Result<u16, Malformed> {
        match usize::try_from(k) {
            Ok(k) if k < ndigits => {
                let d = word(4 + k)?;
                if d < 10_000 {
                    Ok(d)
                } else {
                    Err(malformed("numeric", b))
                }
            }
            _ => Ok(0),
        }
    };
    let mut s = String::with_capacity(8 + ndigits * 4 + dscale);
    if sign == 0x4000 {
        s.push('-');
    }
    if weight < 0 {
        s.push('0');
    } else {
        for k in 0..=weight {
            let d = digit(k)?;
            if k == 0 {
                s.push_str(itoa::Buffer::new().format(d));
            } else {
                push4(&mut s, d, 4);
            }
        }
    }
    if dscale > 0 {
        s.push('.');
        let mut left = dscale;
        let mut k = weight + 1;
        while left > 0 {
            let take = left.min(4);
            push4(&mut s, digit(k)? / [1, 1000, 100, 10, 1][take], take);
            left -= take;
            k += 1;
        }
    }
    Ok(s)
}

/// The first `width` of the four digits of `d` (already divided down to `width` digits).
fn push4(s: &mut String, d: u16, width: usize) {
    let text = itoa::Buffer::new().format(d).to_owned();
    for _ in text.len()..width {
        s.push('0');
    }
    s.push_str(&text);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The binary form of a numeric from its parts.
    fn num(weight: i16, sign: u16, dscale: u16, digits: &[u16]) -> Vec<u8> {
        let mut b = Vec::new();
        for w in [digits.len() as u16, weight as u16, sign, dscale] {
            b.extend_from_slice(&w.to_be_bytes());
        }
        for d in digits {
            b.extend_from_slice(&d.to_be_bytes());
        }
        b
    }

    #[test]
    fn numerics_keep_every_digit_and_their_scale() {
        for (bytes, text) in [
            (num(0, 0, 2, &[12, 5000]), "12.50"),
            (num(0, 0x4000, 2, &[0, 5000]), "-0.50"),
            (num(-1, 0x4000, 2, &[5000]), "-0.50"),
            (num(0, 0, 0, &[]), "0"),
            (num(0, 0, 3, &[]), "0.000"),
            (num(-2, 0, 5, &[1000]), "0.00001"),
            (num(2, 0, 0, &[1]), "100000000"),
            (
                num(4, 0, 9, &[1234, 5678, 9012, 3456, 7890, 1234, 5678, 9000]),
                "12345678901234567890.123456789",
            ),
            (num(0, 0xC000, 0, &[]), "NaN"),
            (num(0, 0xF000, 0, &[]), "-Infinity"),
        ] {
            assert_eq!(numeric(&bytes).ok().as_deref(), Some(text), "{text}");
        }
        assert!(numeric(&[0, 1]).is_err(), "short header");
        assert!(
            numeric(&num(0, 0, 0, &[10_000])).is_err(),
            "digit over 9999"
        );
        let mut extra = num(0, 0, 0, &[1]);
        extra.push(0);
        assert!(numeric(&extra).is_err(), "trailing bytes");
    }

    #[test]
    fn dates_times_and_their_infinities() -> Result<(), Malformed> {
        let mut c = Cell::Null;
        fill(&mut c, Kind::Date, &(-1i32).to_be_bytes())?;
        assert_eq!(c.to_text(), "1999-12-31");
        fill(&mut c, Kind::Date, &i32::MAX.to_be_bytes())?;
        assert_eq!(c.to_text(), "infinity");
        fill(&mut c, Kind::Timestamp, &1_500_000i64.to_be_bytes())?;
        assert_eq!(c.to_text(), "2000-01-01T00:00:01.500Z");
        fill(&mut c, Kind::DateTime, &(-1i64).to_be_bytes())?;
        assert_eq!(c.to_text(), "1999-12-31 23:59:59.999999");
        fill(&mut c, Kind::Time, &3_600_000_000i64.to_be_bytes())?;
        assert_eq!(c.to_text(), "01:00:00");
        assert!(fill(&mut c, Kind::I32, &[0, 1]).is_err());
        fill(&mut c, Kind::I64, &7u32.to_be_bytes())?;
        assert_eq!(c, Cell::Int(7), "oid");
        Ok(())
    }

    #[test]
    fn json_and_jsonb_print_compact() -> Result<(), Malformed> {
        let mut c = Cell::Null;
        fill(&mut c, Kind::Json, b"{\"a\": [1, 2]}")?;
        assert_eq!(c, Cell::Json("{\"a\":[1,2]}".into()));
        fill(&mut c, Kind::Jsonb, b"\x01{\"a\": 1}")?;
        assert_eq!(c, Cell::Json("{\"a\":1}".into()));
        fill(&mut c, Kind::Jsonb, b"\x011")?;
        assert_eq!(c, Cell::Json("1".into()));
        assert!(
            fill(&mut c, Kind::Jsonb, b"\x02{}").is_err(),
            "unknown jsonb version"
        );
        Ok(())
    }
}
