//! A client-side request-rate limit, so that a large read or sync stays under a gateway's rate limit
//! (Konnect's are not published) instead of provoking 429s and backing off.
//!
//! It is the generic cell rate algorithm: requests are spaced `1/rate` apart, with a burst of up to
//! one second's worth allowed after a pause. Each caller reserves its slot under a lock and then
//! sleeps without it, so waiting requests never block one another's bookkeeping.

use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Spaces requests to at most `rate` per second.
#[derive(Debug)]
pub(crate) struct RateLimiter {
    interval: Duration,
    /// How far ahead of its theoretical time a request may start: the burst allowance.
    tolerance: Duration,
    /// The theoretical arrival time of the next request.
    next: Mutex<Option<Instant>>,
}

impl RateLimiter {
    /// A limiter for `per_second` requests per second; `None` when that is not a positive number.
    pub(crate) fn new(per_second: f64) -> Option<RateLimiter> {
        if !per_second.is_finite() || per_second <= 0.0 {
            return None;
        }
        let interval = Duration::from_secs_f64(1.0 / per_second);
        let burst = per_second.floor().max(1.0) as u32;
        Some(RateLimiter { interval, tolerance: interval * (burst - 1), next: Mutex::new(None) })
    }

    /// Reserves the next slot for a request arriving at `now`; returns when it may start.
    pub(crate) fn reserve(&self, now: Instant) -> Instant {
        // A poisoned lock only means another request panicked mid-update; the time in it is still valid.
        let mut next = self.next.lock().unwrap_or_else(|p| p.into_inner());
        let theoretical = next.map_or(now, |t| t.max(now));
        let start = theoretical.checked_sub(self.tolerance).map_or(now, |t| t.max(now));
        *next = Some(theoretical + self.interval);
        start
    }

    /// Waits for this request's slot.
    pub(crate) async fn acquire(&self) {
        let start = self.reserve(Instant::now());
        tokio::time::sleep_until(tokio::time::Instant::from_std(start)).await;
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn requests_are_spaced_after_a_burst() {
        let limiter = RateLimiter::new(4.0).unwrap();
        let t0 = Instant::now();
        let starts: Vec<Duration> = (0..7).map(|_| limiter.reserve(t0) - t0).collect();
        let ms = |n| Duration::from_millis(n);
        assert_eq!(starts, [ms(0), ms(0), ms(0), ms(0), ms(250), ms(500), ms(750)]);
    }

    #[test]
    fn a_pause_refills_the_burst_but_not_beyond() {
        let limiter = RateLimiter::new(2.0).unwrap();
        let t0 = Instant::now();
        limiter.reserve(t0);
        let later = t0 + Duration::from_secs(10);
        assert_eq!(limiter.reserve(later), later);
        assert_eq!(limiter.reserve(later), later);
        assert_eq!(limiter.reserve(later), later + Duration::from_millis(500));
    }

    #[test]
    fn slow_rates_allow_one_request_at_a_time() {
        let limiter = RateLimiter::new(0.5).unwrap();
        let t0 = Instant::now();
        assert_eq!(limiter.reserve(t0), t0);
        assert_eq!(limiter.reserve(t0), t0 + Duration::from_secs(2));
    }

    #[test]
    fn nonsense_rates_mean_no_limit() {
        assert!(RateLimiter::new(0.0).is_none());
        assert!(RateLimiter::new(-3.0).is_none());
        assert!(RateLimiter::new(f64::NAN).is_none());
    }
}
