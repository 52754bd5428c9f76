//! Kong 3.5's own schemas, embedded: the fallback when the target does not serve `/schemas/...`.
//!
//! The JSON files under `schemas/` are in the exact shape Kong serves, and are parsed by the same
//! [`Schema::from_kong_json`] as a fetched schema. They are data this crate ships, so a parse failure
//! is a bug in the crate, caught by the tests below, not something a user can cause.

use crate::{Kind, Schema};
use serde_json::Value;
use std::collections::HashMap;
use std::sync::OnceLock;

const CORE: &str = include_str!("schemas/core.json");

macro_rules! plugin_files {
    ($($name:literal),* $(,)?) => {
        /// The bundled plugins kongsync knows the schema of, with their schema JSON.
        pub const PLUGIN_SCHEMAS: &[(&str, &str)] = &[
            $(($name, include_str!(concat!("schemas/plugins/", $name, ".json")))),*
        ];
    };
}

plugin_files!("acl", "cors", "key-auth", "rate-limiting", "request-transformer");

fn parse(text: &str) -> Option<Value> {
    serde_json::from_str(text).ok()
}

fn core() -> &'static HashMap<Kind, Schema> {
    static CORE_SCHEMAS: OnceLock<HashMap<Kind, Schema>> = OnceLock::new();
    CORE_SCHEMAS.get_or_init(|| {
        let all = parse(CORE).unwrap_or_default();
        Kind::ALL.into_iter().filter_map(|k| Some((k, Schema::from_kong_json(all.get(k.dao_name())?).ok()?))).collect()
    })
}

fn plugins() -> &'static HashMap<&'static str, Schema> {
    static PLUGINS: OnceLock<HashMap<&'static str, Schema>> = OnceLock::new();
    PLUGINS.get_or_init(|| {
        PLUGIN_SCHEMAS
            .iter()
            .filter_map(|(name, text)| Some((*name, Schema::from_kong_json(&parse(text)?).ok()?)))
            .collect()
    })
}

/// Kong 3.5's schema of a core entity kind.
pub fn entity_schema(kind: Kind) -> &'static Schema {
    static EMPTY: OnceLock<Schema> = OnceLock::new();
    core().get(&kind).unwrap_or_else(|| EMPTY.get_or_init(Schema::default))
}

/// Kong 3.5's schema of a bundled plugin (the whole plugin subschema, with `config`).
pub fn plugin_schema(name: &str) -> Option<&'static Schema> {
    plugins().get(name)
}

/// The names of the bundled plugins kongsync knows.
pub fn known_plugins() -> impl Iterator<Item = &'static str> {
    PLUGIN_SCHEMAS.iter().map(|(n, _)| *n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_has_a_builtin_schema() {
        for kind in Kind::ALL {
            assert!(core().contains_key(&kind), "no built-in schema for {kind}");
        }
    }

    #[test]
    fn every_plugin_schema_parses_and_has_config() {
        for (name, text) in PLUGIN_SCHEMAS {
            let json = parse(text);
            assert!(json.is_some(), "{name}: not JSON");
            let schema = json.and_then(|j| Schema::from_kong_json(&j).ok());
            assert!(schema.as_ref().is_some_and(|s| s.field("config").is_some()), "{name}: no config record");
        }
        assert_eq!(plugins().len(), PLUGIN_SCHEMAS.len());
    }

    #[test]
    fn service_defaults_are_kongs() {
        let mut obj = serde_json::Map::new();
        obj.insert("host".into(), "example.com".into());
        entity_schema(Kind::Service).fill_defaults(&mut obj);
        assert_eq!(obj.get("port"), Some(&80.into()));
        assert_eq!(obj.get("retries"), Some(&5.into()));
        assert_eq!(obj.get("protocol"), Some(&"http".into()));
        assert_eq!(obj.get("tls_verify_depth"), Some(&Value::Null));
    }
}
