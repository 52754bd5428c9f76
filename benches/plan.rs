//! Benchmark: reading and validating a generated state of 100,000 entities, then planning it against
//! a live state of the same size with 1% changed, and against an empty gateway. Prints wall times
//! and peak memory. Run with `cargo bench --bench plan`.

#![allow(clippy::unwrap_used)]

#[path = "common/generate.rs"]
mod generate;

use kongsync_diff::{plan, PlanOptions, PlanScope};
use kongsync_model::{Kind, SchemaSet};
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

    // The live side: what a converged gateway returns, with 1% of the services changed since.
    let mut live = State::default();
    let mut changed = 0;
    for e in desired.entities.values() {
        let mut l = e.clone();
        l.id = Some(e.effective_id());
        if e.kind() == Kind::Service && changed < desired.len() / 100 {
            l.fields.insert("retries".into(), json!(1));
            changed += 1;
        }
        live.insert(l);
    }
    let schemas = SchemaSet::builtin();
    let options = PlanOptions { target: "bench".into(), ..PlanOptions::default() };
    let t = Instant::now();
    let p = plan(&desired, &live, &PlanScope::default(), &schemas, &options).unwrap();
    let plan_s = t.elapsed().as_secs_f64();
    println!(
        "plan against {} live entities with {changed} changed: {} steps in {plan_s:.2} s ({:.0}% of read+plan); peak memory {:.0} MiB",
        live.len(),
        p.steps.len(),
        100.0 * plan_s / (plan_s + read_s),
        generate::peak_rss_mib()
    );

    let t = Instant::now();
    let p = plan(&desired, &State::default(), &PlanScope::default(), &schemas, &options).unwrap();
    println!(
        "plan against an empty gateway: {} creates in {:.2} s; peak memory {:.0} MiB",
        p.summary.create,
        t.elapsed().as_secs_f64(),
        generate::peak_rss_mib()
    );
}
