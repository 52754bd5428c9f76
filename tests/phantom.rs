//! No phantom diffs: every case decK users have reported as "diff shows a change nobody made" (decK
//! reference, sections 3.2, 3.3 and 5.3) is synced to the simulator, after which `diff --exit-code`
//! must exit 0 and a second `sync` must send nothing but GETs. Where a case has a real change next to
//! the phantom one (an ordered array reordered), the test also checks that the change is still seen,
//! so that "no diff" cannot pass by ignoring the field altogether.

use crate::harness::{repo_file, TestEnv};
use serde_json::{json, Value};

/// Syncs `state`, then checks that nothing differs and that a second sync only reads.
fn converges(env: &TestEnv, state: &str) {
    env.write("kong.yaml", state);
    env.kongsync(&["sync", "kong.yaml"]).success();
    assert_no_change(env);
}

/// `diff --exit-code` exits 0 and a second sync writes nothing.
fn assert_no_change(env: &TestEnv) {
    let diff = env.kongsync(&["diff", "kong.yaml", "--exit-code"]);
    assert_eq!(diff.code, 0, "phantom diff:\n{}\n{}", diff.stdout, diff.stderr);
    env.clear_requests();
    env.kongsync(&["sync", "kong.yaml"]).success();
    let writes = env.writes();
    assert!(writes.is_empty(), "a converged sync wrote: {writes:#?}");
}

/// `diff --exit-code` of the current file reports changes (exit 2); returns the text.
fn assert_changes(env: &TestEnv) -> String {
    let diff = env.kongsync(&["diff", "kong.yaml", "--exit-code"]);
    assert_eq!(diff.code, 2, "a real change was not seen:\n{}\n{}", diff.stdout, diff.stderr);
    diff.stdout
}

/// Sends a write out of band and panics unless the simulator accepted it.
fn patch(env: &TestEnv, path: &str, body: Value) -> Value {
    let (status, answer) = env.request("PATCH", path, Some(body));
    assert!(status < 300, "PATCH {path}: {status} {answer}");
    answer
}

/// The first item of a list answer whose `field` is `value`.
fn find(env: &TestEnv, collection: &str, field: &str, value: &str) -> Value {
    let (status, list) = env.request("GET", &format!("{collection}?size=1000"), None);
    assert_eq!(status, 200, "{list}");
    list["data"].as_array().unwrap().iter().find(|e| e[field] == value).cloned().unwrap_or_else(|| {
        panic!("no {collection} with {field} = {value} in {list}");
    })
}

// decK #196: every field Kong fills with a default that the file does not give.
#[test]
fn defaults_not_given_in_the_file() {
    let env = TestEnv::new();
    converges(
        &env,
        r#"_format_version: "3.0"
services:
- name: s
  host: s.internal
  routes:
  - name: r
    paths: [/r]
    plugins:
    - name: rate-limiting
      config: {minute: 10}
    - name: cors
upstreams:
- name: u.internal
  targets:
  - target: 10.0.0.1:80
consumers:
- username: c
  keyauth_credentials:
  - key: c-key-0001
  acls:
  - group: g
"#,
    );
}

// decK #293: `created_at`/`updated_at` are the gateway's, never a change. The entities are written
// again out of band with the same content, so their `updated_at` moves on the gateway.
#[test]
fn timestamps_are_not_compared() {
    let env = TestEnv::new();
    converges(&env, "_format_version: \"3.0\"\nservices:\n- name: s\n  host: s.internal\nconsumers:\n- username: c\n");
    let service = find(&env, "/services", "name", "s");
    assert!(service["created_at"].is_number() && service["updated_at"].is_number(), "{service}");
    patch(&env, "/services/s", json!({"host": "s.internal"}));
    patch(&env, "/consumers/c", json!({"username": "c"}));
    assert_no_change(&env);
}

// decK #1741 / PR #1819: request-transformer's lists are ordered `array`s in Kong's schema: kept in
// the file's order they are no change, reordered they are one.
#[test]
fn request_transformer_arrays_keep_their_order() {
    let env = TestEnv::new();
    let state = r#"_format_version: "3.0"
plugins:
- name: request-transformer
  config:
    add:
      headers: ["x-zeta:1", "x-alpha:2", "x-mid:3"]
      querystring: ["z:1", "a:2"]
    remove:
      headers: [x-remove-z, x-remove-a]
"#;
    converges(&env, state);
    let plugin = find(&env, "/plugins", "name", "request-transformer");
    assert_eq!(plugin["config"]["add"]["headers"], json!(["x-zeta:1", "x-alpha:2", "x-mid:3"]), "{plugin}");
    env.write(
        "kong.yaml",
        &state.replace(r#"["x-zeta:1", "x-alpha:2", "x-mid:3"]"#, r#"["x-alpha:2", "x-zeta:1", "x-mid:3"]"#),
    );
    let shown = assert_changes(&env);
    assert!(shown.contains("config.add.headers"), "{shown}");
}

// decK #1571: ip-restriction's `allow` and `deny` (ordered `array`s in Kong 3.5) in no sorted order.
#[test]
fn ip_restriction_lists_in_file_order() {
    let env = TestEnv::new();
    converges(
        &env,
        r#"_format_version: "3.0"
services:
- name: s
  host: s.internal
  plugins:
  - name: ip-restriction
    config:
      allow: [192.168.0.0/16, 10.0.0.0/8, 172.16.0.1]
      deny: [10.9.9.9, 10.1.1.1]
      status: 403
"#,
    );
}

// decK #1741 for sets: a plugin's `protocols` and an entity's tags are sets in Kong's schema, so the
// gateway holding them in another order than the file is no change.
#[test]
fn protocols_in_another_order() {
    let env = TestEnv::new();
    let state = r#"_format_version: "3.0"
services:
- name: s
  host: s.internal
  routes:
  - name: r
    paths: [/r]
    protocols: [https, http]
    methods: [POST, GET]
plugins:
- name: cors
  protocols: [https, http, grpcs, grpc]
"#;
    converges(&env, state);
    let route = find(&env, "/routes", "name", "r");
    let plugin = find(&env, "/plugins", "name", "cors");
    env.put(&format!("/routes/{}", route["id"].as_str().unwrap()), {
        let mut r = route.clone();
        r["protocols"] = json!(["http", "https"]);
        r["methods"] = json!(["GET", "POST"]);
        r
    });
    patch(
        &env,
        &format!("/plugins/{}", plugin["id"].as_str().unwrap()),
        json!({"protocols": ["grpc", "grpcs", "http", "https"]}),
    );
    assert_no_change(&env);
}

// decK #2163: a route's `headers: {}` is what Kong stores as no headers at all.
#[test]
fn route_headers_empty_object() {
    let env = TestEnv::new();
    converges(
        &env,
        r#"_format_version: "3.0"
services:
- name: s
  host: s.internal
  routes:
  - name: with-empty-headers
    paths: [/a]
    headers: {}
  - name: with-headers
    paths: [/b]
    headers:
      x-version: ["2", "1"]
"#,
    );
}

// The service `url` shorthand: Kong splits it into protocol, host, port and path and never returns it.
#[test]
fn service_url_shorthand() {
    let env = TestEnv::new();
    converges(
        &env,
        r#"_format_version: "3.0"
services:
- name: full
  url: https://full.internal:8443/v1/api
- name: bare
  url: http://bare.internal
- name: with-port
  url: http://port.internal:8080
"#,
    );
    let full = find(&env, "/services", "name", "full");
    assert_eq!((full["protocol"].clone(), full["port"].clone()), (json!("https"), json!(8443)), "{full}");
}

// decK 3.3: an empty tag list equals no tags, on either side.
#[test]
fn tags_empty_list_and_absent() {
    let env = TestEnv::new();
    converges(
        &env,
        r#"_format_version: "3.0"
services:
- name: empty-in-file
  host: a.internal
  tags: []
- name: absent-in-file
  host: b.internal
- name: unordered
  host: c.internal
  tags: [zeta, alpha]
"#,
    );
    let absent = find(&env, "/services", "name", "absent-in-file");
    patch(&env, &format!("/services/{}", absent["id"].as_str().unwrap()), json!({"tags": []}));
    patch(&env, "/services/unordered", json!({"tags": ["alpha", "zeta"]}));
    assert_no_change(&env);
}

// decK #145: Kong stores a basic-auth password hashed; the file's plain password must not be a change
// on every run. A changed password must still be one.
#[test]
fn basic_auth_password_stored_hashed() {
    let env = TestEnv::new();
    let state = r#"_format_version: "3.0"
consumers:
- username: bob
  basicauth_credentials:
  - username: bob-basic
    password: s3cret-password
"#;
    converges(&env, state);
    let cred = find(&env, "/basic-auths", "username", "bob-basic");
    assert_ne!(cred["password"], "s3cret-password", "the simulator should store the hash: {cred}");
    env.write("kong.yaml", &state.replace("s3cret-password", "another-password"));
    let shown = assert_changes(&env);
    assert!(!shown.contains("another-password") && !shown.contains("s3cret-password"), "{shown}");
}

// decK 3.2: `_info.defaults` fill what the file does not give, like Kong's own defaults.
#[test]
fn info_defaults() {
    let env = TestEnv::new();
    let state = r#"_format_version: "3.0"
_info:
  defaults:
    service:
      retries: 3
      read_timeout: 5000
    route:
      strip_path: false
services:
- name: s
  host: s.internal
  routes:
  - name: r
    paths: [/r]
- name: own
  host: own.internal
  retries: 7
"#;
    converges(&env, state);
    let s = find(&env, "/services", "name", "s");
    assert_eq!((s["retries"].clone(), s["read_timeout"].clone()), (json!(3), json!(5000)), "{s}");
    let own = find(&env, "/services", "name", "own");
    assert_eq!(own["retries"], json!(7), "{own}");
    let r = find(&env, "/routes", "name", "r");
    assert_eq!(r["strip_path"], json!(false), "{r}");
}

// decK 3.3: a number written `10` on one side and `10.0` on the other is the same number.
#[test]
fn numbers_written_one_and_one_point_zero() {
    let env = TestEnv::new();
    let state = r#"_format_version: "3.0"
services:
- name: s
  host: s.internal
  plugins:
  - name: rate-limiting
    config:
      minute: 10.0
      hour: 100
"#;
    converges(&env, state);
    let plugin = find(&env, "/plugins", "name", "rate-limiting");
    patch(
        &env,
        &format!("/plugins/{}", plugin["id"].as_str().unwrap()),
        json!({"config": {"minute": 10, "hour": 100.0}}),
    );
    assert_no_change(&env);
}

// decK #1384 and 2.3: consumer-group membership may be written under the consumer or under the group;
// both mean the same memberships, whichever wrote them.
#[test]
fn consumer_group_membership_given_on_either_side() {
    let by_consumer = r#"_format_version: "3.0"
consumer_groups:
- name: gold
- name: silver
consumers:
- username: alice
  groups:
  - name: gold
  - name: silver
- username: bob
  groups:
  - name: gold
"#;
    let by_group = r#"_format_version: "3.0"
consumer_groups:
- name: gold
  consumers:
  - username: alice
  - username: bob
- name: silver
  consumers:
  - username: alice
consumers:
- username: alice
- username: bob
"#;
    for (first, second) in [(by_consumer, by_group), (by_group, by_consumer)] {
        let env = TestEnv::enterprise();
        converges(&env, first);
        env.write("kong.yaml", second);
        assert_no_change(&env);
    }
}

// decK 3.3: a certificate with its SNIs nested under it; Kong lists the SNIs on the certificate too.
#[test]
fn certificate_snis_nested() {
    let example: Value = serde_yaml::from_str(&repo_file("examples/state/kong.yaml")).unwrap();
    let cert = &example["certificates"][0];
    let state = json!({
        "_format_version": "3.0",
        "certificates": [{
            "id": cert["id"],
            "cert": cert["cert"],
            "key": cert["key"],
            "snis": [{"name": "b.example.com"}, {"name": "a.example.com"}],
        }],
    });
    let env = TestEnv::new();
    converges(&env, &serde_yaml::to_string(&state).unwrap());
    let (_, snis) = env.request("GET", "/snis", None);
    assert_eq!(snis["data"].as_array().unwrap().len(), 2, "{snis}");
}

// decK #1741 / PR #1819 for sets inside a plugin's config: jwt's `claims_to_verify` and
// `header_names` are `set`s in Kong's schema, so the gateway's order is no change.
#[test]
fn plugin_config_sets_in_another_order() {
    let env = TestEnv::new();
    converges(
        &env,
        r#"_format_version: "3.0"
plugins:
- name: jwt
  config:
    claims_to_verify: [nbf, exp]
    header_names: [x-jwt, authorization]
"#,
    );
    let plugin = find(&env, "/plugins", "name", "jwt");
    patch(
        &env,
        &format!("/plugins/{}", plugin["id"].as_str().unwrap()),
        json!({"config": {"claims_to_verify": ["exp", "nbf"], "header_names": ["authorization", "x-jwt"]}}),
    );
    assert_no_change(&env);
}

// decK 3.1: Kong normalizes a target's address (default port 8000, IPv6 expanded in brackets).
#[test]
fn targets_without_port_and_ipv6() {
    let env = TestEnv::new();
    converges(
        &env,
        r#"_format_version: "3.0"
upstreams:
- name: u.internal
  targets:
  - target: 10.0.0.1
  - target: backend.internal
  - target: "[::1]:8080"
  - target: "[fe80::1]"
    weight: 50
"#,
    );
}

// decK 3.3: a route's `snis`, `sources` and `destinations` are sets; the gateway holding them in
// another order is no change.
#[test]
fn route_sets_in_another_order() {
    let env = TestEnv::new();
    converges(
        &env,
        r#"_format_version: "3.0"
services:
- name: s
  host: s.internal
  protocol: tcp
  port: 9000
  routes:
  - name: r
    protocols: [tls]
    snis: [b.example.com, a.example.com]
    sources:
    - ip: 10.0.0.2
    - ip: 10.0.0.1
      port: 1234
    destinations:
    - ip: 10.1.0.0/16
      port: 443
"#,
    );
    let route = find(&env, "/routes", "name", "r");
    patch(
        &env,
        &format!("/routes/{}", route["id"].as_str().unwrap()),
        json!({"snis": ["a.example.com", "b.example.com"], "sources": [{"ip": "10.0.0.1", "port": 1234}, {"ip": "10.0.0.2"}]}),
    );
    assert_no_change(&env);
}

// decK 3.3: a service's `ca_certificates` is a set of CA certificate ids.
#[test]
fn service_ca_certificates() {
    let example: Value = serde_yaml::from_str(&repo_file("examples/state/kong.yaml")).unwrap();
    let ca = "6f1c9a2e-1111-4c55-8e0e-0d5b1f9a7e21";
    let state = json!({
        "_format_version": "3.0",
        "ca_certificates": [{"id": ca, "cert": example["ca_certificates"][0]["cert"]}],
        "services": [{"name": "s", "url": "https://s.internal", "tls_verify": true, "ca_certificates": [ca]}],
    });
    let env = TestEnv::new();
    converges(&env, &serde_yaml::to_string(&state).unwrap());
    let service = find(&env, "/services", "name", "s");
    assert_eq!(service["ca_certificates"], json!([ca]), "{service}");
}

// decK 3.2: Kong gives a route whose protocols are only grpc/grpcs `strip_path: false`, where the
// default is otherwise true.
#[test]
fn grpc_route_strip_path_default() {
    let env = TestEnv::new();
    converges(
        &env,
        r#"_format_version: "3.0"
services:
- name: s
  url: grpc://s.internal:9000
  routes:
  - name: grpc-only
    protocols: [grpc, grpcs]
    paths: [/pkg.Service]
  - name: grpcs-only
    protocols: [grpcs]
    paths: [/pkg.Secure]
"#,
    );
    let route = find(&env, "/routes", "name", "grpc-only");
    assert_eq!(route["strip_path"], json!(false), "{route}");
}

// Kong accepts an id in upper case and returns it in lower case (kong-schemas.md, `id`).
#[test]
fn ids_in_upper_case() {
    let env = TestEnv::new();
    converges(
        &env,
        r#"_format_version: "3.0"
services:
- id: 5A0C1E6B-9D3F-4C2A-8E7B-1F2D3C4B5A69
  name: s
  host: s.internal
  routes:
  - id: 7E8F9A0B-1C2D-4E3F-8A5B-6C7D8E9F0A1B
    name: r
    paths: [/r]
plugins:
- name: cors
  service: 5A0C1E6B-9D3F-4C2A-8E7B-1F2D3C4B5A69
"#,
    );
    let service = find(&env, "/services", "name", "s");
    assert_eq!(service["id"], "5a0c1e6b-9d3f-4c2a-8e7b-1f2d3c4b5a69", "{service}");
}
