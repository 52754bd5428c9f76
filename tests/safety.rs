//! Never lose production data: deletes run only after every other write succeeded, mass deletes are
//! refused before any write, `apply` never deletes, and a saved plan runs only as computed.

use crate::harness::TestEnv;
use kongsync_sim::{FaultRule, Faults};
use serde_json::Value;

const WITH_KEY_AUTH: &str = "_format_version: \"3.0\"\nservices:\n- name: orders\n  host: orders.internal\n  \
                             plugins:\n  - name: key-auth\n";
const WITH_BASIC_AUTH: &str = "_format_version: \"3.0\"\nservices:\n- name: orders\n  host: orders.internal\n  \
                               plugins:\n  - name: basic-auth\n";

/// The sorted names of the entities a listing holds (`/plugins`, `/services`).
fn names(env: &TestEnv, listing: &str) -> Vec<String> {
    let (status, body) = env.request("GET", listing, None);
    assert_eq!(status, 200, "{body}");
    let mut names: Vec<String> =
        body["data"].as_array().unwrap().iter().map(|p| p["name"].as_str().unwrap().to_string()).collect();
    names.sort();
    names
}

/// The id the plan gives the step matching `action`, `kind` and key.
fn planned_id(env: &TestEnv, file: &str, action: &str, kind: &str, key: &str) -> String {
    let plan = env.kongsync(&["diff", file, "--format", "json"]);
    let plan: Value = serde_json::from_str(&plan.stdout).unwrap();
    let step = plan["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["action"] == action && s["kind"] == kind && s["key"].as_str().unwrap().starts_with(key));
    step.unwrap_or_else(|| panic!("no {action} {kind} {key} in {plan}"))["id"].as_str().unwrap().to_string()
}

#[test]
fn a_failed_create_holds_back_the_delete_of_what_it_replaces() {
    let env = TestEnv::new();
    env.write("kong.yaml", WITH_KEY_AUTH);
    env.kongsync(&["sync", "kong.yaml"]).success();
    env.write("kong.yaml", WITH_BASIC_AUTH);
    let id = planned_id(&env, "kong.yaml", "create", "plugin", "basic-auth");
    env.sim().set_faults(Faults {
        rules: vec![FaultRule {
            path: Some(format!("/plugins/{id}")),
            error_rate: 1.0,
            status: Some(400),
            ..FaultRule::default()
        }],
        ..Faults::default()
    });
    env.clear_requests();
    let out = env.kongsync(&["sync", "kong.yaml"]);
    out.expect_code(1);
    assert!(out.stdout.contains("failed: create plugin basic-auth"), "{}", out.stdout);
    assert!(out.stdout.contains("held back"), "{}", out.stdout);
    assert!(out.stdout.contains("delete plugin key-auth"), "{}", out.stdout);
    assert!(!env.writes().iter().any(|w| w.starts_with("DELETE")), "{:?}", env.writes());
    // The service keeps its authentication.
    env.sim().clear_faults();
    assert_eq!(names(&env, "/plugins"), vec!["key-auth"]);
    // Once the create goes through, the delete follows it in the same run.
    env.clear_requests();
    env.kongsync(&["sync", "kong.yaml"]).success();
    assert_eq!(names(&env, "/plugins"), vec!["basic-auth"]);
    let writes = env.writes();
    assert_eq!(writes.len(), 2, "{writes:?}");
    assert!(writes[0].starts_with("PUT") && writes[1].starts_with("DELETE"), "{writes:?}");
}

const THREE: &str = "_format_version: \"3.0\"\nservices:\n- name: a\n  host: a.internal\n\
                     - name: b\n  host: b.internal\n- name: c\n  host: c.internal\n";

#[test]
fn a_file_that_would_empty_a_non_empty_gateway_is_refused_before_any_write() {
    let env = TestEnv::new();
    env.write("kong.yaml", THREE);
    env.kongsync(&["sync", "kong.yaml"]).success();
    env.write("empty.yaml", "_format_version: \"3.0\"\nservices: []\n");
    env.clear_requests();
    let out = env.kongsync(&["sync", "empty.yaml"]);
    out.expect_code(1);
    assert!(out.stderr.contains("deletes all 3 entities in scope"), "{}", out.stderr);
    assert!(out.stderr.contains("kongsync reset"), "{}", out.stderr);
    assert_eq!(env.writes(), Vec::<String>::new());
    assert_eq!(names(&env, "/services"), vec!["a", "b", "c"]);
    // A saved plan that does the same is refused as well.
    env.kongsync(&["diff", "empty.yaml", "--out", "plan.json"]).success();
    let out = env.kongsync(&["sync", "--plan", "plan.json"]);
    out.expect_code(1);
    assert!(out.stderr.contains("kongsync reset"), "{}", out.stderr);
    assert_eq!(env.writes(), Vec::<String>::new());
}

#[test]
fn max_deletes_refuses_a_plan_with_more_deletes_before_any_write() {
    let env = TestEnv::new();
    env.write("kong.yaml", THREE);
    env.kongsync(&["sync", "kong.yaml"]).success();
    env.write("one.yaml", "_format_version: \"3.0\"\nservices:\n- name: a\n  host: a.internal\n");
    env.clear_requests();
    let out = env.kongsync(&["sync", "one.yaml", "--max-deletes", "1"]);
    out.expect_code(1);
    assert!(out.stderr.contains("deletes 2 entities, more than the 1 allowed"), "{}", out.stderr);
    assert_eq!(env.writes(), Vec::<String>::new());
    assert_eq!(names(&env, "/services"), vec!["a", "b", "c"]);
    env.kongsync(&["sync", "one.yaml", "--max-deletes", "2"]).success();
    assert_eq!(names(&env, "/services"), vec!["a"]);
}

#[test]
fn apply_creates_and_updates_but_never_deletes() {
    let env = TestEnv::new();
    env.write("kong.yaml", THREE);
    env.kongsync(&["sync", "kong.yaml"]).success();
    env.write(
        "new.yaml",
        "_format_version: \"3.0\"\nservices:\n- name: a\n  host: moved.internal\n- name: d\n  host: d.internal\n",
    );
    env.clear_requests();
    let out = env.kongsync(&["apply", "new.yaml"]);
    out.success();
    assert!(out.stderr.contains("left out (apply never deletes): delete service b"), "{}", out.stderr);
    let writes = env.writes();
    assert_eq!(writes.len(), 2, "{writes:?}");
    assert!(writes.iter().all(|w| w.starts_with("PUT /services/")), "{writes:?}");
    assert_eq!(names(&env, "/services"), vec!["a", "b", "c", "d"]);
    let (_, a) = env.request("GET", "/services/a", None);
    assert_eq!(a["host"], "moved.internal");
}

#[test]
fn a_write_by_someone_else_during_the_sync_fails_its_verification() {
    let env = TestEnv::new();
    env.write(
        "kong.yaml",
        "_format_version: \"3.0\"\nservices:\n- name: a\n  host: a.internal\n- name: b\n  host: b.internal\n",
    );
    let a = planned_id(&env, "kong.yaml", "create", "service", "a");
    let b = planned_id(&env, "kong.yaml", "create", "service", "b");
    // b's write is held for 3 s: long enough for another writer to change a after the sync wrote it.
    env.sim().set_faults(Faults {
        rules: vec![FaultRule {
            method: Some("PUT".into()),
            path: Some(format!("/services/{b}")),
            latency_ms: Some((3000, 3000)),
            ..FaultRule::default()
        }],
        ..Faults::default()
    });
    let dir = env.path(".");
    let url = env.url();
    let sync = std::thread::spawn(move || {
        crate::harness::run_binary(&dir, &["--kong-addr", &url, "sync", "kong.yaml"], &[], None)
    });
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while !env.writes().contains(&format!("PUT /services/{a}")) {
        assert!(std::time::Instant::now() < deadline, "the sync never wrote a: {:?}", env.writes());
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    env.put(&format!("/services/{a}"), serde_json::json!({"name": "a", "host": "someone-else.internal"}));
    let out = sync.join().unwrap();
    out.expect_code(1);
    assert!(out.stderr.contains("does not match the files after the sync"), "{}", out.stderr);
    assert!(out.stderr.contains("someone-else.internal"), "{}", out.stderr);
    let (_, live) = env.request("GET", &format!("/services/{a}"), None);
    assert_eq!(live["host"], "someone-else.internal");
}

#[test]
fn a_saved_plan_with_a_changed_request_or_a_removed_step_is_refused() {
    let env = TestEnv::new();
    env.write("kong.yaml", THREE);
    env.kongsync(&["diff", "kong.yaml", "--out", "plan.json"]).success();
    let text = env.read("plan.json");
    let tampered = text.replace("b.internal", "evil.internal");
    assert_ne!(tampered, text);
    env.write("body.json", &tampered);
    let mut plan: Value = serde_json::from_str(&text).unwrap();
    plan["steps"].as_array_mut().unwrap().pop();
    env.write("step.json", &serde_json::to_string_pretty(&plan).unwrap());
    env.clear_requests();
    for file in ["body.json", "step.json"] {
        let out = env.kongsync(&["sync", "--plan", file]);
        out.expect_code(1);
        assert!(out.stderr.contains("changed after it was computed"), "{file}: {}", out.stderr);
        assert_eq!(env.writes(), Vec::<String>::new(), "{file}");
    }
    assert_eq!(names(&env, "/services"), Vec::<String>::new());
    // The plan as written runs.
    env.kongsync(&["sync", "--plan", "plan.json"]).success();
    assert_eq!(names(&env, "/services"), vec!["a", "b", "c"]);
}
