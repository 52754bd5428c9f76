//! Benchmark: how kongsync's cost grows with the size of a configuration. At 1k, 10k and 100k
//! entities (and 1M with `KONGSYNC_BENCH_1M=1`: it needs a few minutes and several GiB, mostly to
//! load the simulator) of a realistic mix (`common/mix.rs`), it measures what a user waits for:
//!
//! - parse + validate: the state files read into a state, as `kongsync validate` does;
//! - read: the whole gateway read back, without latency;
//! - plan: files read, gateway observed and a plan made with 1% of the entities changed, as
//!   `kongsync diff` does (its peak is the memory of files + live read + plan);
//! - dump: the gateway read with 10 ms of latency on every request and written as decK's YAML,
//!   beside its bound: the longest chain of sequential pages, or all its requests with every slot
//!   the client allows in flight busy, whichever is longer, times the latency.
//!
//! Each measurement runs in a child process of its own (this benchmark started again with
//! `--phase`), so that its peak memory is its own and not what an earlier phase left behind, and
//! the simulator runs in another process (`common/sim.rs`), so none of its work counts. The table
//! gives time and peak memory per entity at each size, so that a super-linear step shows as a
//! rising cost per entity. `KONGSYNC_BENCH_SIZES=1000,10000` picks other sizes; `--phase generate
//! N FILE [changed]` writes a configuration of about N entities, to profile one phase alone.
//! Run with `cargo bench --bench scale`.

#![allow(clippy::unwrap_used)]

#[global_allocator]
static ALLOCATOR: kongsync_alloc::Allocator = kongsync_alloc::Allocator;

#[path = "common/measure.rs"]
mod measure;
#[path = "common/mix.rs"]
mod mix;
#[path = "common/sim.rs"]
mod sim;

use kongsync_diff::{plan, PlanOptions};
use kongsync_gateway::{Client, ClientOptions, Gateway, Url, DEFAULT_MAX_IN_FLIGHT};
use kongsync_model::Kind;
use kongsync_sim::Faults;
use kongsync_state::dump::{write_yaml, DumpOptions};
use kongsync_state::live::{observe, read_state, NoReadProgress};
use kongsync_state::Scope;
use measure::{measure, Usage};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

const LATENCY_MS: u64 = 10;
/// Kong's page size, which the read asks for.
const PAGE: usize = 1000;
/// Sizes measured by default; 1M is added by `KONGSYNC_BENCH_1M=1`.
const SIZES: [usize; 3] = [1_000, 10_000, 100_000];

/// What a child process measured, printed by it as one JSON line.
#[derive(Debug, Serialize, Deserialize)]
struct Measured {
    entities: usize,
    /// Named parts of the work and their wall seconds (the plan's: files, gateway, plan).
    parts: Vec<(String, f64)>,
    wall_s: f64,
    cpu_s: f64,
    peak_mib: f64,
    /// Bytes of YAML written (a dump).
    yaml_bytes: usize,
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--phase") {
        let phase = &args[i + 1..];
        let measured = run_phase(phase);
        println!("{}", serde_json::to_string(&measured).unwrap());
        return;
    }
    let mut sizes: Vec<usize> = match std::env::var("KONGSYNC_BENCH_SIZES") {
        Ok(list) => list.split(',').filter_map(|s| s.trim().parse().ok()).collect(),
        Err(_) => SIZES.to_vec(),
    };
    if std::env::var_os("KONGSYNC_BENCH_1M").is_some_and(|v| v == "1") {
        sizes.push(1_000_000);
    }
    let mut rows = Vec::new();
    for size in sizes {
        rows.extend(measure_size(size));
    }
    print_table(&rows);
}

/// One line of the table.
struct Row {
    size: usize,
    phase: &'static str,
    m: Measured,
    /// The dump's bound, seconds, and how it was found.
    bound: Option<(f64, String)>,
}

fn measure_size(size: usize) -> Vec<Row> {
    let dir = tempfile::tempdir().unwrap();
    let blocks = mix::blocks_for(size);
    let desired_file = dir.path().join("kong.yaml");
    let changed_file = dir.path().join("changed.yaml");
    std::fs::write(&desired_file, mix::state_file(blocks, false)).unwrap();
    std::fs::write(&changed_file, mix::state_file(blocks, true)).unwrap();
    let mib = |p: &Path| std::fs::metadata(p).map_or(0.0, |m| m.len() as f64 / 1048576.0);
    eprintln!("{size}: {blocks} blocks, {:.1} MiB of YAML", mib(&desired_file));

    let mut rows = Vec::new();
    let parse = child(&["parse", path(&desired_file)]);
    rows.push(Row { size, phase: "parse + validate", m: parse, bound: None });

    // The gateway (Enterprise, for consumer groups), loaded with the desired state by the built
    // `kongsync sync` (not measured).
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    let sim = sim::SimProcess::start(&["--edition", "enterprise"]);
    let url = sim.base_url();
    let started = Instant::now();
    let synced = Command::new(sim::KONGSYNC)
        .args(["sync", "-q", "--parallelism", "32", "--kong-addr", &url, path(&desired_file)])
        .output()
        .unwrap();
    assert!(synced.status.success(), "the sync failed: {}", String::from_utf8_lossy(&synced.stderr));
    eprintln!("{size}: loaded into the simulator in {:.1} s", started.elapsed().as_secs_f64());
    // The longest chain of a read: the largest collection's pages, each waiting for the previous.
    let desired = kongsync_state::file::read(std::slice::from_ref(&desired_file), &|_| None).unwrap();
    let longest = Kind::ALL.iter().map(|k| desired.of_kind(*k).count().div_ceil(PAGE)).max().unwrap_or(1);
    drop(desired);
    rows.push(Row { size, phase: "read", m: child(&["read", &url]), bound: None });
    rows.push(Row { size, phase: "plan (1% changed)", m: child(&["plan", path(&changed_file), &url]), bound: None });
    rt.block_on(sim.set_faults(&Faults { rules: vec![sim::latency(LATENCY_MS, Some("GET"))], ..Faults::default() }));
    rt.block_on(sim.clear_requests());
    let out = dir.path().join("dump.yaml");
    let sim_pid = sim.pid().to_string();
    let sim_cpu = measure::cpu_seconds(&sim_pid);
    let dump = child(&["dump", &url, path(&out)]);
    let sim_cpu_s = measure::cpu_seconds(&sim_pid) - sim_cpu;
    // The bound: the longest chain of sequential pages, or all the requests the read made with
    // every slot the client allows in flight busy, whichever is longer.
    let requests = rt.block_on(sim.requests()).len();
    let rounds = longest.max(requests.div_ceil(DEFAULT_MAX_IN_FLIGHT));
    let bound = rounds as f64 * LATENCY_MS as f64 / 1000.0;
    // Not in the bound, but printed beside it: the simulator shares this machine's cores with the
    // client, so the dump takes at least both processes' CPU spread over all the cores.
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let cpu_floor = (dump.cpu_s + sim_cpu_s) / cores as f64;
    let how = format!(
        "{requests} requests, {longest} pages in a chain, {DEFAULT_MAX_IN_FLIGHT} in flight; simulator CPU \
         {sim_cpu_s:.2} s, client and simulator CPU over {cores} cores {cpu_floor:.2} s"
    );
    rows.push(Row { size, phase: "dump (10 ms)", m: dump, bound: Some((bound, how)) });
    rows
}

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// Runs this benchmark again with `--phase <args>` and reads what it measured.
fn child(args: &[&str]) -> Measured {
    let exe = std::env::current_exe().unwrap();
    let output = Command::new(exe).arg("--phase").args(args).output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let last = stdout.lines().last().unwrap_or_default();
    match serde_json::from_str(last) {
        Ok(m) => m,
        Err(_) => panic!("phase {args:?} failed: {}\n{}", output.status, String::from_utf8_lossy(&output.stderr)),
    }
}

/// A phase, in the child process.
fn run_phase(args: &[String]) -> Measured {
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    let client = |url: &str| {
        let base = Url::parse(url).unwrap();
        let mut options = ClientOptions::new(base.clone());
        options.max_in_flight = DEFAULT_MAX_IN_FLIGHT;
        (Client::new(options).unwrap(), Gateway::Kong { base, workspace: None })
    };
    let read_files = |file: &str| kongsync_state::file::read(&[PathBuf::from(file)], &|_| None).unwrap();
    let timed = |parts: &mut Vec<(String, f64)>, name: &str, started: Instant| {
        parts.push((name.to_string(), started.elapsed().as_secs_f64()));
    };
    let mut parts = Vec::new();
    let mut yaml_bytes = 0;
    let (entities, usage): (usize, Usage) = match args.first().map(String::as_str) {
        Some("parse") => measure(|| read_files(&args[1]).len()),
        // Not measured: writes the configuration of about N entities, for profiling a phase alone
        // (`scale --phase generate 100000 kong.yaml`, then `--phase parse kong.yaml` under a profiler).
        Some("generate") => {
            let blocks = mix::blocks_for(args[1].parse().unwrap());
            std::fs::write(&args[2], mix::state_file(blocks, args.get(3).is_some_and(|a| a == "changed"))).unwrap();
            (0, Usage::default())
        }
        Some("read") => {
            let (client, gateway) = client(&args[1]);
            measure(|| rt.block_on(read_state(&client, &gateway, &Scope::default(), &NoReadProgress)).unwrap().len())
        }
        Some("plan") => {
            let (client, gateway) = client(&args[2]);
            measure(|| {
                let t = Instant::now();
                let desired = read_files(&args[1]);
                timed(&mut parts, "files", t);
                // Which part sets the peak: the high-water mark after each.
                parts.push(("peak MiB after files".into(), measure::peak_rss_mib("self")));
                let t = Instant::now();
                let observed =
                    rt.block_on(observe(&client, &gateway, &Scope::default(), &desired, &NoReadProgress)).unwrap();
                timed(&mut parts, "gateway", t);
                parts.push(("peak MiB after gateway".into(), measure::peak_rss_mib("self")));
                let t = Instant::now();
                let cpu = measure::cpu_seconds("self");
                let options = PlanOptions { target: "bench".into(), ..PlanOptions::default() };
                let p = plan(&desired, &observed, &options).unwrap();
                timed(&mut parts, "plan", t);
                // The plan's own CPU (the runtime is idle by then): wall is noisy on a shared machine.
                parts.push(("plan cpu".into(), measure::cpu_seconds("self") - cpu));
                parts.push(("peak MiB after plan".into(), measure::peak_rss_mib("self")));
                parts.push(("steps".into(), p.steps.len() as f64));
                desired.len()
            })
        }
        Some("dump") => {
            let (client, gateway) = client(&args[1]);
            measure(|| {
                let t = Instant::now();
                let state = rt.block_on(read_state(&client, &gateway, &Scope::default(), &NoReadProgress)).unwrap();
                timed(&mut parts, "read", t);
                yaml_bytes = write_dump(&state, &args[2], &mut parts);
                state.len()
            })
        }
        // Not in the table: the dump's writing alone, of the state the files give (for profiling).
        Some("write") => {
            let state = read_files(&args[1]);
            measure(|| {
                yaml_bytes = write_dump(&state, &args[2], &mut parts);
                state.len()
            })
        }
        other => panic!("unknown phase {other:?}"),
    };
    Measured { entities, parts, wall_s: usage.wall_s, cpu_s: usage.cpu_s, peak_mib: usage.peak_rss_mib, yaml_bytes }
}

/// Writes the dump of `state` to `out` as `kongsync dump` does: decK's YAML, written to the file as
/// it is rendered. Returns the bytes written.
fn write_dump(state: &kongsync_state::State, out: &str, parts: &mut Vec<(String, f64)>) -> usize {
    let t = Instant::now();
    let mut file = std::fs::File::create(out).unwrap();
    write_yaml(state, &DumpOptions::default(), &mut file).unwrap();
    parts.push(("yaml".into(), t.elapsed().as_secs_f64()));
    std::fs::metadata(out).map_or(0, |m| m.len() as usize)
}

fn print_table(rows: &[Row]) {
    println!(
        "{:>9} {:>9} {:<18} {:>8} {:>9} {:>8} {:>9} {:>9}  details",
        "size", "entities", "phase", "wall s", "µs/entity", "CPU s", "peak MiB", "KiB/entity"
    );
    for r in rows {
        let n = r.m.entities.max(1) as f64;
        let mut details: Vec<String> =
            r.m.parts
                .iter()
                .map(|(k, v)| match k.as_str() {
                    "steps" => format!("{v:.0} steps"),
                    // A peak measured between the parts, in MiB, not a duration.
                    k if k.starts_with("peak MiB") => format!("{k} {v:.0}"),
                    k => format!("{k} {v:.2} s"),
                })
                .collect();
        if let Some((b, how)) = &r.bound {
            details.push(format!("bound {b:.2} s ({how}), ratio {:.2}", r.m.wall_s / b));
        }
        if r.m.yaml_bytes > 0 {
            // The writer's speed: the YAML rendered from the state and written to the file.
            let write_s: f64 = r.m.parts.iter().filter(|(k, _)| k == "document" || k == "yaml").map(|(_, v)| *v).sum();
            let mib = r.m.yaml_bytes as f64 / 1048576.0;
            details.push(format!("{mib:.1} MiB of YAML at {:.0} MiB/s", mib / write_s.max(1e-9)));
        }
        println!(
            "{:>9} {:>9} {:<18} {:>8.2} {:>9.2} {:>8.2} {:>9.0} {:>9.2}  {}",
            r.size,
            r.m.entities,
            r.phase,
            r.m.wall_s,
            r.m.wall_s * 1e6 / n,
            r.m.cpu_s,
            r.m.peak_mib,
            r.m.peak_mib * 1024.0 / n,
            details.join(", ")
        );
    }
}
