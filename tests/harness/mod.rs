//! The test harness: a temporary directory, the simulator in-process on an ephemeral loopback port
//! (on a tokio runtime the harness owns), and the built `kongsync` run in that directory with a clean
//! environment. Every wait is bounded, so a bug fails a test instead of hanging it.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use kongsync_sim::{LoggedRequest, SimConfig, SimHandle};
use serde_json::Value;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The longest one run of the binary may take before the test fails.
const RUN_LIMIT: Duration = Duration::from_secs(120);

/// The token the simulator accepts in Konnect mode.
pub const SIM_TOKEN: &str = "kpat_sim";

/// What a run of the binary gave.
#[derive(Debug)]
pub struct Output {
    /// The exit code (-1 when killed by a signal).
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Output {
    /// Panics with the whole output unless the exit code is `code`.
    pub fn expect_code(&self, code: i32) -> &Output {
        assert_eq!(self.code, code, "exit code\n--- stdout:\n{}\n--- stderr:\n{}", self.stdout, self.stderr);
        self
    }

    pub fn success(&self) -> &Output {
        self.expect_code(0)
    }
}

/// One test's world: its directory and its simulator.
pub struct TestEnv {
    pub dir: tempfile::TempDir,
    pub runtime: tokio::runtime::Runtime,
    /// Always `Some` until the environment is dropped (shutting the simulator down takes it).
    sim: Option<SimHandle>,
    http: reqwest::Client,
}

impl TestEnv {
    /// A fresh simulator with the default control plane only.
    pub fn new() -> TestEnv {
        TestEnv::with_config(|_| {})
    }

    /// A fresh simulator imitating Kong Enterprise (consumer groups, mTLS credentials), for tests whose
    /// files have them: Kong OSS 3.5, the simulator's default, has neither.
    pub fn enterprise() -> TestEnv {
        TestEnv::with_config(|c| c.edition = kongsync_sim::Edition::Enterprise)
    }

    /// A fresh simulator, configured by `configure` first (extra control planes, faults, ...).
    pub fn with_config(configure: impl FnOnce(&mut SimConfig)) -> TestEnv {
        let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        let mut config = SimConfig { konnect_token: SIM_TOKEN.to_string(), ..SimConfig::default() };
        configure(&mut config);
        let sim = runtime
            .block_on(async { tokio::time::timeout(Duration::from_secs(30), kongsync_sim::start(config)).await })
            .expect("the simulator did not start within 30 s")
            .expect("the simulator did not start");
        TestEnv { dir: tempfile::tempdir().unwrap(), runtime, sim: Some(sim), http: reqwest::Client::new() }
    }

    /// The simulator.
    pub fn sim(&self) -> &SimHandle {
        self.sim.as_ref().expect("the simulator is running")
    }

    /// The simulator's base URL (`http://127.0.0.1:PORT`).
    pub fn url(&self) -> String {
        self.sim().base_url().trim_end_matches('/').to_string()
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Writes a file in the test directory (creating its parents).
    pub fn write(&self, name: &str, contents: &str) -> PathBuf {
        let path = self.path(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, contents).unwrap();
        path
    }

    pub fn read(&self, name: &str) -> String {
        std::fs::read_to_string(self.path(name)).unwrap()
    }

    /// Writes `file` as `kong.yaml`, syncs it, and checks that the next diff is clean: the sync
    /// converged.
    pub fn sync_clean(&self, file: &str) {
        self.write("kong.yaml", file);
        self.kongsync(&["sync", "kong.yaml"]).success();
        self.kongsync(&["diff", "kong.yaml", "--exit-code"]).success();
    }

    /// Runs `kongsync --kong-addr <sim> ARGS` in the test directory.
    pub fn kongsync(&self, args: &[&str]) -> Output {
        let url = self.url();
        let mut all = vec!["--kong-addr", url.as_str()];
        all.extend_from_slice(args);
        self.run(&all, &[], None)
    }

    /// Runs `kongsync ARGS` with exactly these environment variables (and nothing else but
    /// `NO_COLOR`), optionally with standard input.
    pub fn run(&self, args: &[&str], env: &[(&str, &str)], stdin: Option<&str>) -> Output {
        run_binary(self.dir.path(), args, env, stdin)
    }

    /// Sends a request to the simulator and returns the status and JSON body.
    pub fn request(&self, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
        let url = format!("{}{path}", self.url());
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut req = self.http.request(method, url).header("Authorization", format!("Bearer {SIM_TOKEN}"));
        if let Some(b) = body {
            req = req.json(&b);
        }
        self.runtime.block_on(async {
            let resp = tokio::time::timeout(Duration::from_secs(30), req.send()).await.unwrap().unwrap();
            let status = resp.status().as_u16();
            let text = resp.text().await.unwrap();
            (status, serde_json::from_str(&text).unwrap_or(Value::Null))
        })
    }

    /// PUTs an entity and panics unless the simulator accepted it.
    pub fn put(&self, path: &str, body: Value) -> Value {
        let (status, answer) = self.request("PUT", path, Some(body));
        assert!(status < 300, "PUT {path}: {status} {answer}");
        answer
    }

    /// The requests the simulator has served, oldest first.
    pub fn requests(&self) -> Vec<LoggedRequest> {
        self.sim().requests()
    }

    pub fn clear_requests(&self) {
        self.sim().clear_requests();
    }

    /// The writes the simulator served since the last clear, as `METHOD path`, in order. The
    /// validations a sync asks for before its first write (`POST .../schemas/.../validate`) store
    /// nothing and are not writes.
    pub fn writes(&self) -> Vec<String> {
        self.requests()
            .iter()
            .filter(|r| r.method != "GET" && !is_validation(&r.method, &r.path))
            .map(|r| format!("{} {}", r.method, r.path))
            .collect()
    }

    /// The validations the simulator served since the last clear, as `POST path`, in order.
    pub fn validations(&self) -> Vec<String> {
        self.requests()
            .iter()
            .filter(|r| is_validation(&r.method, &r.path))
            .map(|r| format!("{} {}", r.method, r.path))
            .collect()
    }
}

impl Drop for TestEnv {
    fn drop(&mut self) {
        if let Some(sim) = self.sim.take() {
            let _ =
                self.runtime.block_on(async { tokio::time::timeout(Duration::from_secs(10), sim.shutdown()).await });
        }
    }
}

/// Whether a request asks the gateway to validate an entity without storing it.
pub fn is_validation(method: &str, path: &str) -> bool {
    method == "POST" && path.contains("/schemas/") && path.ends_with("/validate")
}

/// Runs the built binary in `dir` with a clean environment.
pub fn run_binary(dir: &Path, args: &[&str], env: &[(&str, &str)], stdin: Option<&str>) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_kongsync"));
    cmd.args(args)
        .current_dir(dir)
        .env_clear()
        .env("NO_COLOR", "1")
        .env("HOME", dir)
        .stdin(if stdin.is_some() { Stdio::piped() } else { Stdio::null() })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("cannot start kongsync");
    if let Some(input) = stdin {
        let mut pipe = child.stdin.take().unwrap();
        let input = input.to_string();
        std::thread::spawn(move || {
            let _ = pipe.write_all(input.as_bytes());
        });
    }
    let mut out_pipe = child.stdout.take().unwrap();
    let mut err_pipe = child.stderr.take().unwrap();
    let out = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = out_pipe.read_to_string(&mut s);
        s
    });
    let err = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = err_pipe.read_to_string(&mut s);
        s
    });
    let deadline = Instant::now() + RUN_LIMIT;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("kongsync {args:?} did not finish within {RUN_LIMIT:?}");
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    Output { code: status.code().unwrap_or(-1), stdout: out.join().unwrap(), stderr: err.join().unwrap() }
}

/// Filters for insta: ports, uuids and times vary between runs.
pub const FILTERS: &[(&str, &str)] = &[
    (r"127\.0\.0\.1:\d+", "127.0.0.1:[PORT]"),
    (r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", "[UUID]"),
    (r"\b\d+(\.\d+)? ?(ms|s)\b", "[TIME]"),
];

/// Asserts an inline snapshot with [`FILTERS`] applied.
#[macro_export]
macro_rules! assert_filtered {
    ($value:expr, @$snapshot:literal) => {
        insta::with_settings!({ filters => $crate::harness::FILTERS.to_vec(), prepend_module_to_snapshot => false }, {
            insta::assert_snapshot!($value, @$snapshot);
        })
    };
}

/// A copy of an example or fixture file of the repository.
pub fn repo_file(path: &str) -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(path)).unwrap()
}

/// The example state without its OAuth2 credential, which Konnect does not have: what a Konnect user's
/// files hold.
pub fn example_for_konnect() -> String {
    let example = repo_file("examples/state/kong.yaml");
    let start = example.find("    oauth2_credentials:").expect("the example has an OAuth2 credential");
    let end = example.find("    mtls_auth_credentials:").expect("mTLS credentials follow it");
    format!("{}{}", &example[..start], &example[end..])
}

/// A state file of `n` services, each with a route and a `cors` plugin on the route: 3n entities
/// in chains of three.
pub fn services_with_routes(n: usize) -> String {
    use std::fmt::Write;
    let mut out = String::from("_format_version: \"3.0\"\nservices:\n");
    for i in 0..n {
        let _ = write!(
            out,
            "- name: s{i}\n  host: h{i}.internal\n  routes:\n  - name: r{i}\n    paths: [/r{i}]\n    plugins:\n    - name: cors\n"
        );
    }
    out
}
