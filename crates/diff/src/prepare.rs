//! Putting both sides of a pair in the form in which equal means "Kong would hold the same thing".
//!
//! Both sides get the schema defaults (the target's schemas, with Kong 3.5's built in as fallback):
//! the desired side because Kong fills every field it is not given, the live side so that a field
//! the gateway does not know yet is not reported as a change nobody asked for. Then sets are sorted,
//! nulls and empty lists dropped, and what Kong computes itself or another owner manages removed.

use crate::canonical::canonicalize_map;
use crate::options::IgnoreField;
use kongsync_model::{Entity, Kind, SchemaSet};
use serde_json::{Map, Value};

/// Fields compared by their own rules, not as plain values (see `compare`).
pub(crate) const SPECIAL: &[(Kind, &str)] = &[(Kind::BasicAuth, "password")];

/// Which side of a pair an entity is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Side {
    /// The file's: Kong will rewrite it on write, as `SchemaSet::with_defaults` does.
    Desired,
    /// The gateway's: already as Kong holds it.
    Live,
}

/// The form compared: defaults filled, canonical, computed and ignored fields removed.
pub(crate) fn comparable(e: &Entity, side: Side, schemas: &SchemaSet, ignore: &[IgnoreField]) -> Map<String, Value> {
    let mut fields = match side {
        Side::Desired => schemas.with_defaults(e),
        Side::Live => schemas.held_with_defaults(e),
    };
    for schema in schemas.of_entity(e) {
        schema.canonicalize(&mut fields);
    }
    canonicalize_map(&mut fields);
    // Fields Kong computes from others are never compared (the kind table's `computed`: a key-auth
    // `ttl` reads back as the seconds left, so comparing it would report a change, and restart the
    // countdown, on every run).
    for field in e.kind().def().computed {
        fields.remove(*field);
    }
    for (kind, field) in SPECIAL {
        if *kind == e.kind() {
            fields.remove(*field);
        }
    }
    for f in ignore.iter().filter(|f| f.kind == e.kind()) {
        remove_path(&mut fields, &f.path);
    }
    fields
}

/// The desired entity with the values the gateway made up for fields the file leaves out (a
/// credential's generated secret, the session plugin's drawn `secret`) taken from the live entity:
/// they are no change to report, and an update must send them back, or Kong would draw new ones
/// and log every user out. `None` when nothing is taken.
/// `generated` is [`SchemaSet::generated_paths`] of the desired entity.
pub(crate) fn with_generated_kept(desired: &Entity, live: &Entity, generated: &[Vec<String>]) -> Option<Entity> {
    let mut kept: Option<Entity> = None;
    for path in generated {
        if get_path(&desired.fields, path).is_some() {
            continue;
        }
        if let Some(value) = get_path(&live.fields, path).filter(|v| !v.is_null()) {
            let value = value.clone();
            set_path(&mut kept.get_or_insert_with(|| desired.clone()).fields, path, value);
        }
    }
    kept
}

/// Removes the value at a path, if there is one.
pub(crate) fn remove_path(map: &mut Map<String, Value>, path: &[String]) -> Option<Value> {
    match path {
        [] => None,
        [last] => map.remove(last),
        [first, rest @ ..] => match map.get_mut(first) {
            Some(Value::Object(inner)) => remove_path(inner, rest),
            _ => None,
        },
    }
}

/// Sets the value at a path, creating objects on the way.
pub(crate) fn set_path(map: &mut Map<String, Value>, path: &[String], value: Value) {
    match path {
        [] => {}
        [last] => {
            map.insert(last.clone(), value);
        }
        [first, rest @ ..] => {
            let entry = map.entry(first.clone()).or_insert_with(|| Value::Object(Map::new()));
            if !entry.is_object() {
                *entry = Value::Object(Map::new());
            }
            if let Value::Object(inner) = entry {
                set_path(inner, rest, value);
            }
        }
    }
}

/// The value at a path, if there is one.
pub(crate) fn get_path<'a>(map: &'a Map<String, Value>, path: &[String]) -> Option<&'a Value> {
    let (first, rest) = path.split_first()?;
    let v = map.get(first)?;
    if rest.is_empty() {
        Some(v)
    } else {
        get_path(v.as_object()?, rest)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use kongsync_model::Key;
    use serde_json::json;

    fn entity(kind: Kind, name: &str, fields: Value) -> Entity {
        Entity {
            key: Key::name(kind, name),
            id: None,
            fields: fields.as_object().unwrap().clone(),
            refs: Default::default(),
        }
    }

    #[test]
    fn defaults_make_a_short_file_entity_equal_to_what_kong_returns() {
        let schemas = SchemaSet::builtin();
        let file = entity(Kind::Service, "s", json!({"name": "s", "host": "h"}));
        let mut kong = schemas.with_defaults(&file);
        kong.insert("tags".into(), Value::Null);
        kong.insert("client_certificate".into(), Value::Null);
        let live = Entity { fields: kong, ..file.clone() };
        assert_eq!(comparable(&file, Side::Desired, &schemas, &[]), comparable(&live, Side::Live, &schemas, &[]));
    }

    #[test]
    fn sets_compare_in_any_order_and_arrays_in_order() {
        let schemas = SchemaSet::builtin();
        let a = entity(Kind::Route, "r", json!({"name": "r", "protocols": ["https", "http"], "paths": ["/a", "/b"]}));
        let b = entity(Kind::Route, "r", json!({"name": "r", "protocols": ["http", "https"], "paths": ["/a", "/b"]}));
        let c = entity(Kind::Route, "r", json!({"name": "r", "protocols": ["http", "https"], "paths": ["/b", "/a"]}));
        assert_eq!(comparable(&a, Side::Desired, &schemas, &[]), comparable(&b, Side::Desired, &schemas, &[]));
        assert_ne!(comparable(&a, Side::Desired, &schemas, &[]), comparable(&c, Side::Desired, &schemas, &[]));
    }

    #[test]
    fn a_grpc_route_without_strip_path_gets_kongs_false() {
        let schemas = SchemaSet::builtin();
        let strip = |fields: Value| schemas.with_defaults(&entity(Kind::Route, "r", fields)).get("strip_path").cloned();
        assert_eq!(strip(json!({"name": "r", "protocols": ["grpcs", "grpc"]})), Some(json!(false)));
        assert_eq!(strip(json!({"name": "r", "protocols": ["grpc"], "strip_path": true})), Some(json!(true)));
        assert_eq!(strip(json!({"name": "r", "protocols": ["http"]})), Some(json!(true)));
        assert_eq!(strip(json!({"name": "r"})), Some(json!(true)));
    }

    #[test]
    fn ignored_and_computed_fields_are_not_compared() {
        let schemas = SchemaSet::builtin();
        let ignore = [IgnoreField::parse("service.retries").unwrap()];
        let a = entity(Kind::Service, "s", json!({"name": "s", "host": "h", "retries": 1}));
        let b = entity(Kind::Service, "s", json!({"name": "s", "host": "h", "retries": 9}));
        assert_eq!(comparable(&a, Side::Desired, &schemas, &ignore), comparable(&b, Side::Desired, &schemas, &ignore));
        let ca = Entity {
            key: Key::id(Kind::CaCertificate, uuid::Uuid::nil()),
            id: None,
            fields: json!({"cert": "PEM", "cert_digest": "abc"}).as_object().unwrap().clone(),
            refs: Default::default(),
        };
        assert_eq!(comparable(&ca, Side::Desired, &schemas, &[]).get("cert_digest"), None);
        let key = |ttl: u64| Entity {
            key: Key::name(Kind::KeyAuth, "k"),
            id: None,
            fields: json!({"key": "k", "ttl": ttl}).as_object().unwrap().clone(),
            refs: Default::default(),
        };
        assert_eq!(
            comparable(&key(3600), Side::Desired, &schemas, &[]),
            comparable(&key(1234), Side::Live, &schemas, &[]),
            "ttl counts down"
        );
    }
}
