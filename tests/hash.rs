//! `kongsync hash` through the binary: Kong's hash of a JSON document (the reference vectors), and
//! the same configuration hashing alike from the state files, from the live gateway, and as the
//! simulated control plane's `expected-config-hash`.

#![allow(clippy::unwrap_used)]

use crate::harness::TestEnv;
use serde_json::json;

#[test]
fn json_documents_hash_as_kong_hashes_them() {
    let env = TestEnv::new();
    let vectors = [
        ("{}", "2da3c26e4dbd6dd6ea3ab60a3dd7fb3e"),
        ("true", "b326b5062b2f0e69046810717534cb09"),
        (r#"{"routes": [], "services": [], "plugins": []}"#, "81aac97a81ad03c0cf0b36663806488e"),
        (r#"{"upstreams": [], "targets": []}"#, "4d60dd9998ea4314039da5ca2f1db96f"),
    ];
    for (doc, expected) in vectors {
        env.write("doc.json", doc);
        let out = env.run(&["hash", "--json-document", "doc.json"], &[], None);
        out.success();
        assert_eq!(out.stdout, format!("{expected}\n"), "{doc}");
        let out = env.run(&["hash", "--json-document", "-"], &[], Some(doc));
        assert_eq!(out.stdout, format!("{expected}\n"), "{doc} from stdin");
    }
    env.write("bad.json", "{");
    let out = env.run(&["hash", "--json-document", "bad.json"], &[], None);
    out.expect_code(1);
    assert!(out.stderr.contains("bad.json is not a JSON document"), "{}", out.stderr);
}

/// A configuration with explicit ids, so that the gateway can hold exactly the same one.
const STATE: &str = r#"_format_version: "3.0"
services:
  - name: orders
    id: 00000000-0000-4000-8000-000000000001
    host: orders.internal
    port: 8080
    routes:
      - name: orders-api
        id: 00000000-0000-4000-8000-000000000002
        paths: [/orders]
consumers:
  - username: alice
    id: 00000000-0000-4000-8000-000000000003
    groups:
      - name: gold
consumer_groups:
  - name: gold
    id: 00000000-0000-4000-8000-000000000005
"#;

fn put_state(env: &TestEnv, root: &str) {
    env.put(
        &format!("{root}/services/00000000-0000-4000-8000-000000000001"),
        json!({"name": "orders", "host": "orders.internal", "port": 8080}),
    );
    env.put(
        &format!("{root}/routes/00000000-0000-4000-8000-000000000002"),
        json!({"name": "orders-api", "paths": ["/orders"], "service": {"id": "00000000-0000-4000-8000-000000000001"}}),
    );
    env.put(&format!("{root}/consumers/00000000-0000-4000-8000-000000000003"), json!({"username": "alice"}));
    env.put(&format!("{root}/consumer_groups/00000000-0000-4000-8000-000000000005"), json!({"name": "gold"}));
    let (status, body) = env.request(
        "POST",
        &format!("{root}/consumer_groups/00000000-0000-4000-8000-000000000005/consumers"),
        Some(json!({"consumer": "00000000-0000-4000-8000-000000000003"})),
    );
    assert!(status < 300, "{status} {body}");
}

#[test]
fn files_and_the_live_gateway_hash_alike() {
    let env = TestEnv::enterprise();
    env.write("kong.yaml", STATE);
    let files = env.run(&["hash"], &[], None);
    files.success();
    assert_eq!(files.stdout.trim().len(), 32);
    let empty = env.kongsync(&["hash", "--live"]);
    empty.success();
    assert_ne!(files.stdout, empty.stdout);
    put_state(&env, "");
    let live = env.kongsync(&["hash", "--live"]);
    live.success();
    assert_eq!(files.stdout, live.stdout, "files:\n{}\nlive:\n{}", files.stderr, live.stderr);
}

#[test]
fn invalid_files_are_reported_not_hashed() {
    let env = TestEnv::new();
    env.write("kong.yaml", "_format_version: \"3.0\"\nservices:\n  - name: x\n");
    let out = env.run(&["hash", "kong.yaml"], &[], None);
    out.expect_code(1);
    assert!(out.stdout.is_empty());
    assert!(out.stderr.contains("error:"), "{}", out.stderr);
}
