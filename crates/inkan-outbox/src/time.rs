//! UTC instants as the outbox stores them (Unix seconds, RFC 3339 text).

use std::time::{SystemTime, UNIX_EPOCH};

/// Seconds since the Unix epoch, now.
pub fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// `YYYY-MM-DDTHH:MM:SSZ` for Unix seconds `t`.
pub fn utc_string(t: i64) -> String {
    inkan_l10n::utc_string(t)
}

/// `YYYYMMDDHHMMSS` in UTC (XDS `creationTime` / `submissionTime`).
pub(crate) fn dtm_utc(t: i64) -> String {
    let s = utc_string(t);
    s.chars().filter(char::is_ascii_digit).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_instants() {
        assert_eq!(utc_string(0), "1970-01-01T00:00:00Z");
        assert_eq!(utc_string(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(utc_string(1_795_651_199), "2026-11-25T23:59:59Z");
        assert_eq!(dtm_utc(1_795_651_199), "20261125235959");
    }
}
