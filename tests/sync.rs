//! `sync` and `diff` against the simulator, asserting on its request log: everything a file holds
//! is created, a second run writes nothing, a change writes exactly the changed entities, and the
//! requests come in dependency order.

use crate::harness::{repo_file, TestEnv};

/// The position of the first write whose path contains `part`.
fn position(log: &[String], method: &str, part: &str) -> usize {
    log.iter()
        .position(|w| w.starts_with(method) && w.contains(part))
        .unwrap_or_else(|| panic!("no {method} {part} in {log:#?}"))
}

#[test]
fn the_example_syncs_and_then_nothing_differs_for_any_kind() {
    let env = TestEnv::enterprise();
    env.write("kong.yaml", &repo_file("examples/state/kong.yaml"));
    env.kongsync(&["sync", "kong.yaml"]).success();
    let diff = env.kongsync(&["diff", "kong.yaml", "--exit-code"]);
    diff.success();
    assert!(diff.stdout.contains("No changes"), "{}", diff.stdout);
    env.clear_requests();
    env.kongsync(&["sync", "kong.yaml"]).success();
    assert_eq!(env.writes(), Vec::<String>::new(), "a converged sync must not write");
}

const BASE: &str = r#"_format_version: "3.0"
services:
- name: orders
  host: orders.internal
  routes:
  - name: orders-api
    paths: [/orders]
    plugins:
    - name: rate-limiting
      config: {minute: 10, policy: local}
- name: billing
  host: billing.internal
consumers:
- username: alice
  keyauth_credentials:
  - key: alice-key-0001
"#;

#[test]
fn a_change_writes_exactly_the_changed_entities() {
    let env = TestEnv::new();
    env.write("kong.yaml", BASE);
    env.kongsync(&["sync", "kong.yaml"]).success();
    let changed = BASE.replace("minute: 10", "minute: 20").replace("billing.internal", "billing.example");
    env.write("kong.yaml", &changed);
    let diff = env.kongsync(&["diff", "kong.yaml", "--exit-code"]);
    diff.expect_code(2);
    assert!(diff.stdout.contains("0 to create, 2 to update, 0 to delete"), "{}", diff.stdout);
    env.clear_requests();
    env.kongsync(&["sync", "kong.yaml"]).success();
    let w = env.writes();
    assert_eq!(w.len(), 2, "{w:#?}");
    assert!(w.iter().all(|x| x.starts_with("PUT ")), "{w:#?}");
    assert!(w.iter().any(|x| x.starts_with("PUT /plugins/")), "{w:#?}");
    assert!(w.iter().any(|x| x.starts_with("PUT /services/")), "{w:#?}");
}

#[test]
fn creates_go_parent_first_and_deletes_child_first() {
    let env = TestEnv::new();
    env.write("kong.yaml", BASE);
    env.kongsync(&["sync", "kong.yaml"]).success();
    let w = env.writes();
    assert!(position(&w, "PUT", "/services/") < position(&w, "PUT", "/routes/"));
    assert!(position(&w, "PUT", "/routes/") < position(&w, "PUT", "/plugins/"));
    assert!(position(&w, "PUT", "/consumers/") < position(&w, "PUT", "/key-auth/"));

    let (_, orders) = env.request("GET", "/services/orders", None);
    let orders = format!("/services/{}", orders["id"].as_str().unwrap());
    // One new consumer is kept: a file emptied of everything is refused (tests/safety.rs).
    env.write("kong.yaml", "_format_version: \"3.0\"\nconsumers:\n- username: keeper\n");
    env.clear_requests();
    let out = env.kongsync(&["sync", "kong.yaml"]);
    out.success();
    let w = env.writes();
    assert!(position(&w, "DELETE", "/routes/") < position(&w, "DELETE", &orders), "{w:#?}");
    // Kong deletes plugins with their route and credentials with their consumer.
    assert!(!w.iter().any(|x| x.contains("/plugins/") || x.contains("key-auth")), "{w:#?}");
    assert!(out.stdout.contains("deleted by Kong with its"), "{}", out.stdout);
    env.kongsync(&["diff", "kong.yaml", "--exit-code"]).success();
}

#[test]
fn a_route_moves_to_a_new_service_before_the_old_one_goes() {
    let env = TestEnv::new();
    env.write("kong.yaml", BASE);
    env.kongsync(&["sync", "kong.yaml"]).success();
    let moved = BASE.replace("- name: orders\n  host: orders.internal", "- name: orders-v2\n  host: orders.internal");
    env.write("kong.yaml", &moved);
    env.clear_requests();
    env.kongsync(&["sync", "kong.yaml"]).success();
    let w = env.writes();
    let create = position(&w, "PUT", "/services/");
    let route = position(&w, "PUT", "/routes/");
    let delete = position(&w, "DELETE", "/services/");
    assert!(create < route && route < delete, "{w:#?}");
    env.kongsync(&["diff", "kong.yaml", "--exit-code"]).success();
}

#[test]
fn a_unique_value_moves_between_consumers_in_one_run() {
    let env = TestEnv::new();
    env.write("kong.yaml", "_format_version: \"3.0\"\nconsumers:\n- username: old\n  custom_id: emp-1\n");
    env.kongsync(&["sync", "kong.yaml"]).success();
    env.write("kong.yaml", "_format_version: \"3.0\"\nconsumers:\n- username: new\n  custom_id: emp-1\n");
    env.clear_requests();
    env.kongsync(&["sync", "kong.yaml"]).success();
    let w = env.writes();
    assert!(position(&w, "DELETE", "/consumers/") < position(&w, "PUT", "/consumers/"), "{w:#?}");
    env.kongsync(&["diff", "kong.yaml", "--exit-code"]).success();
}

#[test]
fn diff_renders_json_and_markdown() {
    let env = TestEnv::new();
    env.write("kong.yaml", BASE);
    let json = env.kongsync(&["diff", "kong.yaml", "--format", "json"]);
    json.success();
    let plan: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(plan["summary"]["create"], 6);
    assert_eq!(plan["steps"][0]["action"], "create");
    assert!(plan["steps"].as_array().unwrap().iter().any(|s| s["kind"] == "key-auth"));
    assert!(!json.stdout.contains("alice-key-0001"), "a credential leaked into the JSON plan");
    let md = env.kongsync(&["diff", "kong.yaml", "--format", "markdown"]);
    md.success();
    assert!(md.stdout.starts_with("### kongsync plan: 6 to create, 0 to update, 0 to delete"), "{}", md.stdout);
    assert!(!md.stdout.contains("alice-key-0001"));
    assert_eq!(env.writes(), Vec::<String>::new(), "diff must not write");
}

#[test]
fn the_example_syncs_to_a_konnect_control_plane_and_then_nothing_differs() {
    let env = TestEnv::new();
    let url = env.url();
    let example = repo_file("examples/state/kong.yaml");
    env.write("kong.yaml", &example);
    let konnect = |rest: &[&str]| {
        let mut args =
            vec!["--konnect-addr", url.as_str(), "--konnect-token", crate::harness::SIM_TOKEN, "--rate-limit", "1000"];
        args.extend_from_slice(rest);
        env.run(&args, &[], None)
    };
    // Konnect has no OAuth2 credentials: refused before anything is written.
    let refused = konnect(&["sync", "kong.yaml"]);
    refused.expect_code(1);
    assert!(refused.stderr.contains("Konnect has no oauth2-cred entities"), "{}", refused.stderr);
    assert_eq!(env.writes(), Vec::<String>::new());
    env.write("kong.yaml", &crate::harness::example_for_konnect());
    konnect(&["sync", "kong.yaml"]).success();
    let w = env.writes();
    assert!(w.iter().all(|x| x.contains("/v2/control-planes/")), "{w:#?}");
    assert!(
        w.iter().any(|x| x.starts_with("PUT ") && x.contains("/targets/")),
        "Konnect creates targets by PUT: {w:#?}"
    );
    konnect(&["diff", "kong.yaml", "--exit-code"]).success();
    env.clear_requests();
    konnect(&["sync", "kong.yaml"]).success();
    assert_eq!(env.writes(), Vec::<String>::new());
}

/// Kong OSS 3.5 has no consumer groups (kong/constants.lua CORE_ENTITIES at 3.5.0; the listing is 404):
/// a file that defines one, or a plugin scoped to one, is refused before any write, saying why.
#[test]
fn consumer_groups_are_refused_on_a_community_gateway_before_any_write() {
    let env = TestEnv::new();
    env.write(
        "kong.yaml",
        "_format_version: \"3.0\"\nservices:\n- name: s\n  host: h\nconsumer_groups:\n- name: gold\n  plugins:\n  - name: rate-limiting\n    config: {minute: 5}\n",
    );
    let out = env.kongsync(&["sync", "kong.yaml"]);
    out.expect_code(1);
    assert!(out.stderr.contains("no consumer-group entities"), "{}", out.stderr);
    assert!(out.stderr.contains("open-source edition"), "{}", out.stderr);
    assert!(out.stderr.contains("consumer-group gold"), "{}", out.stderr);
    assert_eq!(env.writes(), Vec::<String>::new());
    // The same files sync to an Enterprise gateway.
    let enterprise = TestEnv::enterprise();
    enterprise.write("kong.yaml", &env.read("kong.yaml"));
    enterprise.kongsync(&["sync", "kong.yaml"]).success();
}
