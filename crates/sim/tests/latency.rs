//! Timing of injected latency, in a test binary of its own so that no other test of this crate
//! competes for the CPU while it measures.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
use common::sim_with;
use kongsync_sim::{FaultRule, Faults, SimConfig};

// Issue 13: the injected latency is a deadline from the request's arrival (server.rs), so a 10 ms
// rule answers in 10 ms, not in 10 ms plus the timer's rounding and the handling time.
#[tokio::test]
async fn injected_latency_is_a_deadline() {
    let rule = FaultRule { method: Some("GET".into()), latency_ms: Some((10, 10)), ..Default::default() };
    let s =
        sim_with(SimConfig { faults: Faults { rules: vec![rule], ..Default::default() }, ..Default::default() }).await;
    for _ in 0..40 {
        assert_eq!(s.get("/services").await.0, 200);
    }
    let mut spans: Vec<f64> = s.handle.requests().iter().map(|r| r.ended_ms - r.started_ms).collect();
    assert!(spans.iter().all(|d| *d >= 10.0), "{spans:?}");
    // The median, so that a scheduling hiccup of a loaded machine does not decide the test.
    spans.sort_by(f64::total_cmp);
    let median = spans[spans.len() / 2];
    assert!(median < 10.5, "median {median:.3} ms over a 10 ms deadline: {spans:?}");
    s.stop().await;
}
