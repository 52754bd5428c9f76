//! Benchmark: dumping 100,000 entities from the simulator with 10 ms of latency on every read.
//! Prints wall time, requests made, and the lower bound: the longest chain of sequential page
//! requests (one collection's pages, each needing the previous page's offset) times the latency.
//! Run with `cargo bench --bench dump`.

#![allow(clippy::unwrap_used)]

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[path = "common/generate.rs"]
mod generate;
#[path = "common/load.rs"]
mod load;

use kongsync_model::Kind;
use kongsync_sim::{FaultRule, Faults};
use kongsync_state::api::{read_state, Scope, Silent};
use kongsync_state::dump::{to_document, to_yaml, DumpOptions};
use std::time::Instant;

const LATENCY_MS: u64 = 10;
const PAGE: usize = 1000;

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("kong.yaml");
    std::fs::write(&path, generate::state_file(10_000, 35_000)).unwrap();
    let desired = kongsync_state::file::read(std::slice::from_ref(&path), &|_| None).unwrap();
    let loaded = runtime.block_on(load::load(&desired));
    println!("{} entities loaded into the simulator in {:.1} s", desired.len(), loaded.seconds);

    // The longest chain: the largest collection's pages, read one after the other.
    let longest = Kind::ALL.iter().map(|k| desired.of_kind(*k).count().div_ceil(PAGE)).max().unwrap_or(1);
    let bound = longest as f64 * LATENCY_MS as f64 / 1000.0;
    let t = Instant::now();
    let plain = runtime.block_on(read_state(&loaded.client, &loaded.target, &Scope::default(), &Silent)).unwrap();
    println!("read without latency: {} entities in {:.2} s", plain.len(), t.elapsed().as_secs_f64());
    drop(plain);
    let get_latency =
        FaultRule { method: Some("GET".into()), latency_ms: Some((LATENCY_MS, LATENCY_MS)), ..FaultRule::default() };
    loaded.sim.set_faults(Faults { rules: vec![get_latency], ..Faults::default() });
    loaded.sim.clear_requests();
    let sent = loaded.client.requests_sent();
    let t = Instant::now();
    let state = runtime.block_on(read_state(&loaded.client, &loaded.target, &Scope::default(), &Silent)).unwrap();
    let read_s = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let text = to_yaml(&to_document(&state, &DumpOptions::default()).document).unwrap();
    let write_s = t.elapsed().as_secs_f64();
    let log = loaded.sim.requests();
    let mut by_path: std::collections::BTreeMap<String, (usize, f64, f64, f64)> = Default::default();
    for r in &log {
        let e = by_path.entry(r.path.clone()).or_insert((0, f64::MAX, 0.0, 0.0));
        e.0 += 1;
        e.1 = e.1.min(r.started_ms);
        e.2 = e.2.max(r.ended_ms);
        e.3 += r.ended_ms - r.started_ms;
    }
    for (path, (n, first, last, busy)) in &by_path {
        println!("  {path}: {n} requests from {first:.0} to {last:.0} ms, {busy:.0} ms in the simulator");
    }
    println!(
        "dump: {} entities read in {read_s:.2} s with {} requests ({LATENCY_MS} ms each); bound {bound:.2} s ({longest} sequential pages), ratio {:.2}",
        state.len(),
        loaded.client.requests_sent() - sent,
        read_s / bound
    );
    println!(
        "written as {:.1} MiB of YAML in {write_s:.2} s; total {:.2} s; peak memory {:.0} MiB (simulator included)",
        text.len() as f64 / 1048576.0,
        read_s + write_s,
        generate::peak_rss_mib()
    );
}
