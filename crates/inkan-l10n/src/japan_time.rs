//! Times as a Japanese user reads them: Japan Standard Time (UTC+9, no
//! daylight saving since 1951), `2026年11月26日 0:00（日本時間）`. Reports
//! keep RFC 3339 UTC; only the display converts. No clock and no time-zone
//! database: this runs in the wasm UI too.

/// A UTC instant in Japan time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JapanTime {
    /// Year.
    pub year: i64,
    /// Month, 1–12.
    pub month: u8,
    /// Day, 1–31.
    pub day: u8,
    /// Hour, 0–23.
    pub hour: u8,
    /// Minute.
    pub minute: u8,
    /// Second (a leap second stays 60).
    pub second: u8,
}

/// `YYYY-MM-DDTHH:MM:SSZ` for Unix seconds (proleptic Gregorian, UTC).
pub fn utc_string(ts: i64) -> String {
    let days = ts.div_euclid(86_400);
    let secs = ts.rem_euclid(86_400);
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )
}

/// Reads `YYYY-MM-DDTHH:MM:SS[.fraction]Z` (UTC, as Inkan's reports write
/// it) and converts it to Japan time. `None` for anything else.
pub fn japan_time(rfc3339: &str) -> Option<JapanTime> {
    let b = rfc3339.as_bytes();
    if b.len() < 20
        || b[4] != b'-'
        || b[7] != b'-'
        || b[10] != b'T'
        || b[13] != b':'
        || b[16] != b':'
    {
        return None;
    }
    let rest = &rfc3339[19..];
    let ok_rest = rest == "Z"
        || (rest.starts_with('.')
            && rest.ends_with('Z')
            && rest.len() > 2
            && rest[1..rest.len() - 1].bytes().all(|c| c.is_ascii_digit()));
    if !ok_rest {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let s = rfc3339.get(r)?;
        if !s.bytes().all(|c| c.is_ascii_digit()) {
            return None;
        }
        s.parse().ok()
    };
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (h, mi, s) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&mo) || d < 1 || d > days_in_month(y, mo) || h > 23 || mi > 59 || s > 60 {
        return None;
    }
    // Shift by nine hours on the civil calendar: at most one day forward.
    let mut hour = h + 9;
    let (mut year, mut month, mut day) = (y, mo, d);
    if hour >= 24 {
        hour -= 24;
        day += 1;
        if day > days_in_month(year, month) {
            day = 1;
            month += 1;
            if month > 12 {
                month = 1;
                year += 1;
            }
        }
    }
    Some(JapanTime {
        year,
        month: month as u8,
        day: day as u8,
        hour: hour as u8,
        minute: mi as u8,
        second: s as u8,
    })
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        _ => 28,
    }
}

impl JapanTime {
    /// `2026年11月26日 0:00（日本時間）` (minutes; seconds with `seconds`).
    pub fn ja(&self, seconds: bool) -> String {
        let JapanTime {
            year,
            month,
            day,
            hour,
            minute,
            second,
        } = *self;
        if seconds {
            format!("{year}年{month}月{day}日 {hour}:{minute:02}:{second:02}（日本時間）")
        } else {
            format!("{year}年{month}月{day}日 {hour}:{minute:02}（日本時間）")
        }
    }

    /// The Japanese era year of the date: `令和8年`, `令和元年`, `平成31年`,
    /// `昭和64年` (the eras began on 2019-05-01, 1989-01-08 and
    /// 1926-12-25); `None` before the Shōwa era.
    pub fn era(&self) -> Option<String> {
        let date = (self.year, self.month, self.day);
        let (name, first) = if date >= (2019, 5, 1) {
            ("令和", 2019)
        } else if date >= (1989, 1, 8) {
            ("平成", 1989)
        } else if date >= (1926, 12, 25) {
            ("昭和", 1926)
        } else {
            return None;
        };
        Some(match self.year - first + 1 {
            1 => format!("{name}元年"),
            n => format!("{name}{n}年"),
        })
    }

    /// [`JapanTime::ja`] with the era year after the date, as documents are
    /// dated: `2026年11月26日（令和8年）0:00（日本時間）`.
    pub fn ja_with_era(&self, seconds: bool) -> String {
        let plain = self.ja(seconds);
        match (self.era(), plain.split_once(' ')) {
            (Some(era), Some((date, time))) => format!("{date}（{era}）{time}"),
            _ => plain,
        }
    }

    /// `2026-11-26 00:00 JST` (seconds with `seconds`).
    pub fn en(&self, seconds: bool) -> String {
        let JapanTime {
            year,
            month,
            day,
            hour,
            minute,
            second,
        } = *self;
        if seconds {
            format!("{year}-{month:02}-{day:02} {hour:02}:{minute:02}:{second:02} JST")
        } else {
            format!("{year}-{month:02}-{day:02} {hour:02}:{minute:02} JST")
        }
    }

    /// In `lang`.
    pub fn text(&self, lang: crate::Lang, seconds: bool) -> String {
        match lang {
            crate::Lang::Ja => self.ja(seconds),
            crate::Lang::En => self.en(seconds),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn era_years_begin_on_their_first_day() {
        let era = |t: &str| japan_time(t).unwrap().era().unwrap();
        assert_eq!(era("2026-11-25T15:00:00Z"), "令和8年");
        assert_eq!(era("2019-04-30T14:59:59Z"), "平成31年");
        assert_eq!(era("2019-04-30T15:00:00Z"), "令和元年");
        assert_eq!(era("1989-01-07T14:59:59Z"), "昭和64年");
        assert_eq!(era("1989-01-07T15:00:00Z"), "平成元年");
        assert!(japan_time("1900-01-01T00:00:00Z").unwrap().era().is_none());
        assert_eq!(
            japan_time("2025-10-25T15:00:00Z")
                .unwrap()
                .ja_with_era(false),
            "2025年10月26日（令和7年）0:00（日本時間）"
        );
    }

    #[test]
    fn midnight_jst_is_the_next_day() {
        let t = japan_time("2026-10-25T15:00:00Z").unwrap();
        assert_eq!(t.ja(false), "2026年10月26日 0:00（日本時間）");
        assert_eq!(t.en(true), "2026-10-26 00:00:00 JST");
    }

    #[test]
    fn month_year_and_leap_day_roll_over() {
        assert_eq!(
            japan_time("2026-12-31T20:30:05Z").unwrap().ja(true),
            "2027年1月1日 5:30:05（日本時間）"
        );
        assert_eq!(
            japan_time("2028-02-28T16:00:00Z").unwrap().ja(false),
            "2028年2月29日 1:00（日本時間）"
        );
        assert_eq!(
            japan_time("2100-02-28T16:00:00Z").unwrap().ja(false),
            "2100年3月1日 1:00（日本時間）"
        );
        assert_eq!(
            japan_time("2026-11-25T10:00:00.125Z").unwrap().en(false),
            "2026-11-25 19:00 JST"
        );
    }

    #[test]
    fn anything_else_is_refused() {
        for bad in [
            "",
            "2026-11-25",
            "2026-11-25T10:00:00",
            "2026-11-25T10:00:00+09:00",
            "2026-13-01T00:00:00Z",
            "2026-02-29T00:00:00Z",
            "2026-11-25T24:00:00Z",
            "2026-11-25T10:00:00.Z",
            "2026-11-25T10:00:00.1xZ",
            "２０２６-11-25T10:00:00Z",
            "+026-11-25T10:00:00Z",
        ] {
            assert_eq!(japan_time(bad), None, "{bad}");
        }
    }
}
