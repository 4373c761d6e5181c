//! When a failed delivery is tried again: exponential backoff with jitter
//! and a cap, so that a clinic's queue neither hammers a recovering server
//! nor waits hours after a short outage.

use std::time::Duration;

/// The retry schedule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    /// The wait after the first failure.
    pub base: Duration,
    /// The longest wait.
    pub cap: Duration,
}

impl Default for Backoff {
    /// 30 s, doubling, at most 1 hour.
    fn default() -> Backoff {
        Backoff {
            base: Duration::from_secs(30),
            cap: Duration::from_secs(3600),
        }
    }
}

/// Names the environment variable that shortens the schedule for tests
/// (milliseconds of the base wait; the cap becomes 20 × base).
pub const BASE_MS_ENV: &str = "INKAN_OUTBOX_RETRY_BASE_MS";

impl Backoff {
    /// The default schedule, or the base given in [`BASE_MS_ENV`].
    pub fn from_env() -> Backoff {
        match std::env::var(BASE_MS_ENV)
            .ok()
            .and_then(|v| v.parse::<u64>().ok())
        {
            Some(ms) => Backoff {
                base: Duration::from_millis(ms),
                cap: Duration::from_millis(ms.saturating_mul(20)),
            },
            None => Backoff::default(),
        }
    }

    /// The wait after failed attempt number `attempt` (1 for the first):
    /// `min(cap, base · 2^(attempt−1))`, then "equal jitter": a uniformly
    /// random point in its upper half, so that many clinics' queues after
    /// one outage do not retry in step; never less than `retry_after` (a
    /// server's `Retry-After`), never more than the cap.
    pub fn delay(&self, attempt: i64, retry_after: Option<Duration>, random: u64) -> Duration {
        let shift = u32::try_from(attempt.saturating_sub(1).clamp(0, 30)).unwrap_or(30);
        let full = self
            .base
            .checked_mul(1u32 << shift)
            .unwrap_or(self.cap)
            .min(self.cap);
        let half = full / 2;
        let span = u64::try_from(half.as_millis()).unwrap_or(u64::MAX).max(1);
        let jittered = half + Duration::from_millis(random % (span + 1));
        jittered.max(retry_after.unwrap_or_default()).min(self.cap)
    }
}

/// A random number for the jitter.
pub fn random() -> u64 {
    let mut b = [0u8; 8];
    // Without an OS random source the jitter is only less spread.
    let _ = getrandom::fill(&mut b);
    u64::from_le_bytes(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_with_jitter_in_the_upper_half_and_caps() {
        let b = Backoff::default();
        for (attempt, full) in [(1, 30), (2, 60), (3, 120), (7, 1920), (8, 3600), (40, 3600)] {
            let full = Duration::from_secs(full);
            for r in [0, 1, 12_345, u64::MAX] {
                let d = b.delay(attempt, None, r);
                assert!(d >= full / 2 && d <= full, "attempt {attempt}: {d:?}");
            }
        }
        assert_eq!(b.delay(1, None, 0), Duration::from_secs(15));
        assert_ne!(b.delay(3, None, 1), b.delay(3, None, 50_000));
        // Retry-After is honoured, within the cap.
        assert_eq!(
            b.delay(1, Some(Duration::from_secs(300)), 0),
            Duration::from_secs(300)
        );
        assert_eq!(b.delay(1, Some(Duration::from_secs(99_999)), 0), b.cap);
        assert_eq!(b.delay(0, None, 0), Duration::from_secs(15));
        assert_eq!(b.delay(-5, None, 0), Duration::from_secs(15));
    }
}
