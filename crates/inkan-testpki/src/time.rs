//! Calendar arithmetic and time encodings, without a date-time dependency.
//!
//! Internally times are whole seconds since the Unix epoch (UTC). Certificates
//! encode them as UTCTime through 2049 and GeneralizedTime from 2050 on
//! (RFC 5280 §4.1.2.5); HPKI validity periods are aligned to midnight JST
//! (UTC+9), i.e. they start at 15:00:00Z and end at 14:59:59Z.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::der_enc::tlv;
use crate::PkiError;

/// Seconds in a day.
pub(crate) const DAY: i64 = 86_400;
/// Japan Standard Time offset from UTC, in seconds.
pub(crate) const JST_OFFSET: i64 = 9 * 3600;

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
pub(crate) fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date of day `z` since 1970-01-01.
pub(crate) fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// Broken-down UTC time.
pub(crate) fn civil(t: i64) -> (i64, u32, u32, u32, u32, u32) {
    let days = t.div_euclid(DAY);
    let secs = t.rem_euclid(DAY);
    let (y, m, d) = civil_from_days(days);
    (
        y,
        m,
        d,
        (secs / 3600) as u32,
        ((secs / 60) % 60) as u32,
        (secs % 60) as u32,
    )
}

/// The start (00:00 JST = 15:00Z of the previous UTC day) of the JST day containing `t`.
pub(crate) fn jst_midnight(t: i64) -> i64 {
    (t + JST_OFFSET).div_euclid(DAY) * DAY - JST_OFFSET
}

/// `t` moved by whole calendar years in JST (29 February becomes 28 February).
pub(crate) fn add_years_jst(t: i64, years: i64) -> i64 {
    let local = t + JST_OFFSET;
    let (y, m, d) = civil_from_days(local.div_euclid(DAY));
    let ny = y + years;
    let leap = (ny % 4 == 0 && ny % 100 != 0) || ny % 400 == 0;
    let nd = if m == 2 && d == 29 && !leap { 28 } else { d };
    days_from_civil(ny, m, nd) * DAY + local.rem_euclid(DAY) - JST_OFFSET
}

/// RFC 5280 §4.1.2.5 Time: UTCTime for 1950..=2049, else GeneralizedTime.
pub(crate) fn der_time(t: i64) -> Vec<u8> {
    let (y, m, d, hh, mm, ss) = civil(t);
    if (1950..2050).contains(&y) {
        let s = format!("{:02}{:02}{:02}{:02}{:02}{:02}Z", y % 100, m, d, hh, mm, ss);
        tlv(0x17, s.as_bytes())
    } else {
        let s = format!("{y:04}{m:02}{d:02}{hh:02}{mm:02}{ss:02}Z");
        tlv(0x18, s.as_bytes())
    }
}

/// Whole seconds since the epoch; times before 1970 are rejected.
pub(crate) fn unix(t: SystemTime) -> Result<i64, PkiError> {
    let d = t
        .duration_since(UNIX_EPOCH)
        .map_err(|_| PkiError::InvalidConfig("time before 1970".into()))?;
    i64::try_from(d.as_secs()).map_err(|_| PkiError::InvalidConfig("time out of range".into()))
}

/// The `SystemTime` of whole seconds since the epoch (clamped at the epoch).
pub(crate) fn system(t: i64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(u64::try_from(t).unwrap_or(0))
}

/// Formats a time as RFC 3339 UTC with whole seconds: `2026-04-01T15:00:00Z`.
pub fn format_rfc3339(t: SystemTime) -> String {
    let secs = unix(t).unwrap_or(0);
    let (y, m, d, hh, mm, ss) = civil(secs);
    format!("{y:04}-{m:02}-{d:02}T{hh:02}:{mm:02}:{ss:02}Z")
}

/// Parses an RFC 3339 date-time (`2026-04-02T00:00:00+09:00`, `…Z`, fractional
/// seconds are truncated), or a bare date `2026-04-02`, which means 00:00 JST of
/// that day (the way HPKI aligns validity periods).
pub fn parse_rfc3339(s: &str) -> Result<SystemTime, PkiError> {
    let bad = || PkiError::InvalidConfig(format!("not an RFC 3339 date-time: {s:?}"));
    let s = s.trim();
    let b = s.as_bytes();
    let num = |r: std::ops::Range<usize>| -> Result<u32, PkiError> {
        let part = s.get(r).ok_or_else(bad)?;
        if part.is_empty() || !part.bytes().all(|c| c.is_ascii_digit()) {
            return Err(bad());
        }
        part.parse().map_err(|_| bad())
    };
    if b.len() < 10 || b[4] != b'-' || b[7] != b'-' {
        return Err(bad());
    }
    let (y, mo, d) = (i64::from(num(0..4)?), num(5..7)?, num(8..10)?);
    if !(1..=12).contains(&mo) || d == 0 || d > 31 {
        return Err(bad());
    }
    let day = days_from_civil(y, mo, d);
    if civil_from_days(day) != (y, mo, d) {
        return Err(bad());
    }
    if b.len() == 10 {
        return Ok(system(day * DAY - JST_OFFSET));
    }
    if b.len() < 20 || !matches!(b[10], b'T' | b't' | b' ') || b[13] != b':' || b[16] != b':' {
        return Err(bad());
    }
    let (hh, mm, ss) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if hh > 23 || mm > 59 || ss > 60 {
        return Err(bad());
    }
    let mut i = 19;
    if b[i] == b'.' {
        i += 1;
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == start {
            return Err(bad());
        }
    }
    let offset = match b.get(i) {
        Some(b'Z' | b'z') if i + 1 == b.len() => 0,
        Some(sign @ (b'+' | b'-')) if i + 6 == b.len() && b[i + 3] == b':' => {
            let (oh, om) = (num(i + 1..i + 3)?, num(i + 4..i + 6)?);
            if oh > 23 || om > 59 {
                return Err(bad());
            }
            let o = i64::from(oh * 3600 + om * 60);
            if *sign == b'+' {
                o
            } else {
                -o
            }
        }
        _ => return Err(bad()),
    };
    let t = day * DAY + i64::from(hh * 3600 + mm * 60 + ss.min(59)) - offset;
    if t < 0 {
        return Err(bad());
    }
    Ok(system(t))
}

/// 00:00 JST of the day (in Japan) containing `t`.
pub fn jst_midnight_of(t: SystemTime) -> SystemTime {
    system(jst_midnight(unix(t).unwrap_or(0)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_round_trip() {
        for z in [-1000, 0, 1, 59, 60, 10_000, 20_000, 29_000, 100_000] {
            let (y, m, d) = civil_from_days(z);
            assert_eq!(days_from_civil(y, m, d), z);
        }
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
    }

    #[test]
    fn jst_alignment_and_years() {
        let t = unix(parse_rfc3339("2026-04-02T10:30:00+09:00").expect("parse")).expect("unix");
        let mid = jst_midnight(t);
        assert_eq!(
            format_rfc3339(system(mid)),
            "2026-04-01T15:00:00Z",
            "00:00 JST is 15:00Z the day before"
        );
        assert_eq!(
            format_rfc3339(system(add_years_jst(mid, 5) - 1)),
            "2031-04-01T14:59:59Z"
        );
        let leap = unix(parse_rfc3339("2028-02-29").expect("date")).expect("unix");
        assert_eq!(
            format_rfc3339(system(add_years_jst(leap, 1))),
            "2029-02-27T15:00:00Z"
        );
    }

    #[test]
    fn der_times() {
        let t = unix(parse_rfc3339("2049-12-31T23:59:59Z").expect("p")).expect("u");
        assert_eq!(der_time(t), [&[0x17, 13][..], b"491231235959Z"].concat());
        assert_eq!(
            der_time(t + 1),
            [&[0x18, 15][..], b"20500101000000Z"].concat()
        );
    }

    #[test]
    fn rfc3339_forms() {
        let a = parse_rfc3339("2026-04-01T15:00:00Z").expect("z");
        assert_eq!(parse_rfc3339("2026-04-02T00:00:00+09:00").expect("off"), a);
        assert_eq!(parse_rfc3339("2026-04-02").expect("date"), a);
        assert_eq!(parse_rfc3339("2026-04-01T15:00:00.999Z").expect("frac"), a);
        for bad in ["", "2026-13-01", "2026-02-30", "2026-04-01T15:00:00", "x"] {
            assert!(parse_rfc3339(bad).is_err(), "{bad}");
        }
    }
}

/// serde adapter: `SystemTime` as an RFC 3339 UTC string.
pub(crate) mod serde_rfc3339 {
    use std::time::SystemTime;

    use serde::{Deserialize, Deserializer, Serializer};

    pub(crate) fn serialize<S: Serializer>(t: &SystemTime, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&super::format_rfc3339(*t))
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<SystemTime, D::Error> {
        let s = String::deserialize(d)?;
        super::parse_rfc3339(&s).map_err(serde::de::Error::custom)
    }
}
