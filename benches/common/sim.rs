//! The gateway of the benchmarks: the built `kongsync sim` running as a separate process on an
//! ephemeral loopback port, the way a real gateway is another machine, so that its CPU time and
//! memory never mix with the client's. It is driven through its `/_sim/` control API (faults, the
//! request log, reset) and killed when dropped.

// Each benchmark includes this module and uses part of it.
#![allow(dead_code)]

use kongsync_sim::{FaultRule, Faults, LoggedRequest};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The `kongsync` binary cargo built for this benchmark.
pub const KONGSYNC: &str = env!("CARGO_BIN_EXE_kongsync");

/// A simulator in its own process.
pub struct SimProcess {
    child: Child,
    addr: SocketAddr,
    http: reqwest::Client,
}

/// A free loopback port: bound, read and released. Another process could take it before the
/// simulator binds it, so `start` retries with a new one when the simulator exits early.
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map_or(0, |a| a.port())
}

impl SimProcess {
    /// Starts `kongsync sim` (with `extra` flags, such as `--edition enterprise`) and waits until it
    /// accepts connections.
    pub fn start(extra: &[&str]) -> SimProcess {
        for _attempt in 0..5 {
            let addr = SocketAddr::from(([127, 0, 0, 1], free_port()));
            let mut child = Command::new(KONGSYNC)
                .args(["sim", "--listen", &addr.to_string()])
                .args(extra)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("kongsync sim starts");
            let deadline = Instant::now() + Duration::from_secs(10);
            while Instant::now() < deadline {
                if TcpStream::connect(addr).is_ok() {
                    return SimProcess { child, addr, http: reqwest::Client::new() };
                }
                if child.try_wait().ok().flatten().is_some() {
                    break;
                }
                std::thread::sleep(Duration::from_millis(10));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
        panic!("the simulator did not start");
    }

    /// `http://127.0.0.1:PORT`
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The simulator's process id (to read its own figures from `/proc` when a benchmark wants them).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    fn control(&self, path: &str) -> String {
        format!("{}/_sim/{path}", self.base_url())
    }

    pub async fn set_faults(&self, faults: &Faults) {
        let r = self.http.post(self.control("faults")).json(faults).send().await.expect("faults set");
        assert!(r.status().is_success(), "the simulator refused the faults: {}", r.status());
    }

    /// Every request answered since the log was last cleared.
    pub async fn requests(&self) -> Vec<LoggedRequest> {
        let r = self.http.get(self.control("requests")).send().await.expect("request log read");
        r.json().await.expect("request log parses")
    }

    pub async fn clear_requests(&self) {
        self.http.delete(self.control("requests")).send().await.expect("request log cleared");
    }

    /// Empties every store.
    pub async fn reset(&self) {
        self.http.post(self.control("reset")).send().await.expect("simulator reset");
    }
}

impl Drop for SimProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A fixed latency of `ms` on every request (`method` `None`) or on one method's.
pub fn latency(ms: u64, method: Option<&str>) -> FaultRule {
    FaultRule { method: method.map(str::to_string), latency_ms: Some((ms, ms)), ..FaultRule::default() }
}

/// The mean time the simulator took per request (its injected latency included), in milliseconds,
/// over the requests `keep` selects.
pub fn mean_ms(log: &[LoggedRequest], keep: impl Fn(&LoggedRequest) -> bool) -> f64 {
    let times: Vec<f64> = log.iter().filter(|r| keep(r)).map(|r| r.ended_ms - r.started_ms).collect();
    times.iter().sum::<f64>() / times.len().max(1) as f64
}
