//! Keeping secrets out of everything a person or a log sees: credential fields, private keys, vault
//! and plugin secrets, and every value that came from the environment. The plan file itself must
//! carry the real request bodies (it is executed later), so it is written with mode 0600 and shown
//! only through [`redacted`].

use crate::plan::{Execution, Plan};
use kongsync_model::secret::REDACTED;
use kongsync_model::{is_secret, known_plugins, plugin_schema, Kind};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::HashSet;
use std::sync::OnceLock;

/// Masks secrets for display. Serialized with the plan (in its file, which holds the real request
/// bodies anyway), so that a plan run later is shown as masked as when it was made.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Masker {
    /// Values read from the environment by state-file templates.
    env_values: Vec<String>,
}

impl Masker {
    pub fn new(env_values: &[String]) -> Masker {
        Masker { env_values: env_values.iter().filter(|v| !v.is_empty()).cloned().collect() }
    }

    /// Whether there is no environment value to mask.
    pub fn is_empty(&self) -> bool {
        self.env_values.is_empty()
    }

    /// The value at `path` of an entity of `kind`, as it may be shown.
    pub fn show(&self, kind: Kind, path: &str, value: &Value) -> Value {
        if secret_at(kind, path) {
            return Value::String(REDACTED.to_string());
        }
        match value {
            Value::String(s) => Value::String(self.scrub(s)),
            Value::Array(items) => Value::Array(items.iter().map(|v| self.show(kind, path, v)).collect()),
            Value::Object(map) => {
                Value::Object(map.iter().map(|(k, v)| (k.clone(), self.show(kind, &join(path, k), v))).collect())
            }
            other => other.clone(),
        }
    }

    /// A string with every environment value replaced.
    pub fn scrub(&self, text: &str) -> String {
        let mut out = text.to_string();
        for v in &self.env_values {
            if out.contains(v.as_str()) {
                out = out.replace(v.as_str(), REDACTED);
            }
        }
        out
    }
}

/// Whether the field at `path` of an entity of `kind` is a secret: by the kind table and field names
/// ([`is_secret`]), or by the bundled plugins' schemas.
fn secret_at(kind: Kind, path: &str) -> bool {
    is_secret(kind, path) || (kind == Kind::Plugin && plugin_secret(path))
}

/// The secret values at or under `path` of a value, as [`Masker::show`] finds them.
fn collect_secrets(kind: Kind, path: &str, value: &Value, out: &mut Vec<String>) {
    let secret = secret_at(kind, path);
    match value {
        Value::String(s) if secret => out.push(s.clone()),
        Value::Array(items) => items.iter().for_each(|v| collect_secrets(kind, path, v, out)),
        Value::Object(map) => map.iter().for_each(|(k, v)| collect_secrets(kind, &join(path, k), v, out)),
        Value::Number(n) if secret => out.push(n.to_string()),
        _ => {}
    }
}

/// The masker for what the gateway says about a plan's requests (a sync report's failures): the
/// plan's own, and every secret its request bodies send, since Kong quotes values in its messages
/// (a 409 names the key-auth key that is already taken).
pub fn message_masker(plan: &Plan) -> Masker {
    let mut values = plan.masker.env_values.clone();
    for step in &plan.steps {
        if let Execution::Request(req) = &step.execution {
            if let Some(body) = &req.body {
                collect_secrets(step.kind, "", body, &mut values);
            }
        }
    }
    // Longest first, so that a secret containing another is replaced whole.
    values.sort_by_key(|v| std::cmp::Reverse(v.len()));
    values.dedup();
    Masker::new(&values)
}

/// Whether a plugin field is a secret in some bundled plugin's schema (Kong marks it `encrypted` or
/// `referenceable`). The masker is handed a path, not the plugin's name, so the paths of all plugins
/// are one set: a field secret in one plugin is masked in every plugin, which only ever masks more.
fn plugin_secret(path: &str) -> bool {
    static PATHS: OnceLock<HashSet<String>> = OnceLock::new();
    let paths = PATHS.get_or_init(|| {
        known_plugins().filter_map(plugin_schema).flat_map(|s| s.secret_paths()).collect::<HashSet<_>>()
    });
    if paths.contains(path) {
        return true;
    }
    // A value of a map whose values are secrets (`config.headers.Authorization`).
    path.rsplit_once('.').is_some_and(|(map, _)| paths.contains(&format!("{map}.*")))
}

/// A path joined with one more segment.
pub fn join(path: &str, segment: &str) -> String {
    if path.is_empty() {
        segment.to_string()
    } else {
        format!("{path}.{segment}")
    }
}

/// A copy of the plan fit for display: request bodies masked with the plan's own masker, and the
/// masker itself left out. Changes are masked when the plan is made.
pub fn redacted(plan: &Plan) -> Plan {
    let mut out = plan.clone();
    let masker = std::mem::take(&mut out.masker);
    for step in &mut out.steps {
        if let Execution::Request(req) = &mut step.execution {
            if let Some(body) = &req.body {
                req.body = Some(masker.show(step.kind, "", body));
            }
            req.path = masker.scrub(&req.path);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn secrets_and_environment_values_are_masked() {
        let m = Masker::new(&["hunter2".to_string()]);
        let shown = m.show(Kind::KeyAuth, "", &json!({"key": "abc", "tags": ["x-hunter2"]}));
        assert_eq!(shown, json!({"key": REDACTED, "tags": ["x-<redacted>"]}));
        let plugin = m.show(Kind::Plugin, "", &json!({"config": {"client_secret": "s", "minute": 1}}));
        assert_eq!(plugin, json!({"config": {"client_secret": REDACTED, "minute": 1}}));
    }

    #[test]
    fn plugin_fields_kong_encrypts_or_takes_from_a_vault_are_masked() {
        let m = Masker::default();
        let http_log = json!({"name": "http-log", "config": {
            "http_endpoint": "https://u:pw@logs.example.com", "timeout": 10000,
            "headers": {"Authorization": "Bearer abc", "X-Trace": "1"}}});
        let shown = m.show(Kind::Plugin, "", &http_log);
        assert_eq!(shown["config"]["http_endpoint"], REDACTED, "{shown}");
        assert_eq!(shown["config"]["headers"], json!({"Authorization": REDACTED, "X-Trace": REDACTED}), "{shown}");
        assert_eq!(shown["config"]["timeout"], 10000);
        for (path, value) in [("config.aws_key", "AKIA"), ("config.aws_secret", "s"), ("config.eab_hmac_key", "h")] {
            assert_eq!(m.show(Kind::Plugin, path, &json!(value)), json!(REDACTED), "{path}");
        }
        // The change lists mask by path too, a header at a time.
        assert_eq!(m.show(Kind::Plugin, "config.headers.Authorization", &json!("Bearer abc")), json!(REDACTED));
    }
}
