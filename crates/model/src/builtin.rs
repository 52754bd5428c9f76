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
/// The fields Konnect's current gateway adds to Kong 3.5's core entities, or changes (newer one_of
/// lists), in Kong's field shape. Konnect serves its entity schemas only as JSON Schema documents, so
/// without these its stored defaults (an upstream's `sticky_sessions_cookie_path: /`, a target's
/// `failover: false`) would show as changes on every run.
const KONNECT: &str = include_str!("schemas/konnect.json");

macro_rules! plugin_files {
    ($($name:literal),* $(,)?) => {
        /// The bundled plugins kongsync knows the schema of, with their schema JSON.
        pub(crate) const PLUGIN_SCHEMAS: &[(&str, &str)] = &[
            $(($name, include_str!(concat!("schemas/plugins/", $name, ".json")))),*
        ];
    };
}

plugin_files!(
    "acl",
    "acme",
    "aws-lambda",
    "azure-functions",
    "basic-auth",
    "bot-detection",
    "correlation-id",
    "cors",
    "datadog",
    "file-log",
    "grpc-gateway",
    "grpc-web",
    "hmac-auth",
    "http-log",
    "ip-restriction",
    "jwt",
    "key-auth",
    "ldap-auth",
    "loggly",
    "oauth2",
    "opentelemetry",
    "post-function",
    "pre-function",
    "prometheus",
    "proxy-cache",
    "rate-limiting",
    "request-size-limiting",
    "request-termination",
    "request-transformer",
    "response-ratelimiting",
    "response-transformer",
    "session",
    "statsd",
    "syslog",
    "tcp-log",
    "udp-log",
    "zipkin",
);

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

/// The core entity schemas as Konnect's current gateway has them: Kong 3.5's, with [`KONNECT`]'s fields
/// added or replacing the fields of the same name.
pub(crate) fn konnect_entity_schemas() -> &'static HashMap<Kind, Schema> {
    static KONNECT_SCHEMAS: OnceLock<HashMap<Kind, Schema>> = OnceLock::new();
    KONNECT_SCHEMAS.get_or_init(|| {
        let (Some(all), Some(extra)) = (parse(CORE), parse(KONNECT)) else { return HashMap::new() };
        let mut merged = HashMap::new();
        for (dao, added) in extra.as_object().into_iter().flatten() {
            let Some(kind) = Kind::ALL.into_iter().find(|k| k.dao_name() == dao) else { continue };
            let mut fields = all[dao.as_str()]["fields"].as_array().cloned().unwrap_or_default();
            for field in added.as_array().into_iter().flatten() {
                let name = field.as_object().and_then(|o| o.keys().next()).cloned().unwrap_or_default();
                fields.retain(|f| f.get(&name).is_none());
                fields.push(field.clone());
            }
            if let Ok(schema) = Schema::from_kong_json(&serde_json::json!({ "fields": fields })) {
                merged.insert(kind, schema);
            }
        }
        merged
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
    fn konnects_fields_extend_kongs() {
        let konnect = konnect_entity_schemas();
        assert_eq!(konnect.len(), 4, "every kind of konnect.json parsed");
        let mut upstream = serde_json::Map::new();
        konnect[&Kind::Upstream].fill_defaults(&mut upstream);
        assert_eq!(upstream.get("sticky_sessions_cookie_path"), Some(&serde_json::json!("/")));
        assert_eq!(upstream.get("slots"), Some(&serde_json::json!(10000)), "Kong's own fields are kept");
        let mut target = serde_json::Map::new();
        konnect[&Kind::Target].fill_defaults(&mut target);
        assert_eq!(target.get("failover"), Some(&serde_json::json!(false)));
        let algorithm = konnect[&Kind::Upstream].field("algorithm").and_then(|a| a.one_of.as_ref()).map(Vec::len);
        assert_eq!(algorithm, Some(5), "the field is replaced, not doubled");
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
    fn every_plugin_fills_defaults_for_an_empty_config() {
        for (name, _) in PLUGIN_SCHEMAS {
            let schema = plugin_schema(name).unwrap_or_else(|| panic!("{name}: schema did not parse"));
            let mut obj = serde_json::Map::new();
            schema.fill_defaults(&mut obj);
            let protocols = obj.get("protocols").and_then(Value::as_array);
            assert!(protocols.is_some_and(|p| !p.is_empty()), "{name}: no default protocols");
            let config = obj.get("config").and_then(Value::as_object);
            let config = config.unwrap_or_else(|| panic!("{name}: config not filled"));
            // Every config field with a default must now be present with exactly that default.
            let fields = schema.field("config").map(|c| c.fields.as_slice()).unwrap_or_default();
            for f in fields {
                if let Some(d) = f.spec.default.as_ref().filter(|d| !d.is_object()) {
                    assert_eq!(config.get(&f.name), Some(d), "{name}: config.{}", f.name);
                }
            }
        }
    }

    #[test]
    fn plugin_scope_and_protocol_facts() {
        let fill = |name: &str| {
            let mut obj = serde_json::Map::new();
            plugin_schema(name).unwrap_or_else(|| panic!("{name}")).fill_defaults(&mut obj);
            Value::Object(obj)
        };
        for name in ["basic-auth", "hmac-auth", "jwt", "oauth2"] {
            let consumer = plugin_schema(name).and_then(|s| s.field("consumer"));
            assert!(consumer.is_some_and(|c| c.must_be_null), "{name}: consumer must be null");
        }
        for name in ["correlation-id", "http-log", "prometheus", "proxy-cache", "request-size-limiting"] {
            assert!(plugin_schema(name).and_then(|s| s.field("consumer")).is_none(), "{name}: consumer allowed");
        }
        let http_log = fill("http-log");
        assert_eq!(http_log["config"]["queue"]["max_batch_size"], 1);
        assert_eq!(http_log["config"]["queue"]["initial_retry_delay"], 0.01);
        assert_eq!(
            fill("ip-restriction")["protocols"],
            serde_json::json!(["http", "https", "tcp", "tls", "grpc", "grpcs"])
        );
        assert_eq!(fill("proxy-cache")["config"]["memory"]["dictionary_name"], "kong_db_cache");
        assert_eq!(fill("response-transformer")["config"]["add"]["json_types"], serde_json::json!([]));
    }

    #[test]
    fn required_records_are_completed_even_when_empty() {
        // kong/db/schema/entity.lua:15 makes acme's storage_config records required, so Kong stores
        // `kong: {}` (kong/plugins/acme/schema.lua:196) and the desired side must too.
        let mut obj = serde_json::Map::new();
        plugin_schema("acme").unwrap_or_else(|| panic!("acme")).fill_defaults(&mut obj);
        assert_eq!(obj["config"]["storage_config"]["kong"], serde_json::json!({}));
        assert_eq!(obj["config"]["storage_config"]["redis"]["namespace"], "");
        assert_eq!(obj["protocols"], serde_json::json!(["grpc", "grpcs", "http", "https"]));
        // kong/plugins/request-termination/schema.lua:16-24: only status_code and echo have defaults.
        let mut obj = serde_json::Map::new();
        plugin_schema("request-termination").unwrap_or_else(|| panic!("rt")).fill_defaults(&mut obj);
        assert_eq!(obj["config"], serde_json::json!({"status_code": 503, "echo": false}));
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
