//! The request budget a gateway announces in its answers' headers, read the way Kong's
//! rate-limiting plugin (which fronts Konnect's API) writes it: `X-RateLimit-Limit-<Window>` and
//! `X-RateLimit-Remaining-<Window>` for each window it limits (second to year), and `RateLimit-Limit`,
//! `RateLimit-Remaining`, `RateLimit-Reset` for the most restrictive one
//! (kong/plugins/rate-limiting/handler.lua:23-45 and 147-195, 3.5.0). The IETF draft's
//! `RateLimit-Policy: 100;w=60` (or the window inside `RateLimit-Limit`) is read too, for other
//! gateways. Pure: a function of the headers, tested without a network.

use std::time::Duration;

/// The windows Kong's plugin limits, with their length in seconds
/// (kong/plugins/rate-limiting/expiration.lua, 3.5.0).
const WINDOWS: [(&str, u64); 6] =
    [("second", 1), ("minute", 60), ("hour", 3600), ("day", 86400), ("month", 2_592_000), ("year", 31_536_000)];

/// A `RateLimit-Limit` without a window is taken as per minute: Konnect's budgets are per minute,
/// and the draft's examples are too. Taking a longer window would only pace more slowly.
const DEFAULT_WINDOW_S: u64 = 60;

/// What one answer says about the budget.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Announced {
    /// Requests per second the budget sustains: the smallest limit / window over every window
    /// announced.
    pub(crate) rate: f64,
    /// Requests left in the current window after this one, and how long until that window resets,
    /// when the answer says both.
    pub(crate) remaining: Option<(u64, Duration)>,
}

fn number(value: &str) -> Option<u64> {
    // `RateLimit-Limit: 100, 100;w=60` (draft 03) holds the limit first.
    let first = value.split([',', ';']).next()?.trim();
    first.parse().ok()
}

/// The window of a draft-style policy `100;w=60`, in seconds.
fn policy_window(value: &str) -> Option<u64> {
    value.split([',', ';']).find_map(|part| part.trim().strip_prefix("w=")?.trim().parse().ok())
}

/// Reads the budget from an answer's headers (`header` looks one up by name, in any case); `None`
/// when the answer announces none.
pub(crate) fn announced<'a>(header: impl Fn(&str) -> Option<&'a str>) -> Option<Announced> {
    // limit / window of every window announced, the smallest kept.
    let rates = WINDOWS.iter().filter_map(|(name, seconds)| {
        let limit = header(&format!("x-ratelimit-limit-{name}")).and_then(number)?;
        Some(limit as f64 / *seconds as f64)
    });
    let mut rate = rates.reduce(f64::min);
    if rate.is_none() {
        let limit = header("ratelimit-limit");
        if let Some(n) = limit.and_then(number) {
            let window = limit
                .and_then(policy_window)
                .or_else(|| header("ratelimit-policy").and_then(policy_window))
                .unwrap_or(DEFAULT_WINDOW_S);
            rate = Some(n as f64 / window.max(1) as f64);
        }
    }
    let remaining = header("ratelimit-remaining").and_then(number);
    let reset = header("ratelimit-reset").and_then(number).map(Duration::from_secs);
    Some(Announced { rate: rate?, remaining: remaining.zip(reset) })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn read(headers: &[(&str, &str)]) -> Option<Announced> {
        announced(|name| headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| *v))
    }

    // What Kong's plugin sends with `minute = 3000` (handler.lua:163-195, 3.5.0), as Konnect was seen
    // to answer: the minute's limit sustains 50 requests per second.
    #[test]
    fn kong_plugin_headers() {
        let a = read(&[
            ("X-RateLimit-Limit-Minute", "3000"),
            ("X-RateLimit-Remaining-Minute", "2990"),
            ("RateLimit-Limit", "3000"),
            ("RateLimit-Remaining", "2990"),
            ("RateLimit-Reset", "17"),
        ])
        .unwrap();
        assert_eq!(a, Announced { rate: 50.0, remaining: Some((2990, Duration::from_secs(17))) });
    }

    #[test]
    fn the_tightest_window_sets_the_rate() {
        let a = read(&[("X-RateLimit-Limit-Second", "20"), ("X-RateLimit-Limit-Minute", "600")]).unwrap();
        assert_eq!(a.rate, 10.0, "600 a minute is tighter than 20 a second");
        assert_eq!(a.remaining, None, "no RateLimit-Reset: how long the rest lasts is unknown");
    }

    #[test]
    fn draft_headers_with_and_without_a_window() {
        assert_eq!(read(&[("RateLimit-Limit", "100, 100;w=10")]).unwrap().rate, 10.0);
        assert_eq!(read(&[("RateLimit-Limit", "100"), ("RateLimit-Policy", "100;w=20")]).unwrap().rate, 5.0);
        assert_eq!(read(&[("RateLimit-Limit", "120")]).unwrap().rate, 2.0, "a minute when no window is said");
    }

    #[test]
    fn no_budget_announced() {
        assert_eq!(read(&[]), None);
        assert_eq!(read(&[("RateLimit-Remaining", "5"), ("RateLimit-Reset", "3")]), None, "no limit, no rate");
        assert_eq!(read(&[("RateLimit-Limit", "many")]), None);
    }
}
