//! The HTTP server on hyper 1: one task per connection, each request read whole, passed through the
//! fault engine (latency, injected statuses, 429s, dropped connections), routed to the Kong, Konnect or
//! `/_sim/` control API under one std mutex (never held across an await), logged, and answered. A
//! dropped connection is a service error, which makes hyper close the socket without a response.

use crate::faults::{Decision, FaultEngine, Faults};
use crate::http::{problem, Body, Reply, Req};
use crate::state::{DataPlaneSpec, State};
use crate::LoggedRequest;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use serde_json::json;
use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// Oldest entries are dropped beyond this many, so a long benchmark cannot exhaust memory.
const LOG_CAP: usize = 1_000_000;

pub(crate) struct Shared {
    pub state: Mutex<State>,
    pub faults: Mutex<FaultEngine>,
    pub log: Mutex<VecDeque<LoggedRequest>>,
    pub started: Instant,
    pub token: String,
    pub data_file: Option<PathBuf>,
    pub save_wanted: tokio::sync::Notify,
}

/// Locks a mutex, recovering the data if a panicking thread poisoned it (the state stays usable).
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

#[derive(Debug)]
pub(crate) struct Dropped;

impl std::fmt::Display for Dropped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection dropped by fault injection")
    }
}
impl std::error::Error for Dropped {}

fn ms_since(start: Instant) -> f64 {
    start.elapsed().as_secs_f64() * 1000.0
}

pub(crate) async fn handle(
    shared: Arc<Shared>,
    req: hyper::Request<Incoming>,
) -> Result<hyper::Response<Full<Bytes>>, Dropped> {
    // The injected latency is a deadline from the request's arrival, so reading the body and handling
    // it count towards it instead of adding to it.
    let arrival = tokio::time::Instant::now();
    let started_ms = ms_since(shared.started);
    let (parts, body) = req.into_parts();
    let body = body.collect().await.map(|b| b.to_bytes()).unwrap_or_default();
    let path = parts.uri.path().to_string();
    let query = parts.uri.query().unwrap_or_default().to_string();
    let mut r = Req::new(parts.method.as_str(), &path, &query, body.to_vec());
    let header =
        |name: hyper::header::HeaderName| parts.headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_string);
    r.content_type = header(hyper::header::CONTENT_TYPE);
    r.authorization = header(hyper::header::AUTHORIZATION);

    if path.starts_with("/_sim/") || path == "/_sim" {
        return Ok(to_hyper(control(&shared, &r), r.method == "HEAD"));
    }
    let (decision, latency, budget) = {
        let mut faults = lock(&shared.faults);
        let budget = faults.budget(crate::state::now_secs());
        if budget.as_ref().is_some_and(|b| b.exceeded) {
            (Decision::Status { status: 429, retry_after: None }, Duration::ZERO, budget)
        } else {
            let (d, l) = faults.decide(&r.method, &path);
            (d, l, budget)
        }
    };
    let konnect = path.starts_with("/v2/") || path == "/v2";
    // A request is handled (and its answer encoded) in the last stretch before its deadline and
    // answered at the deadline: its effect still comes after nearly all of the latency (tests slow a write to order
    // it after another's read), while the handler's own CPU time counts towards the latency instead
    // of adding to it (at 3,000 writes a second on a loaded machine it added about a millisecond).
    let deadline = (!latency.is_zero()).then(|| arrival + latency);
    let reply = match decision {
        Decision::Drop => {
            wait_until(deadline).await;
            log(&shared, &r, 0, started_ms);
            return Err(Dropped);
        }
        Decision::Status { status, retry_after } => {
            wait_coarse(deadline).await;
            injected(status, retry_after, konnect)
        }
        Decision::Pass => {
            wait_coarse(deadline).await;
            let now = crate::state::now_secs();
            let mut state = lock(&shared.state);
            let before = state.dirty;
            let reply = if konnect {
                crate::konnect::handle(&mut state, &r, &shared.token, now)
            } else {
                crate::kong::handle(&mut state, &r, now)
            };
            let changed = state.dirty != before;
            drop(state);
            if changed && shared.data_file.is_some() {
                shared.save_wanted.notify_one();
            }
            reply
        }
    };
    let mut reply = reply;
    if let Some(b) = budget {
        reply.headers.extend(b.headers());
    }
    let status = reply.status;
    let response = to_hyper(reply, r.method == "HEAD");
    wait_fine(deadline).await;
    log(&shared, &r, status, started_ms);
    Ok(response)
}

/// How long before a deadline the coarse wait ends: tokio's timer rounds up to whole milliseconds
/// and wakes later still (measured: +1.3 ms on a 10 ms sleep).
const COARSE_MARGIN: Duration = Duration::from_millis(2);

/// Waits until `deadline` (if any) with sub-millisecond precision.
async fn wait_until(deadline: Option<tokio::time::Instant>) {
    wait_coarse(deadline).await;
    wait_fine(deadline).await;
}

/// Waits on tokio's timer until shortly before `deadline`.
async fn wait_coarse(deadline: Option<tokio::time::Instant>) {
    if let Some(coarse) = deadline.and_then(|d| d.checked_sub(COARSE_MARGIN)) {
        tokio::time::sleep_until(coarse).await;
    }
}

/// Waits out what is left until `deadline` with a thread sleep on the blocking pool, which overshoots
/// by tens of microseconds and spins no CPU; nothing when the deadline has passed.
async fn wait_fine(deadline: Option<tokio::time::Instant>) {
    let Some(deadline) = deadline else { return };
    let rest = deadline.saturating_duration_since(tokio::time::Instant::now());
    if !rest.is_zero() {
        let _ = tokio::task::spawn_blocking(move || std::thread::sleep(rest)).await;
    }
}

fn injected(status: u16, retry_after: Option<u64>, konnect: bool) -> Reply {
    let reply = match (status, konnect) {
        (429, _) => Reply::json(429, json!({"message": "API rate limit exceeded"})),
        (_, true) => problem(&crate::errors::ApiError::Message { status, message: "injected fault".into() }, 0),
        (_, false) => Reply::json(status, json!({"message": "An unexpected error occurred"})),
    };
    match retry_after {
        Some(s) => reply.with_header("Retry-After", s.to_string()),
        None => reply,
    }
}

fn log(shared: &Shared, r: &Req, status: u16, started_ms: f64) {
    let entry = LoggedRequest {
        method: r.method.clone(),
        path: r.path.clone(),
        query: r.query_raw.clone(),
        status,
        started_ms,
        ended_ms: ms_since(shared.started),
    };
    let mut log = lock(&shared.log);
    if log.len() >= LOG_CAP {
        log.pop_front();
    }
    log.push_back(entry);
}

fn to_hyper(reply: Reply, head: bool) -> hyper::Response<Full<Bytes>> {
    let (bytes, content_type) = match &reply.body {
        Body::Json(v) => (serde_json::to_vec(v).unwrap_or_default(), Some("application/json; charset=utf-8")),
        Body::Problem(v) => (serde_json::to_vec(v).unwrap_or_default(), Some("application/problem+json")),
        Body::Empty => (Vec::new(), None),
    };
    let mut builder = hyper::Response::builder().status(reply.status);
    if let Some(ct) = content_type {
        builder = builder.header(hyper::header::CONTENT_TYPE, ct);
    }
    for (k, v) in &reply.headers {
        builder = builder.header(*k, v.as_str());
    }
    let body = if head { Bytes::new() } else { Bytes::from(bytes) };
    builder.body(Full::new(body)).unwrap_or_else(|_| hyper::Response::new(Full::new(Bytes::new())))
}

/// The `/_sim/` control API.
fn control(shared: &Shared, r: &Req) -> Reply {
    let segs: Vec<&str> = r.segments.iter().map(String::as_str).collect();
    let bad = |m: String| Reply::json(400, json!({"message": m}));
    match (r.method.as_str(), segs.as_slice()) {
        ("GET", ["_sim", "requests"]) => {
            let log: Vec<LoggedRequest> = lock(&shared.log).iter().cloned().collect();
            Reply::json(200, serde_json::to_value(log).unwrap_or_default())
        }
        ("DELETE", ["_sim", "requests"]) => {
            lock(&shared.log).clear();
            Reply::empty(204)
        }
        ("GET", ["_sim", "faults"]) => {
            Reply::json(200, serde_json::to_value(lock(&shared.faults).faults()).unwrap_or_default())
        }
        ("POST" | "PUT", ["_sim", "faults"]) => match serde_json::from_slice::<Faults>(&r.body) {
            Ok(f) => {
                let v = serde_json::to_value(&f).unwrap_or_default();
                lock(&shared.faults).set(f);
                Reply::json(200, v)
            }
            Err(e) => bad(format!("invalid faults: {e}")),
        },
        ("DELETE", ["_sim", "faults"]) => {
            lock(&shared.faults).set(Faults::default());
            Reply::empty(204)
        }
        ("POST", ["_sim", "reset"]) => {
            lock(&shared.state).reset();
            shared.save_wanted.notify_one();
            Reply::empty(204)
        }
        ("POST", ["_sim", "data-planes"]) => match serde_json::from_slice::<DataPlaneSpec>(&r.body) {
            Ok(spec) => match lock(&shared.state).add_data_planes(&spec) {
                Ok(ids) => {
                    shared.save_wanted.notify_one();
                    Reply::json(201, json!({"ids": ids}))
                }
                Err(e) => bad(e),
            },
            Err(e) => bad(format!("invalid data plane spec: {e}")),
        },
        _ => Reply::json(404, json!({"message": "Not found"})),
    }
}
