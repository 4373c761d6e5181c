//! Calendar dates and date-times as the letter carries them (ISO 8601 /
//! FHIR `date`, `dateTime`, `instant`; CDA `TS`), without a date library:
//! the letter needs parsing, validation and "today in Japan", nothing more.

use std::time::{SystemTime, UNIX_EPOCH};

/// A proleptic Gregorian calendar date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Date {
    pub year: i32,
    pub month: u32,
    pub day: u32,
}

/// A date-time with an explicit UTC offset, as the letter stores it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct DateTime {
    pub date: Date,
    pub hour: u32,
    pub minute: u32,
    pub second: u32,
    /// Offset from UTC in minutes (`+09:00` → 540).
    pub offset_minutes: i32,
}

fn is_leap(year: i32) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i32, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(year) => 29,
        2 => 28,
        _ => 0,
    }
}

fn digits(s: &str, n: usize) -> Option<u32> {
    if s.len() != n || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

impl Date {
    pub fn new(year: i32, month: u32, day: u32) -> Option<Date> {
        if !(1..=9999).contains(&year) || !(1..=12).contains(&month) {
            return None;
        }
        if day == 0 || day > days_in_month(year, month) {
            return None;
        }
        Some(Date { year, month, day })
    }

    /// `YYYY-MM-DD`, a real calendar day.
    pub fn parse(s: &str) -> Option<Date> {
        let mut it = s.split('-');
        let (y, m, d) = (it.next()?, it.next()?, it.next()?);
        if it.next().is_some() {
            return None;
        }
        Date::new(digits(y, 4)? as i32, digits(m, 2)?, digits(d, 2)?)
    }

    /// `YYYYMMDD` (CDA `TS` date part).
    pub fn parse_compact(s: &str) -> Option<Date> {
        if s.len() != 8 || !s.is_ascii() {
            return None;
        }
        Date::new(
            digits(&s[0..4], 4)? as i32,
            digits(&s[4..6], 2)?,
            digits(&s[6..8], 2)?,
        )
    }

    pub fn iso(&self) -> String {
        format!("{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }

    pub fn compact(&self) -> String {
        format!("{:04}{:02}{:02}", self.year, self.month, self.day)
    }

    /// 2025年3月14日
    pub fn japanese(&self) -> String {
        format!("{}年{}月{}日", self.year, self.month, self.day)
    }

    /// Days since 1970-01-01 (Howard Hinnant's `days_from_civil`).
    fn days_from_epoch(&self) -> i64 {
        let y = i64::from(self.year) - i64::from(self.month <= 2);
        let era = if y >= 0 { y } else { y - 399 } / 400;
        let yoe = y - era * 400;
        let m = i64::from(self.month);
        let mp = (m + 9) % 12;
        let doy = (153 * mp + 2) / 5 + i64::from(self.day) - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146_097 + doe - 719_468
    }

    fn from_days(z: i64) -> Date {
        let z = z + 719_468;
        let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
        let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
        let year = (yoe + era * 400 + i64::from(month <= 2)) as i32;
        Date { year, month, day }
    }

    pub fn add_days(&self, n: i64) -> Date {
        Date::from_days(self.days_from_epoch() + n)
    }

    /// Full years from `self` (a birth date) to `on`.
    pub fn age_on(&self, on: Date) -> i32 {
        let mut age = on.year - self.year;
        if (on.month, on.day) < (self.month, self.day) {
            age -= 1;
        }
        age
    }

    /// Today in Japan (UTC+9): the letter's dates are Japanese calendar days.
    pub fn today_jst() -> Date {
        let secs = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0);
        Date::from_days((secs + 9 * 3600).div_euclid(86_400))
    }
}

/// A FHIR-style partial date: `YYYY`, `YYYY-MM` or `YYYY-MM-DD`.
/// Returns the earliest day it can mean (for "not in the future" checks).
pub(crate) fn parse_partial(s: &str) -> Option<Date> {
    match s.len() {
        4 => Date::new(digits(s, 4)? as i32, 1, 1),
        7 => {
            let (y, m) = s.split_once('-')?;
            Date::new(digits(y, 4)? as i32, digits(m, 2)?, 1)
        }
        10 => Date::parse(s),
        _ => None,
    }
}

fn parse_offset(s: &str) -> Option<i32> {
    let sign = match s.as_bytes().first()? {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let rest = s.get(1..)?;
    let (h, m) = rest.split_once(':')?;
    let (h, m) = (digits(h, 2)?, digits(m, 2)?);
    if h > 14 || m > 59 {
        return None;
    }
    Some(sign * (h as i32 * 60 + m as i32))
}

fn format_offset(minutes: i32) -> String {
    let sign = if minutes < 0 { '-' } else { '+' };
    let m = minutes.unsigned_abs();
    format!("{sign}{:02}:{:02}", m / 60, m % 60)
}

impl DateTime {
    /// `YYYY-MM-DDThh:mm:ss[.fraction](Z|±hh:mm)`; the fraction is dropped.
    pub fn parse(s: &str) -> Option<DateTime> {
        let (date, rest) = s.split_once('T')?;
        let date = Date::parse(date)?;
        if rest.len() < 9 || !rest.is_char_boundary(8) {
            return None;
        }
        let (time, mut zone) = rest.split_at(8);
        let mut parts = time.split(':');
        let (h, mi, se) = (parts.next()?, parts.next()?, parts.next()?);
        let (hour, minute, second) = (digits(h, 2)?, digits(mi, 2)?, digits(se, 2)?);
        if hour > 23 || minute > 59 || second > 59 {
            return None;
        }
        if let Some(frac) = zone.strip_prefix('.') {
            let n = frac.bytes().take_while(u8::is_ascii_digit).count();
            if n == 0 || n > 9 {
                return None;
            }
            zone = &frac[n..];
        }
        let offset_minutes = if zone == "Z" { 0 } else { parse_offset(zone)? };
        Some(DateTime {
            date,
            hour,
            minute,
            second,
            offset_minutes,
        })
    }

    /// Like [`DateTime::parse`] but refuses `Z` and fractions: the canonical
    /// form the model stores.
    pub fn parse_canonical(s: &str) -> Option<DateTime> {
        let dt = DateTime::parse(s)?;
        (dt.iso() == s).then_some(dt)
    }

    pub fn iso(&self) -> String {
        format!(
            "{}T{:02}:{:02}:{:02}{}",
            self.date.iso(),
            self.hour,
            self.minute,
            self.second,
            format_offset(self.offset_minutes)
        )
    }

    /// FHIR `instant` with milliseconds, as JP_Bundle_eReferral wants the timestamp.
    pub fn instant_ms(&self) -> String {
        format!(
            "{}T{:02}:{:02}:{:02}.000{}",
            self.date.iso(),
            self.hour,
            self.minute,
            self.second,
            format_offset(self.offset_minutes)
        )
    }

    /// CDA `TS`: `YYYYMMDDhhmmss+zzzz`.
    pub fn cda(&self) -> String {
        format!(
            "{}{:02}{:02}{:02}{}",
            self.date.compact(),
            self.hour,
            self.minute,
            self.second,
            format_offset(self.offset_minutes).replace(':', "")
        )
    }

    /// Parses a CDA `TS` with seconds and offset.
    pub fn parse_cda(s: &str) -> Option<DateTime> {
        if !s.is_ascii() {
            return None;
        }
        // TS (HL7 V3 data types): YYYYMMDDhh[mm[ss[.f…]]][±zzzz]. A
        // timestamp without a zone is local time, which for a Japanese
        // clinical document is Japan time.
        let (body, zone) = match s.find(['+', '-']) {
            Some(i) => (&s[..i], Some(&s[i..])),
            None => (s, None),
        };
        let (body, fraction) = match body.split_once('.') {
            Some((b, f)) => (b, Some(f)),
            None => (body, None),
        };
        if fraction.is_some_and(|f| f.is_empty() || !f.bytes().all(|b| b.is_ascii_digit()))
            || (fraction.is_some() && body.len() != 14)
            || !matches!(body.len(), 10 | 12 | 14)
        {
            return None;
        }
        let date = Date::parse_compact(&body[0..8])?;
        let hour = digits(&body[8..10], 2)?;
        let minute = body.get(10..12).map_or(Some(0), |m| digits(m, 2))?;
        let second = body.get(12..14).map_or(Some(0), |m| digits(m, 2))?;
        if hour > 23 || minute > 59 || second > 59 {
            return None;
        }
        let offset_minutes = match zone {
            None => 9 * 60,
            Some(z) if z.len() == 5 => parse_offset(&format!("{}:{}", &z[0..3], &z[3..5]))?,
            Some(_) => return None,
        };
        Some(DateTime {
            date,
            hour,
            minute,
            second,
            offset_minutes,
        })
    }
}

/// The letter's creation stamp: a date, or a date-time with offset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stamp {
    Date(Date),
    DateTime(DateTime),
}

impl Stamp {
    /// The canonical model form only (`YYYY-MM-DD` or `YYYY-MM-DDThh:mm:ss±hh:mm`).
    pub fn parse(s: &str) -> Option<Stamp> {
        if s.len() == 10 {
            Date::parse(s).map(Stamp::Date)
        } else {
            DateTime::parse_canonical(s).map(Stamp::DateTime)
        }
    }

    /// Any FHIR `dateTime` with at least a full date, normalised to the model form.
    pub fn from_fhir(s: &str) -> Option<Stamp> {
        if s.len() == 10 {
            Date::parse(s).map(Stamp::Date)
        } else {
            DateTime::parse(s).map(Stamp::DateTime)
        }
    }

    /// A CDA `TS`: `YYYYMMDD` or `YYYYMMDDhhmmss±zzzz`.
    pub fn from_cda(s: &str) -> Option<Stamp> {
        if s.len() == 8 {
            Date::parse_compact(s).map(Stamp::Date)
        } else {
            DateTime::parse_cda(s).map(Stamp::DateTime)
        }
    }

    pub fn date(&self) -> Date {
        match self {
            Stamp::Date(d) => *d,
            Stamp::DateTime(dt) => dt.date,
        }
    }

    pub fn iso(&self) -> String {
        match self {
            Stamp::Date(d) => d.iso(),
            Stamp::DateTime(dt) => dt.iso(),
        }
    }

    pub fn cda(&self) -> String {
        match self {
            Stamp::Date(d) => d.compact(),
            Stamp::DateTime(dt) => dt.cda(),
        }
    }

    /// A FHIR instant (Bundle.timestamp); a bare date is taken as midnight JST.
    pub fn instant_ms(&self) -> String {
        match self {
            Stamp::Date(d) => format!("{}T00:00:00.000+09:00", d.iso()),
            Stamp::DateTime(dt) => dt.instant_ms(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cda_timestamps_at_every_precision_with_or_without_a_zone() {
        let iso = |s: &str| DateTime::parse_cda(s).map(|d| d.iso());
        assert_eq!(
            iso("20250314103000+0900").as_deref(),
            Some("2025-03-14T10:30:00+09:00")
        );
        assert_eq!(
            iso("202503141030+0900").as_deref(),
            Some("2025-03-14T10:30:00+09:00")
        );
        assert_eq!(
            iso("2025031410+0900").as_deref(),
            Some("2025-03-14T10:00:00+09:00")
        );
        assert_eq!(
            iso("20250314103000.123+0900").as_deref(),
            Some("2025-03-14T10:30:00+09:00")
        );
        assert_eq!(
            iso("20250314013000+0000").as_deref(),
            Some("2025-03-14T01:30:00+00:00")
        );
        // No zone: local time, Japan time for a Japanese document.
        assert_eq!(
            iso("20250314103000").as_deref(),
            Some("2025-03-14T10:30:00+09:00")
        );
        assert_eq!(
            iso("202503141030").as_deref(),
            Some("2025-03-14T10:30:00+09:00")
        );
        for bad in [
            "2025031410300",
            "20250314103000.+0900",
            "202503141030.5+0900",
            "20250314253000+0900",
            "20250314103000+09",
            "２０２５0314103000",
        ] {
            assert_eq!(iso(bad), None, "{bad}");
        }
        // Dates alone stay dates.
        assert_eq!(
            Stamp::from_cda("20250314").map(|s| s.iso()).as_deref(),
            Some("2025-03-14")
        );
    }

    #[test]
    fn calendar_rules_hold() {
        assert!(Date::parse("2024-02-29").is_some());
        assert!(Date::parse("2023-02-29").is_none());
        assert!(Date::parse("1900-02-29").is_none());
        assert!(Date::parse("2000-02-29").is_some());
        assert!(Date::parse("2024-13-01").is_none());
        assert!(Date::parse("2024-1-01").is_none());
        assert!(Date::parse("２０２４-01-01").is_none());
        assert_eq!(
            Date::parse("2024-12-31").map(|d| d.add_days(1).iso()),
            Some("2025-01-01".into())
        );
    }

    #[test]
    fn ages_count_full_years() {
        let birth = Date::new(1958, 4, 12).expect("date");
        assert_eq!(birth.age_on(Date::new(2025, 4, 11).expect("date")), 66);
        assert_eq!(birth.age_on(Date::new(2025, 4, 12).expect("date")), 67);
    }

    #[test]
    fn date_times_round_trip_through_cda_and_fhir() {
        let dt = DateTime::parse("2025-03-14T10:30:05.123+09:00").expect("parse");
        assert_eq!(dt.iso(), "2025-03-14T10:30:05+09:00");
        assert_eq!(dt.cda(), "20250314103005+0900");
        assert_eq!(DateTime::parse_cda(&dt.cda()), Some(dt));
        assert_eq!(dt.instant_ms(), "2025-03-14T10:30:05.000+09:00");
        assert!(DateTime::parse_canonical("2025-03-14T10:30:05Z").is_none());
        assert!(DateTime::parse("2025-03-14T24:00:00+09:00").is_none());
        assert!(DateTime::parse("2025-03-14Tあい:00:00+09:00").is_none());
        assert_eq!(
            Stamp::from_cda("20250314").map(|s| s.iso()),
            Some("2025-03-14".into())
        );
    }

    #[test]
    fn partial_dates() {
        assert!(parse_partial("2022").is_some());
        assert!(parse_partial("2022-05").is_some());
        assert!(parse_partial("2022-5").is_none());
        assert!(parse_partial("2022-05-32").is_none());
    }

    #[test]
    fn today_is_plausible() {
        assert!(Date::today_jst().year >= 2024);
    }
}
