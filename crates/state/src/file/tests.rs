//! Tests of the whole reading pipeline on small texts: keys, references, defaults, shorthands and
//! the messages of problems that span several entities or files.

use super::{build, parse_text, Diagnostic, FileError};
use crate::State;
use kongsync_model::{Key, Kind};
use serde_json::json;

fn env(name: &str) -> Option<String> {
    match name {
        "DECK_HOST" => Some("orders.internal".into()),
        "KONGSYNC_PORT" => Some("8080".into()),
        _ => None,
    }
}

/// Reads the files given as (name, text) pairs.
fn read(files: &[(&str, &str)]) -> Result<State, Vec<Diagnostic>> {
    let mut docs = Vec::new();
    for (name, text) in files {
        docs.push(parse_text(name, text, &env)?);
    }
    build(docs).map_err(|FileError::Invalid(d)| d)
}

fn messages(files: &[(&str, &str)]) -> Vec<String> {
    match read(files) {
        Ok(_) => Vec::new(),
        Err(d) => d.iter().map(ToString::to_string).collect(),
    }
}

const V3: &str = "_format_version: \"3.0\"\n";

#[test]
fn nested_and_flat_forms_give_the_same_entities() {
    let nested = format!(
        "{V3}services:\n- name: s\n  host: h\n  routes:\n  - name: r\n    paths: [/]\n    plugins:\n    - name: rate-limiting\n      consumer: alice\n      config: {{minute: 1}}\n\
         consumers:\n- username: alice\n  groups: [{{name: gold}}]\nconsumer_groups:\n- name: gold\n"
    );
    let flat = format!(
        "{V3}services:\n- name: s\n  host: h\nroutes:\n- name: r\n  paths: [/]\n  service: {{name: s}}\n\
         plugins:\n- name: rate-limiting\n  route: r\n  consumer: alice\n  config: {{minute: 1}}\nconsumers:\n- username: alice\n\
         consumer_groups:\n- name: gold\n  consumers: [{{username: alice}}]\n"
    );
    let a = read(&[("nested.yaml", &nested)]);
    let b = read(&[("flat.yaml", &flat)]);
    assert!(a.is_ok(), "{a:?}");
    assert_eq!(a, b);
    let state = a.unwrap_or_default();
    let route = Key::name(Kind::Route, "r");
    let plugin =
        Key::plugin("rate-limiting", [("route", route.clone()), ("consumer", Key::name(Kind::Consumer, "alice"))]);
    assert!(state.get(&plugin).is_some(), "{:?}", state.entities.keys().collect::<Vec<_>>());
    assert_eq!(state.get(&route).map(|r| r.refs.get("service")), Some(Some(&Key::name(Kind::Service, "s"))));
}

#[test]
fn a_membership_written_on_both_sides_is_one_entity() {
    let text = format!(
        "{V3}consumer_groups:\n- name: gold\n  consumers:\n  - username: alice\nconsumers:\n- username: alice\n  groups:\n  - name: gold\n"
    );
    let state = read(&[("k.yaml", &text)]);
    assert!(state.is_ok(), "{state:?}");
    let counts = state.map(|s| s.counts()).unwrap_or_default();
    assert_eq!(counts, [(Kind::Consumer, 1), (Kind::ConsumerGroup, 1), (Kind::ConsumerGroupMember, 1)]);
}

#[test]
fn defaults_templates_and_shorthands_are_applied() {
    let text = format!(
        "{V3}_info:\n  defaults:\n    service:\n      retries: 3\n      port: 9\n  select_tags: [team]\n\
         _plugin_configs:\n  strict:\n    minute: 10\n    hour: 100\n\
         services:\n- name: s\n  url: https://${{{{ env \"DECK_HOST\" }}}}:${{{{ env \"KONGSYNC_PORT\" | toInt }}}}/v1\n  retries: 1\n\
         plugins:\n- name: rate-limiting\n  _config: strict\n  config:\n    hour: 50\n"
    );
    let state = read(&[("k.yaml", &text)]).unwrap_or_default();
    let service = state.get(&Key::name(Kind::Service, "s")).map(|e| serde_json::Value::Object(e.fields.clone()));
    assert_eq!(
        service,
        Some(
            json!({"name": "s", "retries": 1, "protocol": "https", "host": "orders.internal", "port": 8080, "path": "/v1", "tags": ["team"]})
        )
    );
    let plugin = state.get(&Key::plugin::<&str>("rate-limiting", [])).and_then(|e| e.fields.get("config").cloned());
    assert_eq!(plugin, Some(json!({"hour": 50, "minute": 10})));
    assert_eq!(state.meta.env_values, ["orders.internal", "8080"]);
}

#[test]
fn conflicting_settings_name_both_files() {
    let a = format!("{V3}_workspace: one\n_konnect:\n  control_plane_name: cp1\n_info:\n  select_tags: [x]\n");
    let b = format!("{V3}_workspace: two\n_konnect:\n  control_plane_name: cp2\n_info:\n  select_tags: [y]\n");
    assert_eq!(
        messages(&[("a.yaml", &a), ("b.yaml", &b)]),
        // In the order of the top-level keys, which a document's mapping holds sorted.
        [
            "b.yaml: `_info.select_tags` is [\"y\"] here but [\"x\"] in a.yaml: one set of select tags per run",
            "b.yaml: `_konnect.control_plane_name` is \"cp2\" here but \"cp1\" in a.yaml: one control plane per run",
            "b.yaml: `_workspace` is \"two\" here but \"one\" in a.yaml: one workspace per run",
        ]
    );
}

#[test]
fn select_tags_that_are_not_non_empty_strings_are_refused() {
    for tags in ["[42]", "['']", "[team, ' ']", "team"] {
        let text = format!("{V3}_info:\n  select_tags: {tags}\nservices: []\n");
        assert_eq!(
            messages(&[("k.yaml", &text)]),
            ["k.yaml: `_info.select_tags` must be a list of non-empty strings"],
            "{tags}"
        );
    }
}

#[test]
fn an_unidentifiable_entity_is_reported_once() {
    let text = format!("{V3}consumers:\n- tags: [a]\n  keyauth_credentials:\n  - tags: [b]\n");
    assert_eq!(
        messages(&[("k.yaml", &text)]),
        [
            "k.yaml: consumer at consumers[0]: field `username`: at least one of these fields must be non-empty: 'custom_id', 'username'",
            "k.yaml: key-auth at consumers[0].keyauth_credentials[0]: field `key`: required field missing (Kong would generate a new one on every sync)",
        ]
    );
}

#[test]
fn an_unsupported_field_is_the_only_problem_reported() {
    let text =
        format!("{V3}services:\n- name: s\n  host: h\n  routes:\n  - name: r\n    expression: http.path == \"/\"\n");
    assert_eq!(
        messages(&[("k.yaml", &text)]),
        ["k.yaml: route \"r\": field `expression`: unsupported feature: expression routes (router_flavor = expressions)"]
    );
}

#[test]
fn lookup_tags_are_kept_for_the_gateway_read() {
    // decK's sync/015-consumer-groups/kong-consumer-*.yaml: `- group-tag ` (trailing space), in two files.
    let a = format!("{V3}_info:\n  default_lookup_tags:\n    consumer_groups:\n     - group-tag \nconsumers:\n- username: a\n  groups: [{{name: g}}]\n");
    let b = format!("{V3}_info:\n  default_lookup_tags:\n    consumer_groups: [group-tag, other]\n");
    let state = read(&[("a.yaml", &a), ("b.yaml", &b)]).unwrap_or_default();
    assert_eq!(state.meta.lookup_tags.get("consumer_groups").cloned().unwrap_or_default(), ["group-tag", "other"]);
}

#[test]
fn features_outside_the_core_are_named() {
    // decK's fixtures sync/056-ai-models and sync/047-basic-auth-skip-hash (tests/deck_corpus.rs).
    let ai = format!("{V3}ai_models:\n- name: gpt-5\n  alias: \"@openai/gpt-5\"\n");
    assert_eq!(
        messages(&[("k.yaml", &ai)]),
        ["k.yaml: `ai_models`: unsupported feature: AI models (Konnect AI Gateway)"]
    );
    let hashed = format!("{V3}_info:\n  skip_hash_for_basic_auth: true\nconsumers:\n- username: foo\n");
    assert_eq!(
        messages(&[("k.yaml", &hashed)]),
        ["k.yaml: `_info.skip_hash_for_basic_auth`: unsupported feature: pre-hashed basic-auth passwords (Konnect only)"]
    );
}

#[test]
fn entities_keyed_within_parents_are_labelled_by_their_own_field() {
    let text = format!("{V3}plugins:\n- name: cors\n  config:\n    origins: 1\n  service: nowhere\n");
    assert_eq!(
        messages(&[("k.yaml", &text)]),
        [
            "k.yaml: plugin \"cors\" at plugins[0]: field `config.origins`: expected an array",
            "k.yaml: plugin \"cors\" at plugins[0]: field `service`: references service \"nowhere\", which no state file defines",
        ]
    );
}

#[test]
fn a_plugin_cannot_take_a_scope_its_schema_forbids() {
    let text = format!("{V3}consumers:\n- username: alice\n  plugins:\n  - name: key-auth\n");
    assert_eq!(
        messages(&[("k.yaml", &text)]),
        ["k.yaml: plugin \"key-auth\" at consumers[0].plugins[0]: field `consumer`: value must be null: the key-auth plugin cannot be scoped to a consumer"]
    );
}

#[test]
fn problems_of_a_file_split_over_the_cores_come_in_the_files_order() {
    // Enough entities for the validation to be split into several parts (of 4,096 at least); a bad
    // port in each of several parts, and the problems must still read in file order.
    let bad = [3, 5_000, 9_100, 17_999];
    let mut text = format!("{V3}services:\n");
    for i in 0..18_000 {
        let port = if bad.contains(&i) { "-1" } else { "80" };
        text.push_str(&format!("- name: s{i}\n  host: h{i}\n  port: {port}\n"));
    }
    let got = messages(&[("big.yaml", &text)]);
    assert_eq!(got.len(), bad.len(), "{got:?}");
    for (message, i) in got.iter().zip(bad) {
        assert!(message.contains(&format!("\"s{i}\"")) && message.contains("port"), "{message}");
    }
}
