//! A sync cut short converges when run again, with no duplicates: killed outright (SIGKILL) after some
//! writes landed, or interrupted with Ctrl-C (SIGINT), after which it must stop starting steps, wait
//! for those in flight, report what was not started and exit 1. Writes are slowed by injected latency
//! so that the interruption lands midway; every wait is bounded.

use crate::harness::{is_validation, services_with_routes, TestEnv};
use kongsync_sim::{FaultRule, Faults};
use std::collections::BTreeSet;
use std::io::Read;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Services in the file; each has a route and a plugin, so the sync has three times as many steps.
const SERVICES: usize = 200;
const STEPS: usize = 3 * SERVICES;
/// Writes that must have landed before the sync is interrupted.
const LANDED: usize = 60;
/// The longest any wait of these tests may take.
const LIMIT: Duration = Duration::from_secs(60);

/// Every PUT takes 40 ms, so the sync lasts seconds, not milliseconds.
fn slow_writes(env: &TestEnv) {
    env.sim().set_faults(Faults {
        rules: vec![FaultRule { method: Some("PUT".into()), latency_ms: Some((40, 40)), ..FaultRule::default() }],
        ..Faults::default()
    });
}

/// A `kongsync sync` running in the background, its output collected as it comes (a full pipe would
/// block it). Dropping it kills the process if it still runs.
struct Background {
    child: Child,
    out: Option<JoinHandle<String>>,
    err: Option<JoinHandle<String>>,
}

impl Background {
    fn sync(env: &TestEnv) -> Background {
        let url = env.url();
        let mut child = Command::new(env!("CARGO_BIN_EXE_kongsync"))
            .args(["--kong-addr", url.as_str(), "sync", "kong.yaml"])
            .current_dir(env.dir.path())
            .env_clear()
            .env("NO_COLOR", "1")
            .env("HOME", env.dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("cannot start kongsync");
        let collect = |mut pipe: Box<dyn Read + Send>| {
            std::thread::spawn(move || {
                let mut s = String::new();
                let _ = pipe.read_to_string(&mut s);
                s
            })
        };
        let out = collect(Box::new(child.stdout.take().unwrap()));
        let err = collect(Box::new(child.stderr.take().unwrap()));
        Background { child, out: Some(out), err: Some(err) }
    }

    /// Waits until at least `n` writes succeeded on the simulator; panics if the sync ends first.
    fn wait_for_writes(&mut self, env: &TestEnv, n: usize) {
        let deadline = Instant::now() + LIMIT;
        loop {
            if landed(env) >= n {
                return;
            }
            if let Some(status) = self.child.try_wait().unwrap() {
                let (out, err) = self.output();
                panic!("the sync ended ({status}) before {n} writes landed\n{out}\n{err}");
            }
            assert!(Instant::now() < deadline, "fewer than {n} writes after {LIMIT:?}");
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    /// Waits for the process to end, bounded.
    fn wait(&mut self) -> ExitStatus {
        let deadline = Instant::now() + LIMIT;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(Instant::now() < deadline, "kongsync did not end within {LIMIT:?}");
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Standard output and error, once the process has ended.
    fn output(&mut self) -> (String, String) {
        let take = |h: &mut Option<JoinHandle<String>>| h.take().map(|h| h.join().unwrap()).unwrap_or_default();
        (take(&mut self.out), take(&mut self.err))
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Writes the simulator answered with success (the validations before the first write store nothing).
fn landed(env: &TestEnv) -> usize {
    env.requests()
        .iter()
        .filter(|r| r.method != "GET" && !is_validation(&r.method, &r.path) && (200..300).contains(&r.status))
        .count()
}

/// The value of `field` of every entity in a collection.
fn values(env: &TestEnv, collection: &str, field: &str) -> Vec<String> {
    let (status, list) = env.request("GET", &format!("{collection}?size=1000"), None);
    assert_eq!(status, 200, "{list}");
    assert!(list["next"].is_null(), "{collection} has more than one page");
    list["data"].as_array().unwrap().iter().map(|e| e[field].to_string()).collect()
}

/// Entities on the gateway, of the three kinds the file holds.
fn held(env: &TestEnv) -> usize {
    ["/services", "/routes", "/plugins"].iter().map(|c| values(env, c, "id").len()).sum()
}

/// Runs the sync again to completion and checks the gateway holds the file, each entity once.
fn converges_without_duplicates(env: &TestEnv) {
    env.sim().clear_faults();
    env.kongsync(&["sync", "kong.yaml"]).success();
    env.kongsync(&["diff", "kong.yaml", "--exit-code"]).success();
    let services = values(env, "/services", "name");
    let routes = values(env, "/routes", "name");
    let plugin_routes: Vec<String> =
        values(env, "/plugins", "route").into_iter().map(|r| r.replace(char::is_whitespace, "")).collect();
    for (what, list) in [("services", &services), ("routes", &routes), ("plugins by route", &plugin_routes)] {
        let distinct: BTreeSet<&String> = list.iter().collect();
        assert_eq!(list.len(), SERVICES, "{what}: {} held", list.len());
        assert_eq!(distinct.len(), SERVICES, "{what}: duplicates");
    }
}

#[test]
fn a_sync_killed_midway_converges_on_the_next_run_with_no_duplicates() {
    let env = TestEnv::new();
    env.write("kong.yaml", &services_with_routes(SERVICES));
    slow_writes(&env);
    let mut sync = Background::sync(&env);
    sync.wait_for_writes(&env, LANDED);
    sync.child.kill().unwrap();
    let status = sync.wait();
    assert!(!status.success(), "{status}");
    let partial = held(&env);
    assert!((LANDED..STEPS).contains(&partial), "the kill did not land midway: {partial} entities held");
    converges_without_duplicates(&env);
}

#[test]
fn ctrl_c_stops_new_steps_reports_those_not_started_and_a_rerun_converges() {
    let env = TestEnv::new();
    env.write("kong.yaml", &services_with_routes(SERVICES));
    slow_writes(&env);
    let mut sync = Background::sync(&env);
    sync.wait_for_writes(&env, LANDED);
    let sent = Command::new("kill").args(["-INT", &sync.child.id().to_string()]).status().unwrap();
    assert!(sent.success(), "kill -INT failed");
    let status = sync.wait();
    let (out, err) = sync.output();
    assert_eq!(status.code(), Some(1), "{status}\n{out}\n{err}");

    // "Sync incomplete: D done, 0 failed, 0 skipped, N not started (R requests)"
    let line = out.lines().find(|l| l.starts_with("Sync incomplete:")).unwrap_or_else(|| panic!("{out}\n{err}"));
    let count = |label: &str| -> usize {
        let before = line.split(label).next().unwrap();
        before.trim_end().rsplit([' ', ':', ',']).next().unwrap().parse().unwrap_or_else(|_| panic!("{line}"))
    };
    let (done, not_started) = (count(" done"), count(" not started"));
    assert!(not_started > 0 && done >= LANDED, "{line}");
    assert_eq!(done + not_started + count(" failed") + count(" skipped"), STEPS, "{line}");
    assert!(out.contains("  not started: create "), "the steps not started are not listed:\n{out}");
    // Steps in flight were waited for: what the report calls done is exactly what the gateway holds.
    assert_eq!(held(&env), done, "{line}");

    converges_without_duplicates(&env);
}
