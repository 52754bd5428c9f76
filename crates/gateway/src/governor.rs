//! The rate governor: how fast and how many requests go to the gateway, with nothing to tune.
//!
//! - Pace: a rate the user gave wins. Otherwise the governor paces to the budget the gateway
//!   announces (`budget.rs`): the budget's sustained rate (limit / window), lowered when what is left
//!   of the window cannot sustain it, and a pause until the window resets when nothing is left. Until
//!   a gateway announces a budget (and for one that never does) the fallback rate applies, if any.
//! - Concurrency: additive increase, multiplicative decrease. The window of requests in flight
//!   starts at the client's maximum, halves on a 429 (once per congestion event: 429s to requests
//!   sent before the last decrease do not count again), and grows back by one request per window
//!   of answers.
//! - `Retry-After` on a 429 holds every request, not only the refused one, until it has passed.
//!
//! [`Core`] is the decision logic, pure and given the time by its caller, so its tests need no clock;
//! [`Governor`] wraps it in a lock and does the waiting.

use crate::budget::Announced;
use crate::rate::Pacer;
use std::sync::Mutex;
use std::time::{Duration, Instant};
use tokio::sync::Notify;

/// How a client chooses its request rate.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Pacing {
    /// The user's rate, in requests per second, whatever the gateway announces.
    Fixed(f64),
    /// The budget the gateway announces; `fallback` requests per second until it announces one (or
    /// if it never does), no limit when `None`.
    Announced {
        /// Requests per second while no budget is known.
        fallback: Option<f64>,
    },
}

impl Default for Pacing {
    fn default() -> Pacing {
        Pacing::Announced { fallback: None }
    }
}

/// The burst allowed after a pause when pacing to an announced budget: a tenth of a second's worth,
/// so that a window's total stays within its limit but for a handful of requests.
fn announced_burst(rate: f64) -> u32 {
    (rate / 10.0).floor().clamp(1.0, f64::from(u32::MAX)) as u32
}

/// When a request admitted to the window may start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Slot {
    /// At this time; the slot is reserved.
    At(Instant),
    /// Not before this time (a pause); ask again then.
    NotBefore(Instant),
}

/// The governor's state and decisions.
#[derive(Debug)]
pub(crate) struct Core {
    pacing: Pacing,
    /// Requests per second the announced budget sustains, once announced.
    sustained: Option<f64>,
    /// Requests left in the current window (counting down as requests start) and when it resets.
    window: Option<(u64, Instant)>,
    pacer: Option<Pacer>,
    /// A `Retry-After` in force.
    paused_until: Option<Instant>,
    /// Requests allowed in flight (AIMD), between 1 and `max`.
    allowed: f64,
    max: usize,
    in_flight: usize,
    /// When the window last halved: 429s to requests sent before then are the same congestion.
    last_decrease: Option<Instant>,
}

impl Core {
    pub(crate) fn new(pacing: Pacing, max_in_flight: usize) -> Core {
        let max = max_in_flight.max(1);
        let pacer = match pacing {
            Pacing::Fixed(rate) | Pacing::Announced { fallback: Some(rate) } => Pacer::per_second(rate),
            Pacing::Announced { fallback: None } => None,
        };
        Core {
            pacing,
            sustained: None,
            window: None,
            pacer,
            paused_until: None,
            allowed: max as f64,
            max,
            in_flight: 0,
            last_decrease: None,
        }
    }

    /// Admits one more request in flight, if the window allows.
    pub(crate) fn try_enter(&mut self) -> bool {
        if self.in_flight < (self.allowed.floor() as usize).max(1) {
            self.in_flight += 1;
            return true;
        }
        false
    }

    /// A request admitted by `try_enter` is over, answered or not.
    pub(crate) fn leave(&mut self) {
        self.in_flight = self.in_flight.saturating_sub(1);
    }

    /// When an admitted request may start, asked at `now`.
    pub(crate) fn slot(&mut self, now: Instant) -> Slot {
        if let Some(until) = self.paused_until.filter(|t| *t > now) {
            return Slot::NotBefore(until);
        }
        if let Some((left, reset)) = &mut self.window {
            if *reset > now {
                if *left == 0 && !matches!(self.pacing, Pacing::Fixed(_)) {
                    return Slot::NotBefore(*reset);
                }
                *left = left.saturating_sub(1);
            }
        }
        self.repace(now);
        Slot::At(self.pacer.as_mut().map_or(now, |p| p.reserve(now)))
    }

    /// Sets the pacer to the rate the announced budget allows at `now`.
    fn repace(&mut self, now: Instant) {
        let Some(sustained) = self.sustained.filter(|_| !matches!(self.pacing, Pacing::Fixed(_))) else { return };
        let rate = match self.window {
            // What is left, spread over what is left of the window, when that is slower.
            Some((left, reset)) if reset > now => {
                let seconds = (reset - now).as_secs_f64().max(0.001);
                sustained.min((left as f64 / seconds).max(sustained / 100.0))
            }
            _ => sustained,
        };
        match &mut self.pacer {
            Some(p) => p.set_rate(rate, announced_burst(rate)),
            None => self.pacer = Pacer::new(rate, announced_burst(rate)),
        }
    }

    /// Records an answer that arrived at `now` to a request sent at `sent_at`.
    pub(crate) fn answered(
        &mut self,
        now: Instant,
        sent_at: Instant,
        status: u16,
        announced: Option<Announced>,
        retry_after: Option<Duration>,
    ) {
        if let Some(a) = announced {
            self.sustained = Some(a.rate);
            if let Some((left, reset_in)) = a.remaining {
                // Requests in flight besides this one are not counted in what the gateway says is left.
                let left = left.saturating_sub(self.in_flight.saturating_sub(1) as u64);
                let reset = now + reset_in;
                self.window = Some(match self.window {
                    // The same window (resets are whole seconds, so within one of each other): answers
                    // arrive out of order, so the lowest count is the latest.
                    Some((old, old_reset)) if reset <= old_reset + Duration::from_secs(1) && old_reset > now => {
                        (old.min(left), old_reset.max(reset))
                    }
                    _ => (left, reset),
                });
            }
        }
        if status == 429 {
            if let Some(wait) = retry_after {
                let until = now + wait;
                self.paused_until = Some(self.paused_until.map_or(until, |t| t.max(until)));
            }
            if self.last_decrease.is_none_or(|d| sent_at >= d) {
                self.allowed = (self.allowed / 2.0).max(1.0);
                self.last_decrease = Some(now);
            }
        } else {
            self.allowed = (self.allowed + 1.0 / self.allowed).min(self.max as f64);
        }
    }

    /// Requests allowed in flight now.
    #[cfg(test)]
    pub(crate) fn allowed(&self) -> usize {
        (self.allowed.floor() as usize).max(1)
    }

    /// The rate requests are paced to now, if any.
    #[cfg(test)]
    pub(crate) fn rate(&self) -> Option<f64> {
        self.pacer.as_ref().map(Pacer::rate)
    }
}

/// The governor one client shares among its requests.
#[derive(Debug)]
pub(crate) struct Governor {
    core: Mutex<Core>,
    /// Woken when a request leaves the window.
    freed: Notify,
}

/// A request admitted by the governor; leaves the window when dropped.
pub(crate) struct Admission<'a> {
    governor: &'a Governor,
    sent_at: Instant,
}

impl Governor {
    pub(crate) fn new(pacing: Pacing, max_in_flight: usize) -> Governor {
        Governor { core: Mutex::new(Core::new(pacing, max_in_flight)), freed: Notify::new() }
    }

    fn core(&self) -> std::sync::MutexGuard<'_, Core> {
        // A poisoned lock only means another request panicked mid-update; the numbers in it still hold.
        self.core.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Waits until a request may be sent: a place in the window, then its paced slot.
    pub(crate) async fn admit(&self) -> Admission<'_> {
        loop {
            let freed = self.freed.notified();
            tokio::pin!(freed);
            // Registered before the check, so a request leaving in between still wakes this one.
            freed.as_mut().enable();
            if self.core().try_enter() {
                break;
            }
            freed.await;
        }
        let mut admission = Admission { governor: self, sent_at: Instant::now() };
        loop {
            let slot = self.core().slot(Instant::now());
            match slot {
                Slot::At(t) => {
                    // A slot already due is taken at once: tokio's timer would round it up to its
                    // next millisecond tick and wake it later still, on every request.
                    if t > Instant::now() {
                        tokio::time::sleep_until(t.into()).await;
                    }
                    break;
                }
                Slot::NotBefore(t) => tokio::time::sleep_until(t.into()).await,
            }
        }
        admission.sent_at = Instant::now();
        admission
    }
}

impl Admission<'_> {
    /// Records the answer this request got.
    pub(crate) fn answered(&self, status: u16, announced: Option<Announced>, retry_after: Option<Duration>) {
        self.governor.core().answered(Instant::now(), self.sent_at, status, announced, retry_after);
    }
}

impl Drop for Admission<'_> {
    fn drop(&mut self) {
        self.governor.core().leave();
        self.governor.freed.notify_waiters();
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    fn budget(rate: f64, left: u64, reset_s: u64) -> Option<Announced> {
        Some(Announced { rate, remaining: Some((left, Duration::from_secs(reset_s))) })
    }

    /// Admits and schedules `n` requests at `now`; the offsets from `t0` at which they may start.
    fn starts(core: &mut Core, t0: Instant, now: Instant, n: usize) -> Vec<Duration> {
        (0..n)
            .map(|_| match core.slot(now) {
                Slot::At(t) => t - t0,
                Slot::NotBefore(t) => panic!("paused until {:?}", t - t0),
            })
            .collect()
    }

    #[test]
    fn without_a_budget_or_fallback_nothing_is_paced() {
        let mut core = Core::new(Pacing::default(), 4);
        let t0 = Instant::now();
        assert_eq!(starts(&mut core, t0, t0, 3), [ms(0); 3]);
        assert_eq!(core.rate(), None);
        assert!((0..4).all(|_| core.try_enter()));
        assert!(!core.try_enter(), "four in flight at most");
        core.leave();
        assert!(core.try_enter());
    }

    #[test]
    fn the_fallback_holds_until_a_budget_is_announced() {
        let mut core = Core::new(Pacing::Announced { fallback: Some(10.0) }, 32);
        let t0 = Instant::now();
        assert_eq!(core.rate(), Some(10.0));
        // 6,000 a minute, the whole minute ahead: 100 per second, a burst of 10.
        core.answered(t0, t0, 200, budget(100.0, 5_999, 60), None);
        let offsets = starts(&mut core, t0, t0 + ms(1000), 12);
        assert_eq!(core.rate(), Some(100.0));
        assert_eq!(offsets[..10], [ms(1000); 10]);
        assert_eq!(offsets[10..], [ms(1010), ms(1020)]);
    }

    #[test]
    fn a_rate_the_user_gave_wins_over_the_budget() {
        let mut core = Core::new(Pacing::Fixed(2.0), 32);
        let t0 = Instant::now();
        core.answered(t0, t0, 200, budget(100.0, 0, 30), None);
        assert_eq!(starts(&mut core, t0, t0, 3), [ms(0), ms(0), ms(500)], "not paused by an empty budget either");
        assert_eq!(core.rate(), Some(2.0));
    }

    #[test]
    fn what_is_left_of_the_window_slows_the_pace() {
        let mut core = Core::new(Pacing::default(), 32);
        let t0 = Instant::now();
        // 100 per second sustained, but only 20 left for the 10 seconds until the window resets.
        core.answered(t0, t0, 200, budget(100.0, 20, 10), None);
        let offsets = starts(&mut core, t0, t0, 3);
        let rate = core.rate().unwrap();
        assert!((1.5..2.0).contains(&rate), "about 2 per second, not 100: {rate}");
        assert_eq!(offsets[0], ms(0));
        assert!(offsets[1] > ms(400), "{offsets:?}");
    }

    #[test]
    fn an_empty_window_pauses_until_it_resets() {
        let mut core = Core::new(Pacing::default(), 32);
        let t0 = Instant::now();
        core.answered(t0, t0, 200, budget(100.0, 1, 5), None);
        assert!(matches!(core.slot(t0), Slot::At(_)), "the last request of the window goes");
        assert_eq!(core.slot(t0), Slot::NotBefore(t0 + Duration::from_secs(5)));
        let later = t0 + Duration::from_secs(5);
        assert!(matches!(core.slot(later), Slot::At(_)), "a new window");
    }

    #[test]
    fn requests_in_flight_count_against_what_is_left() {
        let mut core = Core::new(Pacing::default(), 32);
        let t0 = Instant::now();
        for _ in 0..4 {
            assert!(core.try_enter());
        }
        // Three others are in flight: of the 3 left, none is ours to send.
        core.answered(t0, t0, 200, budget(100.0, 3, 5), None);
        assert_eq!(core.slot(t0), Slot::NotBefore(t0 + Duration::from_secs(5)));
    }

    #[test]
    fn out_of_order_answers_keep_the_lowest_count_of_a_window() {
        let mut core = Core::new(Pacing::default(), 32);
        let t0 = Instant::now();
        core.answered(t0, t0, 200, budget(100.0, 1, 5), None);
        core.answered(t0 + ms(10), t0, 200, budget(100.0, 50, 5), None);
        assert!(matches!(core.slot(t0 + ms(10)), Slot::At(_)));
        assert!(matches!(core.slot(t0 + ms(10)), Slot::NotBefore(_)), "the later, higher count was older");
        // A new window is believed.
        core.answered(t0 + Duration::from_secs(6), t0, 200, budget(100.0, 50, 60), None);
        assert!(matches!(core.slot(t0 + Duration::from_secs(6)), Slot::At(_)));
    }

    #[test]
    fn retry_after_holds_every_request() {
        let mut core = Core::new(Pacing::default(), 32);
        let t0 = Instant::now();
        core.answered(t0, t0, 429, None, Some(Duration::from_secs(7)));
        assert_eq!(core.slot(t0 + ms(100)), Slot::NotBefore(t0 + Duration::from_secs(7)));
        // A shorter Retry-After later does not shorten the pause.
        core.answered(t0 + ms(200), t0, 429, None, Some(Duration::from_secs(1)));
        assert_eq!(core.slot(t0 + ms(300)), Slot::NotBefore(t0 + Duration::from_secs(7)));
        assert!(matches!(core.slot(t0 + Duration::from_secs(7)), Slot::At(_)));
    }

    #[test]
    fn concurrency_halves_once_per_congestion_and_grows_back_slowly() {
        let mut core = Core::new(Pacing::default(), 32);
        let t0 = Instant::now();
        core.answered(t0 + ms(10), t0, 429, None, None);
        assert_eq!(core.allowed(), 16);
        // Another answer to a request sent before the decrease: the same congestion.
        core.answered(t0 + ms(11), t0, 429, None, None);
        assert_eq!(core.allowed(), 16);
        // A request sent after it: congestion again.
        core.answered(t0 + ms(30), t0 + ms(20), 429, None, None);
        assert_eq!(core.allowed(), 8);
        for i in 0..5 {
            core.answered(t0 + ms(40 + i), t0 + ms(40 + i), 429, None, None);
        }
        assert_eq!(core.allowed(), 1, "never below one");
        // Additive increase: about one more per window of successes.
        let mut answers = 0;
        while core.allowed() < 4 {
            core.answered(t0 + ms(100), t0 + ms(100), 200, None, None);
            answers += 1;
        }
        // One answer to reach 2, two more for 3, three more for 4 (the last may fall short by a rounding).
        assert!((6..=7).contains(&answers), "{answers}");
        for _ in 0..2_000 {
            core.answered(t0 + ms(100), t0 + ms(100), 200, None, None);
        }
        assert_eq!(core.allowed(), 32, "never above the client's maximum");
    }

    #[test]
    fn the_window_admits_as_many_as_allowed() {
        let mut core = Core::new(Pacing::default(), 4);
        let t0 = Instant::now();
        core.answered(t0, t0, 429, None, None);
        assert!(core.try_enter() && core.try_enter());
        assert!(!core.try_enter(), "two after halving four");
    }

    #[tokio::test(start_paused = true)]
    async fn an_admission_with_nothing_to_wait_for_never_waits_on_the_timer() {
        // The timer rounds a deadline up to its next millisecond tick, and wakes later still on a
        // busy runtime: a request given a slot that is already due must not sleep until it. With
        // time paused, any sleep moves the clock; none may happen here.
        let governor = Governor::new(Pacing::default(), 4);
        let paused_at = tokio::time::Instant::now();
        for _ in 0..100 {
            let a = governor.admit().await;
            a.answered(200, None, None);
        }
        assert_eq!(tokio::time::Instant::now(), paused_at, "an unpaced admission slept");
    }

    #[tokio::test]
    async fn admissions_wait_for_a_place() {
        let governor = std::sync::Arc::new(Governor::new(Pacing::default(), 1));
        let first = governor.admit().await;
        let g = governor.clone();
        let second = tokio::spawn(async move {
            let a = g.admit().await;
            a.answered(200, None, None);
        });
        tokio::task::yield_now().await;
        assert!(!second.is_finished(), "one in flight at most");
        drop(first);
        second.await.unwrap();
        assert!(governor.core().try_enter(), "the second left the window too");
    }
}
