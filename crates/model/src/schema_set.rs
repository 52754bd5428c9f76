//! The schemas one run works with: those the target served, and Kong 3.5's built-in ones for every
//! kind or plugin it did not serve; and an entity's fields with the defaults those schemas give.

use crate::{builtin, Entity, Kind, Schema};
use serde_json::{Map, Value};
use std::collections::HashMap;

/// Schemas by entity kind and by plugin name; lookups fall back to the built-in Kong 3.5 schemas.
#[derive(Clone, Debug, Default)]
pub struct SchemaSet {
    /// Entity schemas the target served (`GET /schemas/{dao_name}`).
    pub entities: HashMap<Kind, Schema>,
    /// Plugin schemas the target served (`GET /schemas/plugins/{name}`): the whole plugin subschema.
    pub plugins: HashMap<String, Schema>,
}

impl SchemaSet {
    /// Only the built-in schemas.
    pub fn builtin() -> SchemaSet {
        SchemaSet::default()
    }

    /// The built-in schemas as a Konnect control plane has them: [`builtin::konnect_entity_schemas`]
    /// for the kinds Konnect's gateway has grown, Kong 3.5's for the rest.
    pub fn builtin_konnect() -> SchemaSet {
        SchemaSet { entities: builtin::konnect_entity_schemas().clone(), plugins: HashMap::new() }
    }

    /// The schema of an entity kind.
    pub fn entity(&self, kind: Kind) -> &Schema {
        self.entities.get(&kind).unwrap_or_else(|| builtin::entity_schema(kind))
    }

    /// The schema of a plugin (with its `config` record), if the target or kongsync knows it.
    pub fn plugin(&self, name: &str) -> Option<&Schema> {
        self.plugins.get(name).or_else(|| builtin::plugin_schema(name))
    }

    /// The entity's fields with every default filled, as Kong would store them were they written:
    /// the rewrites Kong applies to a body on every write first.
    pub fn with_defaults(&self, e: &Entity) -> Map<String, Value> {
        self.defaults(e, true)
    }

    /// The fields of an entity as the gateway holds it, with the defaults of fields it does not
    /// know yet. No write-time rewrite: what Kong holds was rewritten when it was written, and
    /// rewriting it again can change it (Kong holds `consistent-hashing` with `hash_on: none` when
    /// the body that wrote it had no `hash_on`, which the shorthand would turn into round-robin).
    pub fn held_with_defaults(&self, e: &Entity) -> Map<String, Value> {
        self.defaults(e, false)
    }

    fn defaults(&self, e: &Entity, written: bool) -> Map<String, Value> {
        let mut fields = e.fields.clone();
        match e.kind() {
            Kind::Route => grpc_strip_path(&mut fields),
            Kind::Upstream if written => upstream_shorthands(&mut fields),
            _ => {}
        }
        for schema in self.of_entity(e) {
            schema.fill_defaults(&mut fields);
        }
        // Defaults of reference fields are nulls; references live in `refs`.
        for r in e.kind().references() {
            fields.remove(r.field);
        }
        fields
    }

    /// The paths of the fields the gateway makes up for this entity when they are not given, from the
    /// target's schemas and kongsync's built-in ones (a served schema may show a drawn value as a
    /// plain default, as Kong does for the session plugin's `secret`).
    pub fn generated_paths(&self, e: &Entity) -> Vec<Vec<String>> {
        let builtin_plugin = match e.kind() {
            Kind::Plugin => e.str_field("name").and_then(builtin::plugin_schema),
            _ => None,
        };
        let builtin = builtin_plugin.into_iter().chain(std::iter::once(builtin::entity_schema(e.kind())));
        let mut paths: Vec<Vec<String>> = self.of_entity(e).chain(builtin).flat_map(Schema::generated_paths).collect();
        paths.sort();
        paths.dedup();
        paths
    }

    /// The schemas an entity's fields follow: a plugin's own schema first (its `config`, its protocol
    /// defaults), then the schema of its kind.
    pub fn of_entity<'s>(&'s self, e: &Entity) -> impl Iterator<Item = &'s Schema> {
        let plugin = match e.kind() {
            Kind::Plugin => e.str_field("name").and_then(|n| self.plugin(n)),
            _ => None,
        };
        plugin.into_iter().chain(std::iter::once(self.entity(e.kind())))
    }
}

/// Kong rewrites an upstream's `algorithm` and `hash_on` on every write, before defaults, and only
/// from the fields the body carries (kong/db/schema/entities/upstreams.lua:302-345, run in order by
/// kong/db/schema/init.lua's shorthand processing, 3.5.0): least-connections and latency null
/// `hash_on`; then a `hash_on` present (possibly just nulled) becomes `none` if null, forces
/// round-robin if `none`, and consistent-hashing otherwise. Applied to the file's side, it gives what
/// Kong will hold. Not to what Kong returns: a body without `hash_on` leaves pairs the rules would
/// rewrite (`consistent-hashing` with the default `hash_on: none`).
fn upstream_shorthands(fields: &mut Map<String, Value>) {
    if matches!(fields.get("algorithm").and_then(Value::as_str), Some("least-connections" | "latency")) {
        fields.insert("hash_on".into(), Value::Null);
    }
    let (field, value) = match fields.get("hash_on") {
        None => return,
        Some(Value::Null) => ("hash_on", "none"),
        Some(Value::String(h)) if h == "none" => ("algorithm", "round-robin"),
        Some(_) => ("algorithm", "consistent-hashing"),
    };
    fields.insert(field.into(), Value::String(value.into()));
}

/// Kong gives a gRPC route `strip_path: false` when it is not set, where the schema's default is
/// `true` (the grpc/grpcs route subschemas). The protocol groups exclude each other, so one grpc or
/// grpcs protocol means the route is a gRPC route.
fn grpc_strip_path(fields: &mut Map<String, Value>) {
    let grpc = match fields.get("protocols") {
        Some(Value::Array(p)) => p.iter().any(|v| matches!(v.as_str(), Some("grpc" | "grpcs"))),
        _ => false,
    };
    if grpc && fields.get("strip_path").is_none_or(Value::is_null) {
        fields.insert("strip_path".into(), Value::Bool(false));
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::Key;
    use serde_json::json;

    /// The (algorithm, hash_on) Kong stores for an upstream written with `fields`.
    fn stored(fields: Value) -> (Value, Value) {
        let e = Entity {
            key: Key::name(Kind::Upstream, "u"),
            id: None,
            fields: fields.as_object().unwrap().clone(),
            refs: Default::default(),
        };
        let f = SchemaSet::builtin().with_defaults(&e);
        (f["algorithm"].clone(), f["hash_on"].clone())
    }

    // kong/db/schema/entities/upstreams.lua:302-345 (3.5.0).
    #[test]
    fn upstream_shorthands_give_what_kong_stores() {
        let pair = |a: &str, h: &str| (json!(a), json!(h));
        assert_eq!(
            stored(json!({"algorithm": "least-connections", "hash_on": "header"})),
            pair("least-connections", "none")
        );
        assert_eq!(stored(json!({"algorithm": "latency"})), pair("latency", "none"));
        assert_eq!(stored(json!({"algorithm": "consistent-hashing", "hash_on": "none"})), pair("round-robin", "none"));
        assert_eq!(stored(json!({"algorithm": "round-robin", "hash_on": "ip"})), pair("consistent-hashing", "ip"));
        assert_eq!(stored(json!({"hash_on": null})), pair("round-robin", "none"));
        // Without hash_on in the body no rule runs: consistent-hashing stays, hash_on gets its default.
        assert_eq!(stored(json!({"algorithm": "consistent-hashing"})), pair("consistent-hashing", "none"));
        // And what Kong then holds is read as it is, not rewritten again.
        let held = Entity {
            key: Key::name(Kind::Upstream, "u"),
            id: None,
            fields: json!({"algorithm": "consistent-hashing", "hash_on": "none"}).as_object().unwrap().clone(),
            refs: Default::default(),
        };
        let f = SchemaSet::builtin().held_with_defaults(&held);
        assert_eq!((f["algorithm"].clone(), f["hash_on"].clone()), pair("consistent-hashing", "none"));
    }
}
