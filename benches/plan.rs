//! Benchmark: reading and validating a generated state of 100,000 entities (10k services with a
//! route and a plugin each, 35k consumers with a key-auth credential), loading it into the
//! simulator, then reading the gateway back and planning with 1% of the entities changed. Prints
//! wall times, the share of each phase, and peak memory. Run with `cargo bench --bench plan`.

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

use kongsync_diff::{plan, PlanOptions};
use kongsync_model::Kind;
use kongsync_sim::Faults;
use kongsync_state::live::Observed;
use kongsync_state::{Scope, State};
use load::Simulated;
use serde_json::json;
use std::time::Instant;

fn main() {
    let (desired, read_s, size_mib) = generate::read_generated(10_000, 35_000);
    println!(
        "read+validate: {} entities ({size_mib:.1} MiB of YAML) in {read_s:.2} s; peak memory {:.0} MiB",
        desired.len(),
        measure::peak_rss_mib("self")
    );

    // The gateway: the simulator in-process, loaded with the desired state by a sync.
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    let gateway = runtime.block_on(Simulated::start(Faults::default(), 32));
    let empty = Observed::read_only(Scope::default(), State::default());
    let load = runtime.block_on(gateway.apply(&desired, &empty, 32));
    println!(
        "plan against an empty gateway: {} creates in {:.2} s; executed against the simulator in {:.1} s",
        load.plan.summary.create, load.plan_seconds, load.execute_seconds
    );

    // The files change: 1% of the entities (services) get another retry count.
    let mut changed_desired = desired.clone();
    let mut changed = 0;
    for e in changed_desired.entities.values_mut() {
        if e.kind() == Kind::Service && changed < desired.len() / 100 {
            e.fields.insert("retries".into(), json!(1));
            changed += 1;
        }
    }

    let options = PlanOptions { target: "bench".into(), ..PlanOptions::default() };
    let t = Instant::now();
    let observed = runtime.block_on(gateway.observe(&changed_desired));
    let gateway_s = t.elapsed().as_secs_f64();
    let live = &observed.live;
    let t = Instant::now();
    let p = plan(&changed_desired, &observed, &options).unwrap();
    let plan_s = t.elapsed().as_secs_f64();
    println!(
        "read gateway: {} entities in {gateway_s:.2} s; plan with {changed} changed: {} steps in {plan_s:.2} s",
        live.len(),
        p.steps.len()
    );
    let t = Instant::now();
    let reset = plan(&State::default(), &observed, &options).unwrap();
    println!(
        "plan of a reset: {} deletes ({} sent, the rest done by Kong with their parents) in {:.2} s",
        reset.summary.delete,
        reset.requests().count(),
        t.elapsed().as_secs_f64()
    );
    let total = read_s + gateway_s + plan_s;
    println!(
        "total {total:.2} s: files {:.0}%, gateway {:.0}%, plan {:.0}%; peak memory {:.0} MiB",
        100.0 * read_s / total,
        100.0 * gateway_s / total,
        100.0 * plan_s / total,
        measure::peak_rss_mib("self")
    );
}
