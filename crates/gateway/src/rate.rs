//! The pacing half of the rate governor (`governor.rs`): a client-side request rate, so that a
//! large read or sync stays under a gateway's rate limit instead of provoking 429s and backing off.
//!
//! It is the generic cell rate algorithm: requests are spaced `1/rate` apart, with a burst allowed
//! after a pause (one second's worth for a rate the user gave). The rate can change between
//! reservations, as the governor learns the budget a gateway announces. Each caller reserves its
//! slot under the governor's lock and then sleeps without it, so waiting requests never block one
//! another's bookkeeping.

use std::time::{Duration, Instant};

/// Spaces requests to at most `rate` per second. Not shared by itself: the governor holds it under
/// its lock.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Pacer {
    interval: Duration,
    /// How far ahead of its theoretical time a request may start: the burst allowance.
    tolerance: Duration,
    /// The theoretical arrival time of the next request.
    next: Option<Instant>,
}

impl Pacer {
    /// A pacer for `per_second` requests per second, allowing a burst of `burst` requests after a
    /// pause (at least one); `None` when the rate is not a positive number.
    pub(crate) fn new(per_second: f64, burst: u32) -> Option<Pacer> {
        let interval = interval(per_second)?;
        Some(Pacer { interval, tolerance: interval * (burst.max(1) - 1), next: None })
    }

    /// A pacer whose burst is one second's worth of requests, as for a rate the user gave.
    pub(crate) fn per_second(per_second: f64) -> Option<Pacer> {
        Pacer::new(per_second, per_second.min(f64::from(u32::MAX)).floor() as u32)
    }

    /// Changes the rate and burst for the requests not yet reserved; a nonsense rate is ignored.
    pub(crate) fn set_rate(&mut self, per_second: f64, burst: u32) {
        if let Some(interval) = interval(per_second) {
            self.interval = interval;
            self.tolerance = interval * (burst.max(1) - 1);
        }
    }

    /// Requests per second.
    #[cfg(test)]
    pub(crate) fn rate(&self) -> f64 {
        1.0 / self.interval.as_secs_f64()
    }

    /// Reserves the next slot for a request arriving at `now`; returns when it may start.
    pub(crate) fn reserve(&mut self, now: Instant) -> Instant {
        let theoretical = self.next.map_or(now, |t| t.max(now));
        let start = theoretical.checked_sub(self.tolerance).map_or(now, |t| t.max(now));
        self.next = Some(theoretical + self.interval);
        start
    }
}

fn interval(per_second: f64) -> Option<Duration> {
    // Below one request a day is no rate anyone means; it also keeps the interval representable.
    (per_second.is_finite() && per_second > 1e-5).then(|| Duration::from_secs_f64(1.0 / per_second))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn requests_are_spaced_after_a_burst() {
        let mut limiter = Pacer::per_second(4.0).unwrap();
        let t0 = Instant::now();
        let starts: Vec<Duration> = (0..7).map(|_| limiter.reserve(t0) - t0).collect();
        let ms = |n| Duration::from_millis(n);
        assert_eq!(starts, [ms(0), ms(0), ms(0), ms(0), ms(250), ms(500), ms(750)]);
    }

    #[test]
    fn a_pause_refills_the_burst_but_not_beyond() {
        let mut limiter = Pacer::per_second(2.0).unwrap();
        let t0 = Instant::now();
        limiter.reserve(t0);
        let later = t0 + Duration::from_secs(10);
        assert_eq!(limiter.reserve(later), later);
        assert_eq!(limiter.reserve(later), later);
        assert_eq!(limiter.reserve(later), later + Duration::from_millis(500));
    }

    #[test]
    fn slow_rates_allow_one_request_at_a_time() {
        let mut limiter = Pacer::per_second(0.5).unwrap();
        let t0 = Instant::now();
        assert_eq!(limiter.reserve(t0), t0);
        assert_eq!(limiter.reserve(t0), t0 + Duration::from_secs(2));
    }

    #[test]
    fn nonsense_rates_mean_no_limit() {
        assert!(Pacer::per_second(0.0).is_none());
        assert!(Pacer::per_second(-3.0).is_none());
        assert!(Pacer::new(f64::NAN, 1).is_none());
    }

    #[test]
    fn a_new_rate_applies_to_the_next_reservations() {
        let mut pacer = Pacer::new(10.0, 1).unwrap();
        let t0 = Instant::now();
        assert_eq!(pacer.reserve(t0), t0);
        assert_eq!(pacer.reserve(t0), t0 + Duration::from_millis(100));
        pacer.set_rate(100.0, 1);
        assert_eq!(pacer.rate(), 100.0);
        assert_eq!(pacer.reserve(t0), t0 + Duration::from_millis(200), "the slot already promised stands");
        assert_eq!(pacer.reserve(t0), t0 + Duration::from_millis(210));
        pacer.set_rate(f64::INFINITY, 1);
        assert_eq!(pacer.rate(), 100.0, "a nonsense rate changes nothing");
    }
}
