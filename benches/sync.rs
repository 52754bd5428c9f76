//! Benchmark: 10,000 creates, then 10,000 updates, executed against the simulator (its own process)
//! with 10 ms of latency per request, at parallelism 10 and 32. Prints the client's wall time, CPU
//! time and peak memory for each, the requests sent, and the lower bound
//! max(ceil(steps / parallelism), longest dependency chain) × latency, also computed with the
//! latency the simulator actually took. Then `kongsync sync` (the binary) of about 2,000 creates
//! through the Konnect API of a simulator announcing a budget of 6,000 requests a minute, given no
//! `--rate-limit`: its wall time against requests / budget and against the plan's steps alone /
//! budget (the preflight validates every write online first, spending the same budget), and the
//! share answered 429. Each sync run also prints the simulator's own CPU time and the spread of
//! the time it took per write, and the time per round spent outside it (the client, the loopback,
//! the scheduler).
//! Run with `cargo bench --bench sync`.

#![allow(clippy::unwrap_used)]

#[global_allocator]
static ALLOCATOR: kongsync_alloc::Allocator = kongsync_alloc::Allocator;

#[path = "common/generate.rs"]
mod generate;
#[path = "common/load.rs"]
mod load;
#[path = "common/measure.rs"]
mod measure;
#[path = "common/sim.rs"]
mod sim;

use kongsync_diff::Plan;
use kongsync_sim::Faults;
use kongsync_state::State;
use load::Simulated;
use measure::{measure, Figures, Usage};
use tokio::runtime::Runtime;

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
    usage: Usage,
    requests: u64,
    bound: f64,
    rounds: usize,
    /// The bound with the latency the simulator actually took per write.
    observed_bound: f64,
    /// The simulator's CPU seconds during the run (its process, not the client's).
    sim_cpu_s: f64,
    /// The median and 99th percentile of the time the simulator took per write, in milliseconds.
    sim_p50_ms: f64,
    sim_p99_ms: f64,
}

/// A create run, then an update run of every entity, against one simulator process with `faults`.
/// Only the plan and its execution are measured (what `kongsync sync` does after reading).
fn run(rt: &Runtime, desired: &State, parallelism: usize, faults: Faults) -> [Run; 2] {
    let gateway = rt.block_on(Simulated::start(faults, parallelism));
    let mut desired = desired.clone();
    let mut runs = Vec::new();
    for round in 0..2 {
        if round == 1 {
            // Every entity changes: a tag added everywhere.
            for e in desired.entities.values_mut().filter(|e| e.kind().has_tags()) {
                e.fields.insert("tags".into(), serde_json::json!(["bench", "v2"]));
            }
        }
        let observed = rt.block_on(gateway.observe(&desired));
        rt.block_on(gateway.sim.clear_requests());
        let sim_pid = gateway.sim.pid().to_string();
        let sim_cpu = measure::cpu_seconds(&sim_pid);
        let (applied, usage) = measure(|| rt.block_on(gateway.apply(&desired, &observed, parallelism)));
        let sim_cpu_s = measure::cpu_seconds(&sim_pid) - sim_cpu;
        let steps = applied.plan.requests().count();
        let rounds = steps.div_ceil(parallelism).max(longest_chain(&applied.plan));
        let log = rt.block_on(gateway.sim.requests());
        let mean = sim::mean_ms(&log, |r| r.method != "GET");
        let mut took: Vec<f64> = log.iter().filter(|r| r.method != "GET").map(|r| r.ended_ms - r.started_ms).collect();
        took.sort_by(f64::total_cmp);
        let at = |q: f64| took.get(((took.len().max(1) - 1) as f64 * q) as usize).copied().unwrap_or(0.0);
        runs.push(Run {
            usage,
            requests: applied.requests,
            bound: rounds as f64 * LATENCY_MS as f64 / 1000.0,
            rounds,
            observed_bound: rounds as f64 * mean / 1000.0,
            sim_cpu_s,
            sim_p50_ms: at(0.5),
            sim_p99_ms: at(0.99),
        });
    }
    let update = runs.pop().unwrap();
    let create = runs.pop().unwrap();
    [create, update]
}

fn with_latency() -> Faults {
    Faults { rules: vec![sim::latency(LATENCY_MS, None)], ..Faults::default() }
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    let (desired, _, _) = generate::read_generated(3_334, 0);
    println!("{} entities (services, routes, route plugins); {LATENCY_MS} ms latency per request", desired.len());
    for parallelism in [10, 32] {
        let [create, update] = run(&rt, &desired, parallelism, with_latency());
        for (what, r) in [("create", create), ("update", update)] {
            let label = format!("parallelism {parallelism}: {what}");
            Figures::new(&label, r.usage)
                .wall_bound(r.bound, format!("{} rounds of {LATENCY_MS} ms", r.rounds), Some(1.10))
                .note(format!("{} requests", r.requests))
                .note(format!(
                    "with the latency the simulator took, bound {:.2} s, ratio {:.2}",
                    r.observed_bound,
                    r.usage.wall_s / r.observed_bound
                ))
                .note(format!(
                    "simulator: {:.2} ms per write at the median, {:.2} ms p99; its CPU {:.2} s",
                    r.sim_p50_ms, r.sim_p99_ms, r.sim_cpu_s
                ))
                .note(format!(
                    "outside the simulator: {:.2} ms per round (wall - bound with its latency, / rounds)",
                    (r.usage.wall_s - r.observed_bound) * 1000.0 / r.rounds as f64
                ))
                .print();
        }
    }
    rt.block_on(budgeted(&generate::state_file(667, 0)));
}

/// Konnect's per-minute budget in the benchmark: 100 requests a second sustained.
const BUDGET_PER_MINUTE: u64 = 6_000;

/// `kongsync sync` (the binary, given no `--rate-limit`) of about 2,000 creates through the Konnect
/// API of a simulator announcing a per-minute budget, with 10 ms of latency. Without the governor
/// kongsync would hold to its Konnect fallback of 10 requests a second; with it, it should take
/// about requests / budget and be refused almost never.
async fn budgeted(file: &str) {
    let gateway = sim::SimProcess::start(&[]);
    gateway.set_faults(&Faults { rate_limit_per_minute: Some(BUDGET_PER_MINUTE), ..with_latency() }).await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("kong.yaml");
    std::fs::write(&path, file).unwrap();
    let url = gateway.base_url();
    let mut command = std::process::Command::new(sim::KONGSYNC);
    command.arg("sync").arg(&path).args(["-q", "--parallelism", "32", "--konnect-addr", &url]);
    command.args(["--konnect-token", "kpat_sim", "--konnect-control-plane-name", "default"]);
    let (output, usage) = measure::measure_command(&mut command).unwrap();
    assert!(output.status.success(), "the sync failed: {}", String::from_utf8_lossy(&output.stderr));
    let log = gateway.requests().await;
    let writes = log.iter().filter(|r| r.method != "GET").count();
    // The preflight asks the target to validate every write before the first one; those POSTs
    // spend the same budget as the writes.
    let validations = log.iter().filter(|r| r.method == "POST" && r.path.ends_with("/validate")).count();
    let steps = writes - validations;
    let throttled = log.iter().filter(|r| r.status == 429).count();
    let per_minute = |n: usize| n as f64 * 60.0 / BUDGET_PER_MINUTE as f64;
    let bound = per_minute(writes);
    let wall = usage.wall_s;
    Figures::new("kongsync sync (the binary) under a Konnect budget, no --rate-limit", usage)
        .wall_bound(bound, format!("{writes} writes at {BUDGET_PER_MINUTE} a minute"), Some(1.15))
        .note(format!(
            "{} requests in all; 429s: {throttled} ({:.2}%, target < 1%)",
            log.len(),
            100.0 * throttled as f64 / log.len().max(1) as f64
        ))
        .note(format!(
            "against the plan's {steps} steps alone ({:.2} s): ratio {:.2}; {validations} of the writes are the \
             preflight's validations",
            per_minute(steps),
            wall / per_minute(steps).max(f64::MIN_POSITIVE)
        ))
        .print();
}
