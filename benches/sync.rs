//! Benchmark: 10,000 creates, then 10,000 updates, executed against the simulator with 10 ms of
//! latency per request, at parallelism 10 and 32. Prints wall time, requests, and the lower bound
//! max(ceil(steps / parallelism), longest dependency chain) × latency. Then the same creates with the
//! simulator limiting the request rate as Konnect does, with the client's own rate limit set just
//! under it, printing the share of requests answered 429. Run with `cargo bench --bench sync`.

#![allow(clippy::unwrap_used)]

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[path = "common/generate.rs"]
mod generate;
#[path = "common/load.rs"]
mod load;

use kongsync_diff::Plan;
use kongsync_sim::{FaultRule, Faults, SimConfig};
use kongsync_state::State;
use load::Simulated;

const LATENCY_MS: u64 = 10;

fn longest_chain(plan: &Plan) -> usize {
    let mut depth = vec![1usize; plan.steps.len()];
    for (i, s) in plan.steps.iter().enumerate() {
        for &d in &s.depends_on {
            depth[i] = depth[i].max(depth[d] + 1);
        }
    }
    depth.into_iter().max().unwrap_or(0)
}

struct Run {
    wall: f64,
    requests: u64,
    bound: f64,
    /// The bound with the latency the simulator actually took per request (its timer rounds up).
    observed_bound: f64,
}

async fn run(desired: &State, parallelism: usize, faults: Faults, client_rate: Option<f64>) -> (Run, Run, Vec<u16>) {
    let gateway = Simulated::start(SimConfig { faults, ..SimConfig::default() }, parallelism, client_rate).await;
    let mut results = Vec::new();
    let mut statuses: Vec<u16> = Vec::new();
    let mut desired = desired.clone();
    for round in 0..2 {
        if round == 1 {
            // Every entity changes: a tag added everywhere.
            for e in desired.entities.values_mut().filter(|e| e.kind().has_tags()) {
                e.fields.insert("tags".into(), serde_json::json!(["bench", "v2"]));
            }
        }
        let observed = gateway.observe(&desired).await;
        gateway.sim.clear_requests();
        let applied = gateway.apply(&desired, &observed, parallelism).await;
        let steps = applied.plan.requests().count();
        let rounds = (steps.div_ceil(parallelism)).max(longest_chain(&applied.plan)) as f64;
        let log = gateway.sim.requests();
        statuses.extend(log.iter().map(|r| r.status));
        let writes: Vec<f64> = log.iter().filter(|r| r.method != "GET").map(|r| r.ended_ms - r.started_ms).collect();
        let mean_ms = writes.iter().sum::<f64>() / writes.len().max(1) as f64;
        results.push(Run {
            wall: applied.execute_seconds,
            requests: applied.requests,
            bound: rounds * LATENCY_MS as f64 / 1000.0,
            observed_bound: rounds * mean_ms / 1000.0,
        });
    }
    gateway.sim.shutdown().await.unwrap();
    let second = results.pop().unwrap();
    let first = results.pop().unwrap();
    (first, second, statuses)
}

fn latency() -> FaultRule {
    FaultRule { latency_ms: Some((LATENCY_MS, LATENCY_MS)), ..FaultRule::default() }
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    let (desired, _, _) = generate::read_generated(3_334, 0);
    println!("{} entities (services, routes, route plugins); {LATENCY_MS} ms latency per request", desired.len());
    for parallelism in [10, 32] {
        let faults = Faults { rules: vec![latency()], ..Faults::default() };
        let (create, update, _) = runtime.block_on(run(&desired, parallelism, faults, None));
        for (what, r) in [("create", create), ("update", update)] {
            println!(
                "parallelism {parallelism:>2}: {what}: {:.2} s, {} requests, bound {:.2} s (ratio {:.2}); with the latency the simulator took, bound {:.2} s (ratio {:.2})",
                r.wall,
                r.requests,
                r.bound,
                r.wall / r.bound,
                r.observed_bound,
                r.wall / r.observed_bound
            );
        }
    }
    let limit = 500.0;
    let faults = Faults { rules: vec![latency()], rate_limit: Some(limit), ..Faults::default() };
    let (create, update, statuses) = runtime.block_on(run(&desired, 32, faults, Some(limit * 0.95)));
    let throttled = statuses.iter().filter(|s| **s == 429).count();
    println!(
        "rate-limited simulator ({limit} req/s, client limit {:.0} req/s): create {:.2} s, update {:.2} s ({} requests); 429s: {throttled} of {} ({:.2}%)",
        limit * 0.95,
        create.wall,
        update.wall,
        update.requests,
        statuses.len(),
        100.0 * throttled as f64 / statuses.len().max(1) as f64
    );
}
