//! Nothing is written before the whole input is known to be accepted: what the files get wrong
//! offline is refused by `validate` and `sync` with file, entity and field; what only the gateway
//! can judge (its plugins, PEM blobs, the checks kongsync's own schemas do not carry) is asked of
//! it before the first write, every create and update at once, and a single refusal stops the sync.
//! Each test asserts on the simulator's request log (GETs and validations only) and on its state.

use crate::harness::{TestEnv, SIM_TOKEN};
use serde_json::json;

/// A gateway whose `orders` service is protected by key-auth, and whose upstream has one target.
fn protected() -> TestEnv {
    let env = TestEnv::new();
    env.put("/services/orders", json!({"host": "orders.internal"}));
    env.put(
        "/plugins/2b0c9d40-0000-4000-8000-000000000001",
        json!({"name": "key-auth", "service": {"name": "orders"}}),
    );
    env.put("/upstreams/orders-up", json!({}));
    let (status, _) = env.request("POST", "/upstreams/orders-up/targets", Some(json!({"target": "10.0.0.1:80"})));
    assert_eq!(status, 201);
    env.clear_requests();
    env
}

/// What the gateway holds, compared before and after a refused run.
fn holdings(env: &TestEnv) -> Vec<serde_json::Value> {
    ["/services", "/plugins", "/upstreams", "/upstreams/orders-up/targets", "/certificates"]
        .iter()
        .map(|p| env.request("GET", p, None).1["data"].clone())
        .collect()
}

const BASE: &str = "_format_version: \"3.0\"\nservices:\n- name: orders\n  host: orders.internal\n";

#[test]
fn offline_refusals_name_file_entity_and_field_and_send_nothing() {
    let env = protected();
    let before = holdings(&env);
    env.clear_requests();
    // Each of these reached the gateway before, after the deletes of what it replaced had run.
    env.write(
        "kong.yaml",
        "_format_version: \"3.0\"\nupstreams:\n- name: orders-up:80\n  targets:\n  - target: \":::\"\n\
         certificates:\n- id: 5e9c8d4e-0000-4000-8000-000000000002\n  cert: c\n  key: k\n  snis:\n  - name: a.*.example.com\n\
         services:\n- name: orders\n  host: orders.internal\n  routes:\n  - name: r\n    paths: [\"~/(x\"]\n    methods: [get]\n",
    );
    let out = env.kongsync(&["sync", "kong.yaml"]);
    out.expect_code(1);
    assert_filtered!(out.stderr, @r#"
    error: kong.yaml: route "r": field `methods[0]`: invalid value: get
    error: kong.yaml: route "r": field `paths[0]`: invalid regex: '/(x' (PCRE returned: missing closing parenthesis)
    error: kong.yaml: upstream "orders-up:80": field `name`: Invalid name ('orders-up:80'); no port allowed
    error: kong.yaml: target ":::" at upstreams[0].targets[0]: field `target`: Invalid target (':::'); not a valid hostname or ip address
    error: kong.yaml: sni "a.*.example.com": field `name`: wildcard must be leftmost or rightmost character
    error: 5 problems in the state files
    "#);
    let sent: Vec<String> = env.requests().iter().map(|r| format!("{} {}", r.method, r.path)).collect();
    assert!(sent.is_empty(), "an offline refusal sends nothing: {sent:?}");
    assert_eq!(holdings(&env), before);
}

#[test]
fn a_plugin_the_gateway_lacks_is_refused_before_any_write_and_nothing_is_deleted() {
    let env = protected();
    let before = holdings(&env);
    env.clear_requests();
    // The key-auth plugin would be deleted while its replacement fails: the service left open.
    env.write("kong.yaml", &format!("{BASE}  plugins:\n  - name: no-such-plugin\n"));
    let out = env.kongsync(&["sync", "kong.yaml"]);
    out.expect_code(1);
    assert!(
        out.stderr.contains(
            "error: plugin no-such-plugin for service orders: field `name`: plugin 'no-such-plugin' not enabled"
        ),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("refusing to sync, nothing was written"), "{}", out.stderr);
    assert_eq!(env.writes(), Vec::<String>::new());
    assert!(env.requests().iter().all(|r| r.method == "GET"), "only reads: {:?}", env.requests());
    assert_eq!(holdings(&env), before);
}

#[test]
fn every_refusal_of_the_gateway_is_reported_together_and_nothing_is_written() {
    let env = protected();
    let before = holdings(&env);
    // Valid offline; the gateway refuses a PEM that is none and a rate limit without any limit (an
    // entity check of the plugin's schema), and accepts the rest: one refusal is enough to write nothing.
    env.write(
        "kong.yaml",
        &format!(
            "{BASE}  plugins:\n  - name: rate-limiting\n    config:\n      policy: local\n\
             - name: payments\n  host: payments.internal\n\
             certificates:\n- id: 5e9c8d4e-0000-4000-8000-000000000002\n  cert: not a certificate\n  key: not a key\n"
        ),
    );
    let out = env.kongsync(&["sync", "kong.yaml"]);
    out.expect_code(1);
    let refused: Vec<&str> = out.stderr.lines().filter(|l| l.starts_with("error: ")).collect();
    assert!(refused.iter().any(|l| l.starts_with("error: certificate ") && l.contains("field `cert`")), "{refused:#?}");
    assert!(refused.iter().any(|l| l.contains("field `key`")), "{refused:#?}");
    assert!(
        refused.iter().any(|l| l.starts_with(
            "error: plugin rate-limiting for service orders: at least one of these fields must be non-empty: 'config.second'"
        )),
        "{refused:#?}"
    );
    assert!(refused.iter().any(|l| l.contains("refusing to sync, nothing was written")), "{refused:#?}");
    assert_eq!(env.writes(), Vec::<String>::new());
    // The payments service, valid, was validated too, and is not written either.
    let validations = env.validations();
    assert!(validations.contains(&"POST /schemas/services/validate".to_string()), "{validations:?}");
    assert!(validations.contains(&"POST /schemas/plugins/validate".to_string()), "{validations:?}");
    assert!(validations.contains(&"POST /schemas/certificates/validate".to_string()), "{validations:?}");
    assert_eq!(holdings(&env), before);
}

#[test]
fn an_accepted_plan_is_validated_once_per_write_then_written() {
    let env = protected();
    env.write(
        "kong.yaml",
        &format!("{BASE}  plugins:\n  - name: key-auth\n- name: payments\n  host: payments.internal\n"),
    );
    let out = env.kongsync(&["sync", "kong.yaml"]);
    out.success();
    // Creates and updates are validated (the new service); deletes (the upstream) are not.
    assert_eq!(env.validations(), ["POST /schemas/services/validate"]);
    assert_eq!(env.request("GET", "/services/payments", None).0, 200);
    assert_eq!(env.request("GET", "/upstreams/orders-up", None).0, 404);
}

#[test]
fn validate_online_asks_the_gateway_and_writes_nothing() {
    let env = protected();
    let before = holdings(&env);
    let url = env.url();
    env.write("bad.yaml", &format!("{BASE}  plugins:\n  - name: rate-limiting\n    config:\n      policy: local\n"));
    let offline = env.kongsync(&["validate", "bad.yaml"]);
    offline.success();
    let online = env.run(&["--kong-addr", &url, "validate", "--online", "bad.yaml"], &[], None);
    online.expect_code(1);
    assert!(
        online.stderr.contains("at least one of these fields must be non-empty: 'config.second'"),
        "{}",
        online.stderr
    );
    env.write("good.yaml", &format!("{BASE}- name: payments\n  host: payments.internal\n"));
    let good = env.run(&["--kong-addr", &url, "validate", "--online", "good.yaml"], &[], None);
    good.success();
    assert!(good.stderr.contains("the gateway accepts the 1 writes a sync would send"), "{}", good.stderr);
    assert_eq!(env.writes(), Vec::<String>::new());
    assert_eq!(holdings(&env), before);
}

#[test]
fn konnect_validates_through_its_core_entities_schemas() {
    let env = TestEnv::new();
    let url = env.url();
    let konnect = |rest: &[&str]| {
        let mut args =
            vec!["--konnect-addr", &url, "--konnect-token", SIM_TOKEN, "--konnect-control-plane-name", "default"];
        args.extend_from_slice(rest);
        env.run(&args, &[], None)
    };
    env.write("kong.yaml", &format!("{BASE}  plugins:\n  - name: rate-limiting\n    config:\n      policy: local\n"));
    env.clear_requests();
    let out = konnect(&["sync", "kong.yaml"]);
    out.expect_code(1);
    assert!(out.stderr.contains("at least one of these fields must be non-empty: 'config.second'"), "{}", out.stderr);
    assert_eq!(env.writes(), Vec::<String>::new());
    let validations = env.validations();
    assert!(validations.iter().all(|v| v.contains("/core-entities/schemas/")), "{validations:?}");
    assert_eq!(validations.len(), 2, "the service and the plugin: {validations:?}");
}

#[test]
fn a_saved_plan_is_validated_before_it_runs() {
    let env = protected();
    let before = holdings(&env);
    let url = env.url();
    env.write("kong.yaml", &format!("{BASE}  plugins:\n  - name: rate-limiting\n    config:\n      policy: local\n"));
    env.run(&["--kong-addr", &url, "diff", "kong.yaml", "--out", "plan.json"], &[], None).success();
    env.clear_requests();
    let out = env.run(&["--kong-addr", &url, "sync", "--plan", "plan.json"], &[], None);
    out.expect_code(1);
    assert!(out.stderr.contains("at least one of these fields must be non-empty: 'config.second'"), "{}", out.stderr);
    assert_eq!(env.writes(), Vec::<String>::new());
    assert!(!env.validations().is_empty());
    assert_eq!(holdings(&env), before);
}
