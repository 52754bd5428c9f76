//! The pre-merge flow: `diff --out plan.json` saves the plan reviewed in a pull request, and
//! `sync --plan plan.json` runs exactly it, refusing it when the gateway moved in between.

use crate::harness::TestEnv;

const STATE: &str = "_format_version: \"3.0\"\nservices:\n- name: orders\n  host: orders.internal\n\
                     consumers:\n- username: bob\n  basicauth_credentials:\n  - username: bob\n    password: hunter2-secret\n";

#[test]
fn a_saved_plan_runs_and_converges() {
    let env = TestEnv::new();
    env.write("kong.yaml", STATE);
    env.kongsync(&["diff", "kong.yaml", "--out", "plan.json"]).success();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(env.path("plan.json")).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "the plan holds credentials");
    }
    let out = env.kongsync(&["sync", "--plan", "plan.json"]);
    out.success();
    assert!(!out.stdout.contains("hunter2-secret") && !out.stderr.contains("hunter2-secret"));
    // A basic-auth password is stored hashed: the next diff must still see no change.
    env.kongsync(&["diff", "kong.yaml", "--exit-code"]).success();
}

#[test]
fn a_stale_plan_is_refused() {
    let env = TestEnv::new();
    env.write("kong.yaml", STATE);
    env.kongsync(&["diff", "kong.yaml", "--out", "plan.json"]).success();
    env.put("/services/billing", serde_json::json!({"host": "billing.internal"}));
    env.clear_requests();
    let out = env.kongsync(&["sync", "--plan", "plan.json"]);
    out.expect_code(1);
    assert!(out.stderr.contains("stale"), "{}", out.stderr);
    assert_eq!(env.writes(), Vec::<String>::new(), "a refused plan must not write");
}

#[test]
fn a_plan_of_an_unknown_format_version_is_refused() {
    let env = TestEnv::new();
    env.write("kong.yaml", STATE);
    env.kongsync(&["diff", "kong.yaml", "--out", "plan.json"]).success();
    let text = env.read("plan.json").replace("\"format_version\": 1", "\"format_version\": 99");
    env.write("plan.json", &text);
    let out = env.kongsync(&["sync", "--plan", "plan.json"]);
    out.expect_code(1);
    assert!(out.stderr.contains("format version 99"), "{}", out.stderr);
}
