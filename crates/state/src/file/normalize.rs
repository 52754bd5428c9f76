//! Per-entity work on what a file gives, before references are resolved: take the id and the
//! references out of the fields, expand decK's shorthands (`url`, `_config`, `_info.defaults`),
//! stamp the select tags, and validate every field against Kong's schema.

use super::flatten::{reference_text, Raw, RefSpec};
use super::Diagnostic;
use kongsync_model::{entity_checks, entity_schema, file_required, plugin_schema, Entity, Key, Kind};
use serde_json::{Map, Value};
use uuid::Uuid;

/// What every entity of a run shares: the merged `_info` and `_plugin_configs`.
#[derive(Debug, Default)]
pub(super) struct Context {
    /// `_info.defaults`, by kind.
    pub defaults: Vec<(Kind, Map<String, Value>)>,
    /// `_plugin_configs`.
    pub plugin_configs: Map<String, Value>,
    pub select_tags: Vec<String>,
}

/// Fields decK files may carry that belong to features kongsync does not manage.
const UNSUPPORTED_FIELDS: &[(Kind, &str, &str)] = &[
    (Kind::Plugin, "partials", "plugin partials (Kong Enterprise)"),
    (Kind::Plugin, "ordering", "dynamic plugin ordering (Kong Enterprise)"),
    (Kind::Route, "expression", "expression routes (router_flavor = expressions)"),
    (Kind::Route, "priority", "expression routes (router_flavor = expressions)"),
    (Kind::Service, "filter_chains", "filter chains (WebAssembly)"),
    (Kind::Route, "filter_chains", "filter chains (WebAssembly)"),
];

/// The label of an entity in messages: its kind and key when its own fields give one, else its place.
pub(super) fn label(raw: &Raw, id: Option<Uuid>) -> String {
    // A plugin, target or ACL is keyed within its parents, which are not resolved yet: its own
    // identifying field and its place say which one it is.
    let def = raw.kind.def();
    let own_field = if def.keyed_under.is_empty() {
        match kongsync_model::natural_key(raw.kind, &raw.obj, &Default::default(), id) {
            Some(k) => return format!("{} \"{}\"", raw.kind, k.ident_text()),
            None => None,
        }
    } else {
        def.identity.first().copied()
    };
    match own_field.and_then(|f| raw.obj.get(f)).and_then(Value::as_str) {
        Some(text) => format!("{} \"{text}\" at {}", raw.kind, raw.place),
        None => format!("{} at {}", raw.kind, raw.place),
    }
}

/// The fields that identify an entity: a problem with one of them already says that the entity
/// cannot be identified, so resolution does not say it again.
const IDENTITY_FIELDS: [&str; 10] =
    ["id", "name", "username", "custom_id", "key", "client_id", "prefix", "cert", "target", "group"];

/// Normalizes one raw entity in place; returns its id. Problems are pushed to `errors`.
pub(super) fn normalize(raw: &mut Raw, ctx: &Context, file: &str, errors: &mut Vec<Diagnostic>) -> Option<Uuid> {
    let mut local = Vec::new();
    let id = match raw.obj.remove("id") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => match kongsync_model::kong_uuid(&s) {
            Some(u) => Some(u),
            None => {
                local.push(("id".to_string(), "expected a valid UUID".to_string()));
                None
            }
        },
        Some(_) => {
            local.push(("id".to_string(), "expected a valid UUID".to_string()));
            None
        }
    };
    raw.obj.remove("created_at");
    raw.obj.remove("updated_at");
    for r in raw.kind.references() {
        match raw.obj.remove(r.field) {
            None | Some(Value::Null) => {}
            Some(v) => match reference_text(&v, &[]) {
                Some(text) => raw.refs.push((r.field, RefSpec::Text(text))),
                None => local.push((r.field.to_string(), "expected a name or an id".to_string())),
            },
        }
    }
    let mut unsupported = false;
    for (kind, field, feature) in UNSUPPORTED_FIELDS {
        if *kind == raw.kind && raw.obj.remove(*field).is_some() {
            local.push((field.to_string(), format!("unsupported feature: {feature}")));
            unsupported = true;
        }
    }
    if raw.kind == Kind::Service {
        if let Some(url) = raw.obj.remove("url") {
            expand_url(&url, &mut raw.obj).unwrap_or_else(|m| local.push(("url".into(), m)));
        }
        // A list of uuids (kong/db/schema/entities/services.lua, `ca_certificates`), which the
        // gateway answers in lower case: an upper-case id in the file is the same id.
        if let Some(Value::Array(items)) = raw.obj.get_mut("ca_certificates") {
            for item in items.iter_mut() {
                if let Some(id) = item.as_str().and_then(kongsync_model::kong_uuid) {
                    *item = Value::String(id.to_string());
                }
            }
        }
    }
    if raw.kind == Kind::Plugin {
        if let Some(name) = raw.obj.remove("_config") {
            match name.as_str().and_then(|n| ctx.plugin_configs.get(n)) {
                Some(shared) => {
                    merge_under(raw.obj.entry("config").or_insert_with(|| Value::Object(Map::new())), shared)
                }
                None => local.push(("_config".into(), format!("no `_plugin_configs` entry named {name}"))),
            }
        }
    }
    if let Some((_, defaults)) = ctx.defaults.iter().find(|(k, _)| *k == raw.kind) {
        for (k, v) in defaults {
            raw.obj.entry(k.clone()).or_insert_with(|| v.clone());
        }
    }
    // Kong's field validators read the text as given: a target before it is normalized (and an
    // invalid one is left as given, so that messages show it so).
    let checked = kongsync_model::field_checks(raw.kind, &raw.obj);
    if raw.kind == Kind::Target && !checked.iter().any(|e| e.path == "target") {
        if let Some(Value::String(t)) = raw.obj.get_mut("target") {
            *t = kongsync_model::normalize_target(t);
        }
    }
    if raw.kind.has_tags() && !ctx.select_tags.is_empty() {
        crate::state::add_tags(&mut raw.obj, &ctx.select_tags);
    }
    // Checks across fields would only repeat, about what is left, that a feature is missing.
    validate(raw, id, !unsupported, &mut local);
    // Kong stops at a field's first failing validator: one problem per field.
    for e in checked {
        if !local.iter().any(|(field, _)| *field == e.path) {
            local.push((e.path, e.message));
        }
    }
    raw.identity_reported = local.iter().any(|(field, _)| IDENTITY_FIELDS.contains(&field.as_str()));
    if local.is_empty() {
        return id;
    }
    let entity = label(raw, id);
    errors.extend(
        local
            .into_iter()
            .map(|(field, message)| Diagnostic::file(file, message).at_entity(entity.clone()).at_field(field)),
    );
    id
}

fn validate(raw: &mut Raw, id: Option<Uuid>, cross_field: bool, out: &mut Vec<(String, String)>) {
    if raw.kind.def().has_schema {
        for e in entity_schema(raw.kind).validate(&raw.obj) {
            out.push((e.path, e.message));
        }
    }
    for field in file_required(raw.kind) {
        if raw.obj.get(*field).is_none_or(Value::is_null) {
            out.push((
                field.to_string(),
                "required field missing (Kong would generate a new one on every sync)".into(),
            ));
        }
    }
    if raw.kind == Kind::Plugin {
        let name = raw.obj.get("name").and_then(Value::as_str).unwrap_or_default();
        // The scope was taken out of the fields; the plugin's schema may forbid one (key-auth, acl
        // and cors cannot apply to a single consumer).
        for (field, _) in &raw.refs {
            if plugin_schema(name).and_then(|s| s.field(field)).is_some_and(|f| f.must_be_null) {
                out.push((
                    field.to_string(),
                    format!("value must be null: the {name} plugin cannot be scoped to a {field}"),
                ));
            }
        }
        if let (Some(schema), Some(Value::Object(config))) = (config_schema(name), raw.obj.get("config")) {
            for e in schema.validate(config) {
                out.push((format!("config.{}", e.path), e.message));
            }
        }
    }
    if cross_field {
        // The checks read an entity: the fields are lent to one and taken back, not copied.
        let fields = std::mem::take(&mut raw.obj);
        let probe = Entity { key: Key::id(raw.kind, Uuid::nil()), id, fields, refs: Default::default() };
        for e in entity_checks(&probe) {
            out.push((e.path, e.message));
        }
        raw.obj = probe.fields;
    }
}

/// The schema of a bundled plugin's `config` record, as a schema of its own. Made once for every
/// bundled plugin, since each plugin entity of a large file is validated against one.
fn config_schema(name: &str) -> Option<&'static kongsync_model::Schema> {
    use std::collections::HashMap;
    use std::sync::OnceLock;
    static SCHEMAS: OnceLock<HashMap<&'static str, kongsync_model::Schema>> = OnceLock::new();
    let schemas = SCHEMAS.get_or_init(|| {
        kongsync_model::known_plugins()
            .filter_map(|n| {
                let spec = plugin_schema(n)?.field("config")?;
                Some((n, kongsync_model::Schema { fields: spec.fields.clone() }))
            })
            .collect()
    });
    schemas.get(name)
}

/// Deep-merges `shared` under `target`: what the plugin sets itself wins at every level.
fn merge_under(target: &mut Value, shared: &Value) {
    if let (Value::Object(t), Value::Object(s)) = (target, shared) {
        for (k, v) in s {
            match t.get_mut(k) {
                None => {
                    t.insert(k.clone(), v.clone());
                }
                Some(existing) => merge_under(existing, v),
            }
        }
    }
}

/// Expands a service's `url` into protocol, host, port and path, as Kong does: the URL overrides
/// those fields; the port defaults by scheme; a URL without path clears `path`.
fn expand_url(url: &Value, obj: &mut Map<String, Value>) -> Result<(), String> {
    let text = url.as_str().ok_or("expected a string")?;
    let (scheme, rest) = text.split_once("://").ok_or_else(|| format!("invalid URL `{text}`"))?;
    let rest = rest.split(['?', '#']).next().unwrap_or_default();
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], Some(&rest[i..])),
        None => (rest, None),
    };
    let (host, port) = match authority.rsplit_once(':') {
        Some((h, p)) if !h.is_empty() && !authority.ends_with(']') => {
            (h, Some(p.parse::<u16>().map_err(|_| format!("invalid port in URL `{text}`"))?))
        }
        _ => (authority, None),
    };
    if host.is_empty() {
        return Err(format!("invalid URL `{text}`: no host"));
    }
    let port = port.unwrap_or(if scheme == "https" { 443 } else { 80 });
    obj.insert("protocol".into(), Value::String(scheme.to_string()));
    obj.insert("host".into(), Value::String(host.to_string()));
    obj.insert("port".into(), Value::from(port));
    obj.insert("path".into(), path.map_or(Value::Null, |p| Value::String(p.replace(' ', "%20"))));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn expand(url: &str) -> Value {
        let mut obj = Map::new();
        match expand_url(&json!(url), &mut obj) {
            Ok(()) => Value::Object(obj),
            Err(e) => Value::String(e),
        }
    }

    #[test]
    fn url_shorthand_expands_like_kong() {
        assert_eq!(
            expand("http://example.test:443"),
            json!({"protocol": "http", "host": "example.test", "port": 443, "path": null})
        );
        assert_eq!(
            expand("https://example2.test:80/"),
            json!({"protocol": "https", "host": "example2.test", "port": 80, "path": "/"})
        );
        assert_eq!(
            expand("https://x.test/a?b=c"),
            json!({"protocol": "https", "host": "x.test", "port": 443, "path": "/a"})
        );
        assert_eq!(expand("invalid url"), json!("invalid URL `invalid url`"));
    }

    #[test]
    fn plugin_config_merge_keeps_plugin_values() {
        let mut target = json!({"a": 1, "n": {"x": 1}});
        merge_under(&mut target, &json!({"a": 2, "b": 3, "n": {"x": 2, "y": 2}}));
        assert_eq!(target, json!({"a": 1, "b": 3, "n": {"x": 1, "y": 2}}));
    }
}
