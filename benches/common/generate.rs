//! Generated configurations for the benchmarks: `n` services, each with a route and a plugin on the
//! route, and `c` consumers, each with a key-auth credential. Deterministic, so runs compare.

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

/// Peak resident memory of this process so far, in MiB (Linux; 0 elsewhere).
pub fn peak_rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}
