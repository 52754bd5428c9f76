//! A [`State`] as the document Kong's configuration hash is computed over: the shape of the export
//! a hybrid control plane hashes (`declarative.export_config()`), built so that the files and the
//! gateway holding the same configuration hash alike. `kongsync hash` and `kongsync drift` hash it.
//!
//! The document:
//!
//! - `{"_format_version": "3.0", "_transform": false, <table>: [rows...]}`, one array per table
//!   that has rows, named by Kong's table (`services`, `keyauth_credentials`,
//!   `consumer_group_consumers`, ...);
//! - a row is the entity's fields, with Kong's defaults filled on the file side (the gateway's rows
//!   have them already), nulls dropped at every depth of an object (Kong shows unset fields as null,
//!   a file leaves them out), plus `id` (the id the plan would give: the file's, else the one
//!   derived from the natural key) and every reference as the parent's bare id string
//!   (`"service": "<uuid>"`), as the export collapses foreign keys;
//! - rows sorted by id; consumer-group memberships, which have no id, are
//!   `{"consumer_group": id, "consumer": id}` sorted by group id then consumer id;
//! - disabled services, the routes of disabled services and disabled plugins are left out, as the
//!   export leaves them out.
//!
//! What the control plane's own export has and this leaves out: `created_at`/`updated_at` (a file
//! has none), null fields, the workspace row and `ws_id`, and Kong's stored form of secrets (a
//! basic-auth password is stored hashed). So this is not a real control plane's hash; it is the
//! same for the files and for the gateway they were synced to, and the simulator's expected hash
//! follows the same rules.

use crate::State;
use kongsync_model::{Entity, Ident, Key, Kind, PathShape, SchemaSet};
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use uuid::Uuid;

/// The export document of a state (see the module comment). With `defaults`, each entity's absent
/// fields are filled from those schemas first, as Kong fills them on insert.
pub fn document(state: &State, defaults: Option<&SchemaSet>) -> Value {
    let mut tables: BTreeMap<&'static str, Vec<(String, Value)>> = BTreeMap::new();
    for e in state.entities.values().filter(|e| !left_out(state, e)) {
        let (sort_key, row) = row(state, e, defaults);
        tables.entry(e.kind().dao_name()).or_default().push((sort_key, row));
    }
    let mut doc = Map::new();
    doc.insert("_format_version".into(), "3.0".into());
    doc.insert("_transform".into(), false.into());
    for (table, mut rows) in tables {
        rows.sort_by(|a, b| a.0.cmp(&b.0));
        doc.insert(table.into(), Value::Array(rows.into_iter().map(|(_, r)| r).collect()));
    }
    Value::Object(doc)
}

/// One row and the key it sorts by.
fn row(state: &State, e: &Entity, defaults: Option<&SchemaSet>) -> (String, Value) {
    let mut fields = match defaults {
        Some(schemas) => schemas.with_defaults(e),
        None => e.fields.clone(),
    };
    drop_nulls(&mut fields);
    for (field, parent) in &e.refs {
        fields.insert(field.clone(), Value::String(id_of(state, parent).to_string()));
    }
    if let PathShape::Relation { parent, member, .. } = e.kind().def().path {
        // A relation has no id: its rows sort by the parent's id, then the member's.
        let part = |f: &str| fields.get(f).and_then(Value::as_str).unwrap_or_default().to_string();
        let sort_key = format!("{} {}", part(parent), part(member));
        return (sort_key, Value::Object(fields));
    }
    let id = e.effective_id().to_string();
    fields.insert("id".into(), Value::String(id.clone()));
    (id, Value::Object(fields))
}

/// Whether the export leaves the entity out: a disabled service, a route of one, a disabled plugin.
fn left_out(state: &State, e: &Entity) -> bool {
    let disabled = |e: &Entity| e.fields.get("enabled") == Some(&Value::Bool(false));
    match e.kind() {
        Kind::Service | Kind::Plugin => disabled(e),
        Kind::Route => e.refs.get("service").and_then(|s| state.get(s)).is_some_and(disabled),
        _ => false,
    }
}

/// Removes null members of objects, at every depth (array elements stay as they are).
fn drop_nulls(obj: &mut Map<String, Value>) {
    obj.retain(|_, v| !v.is_null());
    for v in obj.values_mut() {
        drop_nulls_in(v);
    }
}

fn drop_nulls_in(v: &mut Value) {
    match v {
        Value::Object(o) => drop_nulls(o),
        Value::Array(items) => items.iter_mut().for_each(drop_nulls_in),
        _ => {}
    }
}

/// The id a reference points to: the parent's effective id when it is in the state, else the id the
/// key holds (a parent out of scope), else the id the plan would derive for it.
fn id_of(state: &State, parent: &Key) -> Uuid {
    match (state.get(parent), &parent.ident) {
        (Some(p), _) => p.effective_id(),
        (None, Ident::Id(id)) => *id,
        (None, _) => parent.derived_id(),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::json;

    fn entity(key: Key, id: Option<&str>, fields: Value, refs: Vec<(&str, Key)>) -> Entity {
        Entity {
            key,
            id: id.map(|i| Uuid::parse_str(i).unwrap()),
            fields: fields.as_object().unwrap().clone(),
            refs: refs.into_iter().map(|(f, k)| (f.to_string(), k)).collect(),
        }
    }

    #[test]
    fn rows_carry_ids_and_bare_parent_ids_sorted_by_id() {
        let svc = Key::name(Kind::Service, "orders");
        let mut s = State::default();
        s.insert(entity(
            svc.clone(),
            Some("00000000-0000-0000-0000-0000000000aa"),
            json!({"name": "orders", "host": "h", "path": null}),
            vec![],
        ));
        s.insert(entity(Key::name(Kind::Route, "b"), None, json!({"name": "b"}), vec![("service", svc.clone())]));
        s.insert(entity(
            Key::name(Kind::Route, "a"),
            Some("00000000-0000-0000-0000-000000000001"),
            json!({"name": "a"}),
            vec![],
        ));
        let doc = document(&s, None);
        let derived = Key::name(Kind::Route, "b").derived_id().to_string();
        assert_eq!(doc["_format_version"], "3.0");
        assert_eq!(doc["_transform"], false);
        assert_eq!(
            doc["services"],
            json!([{"name": "orders", "host": "h", "id": "00000000-0000-0000-0000-0000000000aa"}])
        );
        assert_eq!(doc["routes"][0]["id"], "00000000-0000-0000-0000-000000000001");
        assert_eq!(
            doc["routes"][1],
            json!({"name": "b", "service": "00000000-0000-0000-0000-0000000000aa", "id": derived})
        );
        assert!(doc.get("plugins").is_none(), "empty tables are left out, as the export leaves them");
    }

    #[test]
    fn members_have_no_id_and_parents_out_of_scope_keep_theirs() {
        let group = Key::name(Kind::ConsumerGroup, "gold");
        let alice = Key::name(Kind::Consumer, "alice");
        let outside = Uuid::from_u128(7);
        let mut s = State::default();
        s.insert(entity(group.clone(), None, json!({"name": "gold"}), vec![]));
        s.insert(entity(
            Key::member(group.clone(), alice.clone()),
            None,
            json!({}),
            vec![("consumer_group", group.clone()), ("consumer", alice.clone())],
        ));
        s.insert(entity(
            Key::name(Kind::Route, "r"),
            None,
            json!({"name": "r"}),
            vec![("service", Key::id(Kind::Service, outside))],
        ));
        let doc = document(&s, None);
        assert_eq!(
            doc["consumer_group_consumers"],
            json!([{"consumer": alice.derived_id().to_string(), "consumer_group": group.derived_id().to_string()}])
        );
        assert_eq!(doc["routes"][0]["service"], outside.to_string());
    }

    #[test]
    fn disabled_entities_and_nulls_are_left_out() {
        let svc = Key::name(Kind::Service, "off");
        let mut s = State::default();
        s.insert(entity(svc.clone(), None, json!({"name": "off", "enabled": false}), vec![]));
        s.insert(entity(Key::name(Kind::Route, "r"), None, json!({"name": "r"}), vec![("service", svc)]));
        s.insert(entity(Key::plugin::<&str>("cors", []), None, json!({"name": "cors", "enabled": false}), vec![]));
        s.insert(entity(
            Key::plugin::<&str>("acl", []),
            None,
            json!({"name": "acl", "config": {"allow": null, "deny": ["x", null]}}),
            vec![],
        ));
        let doc = document(&s, None);
        assert!(doc.get("services").is_none() && doc.get("routes").is_none());
        assert_eq!(doc["plugins"].as_array().unwrap().len(), 1);
        assert_eq!(doc["plugins"][0]["config"], json!({"deny": ["x", null]}));
    }

    #[test]
    fn file_side_gets_kongs_defaults() {
        let mut s = State::default();
        s.insert(entity(Key::name(Kind::Service, "s"), None, json!({"name": "s", "host": "h"}), vec![]));
        let doc = document(&s, Some(&SchemaSet::builtin()));
        assert_eq!(doc["services"][0]["port"], 80);
        assert_eq!(doc["services"][0]["protocol"], "http");
    }

    #[test]
    fn the_same_configuration_hashes_the_same() {
        let mut s = State::default();
        s.insert(entity(Key::name(Kind::Service, "s"), None, json!({"name": "s", "host": "h"}), vec![]));
        let a = kongsync_model::config_hash::config_hash(&document(&s, None));
        let b = kongsync_model::config_hash::config_hash(&document(&s.clone(), None));
        assert_eq!(a, b);
        assert_eq!(a.len(), 32);
    }
}
