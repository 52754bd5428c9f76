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

/// Masks secrets for display.
///
/// A value from the environment is masked where it stands whole: a field whose value is it (a
/// string, or a number or boolean written from it), or a word of a key, path or reason. Inside a
/// longer string (`X-API-Key:${{ env "DECK_API_KEY" }}`) a value is masked where it stands as a word
/// of its own and has [`INNER_MIN`] characters or more, and never inside an id: a short value such as
/// `0` or `5` occurs by chance in every uuid and number (decK's
/// `Test_Diff_Masking_ShortValues_NoCorruption`), and `1` in a name such as `old-1`.
///
/// Serialized with the plan (in its file, which holds the real request bodies anyway) as its list of
/// values, so that a plan run later is shown as masked as when it was made.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "Vec<String>", into = "Vec<String>")]
pub struct Masker {
    /// Values read from the environment by state-file templates, as given and as decoded.
    env_values: Vec<String>,
    /// The same values without whitespace (see [`bare`]), for whole-value comparison.
    bare_values: Vec<String>,
}

impl From<Vec<String>> for Masker {
    fn from(values: Vec<String>) -> Masker {
        Masker::new(&values)
    }
}

impl From<Masker> for Vec<String> {
    fn from(m: Masker) -> Vec<String> {
        m.env_values
    }
}

/// The shortest value masked inside a longer string.
pub const INNER_MIN: usize = 4;

impl Masker {
    /// A masker for these environment values. Each is taken as given and, when it is a quoted YAML
    /// scalar (a certificate written `"-----BEGIN ...\n..."`), as what it decodes to, since that is
    /// the form the entity holds.
    pub fn new(env_values: &[String]) -> Masker {
        let mut m = Masker::default();
        for raw in env_values {
            let decoded = serde_json::from_str::<String>(raw.trim()).ok().or_else(|| single_quoted(raw.trim()));
            for v in std::iter::once(raw.as_str()).chain(decoded.as_deref()) {
                let b = bare(v);
                if !b.is_empty() && !m.env_values.iter().any(|x| x == v) {
                    m.env_values.push(v.to_string());
                    m.bare_values.push(b);
                }
            }
        }
        m
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
            Value::String(s) => Value::String(self.mask_str(s)),
            Value::Number(_) | Value::Bool(_) if self.is_env(&value.to_string()) => Value::String(REDACTED.to_string()),
            Value::Array(items) => Value::Array(items.iter().map(|v| self.show(kind, path, v)).collect()),
            Value::Object(map) => {
                Value::Object(map.iter().map(|(k, v)| (k.clone(), self.show(kind, &join(path, k), v))).collect())
            }
            other => other.clone(),
        }
    }

    /// The two sides of a change, as they may be shown. A field whose new value comes from the
    /// environment is masked on the old side too: the old value is the previous secret (a rotated
    /// certificate, an earlier token), which the environment no longer holds (decK's
    /// `Test_Sync_EnvVar_Masking` shows neither side of a rotated certificate).
    pub fn show_change(
        &self,
        kind: Kind,
        path: &str,
        before: Option<&Value>,
        after: Option<&Value>,
    ) -> (Option<Value>, Option<Value>) {
        let shown_after = after.map(|a| self.show(kind, path, a));
        let shown_before = match (before, after, &shown_after) {
            (Some(b), Some(a), Some(sa)) => Some(self.mask_like(kind, path, b, a, sa)),
            (b, _, _) => b.map(|b| self.show(kind, path, b)),
        };
        (shown_before, shown_after)
    }

    /// `before` shown, and masked wherever `after` was (element by element for lists of the same
    /// length, member by member for mappings).
    fn mask_like(&self, kind: Kind, path: &str, before: &Value, after: &Value, shown_after: &Value) -> Value {
        match (before, after, shown_after) {
            (Value::Array(b), Value::Array(a), Value::Array(sa)) if b.len() == a.len() => Value::Array(
                b.iter().zip(a.iter().zip(sa)).map(|(b, (a, sa))| self.mask_like(kind, path, b, a, sa)).collect(),
            ),
            (Value::Object(b), Value::Object(a), Value::Object(sa)) => Value::Object(
                b.iter()
                    .map(|(k, bv)| {
                        let here = join(path, k);
                        let shown = match (a.get(k), sa.get(k)) {
                            (Some(av), Some(sav)) => self.mask_like(kind, &here, bv, av, sav),
                            _ => self.show(kind, &here, bv),
                        };
                        (k.clone(), shown)
                    })
                    .collect(),
            ),
            (Value::Array(_) | Value::Object(_), _, _) => self.show(kind, path, before),
            _ if after != shown_after => Value::String(REDACTED.to_string()),
            _ => self.show(kind, path, before),
        }
    }

    /// A key, path or reason with every value from the environment replaced, word by word. Words are
    /// separated by whitespace and by `/ = ( ) , "`, so an id or number that merely contains a short
    /// value is left alone.
    pub fn scrub(&self, text: &str) -> String {
        if self.env_values.is_empty() {
            return text.to_string();
        }
        let mut out = String::with_capacity(text.len());
        let mut word = String::new();
        for c in text.chars() {
            if c.is_whitespace() || "/=(),\"".contains(c) {
                out.push_str(&self.mask_str(&word));
                word.clear();
                out.push(c);
            } else {
                word.push(c);
            }
        }
        out.push_str(&self.mask_str(&word));
        out
    }

    /// Whether `text` is, whole, a value from the environment. Whitespace is ignored, so a multi-line
    /// value matches however the file re-indented it (`indent N`, a block scalar).
    fn is_env(&self, text: &str) -> bool {
        !self.bare_values.is_empty() && self.bare_values.contains(&bare(text))
    }

    /// One string as it may be shown: masked whole, or with the long values inside it masked.
    fn mask_str(&self, s: &str) -> String {
        if s.is_empty() || self.env_values.is_empty() {
            return s.to_string();
        }
        if self.is_env(s) {
            return REDACTED.to_string();
        }
        if uuid::Uuid::parse_str(s).is_ok() {
            return s.to_string();
        }
        let mut out = s.to_string();
        for v in self.env_values.iter().filter(|v| v.chars().count() >= INNER_MIN) {
            out = replace_words(&out, v);
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

/// `text` with the occurrences of `value` replaced, never inside an id: a uuid that happens to
/// contain a value is not the value, and masking there would corrupt a path or a reference.
///
/// A value from the environment is a secret wherever it stands (`team-s3cr3t` shows `team-<redacted>`),
/// with one exception: a host name (a value with a dot) inside a longer host name (`old-example.com`
/// for `example.com`) is another host, so there a value is masked only where it stands as a word, and
/// a word may hold `-` and `.`.
fn replace_words(text: &str, value: &str) -> String {
    let id_char = |c: char| c.is_ascii_hexdigit() || c == '-';
    let host_char = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || "_-.".contains(c));
    let host_like = value.contains('.');
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    for (at, _) in text.match_indices(value) {
        let end = at + value.len();
        if at < copied {
            continue;
        }
        let start = text[..at].rfind(|c: char| !id_char(c)).map_or(0, |i| i + 1);
        let stop = text[end..].find(|c: char| !id_char(c)).map_or(text.len(), |i| end + i);
        if uuid::Uuid::parse_str(&text[start..stop]).is_ok() {
            continue;
        }
        if host_like && (host_char(text[..at].chars().next_back()) || host_char(text[end..].chars().next())) {
            continue;
        }
        out.push_str(&text[copied..at]);
        out.push_str(REDACTED);
        copied = end;
    }
    out.push_str(&text[copied..]);
    out
}

/// `text` without whitespace: the form values are compared in.
fn bare(text: &str) -> String {
    text.chars().filter(|c| !c.is_whitespace()).collect()
}

/// The content of a single-quoted YAML scalar (`'...'`, `''` standing for `'`).
fn single_quoted(text: &str) -> Option<String> {
    let inner = text.strip_prefix('\'')?.strip_suffix('\'')?;
    Some(inner.replace("''", "'"))
}

/// A path joined with one more segment.
pub fn join(path: &str, segment: &str) -> String {
    if path.is_empty() {
        segment.to_string()
    } else {
        format!("{path}.{segment}")
    }
}

/// A copy of the plan fit for display (the masker itself left out): request bodies masked. Changes are masked when the plan is made.
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
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn secrets_and_environment_values_are_masked() {
        let m = Masker::new(&["hunter2".to_string(), "apiKeySecret".to_string(), "bazbaz".to_string()]);
        let tags = json!(["hunter2", "x-hunter2", "X-API-Key:apiKeySecret", "baz:bazbaz", "bazbazbaz"]);
        let shown = m.show(Kind::KeyAuth, "", &json!({"key": "abc", "tags": tags}));
        // decK's Test_Sync_EnvVar_Masking and Test_Diff_Masked_NewerThan3x mask a value standing as a
        // word inside a longer string; kongsync masks it inside other words too (decK would show
        // `x-hunter2`): a value from the environment is a secret wherever it stands.
        assert_eq!(
            shown,
            json!({"key": REDACTED, "tags": [REDACTED, "x-<redacted>", "X-API-Key:<redacted>", "baz:<redacted>", "<redacted>baz"]})
        );
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

    #[test]
    fn short_values_mask_whole_values_only() {
        // decK's maskingFixEnvVars (tests/integration/diff_test.go).
        let m = Masker::new(&["0".into(), "1".into(), "5".into(), "example.com".into(), "100".into()]);
        let service = json!({"id": "b35b3ec2-fa1c-4f6c-825e-c38141562c76", "host": "example.com",
            "retries": 5, "port": 8080, "read_timeout": 60000, "name": "old-1", "enabled": true});
        let shown = m.show(Kind::Service, "", &service);
        assert_eq!(
            shown,
            json!({"id": "b35b3ec2-fa1c-4f6c-825e-c38141562c76", "host": REDACTED, "retries": REDACTED,
                "port": 8080, "read_timeout": 60000, "name": "old-1", "enabled": true})
        );
        assert_eq!(m.show(Kind::Plugin, "config.minute", &json!(100)), json!(REDACTED));
        assert_eq!(
            m.scrub("/services/b35b3ec2-fa1c-4f6c-825e-c38141562c76/routes/5"),
            "/services/b35b3ec2-fa1c-4f6c-825e-c38141562c76/routes/<redacted>"
        );
        assert_eq!(m.scrub("service example.com (old-1)"), "service <redacted> (old-1)");
        // decK's diff/009-mask-short-values: the gateway's `old-example.com` is another value.
        assert_eq!(m.show(Kind::Service, "host", &json!("old-example.com")), json!("old-example.com"));
        assert_eq!(m.show(Kind::Service, "tags", &json!(["I like example.com!"])), json!(["I like <redacted>!"]));
    }

    #[test]
    fn the_old_side_of_a_field_from_the_environment_is_masked_too() {
        let m = Masker::new(&["new-secret-token".into()]);
        let (before, after) = m.show_change(
            Kind::Certificate,
            "cert",
            Some(&json!("old-secret-token")),
            Some(&json!("new-secret-token")),
        );
        assert_eq!((before, after), (Some(json!(REDACTED)), Some(json!(REDACTED))));
        let old = json!({"headers": ["X-Key:old-secret-token", "X-Plain:a"], "n": 1});
        let new = json!({"headers": ["X-Key:new-secret-token", "X-Plain:b"], "n": 2});
        let (before, after) = m.show_change(Kind::Plugin, "config.add", Some(&old), Some(&new));
        assert_eq!(before, Some(json!({"headers": [REDACTED, "X-Plain:a"], "n": 1})));
        assert_eq!(after, Some(json!({"headers": ["X-Key:<redacted>", "X-Plain:b"], "n": 2})));
        // A field not from the environment is shown on both sides.
        let (before, _) = m.show_change(Kind::Service, "host", Some(&json!("a.internal")), Some(&json!("b.internal")));
        assert_eq!(before, Some(json!("a.internal")));
    }

    #[test]
    fn multi_line_values_are_masked_however_the_file_wrote_them() {
        let pem = "-----BEGIN CERTIFICATE-----\nMIIB\nAAAA\n-----END CERTIFICATE-----";
        // As a JSON-quoted one-liner (how decK's tests pass DECK_CLIENT_CERT), and as real lines.
        let quoted = serde_json::to_string(pem).unwrap();
        for given in [quoted, pem.to_string(), format!("'{pem}'")] {
            let m = Masker::new(std::slice::from_ref(&given));
            assert_eq!(m.show(Kind::Certificate, "cert", &json!(pem)), json!(REDACTED), "{given}");
            // Re-indented by `indent 4` into a block scalar, with a final newline.
            let block = format!("{}\n", pem.replace('\n', "\n    "));
            assert_eq!(m.show(Kind::Certificate, "cert", &json!(block)), json!(REDACTED), "{given}");
        }
    }
}
