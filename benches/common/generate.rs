//! Generated configurations for the benchmarks: `n` services, each with a route and a plugin on the
//! route, and `c` consumers, each with a key-auth credential. Deterministic, so runs compare.

// Each benchmark includes this module and uses part of it.
#![allow(dead_code)]

use std::fmt::Write;

/// A decK state file with `services` services (+ as many routes and route plugins) and `consumers`
/// consumers (+ as many key-auth credentials).
pub fn state_file(services: usize, consumers: usize) -> String {
    let mut out = String::with_capacity(services * 300 + consumers * 120);
    out.push_str("_format_version: \"3.0\"\nservices:\n");
    for i in 0..services {
        let _ = write!(
            out,
            "- name: svc-{i:06}\n  host: backend-{i}.internal\n  port: 8080\n  tags: [bench]\n  routes:\n  \
             - name: route-{i:06}\n    paths: [/svc-{i:06}]\n    plugins:\n    - name: rate-limiting\n      \
             config:\n        minute: {}\n        policy: local\n",
            60 + i % 100
        );
    }
    if consumers > 0 {
        out.push_str("consumers:\n");
        for i in 0..consumers {
            let _ =
                write!(out, "- username: user-{i:06}\n  keyauth_credentials:\n  - key: key-{i:06}-0123456789abcdef\n");
        }
    }
    out
}

/// Reads a generated state file as `kongsync` reads files: the state, the seconds reading and
/// validating took, and the file's size in MiB.
pub fn read_generated(services: usize, consumers: usize) -> (kongsync_state::State, f64, f64) {
    let dir = tempfile::tempdir().expect("temporary directory");
    let path = dir.path().join("kong.yaml");
    std::fs::write(&path, state_file(services, consumers)).expect("state file written");
    let size_mib = std::fs::metadata(&path).map_or(0.0, |m| m.len() as f64 / 1048576.0);
    let started = std::time::Instant::now();
    let state =
        kongsync_state::file::read(std::slice::from_ref(&path), &|_| None).expect("the generated state is valid");
    (state, started.elapsed().as_secs_f64(), size_mib)
}
