//! One entity, as both sides hold it: its key, its id if known, its own fields, and its references
//! as the parents' keys.
//!
//! `fields` never holds `id`, `created_at`, `updated_at` nor reference fields: identity is in `key`
//! and `id`, references are in `refs`, so two entities compare by their content alone.

use crate::{Key, Kind, Refs};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use uuid::Uuid;

/// An entity of any kind.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Entity {
    pub key: Key,
    /// The id given by the file or held by the gateway; `None` for a file entity without one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<Uuid>,
    /// The entity's own fields (no id, timestamps or references).
    pub fields: Map<String, Value>,
    /// Reference field name to the referenced entity's key (`service` -> service `orders`).
    #[serde(default, skip_serializing_if = "Refs::is_empty")]
    pub refs: Refs,
}

impl Entity {
    pub fn kind(&self) -> Kind {
        self.key.kind
    }

    /// The id this entity has or will have: its own, else the one derived from its key.
    pub fn effective_id(&self) -> Uuid {
        self.id.unwrap_or_else(|| self.key.derived_id())
    }

    /// The string value of a field, if it is a string.
    pub fn str_field(&self, name: &str) -> Option<&str> {
        self.fields.get(name).and_then(Value::as_str)
    }

    /// The entity's tags (empty when it has none).
    pub fn tags(&self) -> Vec<&str> {
        match self.fields.get("tags") {
            Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        }
    }

    /// Whether the entity belongs to the consumer side of the configuration, which
    /// `--skip-consumers` leaves out: consumers, groups, memberships and credentials, and the plugins
    /// scoped to a consumer or a consumer group.
    pub fn is_consumer_side(&self) -> bool {
        self.kind().is_consumer_side()
            || (self.kind() == Kind::Plugin
                && (self.refs.contains_key("consumer") || self.refs.contains_key("consumer_group")))
    }

    /// Whether the entity carries every one of these tags.
    pub fn has_all_tags(&self, wanted: &[String]) -> bool {
        let tags = self.tags();
        wanted.iter().all(|w| tags.contains(&w.as_str()))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Map, Value};

    /// The workspace builds serde_json without `preserve_order`: a JSON object holds its keys in byte
    /// order whatever order they were inserted in. The dump's writer and the plan's fingerprint take
    /// an object's members in that order without sorting them again; this fails if the feature
    /// comes back.
    #[test]
    fn json_objects_hold_their_keys_in_byte_order() {
        let mut m = Map::new();
        for k in ["b", "B", "a", "_x", "a1", "a0"] {
            m.insert(k.to_string(), Value::Null);
        }
        let keys: Vec<&str> = m.keys().map(String::as_str).collect();
        assert_eq!(keys, ["B", "_x", "a", "a0", "a1", "b"]);
    }
}
