//! Fault injection: per method and path pattern, fixed or random latency, a share of 5xx answers, 429
//! with `Retry-After`, dropped connections and "fail the Nth matching request", plus two global
//! limits: a requests-per-second bucket, and per-second and per-minute budgets that announce
//! themselves the way Kong's rate-limiting plugin (which fronts Konnect's API) does, in `RateLimit-*`
//! and `X-RateLimit-*-Second` / `-Minute` headers with `Retry-After` on 429. Every random draw comes from one generator seeded by
//! `SimConfig::seed`, so a sequential run is reproducible.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};
use std::time::{Duration, Instant};

/// The faults in force. `Default` is none.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Faults {
    /// Checked in order; the first rule whose method and path match applies.
    pub rules: Vec<FaultRule>,
    /// Requests per second; requests beyond it get 429 with `Retry-After`.
    pub rate_limit: Option<f64>,
    /// Requests per wall-clock minute, announced on every answer; requests beyond it get 429.
    pub rate_limit_per_minute: Option<u64>,
    /// Requests per wall-clock second, the same way (the plugin's `second` limit).
    pub rate_limit_per_second: Option<u64>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct FaultRule {
    /// HTTP method (any case); `None` matches every method.
    pub method: Option<String>,
    /// A substring of the path, or a glob where `*` matches any run of characters (anchored at both
    /// ends when it contains `*`); `None` matches every path.
    pub path: Option<String>,
    /// Added latency in milliseconds, uniformly drawn from the inclusive range (`(n, n)` is fixed).
    pub latency_ms: Option<(u64, u64)>,
    /// Share (0..1) of matching requests answered with `status` (default 503) without being handled.
    pub error_rate: f64,
    /// 500, 502 or 503 (default 503) for `error_rate` and `fail_nth`.
    pub status: Option<u16>,
    /// Share (0..1) answered 429 with `Retry-After: retry_after_s` (default 1).
    pub rate_429: f64,
    pub retry_after_s: Option<u64>,
    /// Share (0..1) of connections closed without an answer.
    pub drop_rate: f64,
    /// The Nth matching request (1-based, counted from when the faults were set) fails with `status`.
    pub fail_nth: Option<u64>,
}

/// What to do with one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    Pass,
    Status { status: u16, retry_after: Option<u64> },
    Drop,
}

impl FaultRule {
    pub fn matches(&self, method: &str, path: &str) -> bool {
        self.method.as_deref().is_none_or(|m| m.eq_ignore_ascii_case(method))
            && self.path.as_deref().is_none_or(|p| path_matches(p, path))
    }
}

pub fn path_matches(pattern: &str, path: &str) -> bool {
    if !pattern.contains('*') {
        return path.contains(pattern);
    }
    glob(pattern.as_bytes(), path.as_bytes())
}

fn glob(p: &[u8], s: &[u8]) -> bool {
    // Iterative wildcard match with backtracking to the last `*`.
    let (mut pi, mut si, mut star, mut mark) = (0, 0, None, 0);
    while si < s.len() {
        if pi < p.len() && p[pi] != b'*' && p[pi] == s[si] {
            pi += 1;
            si += 1;
        } else if pi < p.len() && p[pi] == b'*' {
            star = Some(pi);
            mark = si;
            pi += 1;
        } else if let Some(st) = star {
            pi = st + 1;
            mark += 1;
            si = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == b'*')
}

/// One window of a budget as announced: its header suffix, limit and what is left.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WindowUsage {
    /// `Second` or `Minute`, as in `X-RateLimit-Limit-Minute`.
    pub name: &'static str,
    pub limit: u64,
    pub remaining: u64,
}

/// What the budgets say about one request: the values of Kong's rate-limiting headers
/// (kong/plugins/rate-limiting/handler.lua:147-195, 3.5.0). `limit`, `remaining` and `reset` are
/// those of the most restrictive window, the one with the least left (the longer on a tie).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Budget {
    pub limit: u64,
    /// What is left after this request (0 when it is refused).
    pub remaining: u64,
    /// Seconds until the window ends, at least 1 (handler.lua:178).
    pub reset: u64,
    pub exceeded: bool,
    /// Every window, shortest first.
    pub windows: Vec<WindowUsage>,
}

impl Budget {
    /// The headers every answer carries, plus `Retry-After` when the request is refused.
    pub fn headers(&self) -> Vec<(&'static str, String)> {
        let mut h = vec![
            ("RateLimit-Limit", self.limit.to_string()),
            ("RateLimit-Remaining", self.remaining.to_string()),
            ("RateLimit-Reset", self.reset.to_string()),
        ];
        for w in &self.windows {
            let (limit, remaining) = match w.name {
                "Second" => ("X-RateLimit-Limit-Second", "X-RateLimit-Remaining-Second"),
                _ => ("X-RateLimit-Limit-Minute", "X-RateLimit-Remaining-Minute"),
            };
            h.push((limit, w.limit.to_string()));
            h.push((remaining, w.remaining.to_string()));
        }
        if self.exceeded {
            h.push(("Retry-After", self.reset.to_string()));
        }
        h
    }
}

/// The live fault state: the rules, per-rule counters, the seeded generator, the rate bucket and the
/// per-minute window.
pub struct FaultEngine {
    faults: Faults,
    counters: Vec<u64>,
    rng: StdRng,
    bucket: f64,
    last_refill: Instant,
    /// The current second and minute (seconds since the epoch at their start), and the requests
    /// counted in each.
    windows: [(u64, u64); 2],
}

impl FaultEngine {
    pub fn new(faults: Faults, seed: u64) -> FaultEngine {
        let counters = vec![0; faults.rules.len()];
        let bucket = faults.rate_limit.unwrap_or(0.0).max(1.0);
        // The fault generator is derived from the seed but separate from the store's, so enabling
        // faults does not change generated ids.
        FaultEngine {
            faults,
            counters,
            rng: StdRng::seed_from_u64(seed ^ 0x5eed_fa17),
            bucket,
            last_refill: Instant::now(),
            windows: [(0, 0); 2],
        }
    }

    pub fn set(&mut self, faults: Faults) {
        self.counters = vec![0; faults.rules.len()];
        self.bucket = faults.rate_limit.unwrap_or(0.0).max(1.0);
        self.last_refill = Instant::now();
        self.windows = [(0, 0); 2];
        self.faults = faults;
    }

    /// Counts a request against the budgets at wall-clock time `now` (seconds since the epoch).
    /// Windows are whole UTC seconds and minutes, as the plugin's timestamps are; a request is refused
    /// when any window is used up, and a refused request is counted in none (the plugin stops before
    /// incrementing, handler.lua:60-85 and 191-206).
    pub fn budget(&mut self, now: f64) -> Option<Budget> {
        let limits =
            [("Second", 1u64, self.faults.rate_limit_per_second), ("Minute", 60, self.faults.rate_limit_per_minute)];
        if limits.iter().all(|(_, _, l)| l.is_none()) {
            return None;
        }
        let now = now.max(0.0);
        let mut usage = Vec::new();
        for (i, (name, length, limit)) in limits.into_iter().enumerate() {
            let Some(limit) = limit else { continue };
            let start = (now as u64) / length * length;
            if self.windows[i].0 != start {
                self.windows[i] = (start, 0);
            }
            let reset = (length - (now - start as f64).floor() as u64).max(1);
            usage.push((i, name, length, limit, self.windows[i].1, reset));
        }
        let exceeded = usage.iter().any(|(_, _, _, limit, used, _)| used >= limit);
        let mut windows = Vec::new();
        let mut tightest: Option<(u64, u64, u64, u64)> = None; // remaining, length, limit, reset
        for (i, name, length, limit, used, reset) in usage {
            let remaining = if exceeded { limit.saturating_sub(used) } else { limit - used - 1 };
            if !exceeded {
                self.windows[i].1 += 1;
            }
            windows.push(WindowUsage { name, limit, remaining });
            if tightest.is_none_or(|(r, l, _, _)| remaining < r || (remaining == r && length > l)) {
                tightest = Some((remaining, length, limit, reset));
            }
        }
        let (remaining, _, limit, reset) = tightest?;
        Some(Budget { limit, remaining: if exceeded { 0 } else { remaining }, reset, exceeded, windows })
    }

    pub fn faults(&self) -> &Faults {
        &self.faults
    }

    /// Decides the fate of one request and the latency to add before answering.
    pub fn decide(&mut self, method: &str, path: &str) -> (Decision, Duration) {
        if let Some(rate) = self.faults.rate_limit.filter(|r| *r > 0.0) {
            let now = Instant::now();
            let elapsed = now.duration_since(self.last_refill).as_secs_f64();
            self.last_refill = now;
            self.bucket = (self.bucket + elapsed * rate).min(rate.max(1.0));
            if self.bucket < 1.0 {
                let wait = ((1.0 - self.bucket) / rate).ceil().max(1.0) as u64;
                return (Decision::Status { status: 429, retry_after: Some(wait) }, Duration::ZERO);
            }
            self.bucket -= 1.0;
        }
        let Some(i) = self.faults.rules.iter().position(|r| r.matches(method, path)) else {
            return (Decision::Pass, Duration::ZERO);
        };
        self.counters[i] += 1;
        let n = self.counters[i];
        let rule = &self.faults.rules[i];
        let latency = match rule.latency_ms {
            Some((lo, hi)) if hi > lo => Duration::from_millis(self.rng.gen_range(lo..=hi)),
            Some((lo, _)) => Duration::from_millis(lo),
            None => Duration::ZERO,
        };
        let status = rule.status.unwrap_or(503);
        // One draw per kind of fault, always made, so each request consumes the same randomness.
        let (d_drop, d_err, d_429): (f64, f64, f64) = (self.rng.gen(), self.rng.gen(), self.rng.gen());
        let decision = if rule.fail_nth == Some(n) {
            Decision::Status { status, retry_after: None }
        } else if d_drop < rule.drop_rate {
            Decision::Drop
        } else if d_err < rule.error_rate {
            Decision::Status { status, retry_after: None }
        } else if d_429 < rule.rate_429 {
            Decision::Status { status: 429, retry_after: Some(rule.retry_after_s.unwrap_or(1)) }
        } else {
            Decision::Pass
        };
        (decision, latency)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn globs_and_substrings() {
        assert!(path_matches("/services", "/services/abc"));
        assert!(path_matches("/services/*", "/services/abc"));
        assert!(!path_matches("/services/*", "/routes/abc"));
        assert!(path_matches("*/routes*", "/services/x/routes"));
    }

    #[test]
    fn deterministic_with_seed() {
        let faults = Faults {
            rules: vec![FaultRule { error_rate: 0.5, fail_nth: Some(3), ..Default::default() }],
            ..Default::default()
        };
        let run = |seed| {
            let mut e = FaultEngine::new(faults.clone(), seed);
            (0..50).map(|_| e.decide("GET", "/x").0).collect::<Vec<_>>()
        };
        assert_eq!(run(7), run(7));
        assert_eq!(run(7)[2], Decision::Status { status: 503, retry_after: None });
        assert!(run(7).contains(&Decision::Pass));
    }

    // kong/plugins/rate-limiting/handler.lua:157-195 (3.5.0): remaining counts this request, reset is
    // the rest of the minute (at least 1), a refused request carries Retry-After and is not counted.
    #[test]
    fn per_minute_budget_announces_itself() {
        let mut e = FaultEngine::new(Faults { rate_limit_per_minute: Some(2), ..Default::default() }, 0);
        let t = 1_700_000_020.5; // 40.5 s into the minute that starts at 1_699_999_980
        let minute = |remaining| vec![WindowUsage { name: "Minute", limit: 2, remaining }];
        assert_eq!(
            e.budget(t),
            Some(Budget { limit: 2, remaining: 1, reset: 20, exceeded: false, windows: minute(1) })
        );
        assert_eq!(
            e.budget(t + 1.0),
            Some(Budget { limit: 2, remaining: 0, reset: 19, exceeded: false, windows: minute(0) })
        );
        let refused = e.budget(t + 19.2).unwrap();
        assert_eq!(refused, Budget { limit: 2, remaining: 0, reset: 1, exceeded: true, windows: minute(0) });
        assert!(refused.headers().contains(&("Retry-After", "1".to_string())));
        assert_eq!(e.budget(t + 19.6).map(|b| b.exceeded), Some(false), "a new minute, a new budget");
        assert_eq!(FaultEngine::new(Faults::default(), 0).budget(t), None);
    }

    // kong/plugins/rate-limiting/handler.lua:60-85 and 147-195 (3.5.0): each window is announced in
    // its own X-RateLimit headers; RateLimit-* are the window with the least left; a request refused
    // by one window is counted in no window.
    #[test]
    fn per_second_and_per_minute_budgets() {
        let faults = Faults { rate_limit_per_second: Some(2), rate_limit_per_minute: Some(3), ..Default::default() };
        let mut e = FaultEngine::new(faults, 0);
        let t = 1_700_000_020.25;
        let first = e.budget(t).unwrap();
        assert_eq!(
            (first.limit, first.remaining, first.reset, first.exceeded),
            (2, 1, 1, false),
            "the second is tighter"
        );
        let h = first.headers();
        for (name, value) in [
            ("X-RateLimit-Limit-Second", "2"),
            ("X-RateLimit-Remaining-Second", "1"),
            ("X-RateLimit-Limit-Minute", "3"),
            ("X-RateLimit-Remaining-Minute", "2"),
        ] {
            assert!(h.contains(&(name, value.to_string())), "{name}: {h:?}");
        }
        let second = e.budget(t + 0.1).unwrap();
        assert_eq!((second.limit, second.remaining), (2, 0), "the second has none left, the minute one");
        let refused = e.budget(t + 0.2).unwrap();
        assert!(refused.exceeded && refused.reset == 1 && refused.remaining == 0, "{refused:?}");
        // The next second: the minute has one left, which the refused request did not take.
        let next = e.budget(t + 1.0).unwrap();
        assert_eq!((next.limit, next.remaining, next.reset, next.exceeded), (3, 0, 19, false), "{next:?}");
        assert!(e.budget(t + 1.1).unwrap().exceeded, "the minute is used up");
    }
}
