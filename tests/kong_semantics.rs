//! The planner against Kong 3.5.0's real write semantics, as the simulator now reproduces them: a
//! target PUT is a partial update, upstream `algorithm`/`hash_on` are shorthands rewritten on every
//! write, a nested DELETE of an absent child is 404, a nested PUT moves a credential to the consumer
//! in its URL, and oauth2 `hash_secret` stores a PBKDF2 string. Each case syncs, asserts on the
//! requests and on what the gateway holds, and ends with a clean `diff --exit-code`.

use crate::harness::TestEnv;
use kongsync_sim::{FaultRule, Faults};
use serde_json::{json, Value};

const UPSTREAM: &str = "00000000-0000-4000-8000-0000000000a1";
const TARGET: &str = "00000000-0000-4000-8000-0000000000a2";
const KEY: &str = "00000000-0000-4000-8000-0000000000c1";
const OAUTH: &str = "00000000-0000-4000-8000-0000000000c2";

fn target_file(extra: &str) -> String {
    format!(
        "_format_version: \"3.0\"\nupstreams:\n- name: u.internal\n  id: {UPSTREAM}\n  targets:\n  - target: 10.0.0.1:80\n    id: {TARGET}\n{extra}"
    )
}

// kong/api/routes/upstreams.lua:60-66 and :219 (3.5.0): PUT /upstreams/{u}/targets/{t} runs
// update_entity, so the fields a body omits keep their stored values.
#[test]
fn a_target_whose_tags_are_removed_and_weight_reset_converges() {
    let env = TestEnv::new();
    env.sync_clean(&target_file("    weight: 50\n    tags: [blue]\n"));
    env.clear_requests();
    env.sync_clean(&target_file(""));
    let put = format!("PUT /upstreams/{UPSTREAM}/targets/{TARGET}");
    assert!(env.writes().contains(&put), "{:?}", env.writes());
    let (status, t) = env.request("GET", &format!("/upstreams/{UPSTREAM}/targets/{TARGET}"), None);
    assert_eq!(status, 200, "{t}");
    assert_eq!(t["weight"], json!(100), "{t}");
    assert!(t["tags"].is_null() || t["tags"] == json!([]), "{t}");
}

fn upstream_file(fields: &str) -> String {
    format!("_format_version: \"3.0\"\nupstreams:\n- name: u.internal\n  id: {UPSTREAM}\n{fields}")
}

// kong/db/schema/entities/upstreams.lua:302-345 (3.5.0): least-connections and latency null
// `hash_on`, then a null `hash_on` becomes none, none forces round-robin, any other value forces
// consistent-hashing.
#[test]
fn an_upstream_switched_to_least_connections_and_back_converges() {
    let env = TestEnv::new();
    let hashed = "  algorithm: consistent-hashing\n  hash_on: header\n  hash_on_header: x-user\n";
    env.sync_clean(&upstream_file(hashed));
    // A file that keeps the hash_on a dump wrote, but asks for least-connections: Kong drops hash_on.
    let least = "  algorithm: least-connections\n  hash_on: header\n  hash_on_header: x-user\n";
    env.sync_clean(&upstream_file(least));
    let (_, u) = env.request("GET", &format!("/upstreams/{UPSTREAM}"), None);
    assert_eq!((u["algorithm"].clone(), u["hash_on"].clone()), (json!("least-connections"), json!("none")), "{u}");
    env.sync_clean(&upstream_file(hashed));
    let (_, u) = env.request("GET", &format!("/upstreams/{UPSTREAM}"), None);
    assert_eq!((u["algorithm"].clone(), u["hash_on"].clone()), (json!("consistent-hashing"), json!("header")), "{u}");
    // consistent-hashing with hash_on none (what a dump of defaults writes) is stored as round-robin.
    env.sync_clean(&upstream_file("  algorithm: consistent-hashing\n  hash_on: none\n"));
    let (_, u) = env.request("GET", &format!("/upstreams/{UPSTREAM}"), None);
    assert_eq!(u["algorithm"], json!("round-robin"), "{u}");
    // round-robin with a hash_on is stored as consistent-hashing.
    env.sync_clean(&upstream_file("  algorithm: round-robin\n  hash_on: ip\n"));
    let (_, u) = env.request("GET", &format!("/upstreams/{UPSTREAM}"), None);
    assert_eq!(u["algorithm"], json!("consistent-hashing"), "{u}");
}

/// Consumer `c{i}`'s id, fixed so that a fault can aim at its nested paths.
fn consumer_id(i: usize) -> String {
    format!("00000000-0000-4000-8000-0000000001{i:02}")
}

fn consumers_with_keys(n: usize, keys: bool) -> String {
    let mut s = String::from("_format_version: \"3.0\"\nconsumers:\n");
    for i in 0..n {
        s.push_str(&format!("- username: c{i}\n  id: {}\n", consumer_id(i)));
        if keys {
            s.push_str(&format!("  keyauth_credentials:\n  - key: key-{i:04}\n"));
        }
    }
    s
}

// kong/api/endpoints.lua:664-710 (3.5.0): a nested DELETE of a child that is not there is 404 (only a
// top-level DELETE answers 204). Two syncs race over the same nested deletes, each DELETE slowed so
// both have read the credentials before either deletes one: the loser of each race gets 404, which
// must count as done.
#[test]
fn nested_deletes_already_done_count_as_done() {
    let env = TestEnv::new();
    env.sync_clean(&consumers_with_keys(4, true));
    env.write("kong.yaml", &consumers_with_keys(4, false));
    env.sim().set_faults(Faults {
        rules: vec![FaultRule {
            method: Some("DELETE".into()),
            latency_ms: Some((2000, 2000)),
            ..FaultRule::default()
        }],
        ..Faults::default()
    });
    env.clear_requests();
    let url = env.url();
    let dir = env.dir.path().to_path_buf();
    let run = move || crate::harness::run_binary(&dir, &["--kong-addr", url.as_str(), "sync", "kong.yaml"], &[], None);
    let (a, b) = (std::thread::spawn(run.clone()), std::thread::spawn(run));
    let (a, b) = (a.join().unwrap(), b.join().unwrap());
    env.sim().clear_faults();
    a.success();
    b.success();
    let deletes = env.requests().into_iter().filter(|r| r.method == "DELETE").collect::<Vec<_>>();
    assert!(deletes.iter().any(|r| r.status == 404), "no race was lost: {deletes:?}");
    assert!(deletes.iter().all(|r| r.path.contains("/key-auth/")), "{deletes:?}");
    let (_, keys) = env.request("GET", "/key-auths", None);
    assert_eq!(keys["data"], json!([]), "{keys}");
    env.kongsync(&["diff", "kong.yaml", "--exit-code"]).success();
}

// A sync cut short during nested deletes (the connection dropped on those of three consumers)
// converges when run again: the deletes already done are not sent twice, the rest are.
#[test]
fn a_sync_interrupted_during_nested_deletes_converges() {
    let env = TestEnv::new();
    env.sync_clean(&consumers_with_keys(6, true));
    env.write("kong.yaml", &consumers_with_keys(6, false));
    env.sim().set_faults(Faults {
        rules: (0..3)
            .map(|i| FaultRule {
                method: Some("DELETE".into()),
                path: Some(format!("/consumers/{}/", consumer_id(i))),
                drop_rate: 1.0,
                ..FaultRule::default()
            })
            .collect(),
        ..Faults::default()
    });
    let out = env.kongsync(&["sync", "kong.yaml"]);
    assert_ne!(out.code, 0, "three deletes were dropped: {}", out.stdout);
    let (_, keys) = env.request("GET", "/key-auths", None);
    let left = keys["data"].as_array().map_or(0, Vec::len);
    assert!(left >= 3, "the dropped deletes did not land: {keys}");
    env.sim().clear_faults();
    env.clear_requests();
    env.sync_clean(&consumers_with_keys(6, false));
    let deletes = env.writes().into_iter().filter(|w| w.starts_with("DELETE")).count();
    assert_eq!(deletes, left, "only what was left is deleted: {:?}", env.writes());
}

fn consumer_with_key(username: &str, id: &str) -> String {
    format!(
        "_format_version: \"3.0\"\nconsumers:\n- username: {username}\n  id: {id}\n  keyauth_credentials:\n  - key: the-key-0001\n    id: {KEY}\n"
    )
}

// kong/api/endpoints.lua put_entity_endpoint (:510-536, 3.5.0): a nested PUT upserts the child with
// its parent reference set to the parent in the URL, so a credential PUT under another consumer
// moves it there.
#[test]
fn a_consumer_renamed_while_keeping_its_credentials_converges() {
    let env = TestEnv::new();
    let old = "00000000-0000-4000-8000-0000000000b1";
    let new = "00000000-0000-4000-8000-0000000000b2";
    env.sync_clean(&consumer_with_key("alice", old));
    env.clear_requests();
    env.sync_clean(&consumer_with_key("alicia", new));
    let writes = env.writes();
    let moved = format!("PUT /consumers/{new}/key-auth/{KEY}");
    let gone = format!("DELETE /consumers/{old}");
    let (m, g) = (writes.iter().position(|w| *w == moved), writes.iter().position(|w| *w == gone));
    assert!(m.is_some() && g.is_some() && m < g, "the key moves before its old consumer goes: {writes:?}");
    let (status, k) = env.request("GET", &format!("/key-auths/{KEY}"), None);
    assert_eq!(status, 200, "{k}");
    assert_eq!(k["consumer"]["id"], json!(new), "{k}");
    assert_eq!(k["key"], json!("the-key-0001"), "{k}");
}

fn oauth2_file(secret: &str) -> String {
    format!(
        "_format_version: \"3.0\"\nconsumers:\n- username: app\n  oauth2_credentials:\n  - name: app\n    id: {OAUTH}\n    client_id: app-client\n    client_secret: {secret}\n    hash_secret: true\n    redirect_uris: [https://app.example/cb]\n"
    )
}

// kong/plugins/oauth2/daos.lua:47-61 and secret.lua:198-284 (3.5.0): with hash_secret Kong stores a
// PBKDF2-SHA512 PHC string of client_secret, which the plan must compare with the file's secret.
#[test]
fn an_oauth2_hashed_secret_converges_and_a_changed_one_is_seen() {
    let env = TestEnv::new();
    env.sync_clean(&oauth2_file("first-secret"));
    let (_, c) = env.request("GET", &format!("/oauth2/{OAUTH}"), None);
    let stored = c["client_secret"].as_str().unwrap_or_default().to_string();
    assert!(stored.starts_with("$pbkdf2-sha512$"), "{c}");
    env.clear_requests();
    env.kongsync(&["sync", "kong.yaml"]).success();
    assert_eq!(env.writes(), Vec::<String>::new(), "a hashed secret equal to the file's is not rewritten");
    env.write("kong.yaml", &oauth2_file("second-secret"));
    let out = env.kongsync(&["diff", "kong.yaml", "--exit-code"]);
    out.expect_code(2);
    assert!(out.stdout.contains("client_secret"), "{}", out.stdout);
    assert!(!out.stdout.contains("second-secret") && !out.stdout.contains("$pbkdf2"), "{}", out.stdout);
    env.sync_clean(&oauth2_file("second-secret"));
    let (_, c) = env.request("GET", &format!("/oauth2/{OAUTH}"), None);
    assert_ne!(c["client_secret"], Value::String(stored), "{c}");
}

// kong/plugins/session/schema.lua:77 (3.5.0): `secret` defaults to a random string Kong draws once
// per process (`default = random_string()`). A file that leaves it out must not see it as a change on every
// diff, and must not send a new one on every sync; a file that sets it is compared as usual.
#[test]
fn a_session_plugin_without_a_secret_converges() {
    let env = TestEnv::new();
    let file = "_format_version: \"3.0\"\nplugins:\n- name: session\n  config:\n    cookie_name: s\n";
    env.sync_clean(file);
    let (_, plugins) = env.request("GET", "/plugins", None);
    let secret = plugins["data"][0]["config"]["secret"].clone();
    assert!(secret.as_str().is_some_and(|s| !s.is_empty()), "Kong drew a secret: {plugins}");
    env.clear_requests();
    env.kongsync(&["sync", "kong.yaml"]).success();
    assert!(env.writes().is_empty(), "an unchanged file sent {:?}", env.writes());
    let (_, plugins) = env.request("GET", "/plugins", None);
    assert_eq!(plugins["data"][0]["config"]["secret"], secret, "the drawn secret is kept");
    // A secret drawn by an earlier run of the node (another default than the one `/schemas` shows
    // now) is kept too, also by an update the file asks for.
    let id = plugins["data"][0]["id"].as_str().unwrap().to_string();
    let earlier = "drawnByAnEarlierNodeProcess00000";
    env.request("PATCH", &format!("/plugins/{id}"), Some(json!({"config": {"secret": earlier}})));
    env.kongsync(&["diff", "kong.yaml", "--exit-code"]).success();
    env.sync_clean(&file.replace("cookie_name: s\n", "cookie_name: t\n"));
    let (_, p) = env.request("GET", &format!("/plugins/{id}"), None);
    assert_eq!(
        (p["config"]["secret"].as_str(), p["config"]["cookie_name"].as_str()),
        (Some(earlier), Some("t")),
        "{p}"
    );
    // A secret the file sets is compared.
    let set = file.replace("cookie_name: s\n", "cookie_name: s\n    secret: from-the-file-123\n");
    env.write("kong.yaml", &set);
    let diff = env.kongsync(&["diff", "kong.yaml", "--exit-code"]);
    assert_eq!(diff.code, 2, "{}\n{}", diff.stdout, diff.stderr);
    env.sync_clean(&set);
}
