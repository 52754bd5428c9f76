//! When to try a request again, and how long to wait first. Pure: the client passes in what
//! happened, the time spent and a random number, and gets a decision back, so the policy is tested
//! without a network or a clock.
//!
//! Retried: connection failures and timeouts, 429, 500, 502, 503 and 504. A 429 means the request
//! was not processed, so it is retried whatever the method; the others only for idempotent requests
//! (GET, PUT, DELETE), whose repetition cannot do harm. The wait doubles from `initial` up to
//! `max_backoff`, with ±25 % jitter so that parallel requests do not retry in step; a `Retry-After`
//! header (seconds or an HTTP date) replaces it, capped at `max_retry_after`. Both the number of
//! attempts and the total time are bounded.

use std::time::{Duration, SystemTime};

/// The retry rules of one client.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in total, the first included (1 = never retry).
    pub max_attempts: u32,
    /// Attempts at most when the last failure was the connection (refused, reset, timed out): a
    /// gateway that cannot be reached usually stays so, and the user should hear it soon.
    pub max_connection_attempts: u32,
    /// The wait before the first retry.
    pub initial: Duration,
    /// The longest computed wait.
    pub max_backoff: Duration,
    /// The longest wait a `Retry-After` header can ask for.
    pub max_retry_after: Duration,
    /// No retry starts once this much time has passed since the first attempt.
    pub max_total: Duration,
}

impl Default for RetryPolicy {
    fn default() -> RetryPolicy {
        RetryPolicy {
            // Ten, so that a sync through a gateway failing one request in six still converges: the
            // chance that one request fails ten times in a row is then below one in ten million.
            max_attempts: 10,
            max_connection_attempts: 4,
            initial: Duration::from_millis(250),
            max_backoff: Duration::from_secs(8),
            max_retry_after: Duration::from_secs(60),
            max_total: Duration::from_secs(120),
        }
    }
}

/// A failed attempt, as far as retrying is concerned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Failure {
    /// No connection, or it broke before an answer.
    Connection,
    /// No answer in time.
    Timeout,
    /// An answer with this status.
    Status(u16),
}

impl RetryPolicy {
    /// Never retry.
    pub fn none() -> RetryPolicy {
        RetryPolicy { max_attempts: 1, max_connection_attempts: 1, ..RetryPolicy::default() }
    }

    /// How long to wait before attempt `attempts + 1`, or `None` to give up. `attempts` is the number
    /// made so far (1 after the first), `elapsed` the time since the first began, `jitter` a random
    /// number in `[0, 1)`.
    pub fn next_wait(
        &self,
        failure: Failure,
        idempotent: bool,
        attempts: u32,
        retry_after: Option<Duration>,
        elapsed: Duration,
        jitter: f64,
    ) -> Option<Duration> {
        if !should_retry(failure, idempotent) || attempts >= self.max_attempts {
            return None;
        }
        let wait = match retry_after {
            // A small spread keeps the requests a 429 stopped together from returning together.
            Some(asked) => asked.min(self.max_retry_after).mul_f64(1.0 + 0.1 * jitter),
            None => self.backoff(attempts, jitter),
        };
        (elapsed + wait <= self.max_total).then_some(wait)
    }

    /// Whether to stop trying a gateway that has not answered at all in `unanswered` attempts.
    pub fn unreachable(&self, failure: Failure, unanswered: u32) -> bool {
        matches!(failure, Failure::Connection | Failure::Timeout) && unanswered >= self.max_connection_attempts
    }

    /// The computed wait after `attempts` attempts: `initial · 2^(attempts-1)`, capped, ±25 %.
    pub fn backoff(&self, attempts: u32, jitter: f64) -> Duration {
        let doubling = 2u32.saturating_pow(attempts.saturating_sub(1).min(20));
        let base = self.initial.saturating_mul(doubling).min(self.max_backoff);
        base.mul_f64(0.75 + 0.5 * jitter.clamp(0.0, 1.0))
    }
}

/// Whether a failure is worth another attempt.
pub(crate) fn should_retry(failure: Failure, idempotent: bool) -> bool {
    match failure {
        Failure::Status(429) => true,
        Failure::Status(500 | 502 | 503 | 504) | Failure::Connection | Failure::Timeout => idempotent,
        Failure::Status(_) => false,
    }
}

/// Reads a `Retry-After` header: delay seconds, or an HTTP date (a date in the past means now).
pub(crate) fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when = httpdate::parse_http_date(value).ok()?;
    Some(when.duration_since(now).unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;

    const IDEMPOTENT: bool = true;

    #[test]
    fn transient_failures_are_retried_with_doubling_waits() {
        let p = RetryPolicy::default();
        let wait = |attempts| p.next_wait(Failure::Status(503), IDEMPOTENT, attempts, None, Duration::ZERO, 0.5);
        assert_eq!(wait(1), Some(Duration::from_millis(250)));
        assert_eq!(wait(2), Some(Duration::from_millis(500)));
        assert_eq!(wait(3), Some(Duration::from_secs(1)));
        assert_eq!(wait(5), Some(Duration::from_secs(4)));
        assert_eq!(wait(9), Some(Duration::from_secs(8)));
        assert_eq!(wait(10), None, "ten attempts at most");
        assert!(!p.unreachable(Failure::Connection, 3));
        assert!(p.unreachable(Failure::Connection, 4), "a gateway that never answers is reported after four attempts");
        assert!(!p.unreachable(Failure::Status(503), 9), "a gateway that answers is not unreachable");
        assert_eq!(p.backoff(30, 0.5), Duration::from_secs(8), "capped");
    }

    #[test]
    fn jitter_spreads_waits_by_a_quarter() {
        let p = RetryPolicy::default();
        assert_eq!(p.backoff(1, 0.0), Duration::from_micros(187_500));
        assert_eq!(p.backoff(1, 0.999_999).as_millis(), 312);
    }

    #[test]
    fn only_some_failures_are_retried() {
        for f in
            [Failure::Connection, Failure::Timeout, Failure::Status(429), Failure::Status(500), Failure::Status(504)]
        {
            assert!(should_retry(f, IDEMPOTENT), "{f:?}");
        }
        for s in [400, 401, 403, 404, 409, 501] {
            assert!(!should_retry(Failure::Status(s), IDEMPOTENT), "{s}");
        }
        assert!(should_retry(Failure::Status(429), false), "a 429 was not processed, whatever the method");
        assert!(!should_retry(Failure::Status(503), false));
        assert!(!should_retry(Failure::Connection, false));
    }

    #[test]
    fn retry_after_replaces_the_backoff_within_a_cap() {
        let p = RetryPolicy::default();
        let f = Failure::Status(429);
        assert_eq!(
            p.next_wait(f, IDEMPOTENT, 1, Some(Duration::from_secs(3)), Duration::ZERO, 0.0),
            Some(Duration::from_secs(3))
        );
        assert_eq!(
            p.next_wait(f, IDEMPOTENT, 1, Some(Duration::from_secs(3600)), Duration::ZERO, 0.0),
            Some(Duration::from_secs(60))
        );
    }

    #[test]
    fn total_time_is_bounded() {
        let p = RetryPolicy::default();
        let f = Failure::Status(502);
        assert!(p.next_wait(f, IDEMPOTENT, 1, None, Duration::from_millis(119_900), 0.5).is_none());
        assert!(p.next_wait(f, IDEMPOTENT, 1, None, Duration::from_secs(100), 0.5).is_some());
        assert_eq!(RetryPolicy::none().next_wait(f, IDEMPOTENT, 1, None, Duration::ZERO, 0.5), None);
    }

    #[test]
    fn retry_after_reads_seconds_and_dates() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        assert_eq!(parse_retry_after(" 7 ", now), Some(Duration::from_secs(7)));
        let later = httpdate::fmt_http_date(now + Duration::from_secs(30));
        assert_eq!(parse_retry_after(&later, now), Some(Duration::from_secs(30)));
        let earlier = httpdate::fmt_http_date(now - Duration::from_secs(30));
        assert_eq!(parse_retry_after(&earlier, now), Some(Duration::ZERO));
        assert_eq!(parse_retry_after("soon", now), None);
    }
}
