//! `kongsync dump` through the binary against the simulator: the decK layout, YAML and JSON, files
//! written with mode 0600, determinism (two dumps, same bytes), reading in pages of 1,000, select
//! tags, `--skip-consumers`, `--with-id`, Konnect's `_konnect`, the embedded target, and a dump
//! that `validate` accepts.

#![allow(clippy::unwrap_used)]

use crate::harness::{repo_file, TestEnv};
use serde_json::{json, Value};

pub const SERVICE: &str = "00000000-0000-4000-8000-000000000001";
pub const ROUTE: &str = "00000000-0000-4000-8000-000000000002";
pub const CONSUMER: &str = "00000000-0000-4000-8000-000000000003";
pub const UPSTREAM: &str = "00000000-0000-4000-8000-000000000004";
pub const GROUP: &str = "00000000-0000-4000-8000-000000000005";

/// A small gateway with most kinds: a service with a route and plugins, a consumer with a key and a
/// group, an upstream with a target, a global plugin. `root` is the entities root (`""` on Kong).
pub fn seed(env: &TestEnv, root: &str) {
    env.put(
        &format!("{root}/services/{SERVICE}"),
        json!({"name": "orders", "host": "orders.internal", "port": 8080, "tags": ["team-a"]}),
    );
    env.put(
        &format!("{root}/routes/{ROUTE}"),
        json!({"name": "orders-api", "service": {"id": SERVICE}, "paths": ["/orders"], "tags": ["team-a"]}),
    );
    env.put(
        &format!("{root}/plugins/00000000-0000-4000-8000-000000000011"),
        json!({"name": "cors", "route": {"id": ROUTE}, "config": {"origins": ["https://shop.example"]}, "tags": ["team-a"]}),
    );
    env.put(
        &format!("{root}/plugins/00000000-0000-4000-8000-000000000012"),
        json!({"name": "rate-limiting", "service": {"id": SERVICE}, "config": {"minute": 10}}),
    );
    env.put(&format!("{root}/plugins/00000000-0000-4000-8000-000000000013"), json!({"name": "correlation-id"}));
    env.put(&format!("{root}/consumers/{CONSUMER}"), json!({"username": "alice", "tags": ["team-a"]}));
    env.put(
        &format!("{root}/key-auths/00000000-0000-4000-8000-000000000021"),
        json!({"key": "alice-key-0001", "consumer": {"id": CONSUMER}}),
    );
    env.put(&format!("{root}/consumer_groups/{GROUP}"), json!({"name": "gold"}));
    let (status, body) =
        env.request("POST", &format!("{root}/consumer_groups/{GROUP}/consumers"), Some(json!({"consumer": CONSUMER})));
    assert!(status < 300, "member: {status} {body}");
    env.put(&format!("{root}/upstreams/{UPSTREAM}"), json!({"name": "orders-backend"}));
    let (status, body) =
        env.request("POST", &format!("{root}/upstreams/{UPSTREAM}/targets"), Some(json!({"target": "10.0.0.1:8080"})));
    assert!(status < 300, "target: {status} {body}");
}

#[test]
fn dumps_are_nested_like_decks_private_and_deterministic() {
    let env = TestEnv::enterprise();
    seed(&env, "");
    let out = env.kongsync(&["dump"]);
    out.success();
    assert_filtered!(out.stderr, @"wrote kong.yaml: 1 consumer, 1 consumer-group, 1 consumer-group-consumer, 1 key-auth, 1 upstream, 1 target, 1 service, 1 route, 3 plugin");
    let first = env.read("kong.yaml");
    assert_filtered!(first, @r#"
    _format_version: "3.0"
    consumer_groups:
    - name: gold
    consumers:
    - groups:
      - name: gold
      keyauth_credentials:
      - key: alice-key-0001
      tags:
      - team-a
      username: alice
    plugins:
    - config:
        echo_downstream: false
        generator: uuid#counter
        header_name: Kong-Request-ID
      enabled: true
      name: correlation-id
      protocols:
      - grpc
      - grpcs
      - http
      - https
    services:
    - connect_timeout: 60000
      enabled: true
      host: orders.internal
      name: orders
      plugins:
      - config:
          day: null
          error_code: 429
          error_message: API rate limit exceeded
          fault_tolerant: true
          header_name: null
          hide_client_headers: false
          hour: null
          limit_by: consumer
          minute: 10
          month: null
          path: null
          policy: local
          redis_database: 0
          redis_host: null
          redis_password: null
          redis_port: 6379
          redis_server_name: null
          redis_ssl: false
          redis_ssl_verify: false
          redis_timeout: 2000
          redis_username: null
          second: null
          sync_rate: -1
          year: null
        enabled: true
        name: rate-limiting
        protocols:
        - grpc
        - grpcs
        - http
        - https
      port: 8080
      protocol: http
      read_timeout: 60000
      retries: 5
      routes:
      - https_redirect_status_code: 426
        name: orders-api
        path_handling: v0
        paths:
        - /orders
        plugins:
        - config:
            credentials: false
            exposed_headers: null
            headers: null
            max_age: null
            methods:
            - GET
            - HEAD
            - PUT
            - PATCH
            - POST
            - DELETE
            - OPTIONS
            - TRACE
            - CONNECT
            origins:
            - https://shop.example
            preflight_continue: false
            private_network: false
          enabled: true
          name: cors
          protocols:
          - grpc
          - grpcs
          - http
          - https
          tags:
          - team-a
        preserve_host: false
        protocols:
        - http
        - https
        regex_priority: 0
        request_buffering: true
        response_buffering: true
        strip_path: true
        tags:
        - team-a
      tags:
      - team-a
      write_timeout: 60000
    upstreams:
    - algorithm: round-robin
      hash_fallback: none
      hash_on: none
      hash_on_cookie_path: /
      healthchecks:
        active:
          concurrency: 10
          healthy:
            http_statuses:
            - 200
            - 302
            interval: 0
            successes: 0
          http_path: /
          https_verify_certificate: true
          timeout: 1
          type: http
          unhealthy:
            http_failures: 0
            http_statuses:
            - 429
            - 404
            - 500
            - 501
            - 502
            - 503
            - 504
            - 505
            interval: 0
            tcp_failures: 0
            timeouts: 0
        passive:
          healthy:
            http_statuses:
            - 200
            - 201
            - 202
            - 203
            - 204
            - 205
            - 206
            - 207
            - 208
            - 226
            - 300
            - 301
            - 302
            - 303
            - 304
            - 305
            - 306
            - 307
            - 308
            successes: 0
          type: http
          unhealthy:
            http_failures: 0
            http_statuses:
            - 429
            - 500
            - 503
            tcp_failures: 0
            timeouts: 0
        threshold: 0
      name: orders-backend
      slots: 10000
      targets:
      - target: 10.0.0.1:8080
        weight: 100
      use_srv_name: false
    "#);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(env.path("kong.yaml")).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    env.kongsync(&["dump", "-o", "second.yaml"]).success();
    assert_eq!(first, env.read("second.yaml"), "two dumps of one gateway differ");
}

#[test]
fn a_dump_is_a_valid_state_file() {
    let env = TestEnv::enterprise();
    seed(&env, "");
    env.kongsync(&["dump", "-o", "dumped.yaml"]).success();
    let out = env.run(&["validate", "dumped.yaml"], &[], None);
    out.success();
    assert_filtered!(out.stderr, @"valid: 1 consumer, 1 consumer-group, 1 consumer-group-consumer, 1 key-auth, 1 upstream, 1 target, 1 service, 1 route, 3 plugin");
    // The same with ids: still valid, and the ids are there.
    env.kongsync(&["dump", "--with-id", "-o", "with-id.yaml"]).success();
    env.run(&["validate", "with-id.yaml"], &[], None).success();
    assert!(env.read("with-id.yaml").contains(SERVICE));
    assert!(!env.read("dumped.yaml").contains(SERVICE), "ids are left out where names identify");
}

#[test]
fn json_to_standard_output() {
    let env = TestEnv::enterprise();
    seed(&env, "");
    let out = env.kongsync(&["dump", "-o", "-", "--format", "json"]);
    out.success();
    let doc: Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(doc["_format_version"], "3.0");
    assert_eq!(doc["services"][0]["name"], "orders");
    assert_eq!(doc["services"][0]["routes"][0]["name"], "orders-api");
    assert!(!env.path("kong.yaml").exists());
}

#[test]
fn lists_are_read_in_pages_of_1000() {
    let env = TestEnv::new();
    for i in 0..1005 {
        env.put(&format!("/consumers/user-{i:04}"), json!({"tags": ["bulk"]}));
    }
    env.clear_requests();
    let out = env.kongsync(&["dump", "-o", "-", "--format", "json"]);
    out.success();
    let doc: Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(doc["consumers"].as_array().unwrap().len(), 1005);
    let consumers: Vec<_> = env.requests().into_iter().filter(|r| r.path == "/consumers").collect();
    assert_eq!(consumers.len(), 2, "two pages: {consumers:?}");
    for r in &consumers {
        assert_eq!(r.method, "GET");
        assert!(r.query.contains("size=1000"), "{}", r.query);
    }
    assert!(consumers.iter().any(|r| r.query.contains("offset=")), "the second page follows the offset");
}

#[test]
fn select_tags_and_skip_consumers_narrow_the_dump() {
    let env = TestEnv::enterprise();
    seed(&env, "");
    let out = env.kongsync(&["dump", "-o", "-", "--format", "json", "--select-tag", "team-a"]);
    out.success();
    let doc: Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(doc["_info"], json!({"defaults": {}, "select_tags": ["team-a"]}));
    assert!(doc.get("upstreams").is_none(), "untagged upstream left out");
    assert_eq!(doc["consumers"][0]["username"], "alice");
    let tagged_list = env.requests().into_iter().any(|r| r.path == "/services" && r.query.contains("tags=team-a"));
    assert!(tagged_list, "the tag filter is sent to the gateway");

    let out = env.kongsync(&["dump", "-o", "-", "--format", "json", "--skip-consumers"]);
    out.success();
    let doc: Value = serde_json::from_str(&out.stdout).unwrap();
    assert!(doc.get("consumers").is_none() && doc.get("consumer_groups").is_none(), "{doc}");
    assert!(doc.get("services").is_some());
}

#[test]
fn konnect_dumps_name_their_control_plane() {
    let env = TestEnv::new();
    let cp = env.sim().default_control_plane_id();
    seed(&env, &format!("/v2/control-planes/{cp}/core-entities"));
    env.clear_requests();
    let out = env.run(
        &["dump", "-o", "-", "--konnect-addr", &env.url(), "--konnect-token", crate::harness::SIM_TOKEN],
        &[],
        None,
    );
    out.success();
    assert!(out.stdout.contains("_konnect:\n  control_plane_name: default\n"), "{}", out.stdout);
    assert!(out.stdout.contains("name: orders"));
    let reads: Vec<_> = env.requests().into_iter().filter(|r| r.path.contains("/core-entities/")).collect();
    assert!(!reads.is_empty());
    assert!(reads.iter().all(|r| r.path.starts_with(&format!("/v2/control-planes/{cp}/core-entities/"))));
    assert!(reads.iter().any(|r| r.path.ends_with("/core-entities/targets")), "Konnect's global target list");
}

#[test]
fn the_embedded_gateway_is_kept_between_runs() {
    let env = TestEnv::new();
    let out = env.run(&["--kong-addr", "embedded", "dump", "-o", "-"], &[], None);
    out.success();
    assert_eq!(out.stdout, "_format_version: \"3.0\"\n");
    let store = env.path(".kongsync/sim.json");
    assert!(store.exists(), "the embedded store is saved");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&store).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    env.run(&["--kong-addr", "embedded", "dump", "-o", "-"], &[], None).success();
}

#[test]
fn an_unreachable_gateway_is_an_error() {
    let env = TestEnv::new();
    let out = env.run(&["--kong-addr", "http://127.0.0.1:1", "--timeout", "2", "dump"], &[], None);
    out.expect_code(1);
    assert!(out.stderr.contains("not reachable"), "{}", out.stderr);
    assert!(!env.path("kong.yaml").exists(), "no file on failure");
}

/// Basic-auth passwords leave Kong only as their hash, so they cannot come back byte for byte.
fn without_passwords(dump: &str) -> String {
    dump.lines()
        .filter(|l| !l.trim_start().trim_start_matches("- ").starts_with("password:"))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn a_dump_synced_to_an_empty_gateway_dumps_the_same() {
    let first = TestEnv::enterprise();
    first.write("kong.yaml", &repo_file("examples/state/kong.yaml"));
    first.kongsync(&["sync", "kong.yaml"]).success();
    first.kongsync(&["dump", "-o", "dump.yaml"]).success();
    let dumped = first.read("dump.yaml");

    let second = TestEnv::enterprise();
    second.write("kong.yaml", &dumped);
    second.kongsync(&["validate", "kong.yaml"]).success();
    second.kongsync(&["sync", "kong.yaml"]).success();
    second.kongsync(&["diff", "kong.yaml", "--exit-code"]).success();
    second.kongsync(&["dump", "-o", "again.yaml"]).success();
    assert_eq!(without_passwords(&second.read("again.yaml")), without_passwords(&dumped));
}

#[test]
fn reads_retry_through_429s_503s_and_dropped_connections() {
    use kongsync_sim::{FaultRule, Faults};
    let env = TestEnv::enterprise();
    env.write("kong.yaml", &repo_file("examples/state/kong.yaml"));
    env.kongsync(&["sync", "kong.yaml"]).success();
    env.kongsync(&["dump", "-o", "clean.yaml"]).success();
    env.sim().set_faults(Faults {
        // One rule: the simulator applies the first rule that matches a request.
        rules: vec![FaultRule {
            method: Some("GET".into()),
            error_rate: 0.2,
            status: Some(503),
            rate_429: 0.15,
            retry_after_s: Some(1),
            drop_rate: 0.1,
            ..FaultRule::default()
        }],
        ..Faults::default()
    });
    env.clear_requests();
    env.kongsync(&["dump", "-o", "faulty.yaml"]).success();
    let statuses: Vec<u16> = env.requests().iter().map(|r| r.status).collect();
    for status in [503, 429, 0] {
        assert!(statuses.contains(&status), "no {status} was injected: {statuses:?}");
    }
    assert_eq!(env.read("faulty.yaml"), env.read("clean.yaml"));
}
