//! kongsync-sim: a local Kong Admin API 3.5 and Konnect control-plane API for tests, benchmarks and
//! `--kong-addr embedded`. It stores plain JSON per gateway (Kong's implicit workspace, and one store per
//! Konnect control plane), imitates Kong OSS or Enterprise (`Edition`) or Konnect, validates and fills
//! defaults from its own declaration tables (`schema`),
//! shares no code with `kongsync-model`, and adds what tests need: a request log, deterministic fault
//! injection, simulated data planes that lag, and optional atomic persistence.
//!
//! `start` binds and returns at once; the returned `SimHandle` reads the log, sets faults, adds data
//! planes and shuts down (saving the data file, if any).

mod clustering;
mod confighash;
mod errors;
mod export;
mod faults;
mod hooks;
mod http;
mod kong;
mod konnect;
mod list;
mod membership;
mod ops;
mod persist;
mod router;
mod schema;
mod server;
mod state;
mod store;
mod validate;

pub use clustering::{DataPlaneSpec, KongRole};
pub use faults::{FaultRule, Faults};

use hyper_util::rt::TokioIo;
use serde::{Deserialize, Serialize};
use server::{lock, Shared};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// Which Kong Gateway the Admin API imitates. Konnect control planes always have Enterprise's kinds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Edition {
    /// Kong OSS 3.5.0: no consumer groups, no mTLS credentials, plugins without `consumer_group`.
    #[default]
    Community,
    /// Kong Enterprise 3.5.0.0: consumer groups and their plugins, mTLS credentials.
    Enterprise,
}

impl Edition {
    /// The value `--edition` takes (`community`, `enterprise`).
    pub fn as_str(self) -> &'static str {
        match self {
            Edition::Community => "community",
            Edition::Enterprise => "enterprise",
        }
    }
}

impl std::str::FromStr for Edition {
    type Err = String;
    fn from_str(s: &str) -> Result<Edition, String> {
        match s {
            "community" => Ok(Edition::Community),
            "enterprise" => Ok(Edition::Enterprise),
            other => Err(format!("unknown edition `{other}` (expected community or enterprise)")),
        }
    }
}

/// How to run the simulator.
#[derive(Debug, Clone)]
pub struct SimConfig {
    /// Default `127.0.0.1:0` (an ephemeral port).
    pub listen: SocketAddr,
    /// Loaded at start when it exists; written by `save()`, after writes (debounced) and at shutdown.
    pub data_file: Option<PathBuf>,
    /// The Konnect bearer token accepted on `/v2/*` (default `kpat_sim`).
    pub konnect_token: String,
    /// Extra Konnect control planes; `default` always exists.
    pub control_planes: Vec<String>,
    /// Seeds ids, generated secrets and fault draws.
    pub seed: u64,
    pub faults: Faults,
    /// How long the configuration must be unchanged before data planes report its hash.
    pub data_plane_delay: Duration,
    /// The Kong edition of the Admin API at `/` (Konnect is unaffected).
    pub edition: Edition,
    /// Whether the Admin API at `/` is a hybrid control plane (the default) or a traditional node.
    pub kong_role: KongRole,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            data_file: None,
            konnect_token: "kpat_sim".into(),
            control_planes: Vec::new(),
            seed: 0,
            faults: Faults::default(),
            data_plane_delay: Duration::ZERO,
            edition: Edition::Community,
            kong_role: KongRole::default(),
        }
    }
}

/// Failures of the simulator itself (never of a simulated request).
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    /// The listen address could not be bound.
    #[error("cannot listen on {addr}")]
    Bind {
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },
    /// Reading or writing the data file failed.
    #[error("simulator data file `{}`", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The data file is not a simulator snapshot.
    #[error("simulator data file `{}` is not valid: {reason}", path.display())]
    DataFile { path: PathBuf, reason: String },
    /// Waiting for ctrl-c failed.
    #[error("cannot wait for ctrl-c")]
    Signal(#[source] std::io::Error),
}

/// One request as the simulator saw it (the `/_sim/` control API is not logged).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LoggedRequest {
    pub method: String,
    pub path: String,
    pub query: String,
    /// 0 when the connection was dropped by fault injection.
    pub status: u16,
    /// Milliseconds since the simulator started.
    pub started_ms: f64,
    pub ended_ms: f64,
}

/// A running simulator.
pub struct SimHandle {
    addr: SocketAddr,
    shared: Arc<Shared>,
    stop: watch::Sender<bool>,
    server: JoinHandle<()>,
    saver: Option<JoinHandle<()>>,
}

fn load(state: &mut state::State, path: &PathBuf) -> Result<(), SimError> {
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(source) => return Err(SimError::Io { path: path.clone(), source }),
    };
    let v: serde_json::Value =
        serde_json::from_slice(&bytes).map_err(|e| SimError::DataFile { path: path.clone(), reason: e.to_string() })?;
    persist::restore(state, &v).map_err(|reason| SimError::DataFile { path: path.clone(), reason })
}

fn save_shared(shared: &Shared) -> Result<(), SimError> {
    let Some(path) = &shared.data_file else { return Ok(()) };
    let snapshot = persist::snapshot(&lock(&shared.state));
    let bytes =
        serde_json::to_vec(&snapshot).map_err(|e| SimError::DataFile { path: path.clone(), reason: e.to_string() })?;
    persist::write_atomic(path, &bytes).map_err(|source| SimError::Io { path: path.clone(), source })
}

/// Binds, spawns the server and returns at once.
pub async fn start(config: SimConfig) -> Result<SimHandle, SimError> {
    let mut st = state::State::new(config.seed, &config.control_planes, config.data_plane_delay, config.edition);
    st.kong_role = config.kong_role;
    if let Some(path) = &config.data_file {
        load(&mut st, path)?;
    }
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .map_err(|source| SimError::Bind { addr: config.listen, source })?;
    let addr = listener.local_addr().map_err(|source| SimError::Bind { addr: config.listen, source })?;
    let shared = Arc::new(Shared {
        state: Mutex::new(st),
        faults: Mutex::new(faults::FaultEngine::new(config.faults.clone(), config.seed)),
        log: Mutex::new(Default::default()),
        started: Instant::now(),
        token: config.konnect_token.clone(),
        data_file: config.data_file.clone(),
        save_wanted: tokio::sync::Notify::new(),
    });
    let (stop, stop_rx) = watch::channel(false);
    let server = tokio::spawn(accept_loop(listener, shared.clone(), stop_rx.clone()));
    let saver = config.data_file.is_some().then(|| tokio::spawn(save_loop(shared.clone(), stop_rx)));
    Ok(SimHandle { addr, shared, stop, server, saver })
}

async fn accept_loop(listener: tokio::net::TcpListener, shared: Arc<Shared>, mut stop: watch::Receiver<bool>) {
    let mut conns = tokio::task::JoinSet::new();
    loop {
        tokio::select! {
            _ = stop.changed() => break,
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else { continue };
                let _ = stream.set_nodelay(true);
                let shared = shared.clone();
                conns.spawn(async move {
                    let service = hyper::service::service_fn(move |req| server::handle(shared.clone(), req));
                    let _ = hyper::server::conn::http1::Builder::new()
                        .keep_alive(true)
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
                // Reap finished connections so the set does not grow without bound.
                while conns.try_join_next().is_some() {}
            }
        }
    }
    conns.abort_all();
}

/// Saves at most every 200 ms while writes keep coming, so persistence stays cheap under load.
async fn save_loop(shared: Arc<Shared>, mut stop: watch::Receiver<bool>) {
    let mut saved = lock(&shared.state).dirty;
    loop {
        tokio::select! {
            _ = stop.changed() => break,
            _ = shared.save_wanted.notified() => {
                tokio::time::sleep(Duration::from_millis(200)).await;
                let dirty = lock(&shared.state).dirty;
                if dirty != saved {
                    let s = shared.clone();
                    // Serialising 20,000 entities is blocking work; keep it off the reactor.
                    if let Ok(Ok(())) = tokio::task::spawn_blocking(move || save_shared(&s)).await {
                        saved = dirty;
                    }
                }
            }
        }
    }
}

impl SimHandle {
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
    /// `http://127.0.0.1:PORT`
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }
    pub fn requests(&self) -> Vec<LoggedRequest> {
        lock(&self.shared.log).iter().cloned().collect()
    }
    pub fn clear_requests(&self) {
        lock(&self.shared.log).clear();
    }
    pub fn set_faults(&self, f: Faults) {
        lock(&self.shared.faults).set(f);
    }
    pub fn clear_faults(&self) {
        lock(&self.shared.faults).set(Faults::default());
    }
    /// Empties every store (Kong and control planes) and removes the data planes.
    pub fn reset(&self) {
        lock(&self.shared.state).reset();
        self.shared.save_wanted.notify_one();
    }
    /// Adds simulated data planes; an unknown control plane name adds none.
    pub fn add_data_planes(&self, spec: DataPlaneSpec) -> Vec<String> {
        let ids = lock(&self.shared.state).add_data_planes(&spec).unwrap_or_default();
        self.shared.save_wanted.notify_one();
        ids
    }
    /// The id of the Konnect control plane named `default`.
    pub fn default_control_plane_id(&self) -> String {
        self.control_plane_id("default").unwrap_or_default()
    }
    /// The id of a Konnect control plane by name.
    pub fn control_plane_id(&self, name: &str) -> Option<String> {
        lock(&self.shared.state).cps.iter().find(|c| c.name == name).map(|c| c.id.to_string())
    }
    /// Writes the data file now (atomically, mode 0600), if one is configured.
    pub fn save(&self) -> Result<(), SimError> {
        save_shared(&self.shared)
    }
    /// The hash Kong's hybrid control plane expects (what an in-sync data plane reports).
    pub fn kong_expected_hash(&self) -> String {
        lock(&self.shared.state).kong.expected_hash()
    }
    /// Stops accepting, closes connections and saves.
    pub async fn shutdown(self) -> Result<(), SimError> {
        let _ = self.stop.send(true);
        let _ = self.server.await;
        if let Some(saver) = self.saver {
            let _ = saver.await;
        }
        save_shared(&self.shared)
    }
}

/// Runs until ctrl-c, then saves the data file (for `kongsync sim`).
pub async fn serve_forever(config: SimConfig) -> Result<(), SimError> {
    let handle = start(config).await?;
    let waited = tokio::signal::ctrl_c().await.map_err(SimError::Signal);
    let saved = handle.shutdown().await;
    waited.and(saved)
}
