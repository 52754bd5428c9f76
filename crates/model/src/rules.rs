//! The per-kind rules that Kong's schema JSON does not carry: how the natural key is made, which
//! fields are secret, which fields a state file must give, and the checks that span several fields.

use crate::{Entity, FieldError, Ident, Key, Kind, Refs};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use uuid::Uuid;

/// Computes an entity's natural key from its fields, references and id. `None` when nothing
/// identifies it (an entity the validator rejects).
pub fn natural_key(kind: Kind, fields: &Map<String, Value>, refs: &Refs, id: Option<Uuid>) -> Option<Key> {
    let s = |name: &str| fields.get(name).and_then(Value::as_str).filter(|v| !v.is_empty());
    let by_name = |field: &str| s(field).map(|n| Key::name(kind, n)).or_else(|| id.map(|i| Key::id(kind, i)));
    // Most kinds are known by the one field of their identity (the kind table's), else by id; the
    // arms below are the kinds whose key is made otherwise.
    match kind {
        Kind::MtlsAuth => id.map(|i| Key::id(kind, i)),
        Kind::Consumer => s("username")
            .map(|u| Key::name(kind, u))
            .or_else(|| s("custom_id").map(|c| Key { kind, ident: Ident::CustomId(c.to_string()) }))
            .or_else(|| id.map(|i| Key::id(kind, i))),
        Kind::Certificate | Kind::CaCertificate => {
            s("cert").map(|c| Key { kind, ident: Ident::Digest(content_digest(c)) })
        }
        Kind::Acl => Some(Key::child(kind, refs.get("consumer")?.clone(), s("group")?)),
        Kind::Target => Some(Key::child(kind, refs.get("upstream")?.clone(), normalize_target(s("target")?))),
        Kind::ConsumerGroupMember => {
            Some(Key::member(refs.get("consumer_group")?.clone(), refs.get("consumer")?.clone()))
        }
        Kind::Plugin => Some(Key::plugin(s("name")?, refs.iter().map(|(f, k)| (f.clone(), k.clone())))),
        _ => match kind.def().identity {
            [field] => by_name(field),
            _ => id.map(|i| Key::id(kind, i)),
        },
    }
}

/// The SHA-256 of a PEM text with surrounding white space trimmed, in lower-case hex.
pub fn content_digest(pem: &str) -> String {
    hex::encode(Sha256::digest(pem.trim().as_bytes()))
}

/// Normalizes a target address as Kong stores it: port 8000 added when absent, IPv4 leading zeros
/// dropped, IPv6 fully expanded and bracketed.
pub fn normalize_target(target: &str) -> String {
    use std::net::{Ipv4Addr, Ipv6Addr};
    let (host, port) = split_host_port(target);
    let port = port.unwrap_or("8000");
    if let Ok(v6) = host.trim_start_matches('[').trim_end_matches(']').parse::<Ipv6Addr>() {
        let s: Vec<String> = v6.segments().iter().map(|g| format!("{g:04x}")).collect();
        return format!("[{}]:{port}", s.join(":"));
    }
    let parts: Vec<&str> = host.split('.').collect();
    if parts.len() == 4 && parts.iter().all(|p| !p.is_empty() && p.len() <= 3 && p.bytes().all(|b| b.is_ascii_digit()))
    {
        let nums: Vec<u8> = parts.iter().filter_map(|p| p.parse().ok()).collect();
        if nums.len() == 4 {
            return format!("{}:{port}", Ipv4Addr::new(nums[0], nums[1], nums[2], nums[3]));
        }
    }
    format!("{host}:{port}")
}

fn split_host_port(target: &str) -> (&str, Option<&str>) {
    if let Some(rest) = target.strip_prefix('[') {
        if let Some(end) = rest.find(']') {
            let port = rest[end + 1..].strip_prefix(':');
            return (&target[..end + 2], port);
        }
    }
    match target.rsplit_once(':') {
        // More than one colon and no brackets: a bare IPv6 address without a port.
        Some((h, _)) if h.contains(':') => (target, None),
        Some((h, p)) => (h, Some(p)),
        None => (target, None),
    }
}

/// Whether the field at this path holds a secret that output must mask (the kind table's secret
/// paths, or, in the free-form configuration of plugins and vaults, a secret's name).
pub fn is_secret(kind: Kind, path: &str) -> bool {
    let def = kind.def();
    if def.secrets.contains(&path) {
        return true;
    }
    let leaf = path.rsplit('.').next().unwrap_or(path);
    def.secret_names && SECRET_NAMES.iter().any(|s| leaf.contains(s))
}

/// Parts of field names that say the field is a secret.
const SECRET_NAMES: [&str; 6] = ["password", "secret", "token", "private_key", "api_key", "client_secret"];

/// Fields a state file must give although Kong would accept them absent: Kong would generate them on
/// every PUT, so the entity would never stay equal to the file (decK requires them too).
pub fn file_required(kind: Kind) -> &'static [&'static str] {
    kind.def().file_required
}

/// Checks across fields, as Kong's entity checks make them; run after defaults are filled.
pub fn entity_checks(e: &Entity) -> Vec<FieldError> {
    let mut out = Vec::new();
    let has = |f: &str| match e.fields.get(f) {
        None | Some(Value::Null) => false,
        Some(Value::Array(a)) => !a.is_empty(),
        Some(Value::Object(o)) => !o.is_empty(),
        Some(_) => true,
    };
    let mut push = |path: &str, message: String| out.push(FieldError { path: path.into(), message });
    match e.kind() {
        Kind::Consumer if !has("username") && !has("custom_id") => {
            push("username", "at least one of these fields must be non-empty: 'custom_id', 'username'".into())
        }
        Kind::Route => {
            if e.id.is_none() && !has("name") {
                push("name", "a route needs a name or an id".into());
            }
            route_matchers(e, &has, &mut push);
        }
        Kind::Key if has("jwk") == has("pem") => {
            push("jwk", "exactly one of these fields must be set: 'jwk', 'pem'".into())
        }
        Kind::Service => {
            let proto = e.str_field("protocol").unwrap_or("http");
            if matches!(proto, "tcp" | "tls" | "udp" | "grpc" | "grpcs") && has("path") {
                push("path", format!("value must be null when 'protocol' is '{proto}'"));
            }
            // kong/db/schema/entities/services.lua:56-71 (3.5.0): verifying the upstream's TLS needs TLS.
            if !matches!(proto, "https" | "tls") {
                for field in ["tls_verify", "tls_verify_depth", "ca_certificates"] {
                    if has(field) {
                        push(field, format!("value must be null when 'protocol' is '{proto}'"));
                    }
                }
            }
        }
        Kind::Plugin if e.fields.get("name").and_then(Value::as_str) == Some("acl") => {
            let cfg = e.fields.get("config");
            let set = |f: &str| cfg.and_then(|c| c.get(f)).and_then(Value::as_array).is_some_and(|a| !a.is_empty());
            if set("allow") == set("deny") {
                push("config", "exactly one of these fields must be non-empty: 'config.allow', 'config.deny'".into());
            }
        }
        _ => {}
    }
    out
}

fn route_matchers(e: &Entity, has: &dyn Fn(&str) -> bool, push: &mut dyn FnMut(&str, String)) {
    let protocols: Vec<&str> = match e.fields.get("protocols") {
        Some(Value::Array(p)) => p.iter().filter_map(Value::as_str).collect(),
        _ => vec!["http", "https"],
    };
    // Kong matches a route by one family of protocols only.
    const GROUPS: [&[&str]; 5] =
        [&["http", "https"], &["tcp", "tls", "udp"], &["tls_passthrough"], &["grpc", "grpcs"], &["ws", "wss"]];
    let used: Vec<String> = GROUPS
        .iter()
        .filter(|g| g.iter().any(|p| protocols.contains(p)))
        .map(|g| format!("({})", g.iter().map(|p| format!("'{p}'")).collect::<Vec<_>>().join(", ")))
        .collect();
    if used.len() > 1 {
        push("protocols", format!("these sets are mutually exclusive: {}", used.join(", ")));
        return;
    }
    let first = protocols.first().copied().unwrap_or("http");
    let any = |fs: &[&str]| fs.iter().any(|f| has(f));
    match first {
        "http" | "https" | "ws" | "wss" => {
            let https = protocols.iter().any(|p| *p == "https" || *p == "wss");
            if https && !any(&["methods", "hosts", "headers", "paths", "snis"]) {
                push(
                    "protocols",
                    "must set one of 'methods', 'hosts', 'headers', 'paths', 'snis' when 'protocols' is 'https'".into(),
                );
            } else if !https && !any(&["methods", "hosts", "headers", "paths"]) {
                push(
                    "protocols",
                    "must set one of 'methods', 'hosts', 'headers', 'paths' when 'protocols' is 'http'".into(),
                );
            }
        }
        "tcp" | "tls" | "udp" if !any(&["sources", "destinations", "snis"]) => push(
            "protocols",
            format!("must set one of 'sources', 'destinations', 'snis' when 'protocols' is '{first}'"),
        ),
        "tls_passthrough" if !has("snis") => {
            push("snis", "must set 'snis' when 'protocols' is 'tls_passthrough'".into())
        }
        "grpc" | "grpcs" if !any(&["hosts", "headers", "paths", "snis"]) => {
            push("protocols", format!("must set one of 'hosts', 'headers', 'paths' when 'protocols' is '{first}'"))
        }
        _ => {}
    }
    if has("snis") && !protocols.iter().any(|p| matches!(*p, "grpcs" | "https" | "tls" | "tls_passthrough" | "wss")) {
        push("snis", "'snis' can only be set when 'protocols' is 'grpcs', 'https', 'tls' or 'tls_passthrough'".into());
    }
    let grpc = protocols.iter().any(|p| *p == "grpc" || *p == "grpcs");
    if grpc && e.fields.get("strip_path") == Some(&Value::Bool(true)) {
        push("strip_path", "cannot set 'strip_path' when 'protocols' is 'grpc' or 'grpcs'".into());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_normalize_like_kong() {
        assert_eq!(normalize_target("example.com"), "example.com:8000");
        assert_eq!(normalize_target("example.com:80"), "example.com:80");
        assert_eq!(normalize_target("010.000.000.001"), "10.0.0.1:8000");
        assert_eq!(normalize_target("::1"), "[0000:0000:0000:0000:0000:0000:0000:0001]:8000");
        assert_eq!(normalize_target("[::1]:9000"), "[0000:0000:0000:0000:0000:0000:0000:0001]:9000");
    }

    #[test]
    fn consumer_key_prefers_username() {
        let f: Map<String, Value> = serde_json::from_str(r#"{"username":"a","custom_id":"b"}"#).unwrap_or_default();
        assert_eq!(natural_key(Kind::Consumer, &f, &Refs::new(), None), Some(Key::name(Kind::Consumer, "a")));
        let f: Map<String, Value> = serde_json::from_str(r#"{"custom_id":"b"}"#).unwrap_or_default();
        let k = natural_key(Kind::Consumer, &f, &Refs::new(), None);
        assert_eq!(k.map(|k| k.to_string()), Some("custom_id=b".to_string()));
    }

    #[test]
    fn certificates_are_keyed_by_content() {
        let f: Map<String, Value> = serde_json::from_str(r#"{"cert":"  PEM\n"}"#).unwrap_or_default();
        let g: Map<String, Value> = serde_json::from_str(r#"{"cert":"PEM"}"#).unwrap_or_default();
        let a = natural_key(Kind::Certificate, &f, &Refs::new(), None);
        assert!(a.is_some());
        assert_eq!(a, natural_key(Kind::Certificate, &g, &Refs::new(), Some(Uuid::nil())));
    }
}
