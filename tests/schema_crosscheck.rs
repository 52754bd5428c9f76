//! The two tables of Kong 3.5.0's schemas, written independently, compared: the simulator's (served by
//! its `/schemas/{entity}` and `/schemas/plugins/{name}` endpoints) and kongsync-model's built-in ones.
//! Every core kind's fields, every bundled plugin's protocols and config fields are compared on type,
//! required, default, one_of, between, len_min, starts_with, elements, keys, values, nested fields and
//! `eq = null`; for plugins also the `encrypted` and `referenceable` flags the masker relies on. Two
//! readings of Kong's source that disagree mean one of them is wrong: the test lists every difference.

use crate::harness::TestEnv;
use kongsync_model::{entity_schema, known_plugins, plugin_schema, Field, FieldSpec, Kind, Schema};
use serde_json::Value;
use std::collections::BTreeSet;
use std::fmt::Debug;

/// Kinds the simulator's Kong flavour does not serve a schema for.
const NO_SIM_SCHEMA: &[&str] = &[
    // Membership rows are written through `/consumer_groups/{g}/consumers`; no schema endpoint of their own.
    "consumer_group_consumers",
];

/// Differences known today, each with the Kong source that decides it and the side that must change.
/// The test fails on any difference not listed here and on any listed one that has gone, so the list
/// only shrinks. Field order is not compared: Kong builds some records from Lua tables with `pairs`
/// (upstream healthchecks), so its own order is not fixed.
const KNOWN: &[(&str, &str)] = &[
    // kong/plugins/key-auth/daos.lua:5: `ttl = true` is a schema option, not a field; the model lists
    // `ttl` so that state files may carry it (Kong accepts it in the body).
    ("keyauth_credentials.ttl: only in the model", "model, by choice"),
];

fn diff_value<T: PartialEq + Debug>(out: &mut Vec<String>, path: &str, what: &str, sim: &T, model: &T) {
    if sim != model {
        out.push(format!("{path}: {what}: simulator {sim:?}, model {model:?}"));
    }
}

fn diff_spec(out: &mut Vec<String>, path: &str, sim: &FieldSpec, model: &FieldSpec) {
    diff_value(out, path, "type", &sim.ty, &model.ty);
    diff_value(out, path, "required", &sim.required, &model.required);
    // A default Kong draws at random per process (session's `secret`, session/schema.lua:77) is a
    // value only the running node knows: the model marks the field `auto` instead.
    let drawn = model.auto && model.default.is_none() && matches!(sim.default, Some(Value::String(_)));
    if !drawn {
        diff_value(out, path, "default", &sim.default, &model.default);
    }
    diff_value(out, path, "one_of", &sim.one_of, &model.one_of);
    diff_value(out, path, "between", &sim.between, &model.between);
    diff_value(out, path, "len_min", &sim.len_min, &model.len_min);
    diff_value(out, path, "starts_with", &sim.starts_with, &model.starts_with);
    diff_value(out, path, "eq null", &sim.must_be_null, &model.must_be_null);
    for (name, s, m) in [
        ("elements", &sim.elements, &model.elements),
        ("keys", &sim.keys, &model.keys),
        ("values", &sim.values, &model.values),
    ] {
        match (s, m) {
            (Some(s), Some(m)) => diff_spec(out, &format!("{path}.<{name}>"), s, m),
            (None, None) => {}
            _ => out.push(format!("{path}: {name}: simulator {}, model {}", s.is_some(), m.is_some())),
        }
    }
    diff_fields(out, path, &sim.fields, &model.fields);
}

fn diff_fields(out: &mut Vec<String>, path: &str, sim: &[Field], model: &[Field]) {
    let join = |name: &str| if path.is_empty() { name.to_string() } else { format!("{path}.{name}") };
    for s in sim {
        match model.iter().find(|m| m.name == s.name) {
            Some(m) => diff_spec(out, &join(&s.name), &s.spec, &m.spec),
            None => out.push(format!("{}: only in the simulator", join(&s.name))),
        }
    }
    for m in model.iter().filter(|m| !sim.iter().any(|s| s.name == m.name)) {
        out.push(format!("{}: only in the model", join(&m.name)));
    }
}

/// Every `encrypted` / `referenceable` flag in a schema JSON, as `path:flag`.
fn flags(json: &Value, path: &str, out: &mut BTreeSet<String>) {
    let Some(obj) = json.as_object() else { return };
    for flag in ["encrypted", "referenceable"] {
        if obj.get(flag) == Some(&Value::Bool(true)) {
            out.insert(format!("{path}:{flag}"));
        }
    }
    for sub in ["elements", "keys", "values"] {
        if let Some(v) = obj.get(sub) {
            flags(v, &format!("{path}.<{sub}>"), out);
        }
    }
    for item in obj.get("fields").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default() {
        for (name, attrs) in item.as_object().into_iter().flatten() {
            let p = if path.is_empty() { name.clone() } else { format!("{path}.{name}") };
            flags(attrs, &p, out);
        }
    }
}

fn model_plugin_json(name: &str) -> Value {
    let path = format!("{}/crates/model/src/schemas/plugins/{name}.json", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Fails with every unexpected difference and every known one that no longer shows.
fn report(what: &str, differences: &[String]) {
    let unexpected: Vec<&String> = differences.iter().filter(|d| !KNOWN.iter().any(|(k, _)| k == d)).collect();
    let gone: Vec<&str> = KNOWN
        .iter()
        .map(|(k, _)| *k)
        .filter(|k| k.starts_with("plugin ") == what.starts_with("plugin") && !differences.iter().any(|d| d == k))
        .collect();
    assert!(
        unexpected.is_empty() && gone.is_empty(),
        "the simulator's and the model's {what} disagree ({} differences):\n{}\nknown differences now gone \
         (remove them from KNOWN):\n{}",
        unexpected.len(),
        unexpected.iter().map(|d| d.as_str()).collect::<Vec<_>>().join("\n"),
        gone.join("\n")
    );
}

#[test]
fn plugin_tables_agree() {
    // Enterprise: the model's table holds the kinds OSS lacks (consumer groups, mTLS credentials).
    let env = TestEnv::enterprise();
    let (status, root) = env.request("GET", "/", None);
    assert_eq!(status, 200);
    let sim_names: BTreeSet<String> =
        root["plugins"]["available_on_server"].as_object().unwrap().keys().cloned().collect();
    let model_names: BTreeSet<String> = known_plugins().map(str::to_string).collect();
    let mut out = Vec::new();
    for n in sim_names.symmetric_difference(&model_names) {
        out.push(format!("plugin {n}: only in the {}", if sim_names.contains(n) { "simulator" } else { "model" }));
    }
    // kong/constants.lua:1-39 (3.5.0): 37 bundled plugins.
    assert_eq!(sim_names.len(), 37, "the simulator's bundled plugins");
    for name in sim_names.intersection(&model_names) {
        let (status, served) = env.request("GET", &format!("/schemas/plugins/{name}"), None);
        assert_eq!(status, 200, "{name}");
        let sim = Schema::from_kong_json(&served).unwrap_or_else(|e| panic!("{name}: simulator schema: {e}"));
        let model = plugin_schema(name).unwrap_or_else(|| panic!("{name}: no model schema"));
        let raw = model_plugin_json(name);
        assert_eq!(
            Schema::from_kong_json(&raw).ok().as_ref(),
            Some(model),
            "{name}: the embedded file is the one read"
        );
        diff_fields(&mut out, &format!("plugin {name}"), &sim.fields, &model.fields);
        let (mut sim_flags, mut model_flags) = (BTreeSet::new(), BTreeSet::new());
        flags(&served, "", &mut sim_flags);
        flags(&raw, "", &mut model_flags);
        for f in sim_flags.symmetric_difference(&model_flags) {
            let side = if sim_flags.contains(f) { "simulator" } else { "model" };
            out.push(format!("plugin {name}: {f}: only in the {side}"));
        }
    }
    report("plugin schemas", &out);
}

#[test]
fn core_tables_agree() {
    // Enterprise: the model's table holds the kinds OSS lacks (consumer groups, mTLS credentials).
    let env = TestEnv::enterprise();
    let mut out = Vec::new();
    for kind in Kind::ALL {
        let dao = kind.dao_name();
        let (status, served) = env.request("GET", &format!("/schemas/{dao}"), None);
        if status == 404 && NO_SIM_SCHEMA.contains(&dao) {
            continue;
        }
        if status != 200 {
            out.push(format!("{dao}: the simulator answers {status}"));
            continue;
        }
        let sim = Schema::from_kong_json(&served).unwrap_or_else(|e| panic!("{dao}: simulator schema: {e}"));
        diff_fields(&mut out, dao, &sim.fields, &entity_schema(kind).fields);
    }
    report("core entity schemas", &out);
}
