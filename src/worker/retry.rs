//! The webhook retry policy: data (`webhooks.retry_delays_seconds`) plus pure functions.
//!
//! Attempt 1 is sent as soon as the delivery is due. When attempt `n` fails, attempt `n + 1`
//! waits `retry_delays_seconds[n - 1]` ± 20 % jitter, or longer when the receiver asked for it
//! with `Retry-After` (capped at twice the largest configured delay, so a receiver cannot park a
//! delivery forever). When the list is exhausted the failed attempt was the last: the delivery is
//! dead-lettered (`failed`). A schedule of `k` delays therefore allows `k + 1` attempts.

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};
use std::time::Duration;

/// Jitter spreads retries of deliveries that failed together (a receiver outage) over ±20 % of
/// the delay, so they do not all come back at the same instant.
const JITTER: f64 = 0.2;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    delays: Vec<Duration>,
}

/// What to do with a delivery after a failed attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AfterFailure {
    RetryIn(Duration),
    DeadLetter,
}

impl RetryPolicy {
    pub fn from_seconds(delays: &[u64]) -> Self {
        RetryPolicy {
            delays: delays.iter().copied().map(Duration::from_secs).collect(),
        }
    }

    /// Attempts a delivery gets from the schedule: the first plus one per delay.
    pub fn max_attempts(&self) -> u32 {
        u32::try_from(self.delays.len()).unwrap_or(u32::MAX).saturating_add(1)
    }

    /// The longest wait a `Retry-After` header can impose: twice the largest configured delay.
    pub fn retry_after_cap(&self) -> Duration {
        self.delays.iter().max().copied().unwrap_or_default() * 2
    }

    /// Decides after attempt number `attempts_made` (1-based, counting the one that just failed)
    /// has failed. `jitter_key` (the delivery id) makes the jitter vary between deliveries yet be
    /// reproducible for one delivery and attempt; `retry_after` is the receiver's parsed
    /// `Retry-After`, if any.
    pub fn after_failure(&self, attempts_made: u32, jitter_key: &str, retry_after: Option<Duration>) -> AfterFailure {
        let index = attempts_made.max(1) as usize - 1;
        let Some(base) = self.delays.get(index) else {
            return AfterFailure::DeadLetter;
        };
        let scheduled = base.mul_f64(1.0 + jitter_fraction(jitter_key, attempts_made));
        let requested = retry_after.map(|r| r.min(self.retry_after_cap())).unwrap_or_default();
        AfterFailure::RetryIn(scheduled.max(requested))
    }
}

/// A reproducible value in [-JITTER, +JITTER) derived from the key and the attempt number.
pub fn jitter_fraction(key: &str, attempt: u32) -> f64 {
    let digest = Sha256::new()
        .chain_update(key.as_bytes())
        .chain_update(attempt.to_be_bytes())
        .finalize();
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    // The top 53 bits fill an f64 mantissa exactly: a uniform value in [0, 1).
    let unit = (u64::from_be_bytes(first) >> 11) as f64 / (1u64 << 53) as f64;
    (unit * 2.0 - 1.0) * JITTER
}

/// Parses a `Retry-After` value: delta-seconds (`120`) or an HTTP-date
/// (`Wed, 21 Oct 2015 07:28:00 GMT`), relative to `now`. A date in the past means "now"
/// (zero); anything unparseable is ignored (`None`).
pub fn parse_retry_after(value: &str, now: DateTime<Utc>) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = DateTime::parse_from_rfc2822(value).ok()?.with_timezone(&Utc);
    Some((at - now).to_std().unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(s: u64) -> Duration {
        Duration::from_secs(s)
    }

    #[test]
    fn attempt_n_waits_the_nth_delay_within_twenty_percent() {
        let policy = RetryPolicy::from_seconds(&[5, 30, 120]);
        assert_eq!(policy.max_attempts(), 4);
        for (attempt, base) in [(1u32, 5.0f64), (2, 30.0), (3, 120.0)] {
            for key in ["delivery-a", "delivery-b", "delivery-c", "delivery-d"] {
                let AfterFailure::RetryIn(wait) = policy.after_failure(attempt, key, None) else {
                    panic!("attempt {attempt} should be retried");
                };
                let wait = wait.as_secs_f64();
                assert!(
                    wait >= base * 0.8 && wait <= base * 1.2,
                    "attempt {attempt}: {wait} vs {base}"
                );
            }
        }
        assert_eq!(policy.after_failure(4, "delivery-a", None), AfterFailure::DeadLetter);
        assert_eq!(policy.after_failure(9, "delivery-a", None), AfterFailure::DeadLetter);
    }

    #[test]
    fn jitter_is_reproducible_per_key_and_attempt_and_spreads_across_keys() {
        assert_eq!(jitter_fraction("delivery-x", 1), jitter_fraction("delivery-x", 1));
        assert_ne!(jitter_fraction("delivery-x", 1), jitter_fraction("delivery-x", 2));
        let values: Vec<f64> = (0..200).map(|i| jitter_fraction(&format!("delivery-{i}"), 1)).collect();
        assert!(values.iter().all(|v| (-JITTER..JITTER).contains(v)));
        assert!(values.iter().any(|v| *v < -0.1) && values.iter().any(|v| *v > 0.1));
    }

    #[test]
    fn an_empty_schedule_allows_one_attempt() {
        let policy = RetryPolicy::from_seconds(&[]);
        assert_eq!(policy.max_attempts(), 1);
        assert_eq!(policy.after_failure(1, "d", Some(secs(10))), AfterFailure::DeadLetter);
    }

    #[test]
    fn retry_after_extends_the_wait_but_is_capped_at_twice_the_largest_delay() {
        let policy = RetryPolicy::from_seconds(&[1, 2, 10]);
        assert_eq!(
            policy.after_failure(1, "d", Some(secs(7))),
            AfterFailure::RetryIn(secs(7))
        );
        assert_eq!(
            policy.after_failure(1, "d", Some(secs(3600))),
            AfterFailure::RetryIn(secs(20))
        );
        // A shorter Retry-After never shortens the schedule.
        let AfterFailure::RetryIn(wait) = policy.after_failure(3, "d", Some(secs(1))) else {
            panic!("attempt 3 should be retried");
        };
        assert!(wait >= secs(8), "{wait:?}");
        // The last attempt is final whatever the receiver asks.
        assert_eq!(policy.after_failure(4, "d", Some(secs(5))), AfterFailure::DeadLetter);
    }

    #[test]
    fn retry_after_parses_seconds_and_http_dates() {
        let now = DateTime::parse_from_rfc3339("2015-10-21T07:27:30Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(parse_retry_after("120", now), Some(secs(120)));
        assert_eq!(parse_retry_after(" 0 ", now), Some(secs(0)));
        assert_eq!(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now), Some(secs(30)));
        assert_eq!(parse_retry_after("Wed, 21 Oct 2015 07:00:00 GMT", now), Some(secs(0)));
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(parse_retry_after("-5", now), None);
        assert_eq!(parse_retry_after("", now), None);
    }
}
