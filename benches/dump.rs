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

use kongsync_gateway::DEFAULT_MAX_IN_FLIGHT;
use kongsync_model::Kind;
use kongsync_sim::SimConfig;
use kongsync_sim::{FaultRule, Faults};
use kongsync_state::dump::{to_document, to_yaml, DumpOptions};
use kongsync_state::live::Observed;
use kongsync_state::{Scope, State};
use load::Simulated;
use std::time::Instant;

const LATENCY_MS: u64 = 10;
const PAGE: usize = 1000;

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    let (desired, _, _) = generate::read_generated(10_000, 35_000);
    let gateway = runtime.block_on(Simulated::start(SimConfig::default(), DEFAULT_MAX_IN_FLIGHT, None));
    // Only the time is kept: the plan of 100,000 creates would weigh on the peak memory measured.
    let empty = Observed::read_only(Scope::default(), State::default());
    let load_s = runtime.block_on(gateway.apply(&desired, &empty, 32)).execute_seconds;
    println!("{} entities loaded into the simulator in {load_s:.1} s", desired.len());

    // The longest chain: the largest collection's pages, read one after the other.
    let longest = Kind::ALL.iter().map(|k| desired.of_kind(*k).count().div_ceil(PAGE)).max().unwrap_or(1);
    let bound = longest as f64 * LATENCY_MS as f64 / 1000.0;
    let t = Instant::now();
    let plain = runtime.block_on(gateway.read());
    println!("read without latency: {} entities in {:.2} s", plain.len(), t.elapsed().as_secs_f64());
    drop(plain);
    let get_latency =
        FaultRule { method: Some("GET".into()), latency_ms: Some((LATENCY_MS, LATENCY_MS)), ..FaultRule::default() };
    gateway.sim.set_faults(Faults { rules: vec![get_latency], ..Faults::default() });
    gateway.sim.clear_requests();
    let sent = gateway.client.requests_sent();
    let t = Instant::now();
    let state = runtime.block_on(gateway.read());
    let read_s = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let text = to_yaml(&to_document(&state, &DumpOptions::default()).document).unwrap();
    let write_s = t.elapsed().as_secs_f64();
    println!(
        "dump: {} entities read in {read_s:.2} s with {} requests ({LATENCY_MS} ms each); bound {bound:.2} s ({longest} sequential pages), ratio {:.2}",
        state.len(),
        gateway.client.requests_sent() - sent,
        read_s / bound
    );
    println!(
        "written as {:.1} MiB of YAML in {write_s:.2} s; total {:.2} s; peak memory {:.0} MiB (simulator included)",
        text.len() as f64 / 1048576.0,
        read_s + write_s,
        generate::peak_rss_mib()
    );
}
