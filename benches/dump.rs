//! Benchmark: dumping 100,000 entities from the simulator (its own process) with 10 ms of latency on
//! every read. Prints, for the read and the YAML writing done in this process and then for the
//! built `kongsync dump` run as a child process, the client's wall time, CPU time and peak memory,
//! the requests made, and the lower bound: the longest chain of sequential page requests (one
//! collection's pages, each needing the previous page's offset) times the latency.
//! Run with `cargo bench --bench dump`.

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

use kongsync_gateway::DEFAULT_MAX_IN_FLIGHT;
use kongsync_model::Kind;
use kongsync_sim::Faults;
use kongsync_state::dump::{write_yaml, DumpOptions};
use kongsync_state::live::Observed;
use kongsync_state::{Scope, State};
use load::Simulated;
use measure::{measure, measure_command, Figures};
use std::process::Command;

const LATENCY_MS: u64 = 10;
const PAGE: usize = 1000;
/// The target for a dump of 100k entities: within 1.2× of the bound, under 300 MiB.
const TARGET_RATIO: f64 = 1.2;
const TARGET_MIB: f64 = 300.0;

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    let gateway = rt.block_on(Simulated::start(Faults::default(), DEFAULT_MAX_IN_FLIGHT));
    let (entities, longest) = {
        let (desired, _, _) = generate::read_generated(10_000, 35_000);
        let empty = Observed::read_only(Scope::default(), State::default());
        let load_s = rt.block_on(gateway.apply(&desired, &empty, 32)).execute_seconds;
        println!("{} entities loaded into the simulator in {load_s:.1} s", desired.len());
        // The longest chain: the largest collection's pages, read one after the other.
        let longest = Kind::ALL.iter().map(|k| desired.of_kind(*k).count().div_ceil(PAGE)).max().unwrap_or(1);
        (desired.len(), longest)
    };
    let bound = longest as f64 * LATENCY_MS as f64 / 1000.0;
    let how = format!("{longest} sequential pages of {LATENCY_MS} ms");

    let (plain, usage) = measure(|| rt.block_on(gateway.read()));
    Figures::new("read without latency", usage).note(format!("{} entities", plain.len())).print();
    drop(plain);

    rt.block_on(
        gateway.sim.set_faults(&Faults { rules: vec![sim::latency(LATENCY_MS, Some("GET"))], ..Faults::default() }),
    );
    let sent = gateway.client.requests_sent();
    let (state, read) = measure(|| rt.block_on(gateway.read()));
    let requests = gateway.client.requests_sent() - sent;
    let (text, write) = measure(|| {
        let mut text = Vec::new();
        write_yaml(&state, &DumpOptions::default(), &mut text).unwrap();
        text
    });
    Figures::new("dump in-process: read", read)
        .wall_bound(bound, how.clone(), Some(TARGET_RATIO))
        .note(format!("{} entities, {requests} requests ({LATENCY_MS} ms each)", state.len()))
        .print();
    Figures::new("dump in-process: write YAML", write)
        .note(format!(
            "{:.1} MiB of YAML, {:.1} MiB/s",
            text.len() as f64 / 1048576.0,
            text.len() as f64 / 1048576.0 / write.wall_s
        ))
        .print();
    drop((state, text));

    let out = tempfile::tempdir().unwrap();
    let file = out.path().join("kong.yaml");
    let (output, usage) = measure_command(
        Command::new(sim::KONGSYNC).args(["dump", "-q", "--kong-addr", &gateway.sim.base_url(), "-o"]).arg(&file),
    )
    .unwrap();
    assert!(output.status.success(), "kongsync dump failed: {}", String::from_utf8_lossy(&output.stderr));
    Figures::new("kongsync dump (the binary)", usage)
        .wall_bound(bound, how, Some(TARGET_RATIO))
        .rss_target(TARGET_MIB)
        .note(format!(
            "{entities} entities, {:.1} MiB written",
            std::fs::metadata(&file).map_or(0.0, |m| m.len() as f64 / 1048576.0)
        ))
        .print();
}
