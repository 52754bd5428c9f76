//! Keeping secrets out of everything a person or a log sees: credential fields, private keys, vault
//! and plugin secrets, and every value that came from the environment. The plan file itself must
//! carry the real request bodies (it is executed later), so it is written with mode 0600 and shown
//! only through [`redacted`].

use crate::plan::{Execution, Plan};
use kongsync_model::secret::REDACTED;
use kongsync_model::{is_secret, Kind};
use serde::{Deserialize, Serialize};
use serde_json::Value;

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
        if is_secret(kind, path) {
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
}
