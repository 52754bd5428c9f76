//! What a run manages, and nothing else: `--select-tag` / `_info.select_tags` and `--skip-consumers`
//! limit the scope, so entities outside it (made directly through the Admin API) are never deleted or
//! changed by `sync` or `reset`; what a sync with select tags creates carries the tags; and
//! `--ignore-field` leaves one field to another owner, in the diff and in the body sent back.

use crate::harness::TestEnv;
use serde_json::{json, Value};

/// Entities made out of band, outside any scope a test gives: their ids and names, so that a test can
/// check no request ever named them.
struct Outsiders {
    markers: Vec<String>,
}

impl Outsiders {
    /// An untagged service with a route and a plugin, a service of another team, an untagged global
    /// plugin, and an untagged consumer with a key-auth credential and a plugin of its own.
    fn create(env: &TestEnv) -> Outsiders {
        let mut ids = Vec::new();
        let mut id = |v: Value| ids.push(v["id"].as_str().unwrap().to_string());
        let svc = env.put("/services/outsider", json!({"host": "outsider.internal"}));
        id(svc.clone());
        id(env.put("/routes/outsider-r", json!({"service": {"id": svc["id"]}, "paths": ["/outsider"]})));
        id(env.put(&format!("/plugins/{}", uuid(1)), json!({"name": "cors", "service": {"id": svc["id"]}})));
        id(env.put("/services/team-b-svc", json!({"host": "b.internal", "tags": ["team-b"]})));
        id(env.put(&format!("/plugins/{}", uuid(2)), json!({"name": "prometheus"})));
        let consumer = env.put("/consumers/outsider-c", json!({}));
        id(consumer.clone());
        id(env.put(&format!("/consumers/outsider-c/key-auth/{}", uuid(3)), json!({"key": "outsider-key-0001"})));
        id(env.put(
            &format!("/plugins/{}", uuid(4)),
            json!({"name": "rate-limiting", "consumer": {"id": consumer["id"]}, "config": {"minute": 5}}),
        ));
        let mut markers = ids;
        markers.extend(["outsider", "team-b-svc", "outsider-c", "outsider-key"].map(String::from));
        Outsiders { markers }
    }

    /// Panics if any request the simulator served since the last clear named an outsider.
    fn untouched(&self, env: &TestEnv, what: &str) {
        for r in env.requests() {
            let url = format!("{}?{}", r.path, r.query);
            for m in &self.markers {
                assert!(!url.contains(m.as_str()), "{what}: {} {url} touches `{m}`, outside the scope", r.method);
            }
        }
    }

    /// Panics unless every outsider is still on the gateway.
    fn still_there(&self, env: &TestEnv) {
        for path in ["/services/outsider", "/routes/outsider-r", "/services/team-b-svc", "/consumers/outsider-c"] {
            let (status, body) = env.request("GET", path, None);
            assert_eq!(status, 200, "{path} is gone: {body}");
        }
        for n in 1..=4 {
            let path = if n == 3 { format!("/key-auths/{}", uuid(n)) } else { format!("/plugins/{}", uuid(n)) };
            let (status, body) = env.request("GET", &path, None);
            assert_eq!(status, 200, "{path} is gone: {body}");
        }
    }
}

/// A fixed uuid for out-of-band entities.
fn uuid(n: u8) -> String {
    format!("00000000-0000-4000-8000-0000000000{n:02}")
}

/// The tags an entity holds on the gateway.
fn tags(env: &TestEnv, path: &str) -> Vec<String> {
    let (status, body) = env.request("GET", path, None);
    assert_eq!(status, 200, "GET {path}: {body}");
    body["tags"].as_array().map(|t| t.iter().filter_map(|v| v.as_str().map(String::from)).collect()).unwrap_or_default()
}

/// The only entity of a list answer.
fn only(env: &TestEnv, path: &str) -> Value {
    let (_, list) = env.request("GET", path, None);
    let items = list["data"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{path}: {list}");
    items[0].clone()
}

/// Team A's file once everything but a new consumer is gone from it.
const KEEPER_ONLY: &str = "_format_version: \"3.0\"\n_info:\n  select_tags: [team-a]\nconsumers:\n- username: keeper\n";

const TEAM_A: &str = r#"_format_version: "3.0"
_info:
  select_tags: [team-a]
services:
- name: mine
  host: mine.internal
  routes:
  - name: mine-r
    paths: [/mine]
    plugins:
    - name: rate-limiting
      config: {minute: 10}
consumers:
- username: alice
  keyauth_credentials:
  - key: alice-key-0001
"#;

#[test]
fn select_tags_in_the_file_never_touch_entities_outside_them() {
    let env = TestEnv::new();
    let outsiders = Outsiders::create(&env);
    env.write("kong.yaml", TEAM_A);
    env.clear_requests();
    env.kongsync(&["sync", "kong.yaml"]).success();
    outsiders.untouched(&env, "sync");
    env.kongsync(&["diff", "kong.yaml", "--exit-code"]).success();

    // What the sync created carries the select tags, nested entities included.
    for path in ["/services/mine", "/routes/mine-r", "/consumers/alice"] {
        assert!(tags(&env, path).contains(&"team-a".to_string()), "{path} lacks the select tag");
    }
    let plugin = only(&env, "/routes/mine-r/plugins");
    assert_eq!(plugin["tags"], json!(["team-a"]), "{plugin}");
    let cred = only(&env, "/consumers/alice/key-auth");
    assert_eq!(cred["tags"], json!(["team-a"]), "{cred}");

    // Removing everything else from the file deletes only what the tags select. (A file emptied
    // of everything is refused in favour of `reset`: tests/safety.rs.)
    env.write("kong.yaml", KEEPER_ONLY);
    env.clear_requests();
    env.kongsync(&["sync", "kong.yaml"]).success();
    outsiders.untouched(&env, "sync of a file keeping one consumer");
    assert_eq!(env.request("GET", "/services/mine", None).0, 404, "the tagged service was not deleted");
    outsiders.still_there(&env);
}

#[test]
fn the_select_tag_flag_scopes_sync_and_reset() {
    let env = TestEnv::new();
    let outsiders = Outsiders::create(&env);
    let state = TEAM_A.replace("_info:\n  select_tags: [team-a]\n", "");
    env.write("kong.yaml", &state);
    env.clear_requests();
    env.kongsync(&["sync", "kong.yaml", "--select-tag", "team-a"]).success();
    outsiders.untouched(&env, "sync --select-tag");
    assert_eq!(tags(&env, "/services/mine"), ["team-a"]);
    env.kongsync(&["diff", "kong.yaml", "--select-tag", "team-a", "--exit-code"]).success();

    env.clear_requests();
    env.kongsync(&["reset", "--force", "--select-tag", "team-a"]).success();
    outsiders.untouched(&env, "reset --select-tag");
    for path in ["/services/mine", "/routes/mine-r", "/consumers/alice"] {
        assert_eq!(env.request("GET", path, None).0, 404, "{path} survived the reset");
    }
    outsiders.still_there(&env);
}

#[test]
fn a_name_taken_outside_the_scope_is_not_taken_over() {
    let env = TestEnv::new();
    let outsiders = Outsiders::create(&env);
    // The file claims the name of the untagged service: the run refuses before any write, naming it,
    // and the outsider keeps its host and its (absent) tags.
    env.write(
        "kong.yaml",
        "_format_version: \"3.0\"\n_info:\n  select_tags: [team-a]\nservices:\n- name: outsider\n  host: taken.internal\n",
    );
    env.clear_requests();
    let out = env.kongsync(&["sync", "kong.yaml"]);
    assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
    assert!(out.stderr.contains("service outsider") && out.stderr.contains("no tags"), "{}", out.stderr);
    assert_eq!(env.writes(), Vec::<String>::new(), "a refused sync wrote");
    let (_, svc) = env.request("GET", "/services/outsider", None);
    assert_eq!(svc["host"], "outsider.internal", "{svc}");
    assert!(tags(&env, "/services/outsider").is_empty(), "{svc}");
    outsiders.still_there(&env);
}

#[test]
fn skip_consumers_never_touches_consumers_or_their_credentials() {
    let env = TestEnv::new();
    Outsiders::create(&env);
    // The file manages services only; the outsider service, route and plugins are removed by it, so
    // only the consumer side is left to check.
    env.write("kong.yaml", "_format_version: \"3.0\"\nservices:\n- name: mine\n  host: mine.internal\n");
    let (_, c) = env.request("GET", "/consumers/outsider-c", None);
    let cid = c["id"].as_str().unwrap().to_string();
    env.clear_requests();
    env.kongsync(&["sync", "kong.yaml", "--skip-consumers"]).success();
    env.kongsync(&["diff", "kong.yaml", "--skip-consumers", "--exit-code"]).success();
    let consumer_side = |what: &str| {
        for r in env.requests() {
            let touches = r.path.contains(&cid)
                || r.path.contains("outsider-c")
                || r.path.contains("key-auth")
                || r.path.contains(&uuid(3))
                || r.path.contains(&uuid(4));
            assert!(!touches, "{what}: {} {} touches the consumer side", r.method, r.path);
            assert!(r.method == "GET" || !r.path.starts_with("/consumer"), "{what}: {} {}", r.method, r.path);
        }
    };
    consumer_side("sync --skip-consumers");
    for path in
        ["/consumers/outsider-c".to_string(), format!("/key-auths/{}", uuid(3)), format!("/plugins/{}", uuid(4))]
    {
        assert_eq!(env.request("GET", &path, None).0, 200, "{path} is gone");
    }
    assert_eq!(env.request("GET", "/services/outsider", None).0, 404, "the unmanaged service should go");

    env.clear_requests();
    env.kongsync(&["reset", "--force", "--skip-consumers"]).success();
    consumer_side("reset --skip-consumers");
    assert_eq!(env.request("GET", "/services/mine", None).0, 404, "reset left a service");
    for path in
        ["/consumers/outsider-c".to_string(), format!("/key-auths/{}", uuid(3)), format!("/plugins/{}", uuid(4))]
    {
        assert_eq!(env.request("GET", &path, None).0, 200, "{path} was reset");
    }
}

const ALLOW: &str = r#"_format_version: "3.0"
services:
- name: s
  host: s.internal
  plugins:
  - name: ip-restriction
    config:
      allow: [10.0.0.0/8]
      message: go away
"#;

#[test]
fn an_ignored_field_is_left_to_its_other_owner() {
    let env = TestEnv::new();
    env.write("kong.yaml", ALLOW);
    env.kongsync(&["sync", "kong.yaml"]).success();
    let plugin = only(&env, "/services/s/plugins");
    let path = format!("/plugins/{}", plugin["id"].as_str().unwrap());
    // Another owner edits the allow list through the API.
    let managed = json!(["10.0.0.0/8", "192.168.0.0/16"]);
    let (status, body) = env.request("PATCH", &path, Some(json!({"config": {"allow": managed}})));
    assert!(status < 300, "{body}");

    // Without the flag the change is seen; with it, there is none.
    env.kongsync(&["diff", "kong.yaml", "--exit-code"]).expect_code(2);
    let diff = env.kongsync(&["diff", "kong.yaml", "--ignore-field", "plugin.config.allow", "--exit-code"]);
    assert_eq!(diff.code, 0, "{}\n{}", diff.stdout, diff.stderr);

    // Another field of the same plugin changes: the update sends the gateway's allow list back.
    env.write("kong.yaml", &ALLOW.replace("go away", "not here"));
    let diff = env.kongsync(&["diff", "kong.yaml", "--ignore-field", "plugin.config.allow"]);
    diff.success();
    assert!(diff.stdout.contains("config.message") && !diff.stdout.contains("config.allow"), "{}", diff.stdout);
    env.clear_requests();
    env.kongsync(&["sync", "kong.yaml", "--ignore-field", "plugin.config.allow"]).success();
    let writes = env.writes();
    assert_eq!(writes, [format!("PUT {path}")]);
    let (_, after) = env.request("GET", &path, None);
    assert_eq!(after["config"]["message"], "not here", "{after}");
    assert_eq!(after["config"]["allow"], managed, "the other owner's allow list was overwritten: {after}");
    env.kongsync(&["diff", "kong.yaml", "--ignore-field", "plugin.config.allow", "--exit-code"]).success();
}

#[test]
fn a_managed_service_with_an_unmanaged_route_is_not_deleted_from_under_it() {
    let env = TestEnv::new();
    env.write("kong.yaml", TEAM_A);
    env.kongsync(&["sync", "kong.yaml"]).success();
    // Another team hangs an untagged route on the tagged service.
    let (_, svc) = env.request("GET", "/services/mine", None);
    env.put("/routes/foreign-r", json!({"service": {"id": svc["id"]}, "paths": ["/foreign"]}));
    env.write("kong.yaml", KEEPER_ONLY);
    env.clear_requests();
    let out = env.kongsync(&["sync", "kong.yaml"]);
    // The gateway refuses to delete a service that a route still uses; the route stays.
    assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
    assert!(out.stdout.contains("failed: delete service mine"), "{}", out.stdout);
    assert!(env.requests().iter().all(|r| !r.path.contains("foreign-r")), "the unmanaged route was touched");
    let (status, route) = env.request("GET", "/routes/foreign-r", None);
    assert_eq!(status, 200, "{route}");
    assert_eq!(route["service"]["id"], svc["id"], "{route}");
}

/// Three teams on one gateway (decK #212, #1650): `orders` owns a service and its route, `identity` a
/// consumer, and `security` (`testdata/valid/lookup-tags.yaml`) only plugins, which hang on the other
/// teams' entities found through `_info.default_lookup_tags`. Each team's file selects its own tag.
fn three_teams(env: &TestEnv) {
    env.write(
        "orders.yaml",
        "_format_version: \"3.0\"\n_info:\n  select_tags: [team-orders]\nservices:\n- name: orders\n  host: orders.internal\n  \
         routes:\n  - name: orders-api\n    paths: [/orders]\n",
    );
    env.write(
        "identity.yaml",
        "_format_version: \"3.0\"\n_info:\n  select_tags: [team-identity]\nconsumers:\n- username: alice\n",
    );
    env.write("security.yaml", &crate::harness::repo_file("testdata/valid/lookup-tags.yaml"));
}

/// The plugins on the gateway.
fn plugins(env: &TestEnv) -> Vec<Value> {
    let (_, plugins) = env.request("GET", "/plugins", None);
    plugins["data"].as_array().unwrap().clone()
}

#[test]
fn a_team_managing_plugins_through_lookup_tags_touches_nothing_of_the_other_teams() {
    let env = TestEnv::new();
    three_teams(&env);
    env.clear_requests();
    for file in ["orders.yaml", "identity.yaml", "security.yaml"] {
        env.kongsync(&["sync", file]).success();
    }
    let all = plugins(&env);
    assert_eq!(all.len(), 2, "{all:?}");
    assert!(all.iter().all(|p| p["tags"] == json!(["team-security"])), "{all:?}");
    // The other teams' files still match the gateway.
    for file in ["orders.yaml", "identity.yaml"] {
        let diff = env.kongsync(&["diff", file, "--exit-code"]);
        assert_eq!(diff.code, 0, "{file}:\n{}\n{}", diff.stdout, diff.stderr);
    }

    // The security team removing its plugins deletes exactly them.
    env.clear_requests();
    env.kongsync(&["reset", "--force", "--select-tag", "team-security"]).success();
    let writes = env.writes();
    assert_eq!(writes.len(), 2, "{writes:#?}");
    assert!(writes.iter().all(|w| w.starts_with("DELETE /plugins/")), "{writes:#?}");
    for path in ["/services/orders", "/routes/orders-api", "/consumers/alice"] {
        assert_eq!(env.request("GET", path, None).0, 200, "{path} is gone");
    }
}

#[test]
fn a_file_using_lookup_tags_shows_no_change_after_its_sync() {
    let env = TestEnv::new();
    three_teams(&env);
    for file in ["orders.yaml", "identity.yaml", "security.yaml"] {
        env.kongsync(&["sync", file]).success();
    }
    let diff = env.kongsync(&["diff", "security.yaml", "--exit-code"]);
    assert_eq!(diff.code, 0, "phantom diff:\n{}\n{}", diff.stdout, diff.stderr);
}

#[test]
fn a_second_sync_using_lookup_tags_keeps_every_plugin() {
    let env = TestEnv::new();
    three_teams(&env);
    for file in ["orders.yaml", "identity.yaml", "security.yaml"] {
        env.kongsync(&["sync", file]).success();
    }
    // One request at a time, so the steps run in the plan's order and the outcome does not race.
    env.kongsync(&["sync", "security.yaml", "--parallelism", "1"]).success();
    let all = plugins(&env);
    assert_eq!(all.len(), 2, "a plugin was lost by a sync of an unchanged file: {all:?}");
}

#[test]
fn lookup_tags_find_entities_created_outside_kongsync() {
    let env = TestEnv::new();
    three_teams(&env);
    // The other teams' entities come from another tool, with ids of the gateway's choosing.
    let svc = env.put("/services/orders", json!({"host": "orders.internal", "tags": ["team-orders"]}));
    env.put("/routes/orders-api", json!({"service": {"id": svc["id"]}, "paths": ["/orders"], "tags": ["team-orders"]}));
    env.put("/consumers/alice", json!({"tags": ["team-identity"]}));
    let out = env.kongsync(&["sync", "security.yaml"]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    let all = plugins(&env);
    assert_eq!(all.len(), 2, "{all:?}");
    let rl = all.iter().find(|p| p["name"] == "rate-limiting").unwrap();
    assert_eq!(rl["service"]["id"], svc["id"], "{rl}");
    // References to parents with ids of the gateway's choosing compare equal the next time.
    let again = env.kongsync(&["diff", "security.yaml", "--exit-code"]);
    assert_eq!(again.code, 0, "phantom diff:\n{}\n{}", again.stdout, again.stderr);
}

#[test]
fn fields_that_identify_an_entity_cannot_be_ignored() {
    let env = TestEnv::new();
    env.write("kong.yaml", "_format_version: \"3.0\"\n");
    let out = env.kongsync(&["diff", "kong.yaml", "--ignore-field", "key-auth.key"]);
    out.expect_code(1);
    assert!(
        out.stderr.contains("cannot ignore `key-auth.key`: an identifying field cannot be ignored"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("--ignore-field"), "the CLI names its flag: {}", out.stderr);
}

#[test]
fn a_membership_in_a_group_found_through_lookup_tags_converges() {
    // decK's Test_Sync_Consumers_Default_Lookup_Tag: one team owns the group, another its members.
    let env = TestEnv::enterprise();
    env.write("groups.yaml", "_format_version: \"3.0\"\nconsumer_groups:\n- name: gold\n  tags: [team-groups]\n");
    let members = "_format_version: \"3.0\"\n_info:\n  select_tags: [team-users]\n  default_lookup_tags:\n    consumer_groups: [team-groups]\nconsumers:\n- username: alice\n  groups:\n  - name: gold\n";
    env.write("members.yaml", members);
    env.kongsync(&["sync", "groups.yaml"]).success();
    env.kongsync(&["sync", "members.yaml"]).success();
    let again = env.kongsync(&["diff", "--exit-code", "members.yaml"]);
    assert_eq!(again.code, 0, "the membership is planned again:\n{}", again.stdout);
    // Leaving the group is seen, and done.
    env.write("members.yaml", &members.replace("  groups:\n  - name: gold\n", ""));
    let leave = env.kongsync(&["sync", "members.yaml"]);
    assert!(
        leave.stdout.contains("delete consumer-group-consumer consumer alice in consumer-group gold"),
        "{}",
        leave.stdout
    );
    env.kongsync(&["diff", "--exit-code", "members.yaml"]).success();
    let (_, group) = env.request("GET", "/consumer_groups/gold", None);
    assert_eq!(group["consumers"], serde_json::json!([]), "{group}");
}

#[test]
fn a_workspace_the_gateway_lacks_is_named() {
    // decK's diff/001-not-existing-workspace against Kong OSS, which serves no workspace paths.
    let env = TestEnv::new();
    env.write("kong.yaml", "_format_version: \"3.0\"\n_workspace: test\nservices:\n- name: s\n  host: h\n");
    let out = env.kongsync(&["diff", "kong.yaml"]);
    out.expect_code(1);
    assert!(out.stderr.contains("workspace `test` not found: Kong OSS has no workspaces"), "{}", out.stderr);
}
