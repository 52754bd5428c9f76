//! Throughput of the simulator alone, with no injected latency, so that later benchmarks can show the
//! simulator is not their bottleneck: PUTs (create, then replace) and GETs of list pages over 20,000
//! consumers, each with 8 concurrent keep-alive clients. Prints requests per second. Then, with 10 ms
//! of injected latency, the median and 99th percentile of what a client waits, against the 10 ms
//! asked: the bound every latency benchmark divides by.
//! Run: `cargo bench -p kongsync-sim --bench sim_throughput`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use kongsync_sim::{start, FaultRule, Faults, SimConfig};
use serde_json::json;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const ENTITIES: usize = 20_000;
const WORKERS: usize = 8;

async fn run<F, Fut>(label: &str, total: usize, f: F)
where
    F: Fn(usize) -> Fut + Clone + Send + 'static,
    Fut: std::future::Future<Output = ()> + Send,
{
    let started = Instant::now();
    let mut tasks = Vec::new();
    for w in 0..WORKERS {
        let f = f.clone();
        tasks.push(tokio::spawn(async move {
            let mut i = w;
            while i < total {
                f(i).await;
                i += WORKERS;
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let secs = started.elapsed().as_secs_f64();
    println!("{label:<44} {total:>7} requests in {secs:>6.2} s = {:>8.0} req/s", total as f64 / secs);
}

#[tokio::main]
async fn main() {
    let sim = start(SimConfig::default()).await.unwrap();
    let base = sim.base_url();
    let client = reqwest::Client::builder().pool_max_idle_per_host(WORKERS).build().unwrap();

    let put = |body: fn(usize) -> serde_json::Value| {
        let (client, base) = (client.clone(), base.clone());
        move |i: usize| {
            let (client, base) = (client.clone(), base.clone());
            async move {
                let r = client.put(format!("{base}/consumers/user-{i}")).json(&body(i)).send().await.unwrap();
                assert_eq!(r.status().as_u16(), 200);
                r.bytes().await.unwrap();
            }
        }
    };
    run("PUT /consumers/{name} (create)", ENTITIES, put(|i| json!({"custom_id": format!("c{i}"), "tags": ["bench"]})))
        .await;
    run(
        "PUT /consumers/{name} (replace)",
        ENTITIES,
        put(|i| json!({"custom_id": format!("c{i}"), "tags": ["bench", "v2"]})),
    )
    .await;

    for (size, pages) in [(100usize, 2_000usize), (1000, 200)] {
        let (client, base) = (client.clone(), base.clone());
        // Each request reads a different page: the offset of the page's first id is fetched once up front.
        let mut offsets: Vec<Option<String>> = vec![None];
        let mut next: Option<String> = None;
        loop {
            let url = match &next {
                Some(o) => format!("{base}/consumers?size={size}&offset={o}"),
                None => format!("{base}/consumers?size={size}"),
            };
            let v: serde_json::Value = client.get(url).send().await.unwrap().json().await.unwrap();
            next = v["offset"].as_str().map(percent);
            match &next {
                Some(o) => offsets.push(Some(o.clone())),
                None => break,
            }
        }
        let offsets = std::sync::Arc::new(offsets);
        let label = format!("GET /consumers?size={size} (pages of {size})");
        run(&label, pages, move |i| {
            let (client, base, offsets) = (client.clone(), base.clone(), offsets.clone());
            async move {
                let url = match &offsets[i % offsets.len()] {
                    Some(o) => format!("{base}/consumers?size={size}&offset={o}"),
                    None => format!("{base}/consumers?size={size}"),
                };
                let r = client.get(url).send().await.unwrap();
                assert_eq!(r.status().as_u16(), 200);
                r.bytes().await.unwrap();
            }
        })
        .await;
    }
    injected_latency(&sim, &client, &base).await;
    sim.shutdown().await.unwrap();
}

/// What 2,000 GETs wait with 10 ms injected, 8 at a time: the deadline runs from each request's
/// arrival, so the median should sit just above 10 ms whatever the machine's timer granularity.
async fn injected_latency(sim: &kongsync_sim::SimHandle, client: &reqwest::Client, base: &str) {
    const ASKED: Duration = Duration::from_millis(10);
    let rule = FaultRule { latency_ms: Some((10, 10)), ..FaultRule::default() };
    sim.set_faults(Faults { rules: vec![rule], ..Faults::default() });
    let waits = Arc::new(Mutex::new(Vec::new()));
    let (client, base, record) = (client.clone(), base.to_string(), waits.clone());
    run("GET /consumers/{name} with 10 ms injected", 2_000, move |i| {
        let (client, base, record) = (client.clone(), base.clone(), record.clone());
        async move {
            let t0 = Instant::now();
            let r = client.get(format!("{base}/consumers/user-{i}")).send().await.unwrap();
            r.bytes().await.unwrap();
            record.lock().unwrap().push(t0.elapsed());
        }
    })
    .await;
    let mut waits = waits.lock().unwrap().clone();
    waits.sort();
    let at = |q: f64| waits[((waits.len() - 1) as f64 * q) as usize];
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "{:<44} median {:.2} ms ({:.3}x asked), p99 {:.2} ms, asked {:.0} ms",
        "latency a client sees",
        ms(at(0.5)),
        at(0.5).as_secs_f64() / ASKED.as_secs_f64(),
        ms(at(0.99)),
        ms(ASKED)
    );
}

fn percent(s: &str) -> String {
    s.bytes().map(|b| if b.is_ascii_alphanumeric() { (b as char).to_string() } else { format!("%{b:02X}") }).collect()
}
