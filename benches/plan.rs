//! Benchmark: reading and validating a generated state of 100,000 entities (10k services with a
//! route and a plugin each, 35k consumers with a key-auth credential), loading it into the
//! simulator, then reading the gateway back and planning with 1% of the entities changed. Prints
//! wall times, the share of each phase, and peak memory. Run with `cargo bench --bench plan`.

#![allow(clippy::unwrap_used)]

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[path = "common/generate.rs"]
mod generate;

use kongsync_apply::{execute, ExecuteOptions, Quiet};
use kongsync_diff::{plan, PlanOptions, PlanScope};
use kongsync_model::{Kind, SchemaSet};
use kongsync_sim::SimConfig;
use kongsync_state::api::{read_state, Client, ClientOptions, Scope, Silent, Target};
use kongsync_state::State;
use serde_json::json;
use std::time::Instant;

fn main() {
    let services = 10_000;
    let consumers = 35_000;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("kong.yaml");
    std::fs::write(&path, generate::state_file(services, consumers)).unwrap();
    let size_mib = std::fs::metadata(&path).unwrap().len() as f64 / 1048576.0;

    let t = Instant::now();
    let desired = kongsync_state::file::read(std::slice::from_ref(&path), &|_| None).unwrap();
    let read_s = t.elapsed().as_secs_f64();
    println!(
        "read+validate: {} entities ({size_mib:.1} MiB of YAML) in {read_s:.2} s; peak memory {:.0} MiB",
        desired.len(),
        generate::peak_rss_mib()
    );

    // The gateway: the simulator in-process, loaded with the desired state by a sync.
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    let sim = runtime.block_on(kongsync_sim::start(SimConfig::default())).unwrap();
    let base = reqwest::Url::parse(&sim.base_url()).unwrap();
    let client = Client::new(ClientOptions::new(base.clone())).unwrap();
    let target = Target::Kong { base, workspace: None };
    let schemas = SchemaSet::builtin();
    let options = PlanOptions { target: "bench".into(), ..PlanOptions::default() };
    let t = Instant::now();
    let load = plan(&desired, &State::default(), &PlanScope::default(), &schemas, &options).unwrap();
    let plan_empty_s = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let (_tx, rx) = tokio::sync::watch::channel(false);
    let report = runtime.block_on(execute(
        &load,
        &client,
        &target,
        ExecuteOptions { parallelism: 32, fail_fast: false },
        rx,
        &Quiet,
    ));
    assert!(report.succeeded());
    println!(
        "plan against an empty gateway: {} creates in {plan_empty_s:.2} s; executed against the simulator in {:.1} s",
        load.summary.create,
        t.elapsed().as_secs_f64()
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

    let t = Instant::now();
    let live = runtime.block_on(read_state(&client, &target, &Scope::default(), &Silent)).unwrap();
    let gateway_s = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let p = plan(&changed_desired, &live, &PlanScope::default(), &schemas, &options).unwrap();
    let plan_s = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let reset = plan(&State::default(), &live, &PlanScope::default(), &schemas, &options).unwrap();
    println!(
        "plan of a reset: {} deletes ({} sent, the rest done by Kong with their parents) in {:.2} s",
        reset.summary.delete,
        reset.requests().count(),
        t.elapsed().as_secs_f64()
    );
    let total = read_s + gateway_s + plan_s;
    println!(
        "read gateway: {} entities in {gateway_s:.2} s; plan with {changed} changed: {} steps in {plan_s:.2} s",
        live.len(),
        p.steps.len()
    );
    println!(
        "total {total:.2} s: files {:.0}%, gateway {:.0}%, plan {:.0}%; peak memory {:.0} MiB",
        100.0 * read_s / total,
        100.0 * gateway_s / total,
        100.0 * plan_s / total,
        generate::peak_rss_mib()
    );
}
