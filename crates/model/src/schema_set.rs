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

    /// The entity's fields with every default filled, as Kong would store them.
    pub fn with_defaults(&self, e: &Entity) -> Map<String, Value> {
        let mut fields = e.fields.clone();
        if e.kind() == Kind::Route {
            grpc_strip_path(&mut fields);
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
