//! Injected latency, in a test binary of its own. Only its floor is asserted: how close to the deadline
//! a loaded machine answers is measured by the benchmarks (`sim_throughput`), never by a test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
use common::sim_with;
use kongsync_sim::{FaultRule, Faults, SimConfig};

// Issue 13: the injected latency is a deadline from the request's arrival (server.rs), so a 10 ms
// rule never answers sooner than 10 ms after the request arrived.
#[tokio::test]
async fn injected_latency_is_a_deadline() {
    let rule = FaultRule { method: Some("GET".into()), latency_ms: Some((10, 10)), ..Default::default() };
    let s =
        sim_with(SimConfig { faults: Faults { rules: vec![rule], ..Default::default() }, ..Default::default() }).await;
    for _ in 0..40 {
        assert_eq!(s.get("/services").await.0, 200);
    }
    let spans: Vec<f64> = s.handle.requests().iter().map(|r| r.ended_ms - r.started_ms).collect();
    assert!(spans.iter().all(|d| *d >= 10.0), "{spans:?}");
    s.stop().await;
}
