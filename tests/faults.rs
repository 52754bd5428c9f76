//! Syncs under injected faults converge in one run, and a failure skips exactly its dependents.

use crate::harness::{services_with_routes, TestEnv};
use kongsync_sim::{FaultRule, Faults};

#[test]
fn a_sync_through_503s_429s_and_dropped_connections_converges_in_one_run() {
    let env = TestEnv::new();
    env.write("kong.yaml", &services_with_routes(667));
    env.sim().set_faults(Faults {
        // One rule: the simulator applies the first rule that matches a request.
        rules: vec![FaultRule {
            error_rate: 0.10,
            status: Some(503),
            // A 429's Retry-After holds every request (the budget is the gateway's, not the
            // request's), so each one pauses the whole sync for a second: a few are enough.
            rate_429: 0.005,
            retry_after_s: Some(1),
            drop_rate: 0.02,
            ..FaultRule::default()
        }],
        ..Faults::default()
    });
    let out = env.kongsync(&["sync", "kong.yaml", "--parallelism", "32"]);
    out.success();
    env.sim().clear_faults();
    env.kongsync(&["diff", "kong.yaml", "--exit-code"]).success();
    let log = env.requests();
    for status in [503, 429, 0] {
        assert!(log.iter().any(|r| r.status == status), "no {status} was injected");
    }
}

#[test]
fn a_failed_step_skips_its_dependents_and_nothing_else() {
    let env = TestEnv::new();
    env.write("kong.yaml", &services_with_routes(3));
    // Find the id the plan gives service s1, then make every write to it fail.
    let plan = env.kongsync(&["diff", "kong.yaml", "--format", "json"]);
    let plan: serde_json::Value = serde_json::from_str(&plan.stdout).unwrap();
    let s1 = plan["steps"].as_array().unwrap().iter().find(|s| s["kind"] == "service" && s["key"] == "s1").unwrap();
    let id = s1["id"].as_str().unwrap().to_string();
    env.sim().set_faults(Faults {
        rules: vec![FaultRule {
            path: Some(format!("/services/{id}")),
            error_rate: 1.0,
            status: Some(400),
            ..FaultRule::default()
        }],
        ..Faults::default()
    });
    let out = env.kongsync(&["sync", "kong.yaml"]);
    out.expect_code(1);
    assert!(out.stdout.contains("failed: create service s1"), "{}", out.stdout);
    assert!(out.stdout.contains("skipped because of it: create route r1"), "{}", out.stdout);
    assert!(out.stdout.contains("skipped because of it: create plugin cors for route r1"), "{}", out.stdout);
    assert!(out.stdout.contains("6 done, 1 failed, 2 skipped"), "{}", out.stdout);
    env.sim().clear_faults();
    env.kongsync(&["sync", "kong.yaml"]).success();
    env.kongsync(&["diff", "kong.yaml", "--exit-code"]).success();
}
