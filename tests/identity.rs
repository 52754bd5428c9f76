//! Identity changes Kong cannot make in place, planned the way Kong allows them: a certificate
//! rotated under its id keeps its SNIs; a consumer or a service that keeps its name but gets a new
//! id is deleted before the new one takes the name, and what hangs on it (credentials, plugins,
//! routes) follows it; UUIDs are read as Kong reads them. Each case asserts on the requests, on what
//! the gateway holds afterwards, and ends with a clean `diff --exit-code`.

use crate::harness::{repo_file, TestEnv};
use serde_json::{json, Value};

const OLD: &str = "00000000-0000-4000-8000-0000000000d1";
const NEW: &str = "00000000-0000-4000-8000-0000000000d2";

/// The `data` of a listing.
fn list(env: &TestEnv, path: &str) -> Vec<Value> {
    let (status, body) = env.request("GET", path, None);
    assert_eq!(status, 200, "GET {path}: {body}");
    body["data"].as_array().cloned().unwrap_or_default()
}

fn id_of(v: &Value) -> String {
    v["id"].as_str().unwrap().to_string()
}

/// A YAML block scalar of a PEM file of the simulator's fixtures, indented for a certificate entry.
fn pem(name: &str) -> String {
    let text = repo_file(&format!("crates/sim/tests/fixtures/{name}"));
    let body: String = text.lines().map(|l| format!("    {l}\n")).collect();
    format!("|\n{body}")
}

fn certificate_file(pair: &str) -> String {
    format!(
        "_format_version: \"3.0\"\ncertificates:\n- cert: {}  key: {}  snis:\n  - name: a.example.com\n  - name: b.example.com\n",
        pem(&format!("{pair}.pem")),
        pem(&format!("{pair}.key"))
    )
}

// A certificate without an id is known by its content, so a new PEM is a new key. Kong's
// `PUT /certificates/{id}` replaces the certificate under the same id and keeps the SNIs its `snis`
// list names (kong/db/dao/certificates.lua:127-159, 3.5.0), where its DELETE takes them along
// (certificates.lua:210-224): the rotation is one PUT, and the SNIs keep their ids.
#[test]
fn a_certificate_rotated_keeps_its_id_and_its_snis() {
    let env = TestEnv::new();
    env.sync_clean(&certificate_file("leaf"));
    let certs = list(&env, "/certificates");
    assert_eq!(certs.len(), 1, "{certs:?}");
    let cert = id_of(&certs[0]);
    let snis_before = list(&env, "/snis");
    env.clear_requests();
    env.sync_clean(&certificate_file("rsa"));
    assert_eq!(env.writes(), [format!("PUT /certificates/{cert}")], "one PUT, no delete, no SNI write");
    let (_, held) = env.request("GET", &format!("/certificates/{cert}"), None);
    assert!(held["cert"]
        .as_str()
        .unwrap()
        .contains(repo_file("crates/sim/tests/fixtures/rsa.pem").lines().nth(1).unwrap()));
    let mut names: Vec<Value> = held["snis"].as_array().unwrap().clone();
    names.sort_by_key(Value::to_string);
    assert_eq!(names, [json!("a.example.com"), json!("b.example.com")], "{held}");
    let snis_after = list(&env, "/snis");
    let ids = |snis: &[Value]| {
        let mut v: Vec<(String, String)> =
            snis.iter().map(|s| (id_of(s), s["certificate"]["id"].as_str().unwrap().to_string())).collect();
        v.sort();
        v
    };
    assert_eq!(ids(&snis_after), ids(&snis_before), "the SNIs keep their ids and their certificate");
    assert_eq!(list(&env, "/certificates").len(), 1);
}

fn consumer_file(id: &str) -> String {
    format!(
        r#"_format_version: "3.0"
consumers:
- username: alice
  id: {id}
  keyauth_credentials:
  - key: alice-key-0001
  acls:
  - group: admins
  plugins:
  - name: rate-limiting
    config:
      minute: 10
"#
    )
}

// Kong cannot change an id, and a username is unique (kong/db/schema/entities/consumers.lua:18,
// 3.5.0): the old consumer goes first, which takes its credentials and plugins with it (their
// `consumer` references cascade: kong/db/schema/entities/plugins.lua:24, kong/plugins/key-auth/
// daos.lua:16, kong/plugins/acl/daos.lua:13),
// then the new one, then each of those again under it, with the ids they had.
#[test]
fn a_consumer_that_gets_a_new_id_keeps_its_credentials_and_plugins() {
    let env = TestEnv::new();
    env.sync_clean(&consumer_file(OLD));
    let key = id_of(&list(&env, &format!("/consumers/{OLD}/key-auth"))[0]);
    let acl = id_of(&list(&env, &format!("/consumers/{OLD}/acls"))[0]);
    let plugin = id_of(&list(&env, "/plugins")[0]);
    env.clear_requests();
    env.sync_clean(&consumer_file(NEW));
    let writes = env.writes();
    let at = |w: &str| writes.iter().position(|x| x == w).unwrap_or_else(|| panic!("no {w} in {writes:?}"));
    let delete = at(&format!("DELETE /consumers/{OLD}"));
    let create = at(&format!("PUT /consumers/{NEW}"));
    assert!(delete < create, "{writes:?}");
    for w in [
        format!("PUT /consumers/{NEW}/key-auth/{key}"),
        format!("PUT /consumers/{NEW}/acls/{acl}"),
        format!("PUT /plugins/{plugin}"),
    ] {
        assert!(at(&w) > create, "{w} before the consumer: {writes:?}");
    }
    assert_eq!(writes.len(), 5, "the children's deletes are Kong's cascade, not requests: {writes:?}");
    let (status, alice) = env.request("GET", "/consumers/alice", None);
    assert_eq!((status, alice["id"].clone()), (200, json!(NEW)), "{alice}");
    assert_eq!(list(&env, &format!("/consumers/{NEW}/key-auth"))[0]["key"], json!("alice-key-0001"));
    assert_eq!(list(&env, &format!("/consumers/{NEW}/acls"))[0]["group"], json!("admins"));
    let plugins = list(&env, "/plugins");
    assert_eq!(plugins.len(), 1, "{plugins:?}");
    assert_eq!((id_of(&plugins[0]), plugins[0]["consumer"]["id"].clone()), (plugin, json!(NEW)));
}

fn service_file(id: Option<&str>) -> String {
    let id = id.map(|i| format!("  id: {i}\n")).unwrap_or_default();
    format!(
        r#"_format_version: "3.0"
services:
- name: s1
{id}  host: example.internal
  routes:
  - name: r1
    paths: [/r1]
    plugins:
    - name: cors
"#
    )
}

// A service that gains an id it did not have keeps its name, which is unique
// (kong/db/schema/entities/services.lua:31 and typedefs.lua:406, 3.5.0), and Kong refuses to delete a service a route
// still refers to (routes.lua:69: a foreign key without cascade): the route goes first, with its
// plugin (plugins.lua:22, cascade), then the service; the new service, then the route and its plugin
// again, with the ids they had.
#[test]
fn a_service_that_gains_an_id_takes_its_routes_and_plugins_along() {
    let env = TestEnv::new();
    env.sync_clean(&service_file(None));
    let (_, old) = env.request("GET", "/services/s1", None);
    let old = id_of(&old);
    assert_ne!(old, NEW);
    let route = id_of(&list(&env, "/routes")[0]);
    let plugin = id_of(&list(&env, "/plugins")[0]);
    env.clear_requests();
    env.sync_clean(&service_file(Some(NEW)));
    assert_eq!(
        env.writes(),
        [
            format!("DELETE /routes/{route}"),
            format!("DELETE /services/{old}"),
            format!("PUT /services/{NEW}"),
            format!("PUT /routes/{route}"),
            format!("PUT /plugins/{plugin}"),
        ]
    );
    let routes = list(&env, "/routes");
    assert_eq!((id_of(&routes[0]), routes[0]["service"]["id"].clone()), (route.clone(), json!(NEW)));
    let plugins = list(&env, "/plugins");
    assert_eq!((id_of(&plugins[0]), plugins[0]["route"]["id"].clone()), (plugin, json!(route)));
    assert_eq!(list(&env, "/services").len(), 1);
}

// kong/db/schema/init.lua:146 and :325-330 (3.5.0): a UUID is 36 characters, 8-4-4-4-12 hex digits,
// matched case-insensitively; Postgres holds it as a `uuid` and answers it in lower case. So an
// upper-case id is the same id (and the next diff is clean), and a braced one is refused before
// anything is sent.
#[test]
fn uuids_are_read_as_kong_reads_them() {
    let env = TestEnv::new();
    let upper = NEW.to_uppercase();
    let file = format!(
        "_format_version: \"3.0\"\nservices:\n- name: s1\n  id: {upper}\n  host: example.internal\nroutes:\n- name: r1\n  paths: [/r1]\n  service: {upper}\n"
    );
    env.sync_clean(&file);
    let (_, s1) = env.request("GET", "/services/s1", None);
    assert_eq!(s1["id"], json!(NEW));
    assert_eq!(list(&env, "/routes")[0]["service"]["id"], json!(NEW));

    for form in [format!("{{{NEW}}}"), NEW.replace('-', ""), format!("urn:uuid:{NEW}")] {
        let env = TestEnv::new();
        env.write(
            "kong.yaml",
            &format!("_format_version: \"3.0\"\nservices:\n- name: s1\n  id: \"{form}\"\n  host: example.internal\n"),
        );
        let out = env.kongsync(&["sync", "kong.yaml"]);
        out.expect_code(1);
        assert!(out.stderr.contains("expected a valid UUID"), "{form}: {}", out.stderr);
        assert!(env.writes().is_empty(), "{form}: {:?}", env.writes());
    }
}
