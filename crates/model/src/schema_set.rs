//! The schemas one run works with: those the target served, and Kong 3.5's built-in ones for every
//! kind or plugin it did not serve.

use crate::{builtin, Kind, Schema};
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
}
