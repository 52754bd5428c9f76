//! Isolation and secrecy: a scoped run never takes over what another owner manages (decK refuses the
//! same way: its sync fixture 040-avoid-entity-rewrite-with-id-on-select-tag-mismatch), and secrets
//! are never shown.

use crate::harness::{repo_file, TestEnv};
use serde_json::{json, Value};

/// The tags an entity holds on the gateway.
fn tags(env: &TestEnv, path: &str) -> Value {
    let (status, body) = env.request("GET", path, None);
    assert_eq!(status, 200, "GET {path}: {body}");
    body["tags"].clone()
}

/// Runs a scoped sync that must be refused before any write, and returns its combined output.
fn refused(env: &TestEnv, args: &[&str]) -> String {
    env.clear_requests();
    let out = env.kongsync(args);
    let all = format!("{}\n{}", out.stdout, out.stderr);
    assert_eq!(out.code, 1, "{all}");
    assert_eq!(env.writes(), Vec::<String>::new(), "a refused sync wrote:\n{all}");
    all
}

const ORDERS_TEAM_X: &str =
    "_format_version: \"3.0\"\n_info:\n  select_tags: [team-x]\nservices:\n- name: orders\n  host: team-x.internal\n";

#[test]
fn a_scoped_sync_does_not_take_over_an_untagged_entity_of_the_same_id() {
    let env = TestEnv::new();
    // An unscoped run made `orders` untagged, with the id derived from its name: the id a scoped
    // create of `orders` would PUT to, overwriting and re-tagging it.
    env.write("all.yaml", "_format_version: \"3.0\"\nservices:\n- name: orders\n  host: orders.internal\n");
    env.kongsync(&["sync", "all.yaml"]).success();
    env.write("kong.yaml", ORDERS_TEAM_X);
    for args in [&["sync", "kong.yaml"][..], &["diff", "kong.yaml"]] {
        let all = refused(&env, args);
        assert!(all.contains("service orders") && all.contains("no tags"), "{all}");
        assert!(!all.contains("+ create"), "a refused run showed a plan:\n{all}");
    }
    // The same through the flag rather than the file.
    env.write("flag.yaml", "_format_version: \"3.0\"\nservices:\n- name: orders\n  host: team-x.internal\n");
    let all = refused(&env, &["sync", "flag.yaml", "--select-tag", "team-x"]);
    assert!(all.contains("service orders"), "{all}");
    let (_, svc) = env.request("GET", "/services/orders", None);
    assert_eq!(svc["host"], "orders.internal", "{svc}");
    assert_eq!(tags(&env, "/services/orders"), Value::Null);
}

#[test]
fn a_scoped_sync_does_not_take_over_another_teams_entity_of_the_same_name() {
    let env = TestEnv::new();
    // Made directly, with an id of the gateway's choosing: only the name is shared.
    let theirs = env.put("/services/orders", json!({"host": "team-y.internal", "tags": ["team-y"]}));
    env.write("kong.yaml", ORDERS_TEAM_X);
    let all = refused(&env, &["sync", "kong.yaml"]);
    assert!(all.contains("service orders") && all.contains("tags [team-y]"), "{all}");
    assert!(all.contains(theirs["id"].as_str().unwrap()), "the id on the gateway is not named:\n{all}");
    assert_eq!(tags(&env, "/services/orders"), json!(["team-y"]));

    // Once the name is the team's own, the same file converges: the refusal is about ownership only.
    env.put("/services/orders", json!({"host": "team-y.internal", "tags": ["team-x"]}));
    env.kongsync(&["sync", "kong.yaml"]).success();
    let (_, svc) = env.request("GET", "/services/orders", None);
    assert_eq!((svc["host"].clone(), svc["id"].clone()), (json!("team-x.internal"), theirs["id"].clone()), "{svc}");
}

#[test]
fn a_scoped_sync_does_not_take_over_a_certificate_by_the_id_its_file_gives() {
    let example: Value = serde_yaml::from_str(&repo_file("examples/state/kong.yaml")).unwrap();
    let cert = &example["certificates"][0];
    let id = cert["id"].as_str().unwrap();
    let env = TestEnv::new();
    env.put(&format!("/certificates/{id}"), json!({"cert": cert["cert"], "key": cert["key"], "tags": ["team-y"]}));
    let state = json!({
        "_format_version": "3.0",
        "_info": {"select_tags": ["team-x"]},
        "certificates": [{"id": id, "cert": cert["cert"], "key": cert["key"]}],
    });
    env.write("kong.yaml", &serde_yaml::to_string(&state).unwrap());
    let all = refused(&env, &["sync", "kong.yaml"]);
    assert!(all.contains("certificate") && all.contains(id) && all.contains("tags [team-y]"), "{all}");
    assert_eq!(tags(&env, &format!("/certificates/{id}")), json!(["team-y"]));
}

const PLUGIN_SECRETS: &str = r#"_format_version: "3.0"
services:
- name: orders
  host: orders.internal
  plugins:
  - name: http-log
    config:
      http_endpoint: https://logs.example.com/in?token=hunter2-endpoint
      headers:
        Authorization: Bearer tok-header-s3cret
  - name: aws-lambda
    config:
      aws_key: AKIA-lambda-key-id
      aws_secret: lambda-s3cret-access
      aws_region: us-east-1
      function_name: orders-fn
"#;

#[test]
fn plugin_fields_kong_encrypts_or_takes_from_vaults_are_never_shown() {
    let env = TestEnv::new();
    env.write("kong.yaml", PLUGIN_SECRETS);
    let secrets = ["hunter2-endpoint", "tok-header-s3cret", "AKIA-lambda-key-id", "lambda-s3cret-access"];
    let mut outputs = Vec::new();
    for format in ["text", "json", "markdown"] {
        let out = env.kongsync(&["diff", "kong.yaml", "--format", format]);
        outputs.push(format!("{}\n{}", out.success().stdout, out.stderr));
    }
    let out = env.kongsync(&["sync", "kong.yaml"]);
    outputs.push(format!("{}\n{}", out.success().stdout, out.stderr));
    // The JSON plan carries the request bodies, masked.
    assert!(outputs[1].contains("<redacted>"), "{}", outputs[1]);
    for all in &outputs {
        for s in secrets {
            assert!(!all.contains(s), "`{s}` is shown:\n{all}");
        }
    }
    // What is hidden is still what was sent: the gateway holds the real values.
    let (_, plugins) = env.request("GET", "/services/orders/plugins", None);
    let config =
        |name: &str| plugins["data"].as_array().unwrap().iter().find(|p| p["name"] == name).unwrap()["config"].clone();
    assert_eq!(config("http-log")["headers"]["Authorization"], "Bearer tok-header-s3cret");
    assert_eq!(config("aws-lambda")["aws_secret"], "lambda-s3cret-access");
}

#[test]
fn short_keys_and_keys_quoted_in_conflicts_are_never_shown() {
    let env = TestEnv::new();
    // Another team's consumers already hold the keys the file gives: each create answers 409, and
    // Kong's message quotes the key.
    let carol = env.put("/consumers/carol", json!({"tags": ["team-y"]}));
    for key in ["bob-env-secret-1", "Zq9x"] {
        env.request("POST", "/consumers/carol/key-auth", Some(json!({"key": key, "tags": ["team-y"]})));
    }
    assert_eq!(carol["username"], "carol");
    env.write(
        "kong.yaml",
        r#"_format_version: "3.0"
_info:
  select_tags: [team-x]
consumers:
- username: bob
  keyauth_credentials:
  - key: ${{ env "DECK_BOB_KEY" }}
- username: dave
  keyauth_credentials:
  - key: Zq9x
"#,
    );
    let url = env.url();
    for format in ["text", "json"] {
        let out = env.run(
            &["--kong-addr", &url, "sync", "kong.yaml", "--format", format],
            &[("DECK_BOB_KEY", "bob-env-secret-1")],
            None,
        );
        let all = format!("{}\n{}", out.stdout, out.stderr);
        assert_eq!(out.code, 1, "{all}");
        assert!(all.contains("409") || all.contains("UNIQUE"), "the conflicts are not reported:\n{all}");
        for s in ["bob-env-secret-1", "Zq9x"] {
            assert!(!all.contains(s), "`{s}` is shown ({format}):\n{all}");
        }
    }
    // The keys still belong to carol alone.
    let (_, keys) = env.request("GET", "/consumers/carol/key-auth", None);
    assert_eq!(keys["data"].as_array().unwrap().len(), 2, "{keys}");
}

#[test]
fn a_redirect_is_refused_and_the_token_is_not_sent_on() {
    use std::io::{Read, Write};
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    // An "HTTPS gateway" that answers 307 to plain HTTP: here, a loopback server that redirects to
    // another loopback port, where a second listener would see whatever follows the redirect.
    let gateway = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = gateway.local_addr().unwrap().port();
    let elsewhere = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    elsewhere.set_nonblocking(true).unwrap();
    let to = elsewhere.local_addr().unwrap().port();
    let served = Arc::new(AtomicUsize::new(0));
    let count = served.clone();
    std::thread::spawn(move || {
        for mut socket in gateway.incoming().flatten() {
            let mut buf = [0u8; 4096];
            let _ = socket.read(&mut buf);
            count.fetch_add(1, Ordering::SeqCst);
            let answer = format!(
                "HTTP/1.1 307 Temporary Redirect\r\nLocation: http://127.0.0.1:{to}/services\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            );
            let _ = socket.write_all(answer.as_bytes());
        }
    });
    let url = format!("http://127.0.0.1:{port}");
    let env = TestEnv::new();
    let out = env.run(&["--kong-addr", &url, "--headers", "Kong-Admin-Token:adm1n-t0ken", "ping"], &[], None);
    let all = format!("{}\n{}", out.stdout, out.stderr);
    assert_ne!(out.code, 0, "{all}");
    assert!(all.contains("307") && all.contains(&format!("http://127.0.0.1:{to}")), "{all}");
    assert!(all.contains("not followed"), "{all}");
    assert!(!all.contains("adm1n-t0ken"), "{all}");
    assert!(served.load(Ordering::SeqCst) >= 1, "the gateway was never asked");
    // Nothing reached the Location.
    assert!(elsewhere.accept().is_err(), "the redirect was followed");
}
