//! Entity-level checks (Kong's `entity_checks` and route subschemas) and the few validators that need
//! more than one field. Each check adds to an error map with Kong's conventions: `@entity` holds an array
//! of messages, a field holds its message, and a nested record's errors sit under its name. Messages
//! follow Kong 3.5.0's wording (`kong/db/schema/entities/*.lua`, `routes_subschemas.lua`, plugin schemas).

use super::validators as v;
use serde_json::{Map, Value};

type Row = Map<String, Value>;

/// A value counts as set when it is neither null nor an empty array/object/string (Kong's
/// `at_least_one_of` treats empty arrays as unset).
pub(crate) fn is_set(v: Option<&Value>) -> bool {
    match v {
        None | Some(Value::Null) => false,
        Some(Value::Array(a)) => !a.is_empty(),
        Some(Value::Object(o)) => !o.is_empty(),
        Some(Value::String(s)) => !s.is_empty(),
        Some(_) => true,
    }
}

pub(crate) fn entity_err(errors: &mut Row, msg: impl Into<String>) {
    let entry = errors.entry("@entity").or_insert_with(|| Value::Array(Vec::new()));
    if let Value::Array(a) = entry {
        a.push(Value::String(msg.into()));
    }
}

fn field_err(errors: &mut Row, field: &str, msg: impl Into<String>) {
    errors.entry(field.to_string()).or_insert_with(|| Value::String(msg.into()));
}

pub(crate) fn quoted(names: &[&str]) -> String {
    names.iter().map(|n| format!("'{n}'")).collect::<Vec<_>>().join(", ")
}

fn str_of<'a>(row: &'a Row, f: &str) -> Option<&'a str> {
    row.get(f).and_then(Value::as_str)
}

fn strings(v: Option<&Value>) -> Vec<&str> {
    v.and_then(Value::as_array).map(|a| a.iter().filter_map(Value::as_str).collect()).unwrap_or_default()
}

pub fn service(row: &Row, errors: &mut Row) {
    let protocol = str_of(row, "protocol").unwrap_or("http");
    let conditional = "failed conditional validation given value of field 'protocol'";
    let mut failed = false;
    if ["tcp", "tls", "udp", "grpc", "grpcs"].contains(&protocol) && is_set(row.get("path")) {
        field_err(errors, "path", "value must be null");
        failed = true;
    }
    if !["https", "tls"].contains(&protocol) {
        for f in ["client_certificate", "tls_verify", "tls_verify_depth", "ca_certificates"] {
            if !matches!(row.get(f), None | Some(Value::Null)) {
                field_err(errors, f, "value must be null");
                failed = true;
            }
        }
    }
    if failed {
        entity_err(errors, conditional);
    }
}

const PROTOCOL_GROUPS: &[&[&str]] =
    &[&["http", "https"], &["tcp", "tls", "udp"], &["tls_passthrough"], &["grpc", "grpcs"]];

/// Routes: mutually exclusive protocol groups, the `snis` rule, then the subschema picked by the first
/// protocol (`kong/db/schema/entities/routes_subschemas.lua`).
pub fn route(row: &Row, errors: &mut Row) {
    let protocols = strings(row.get("protocols"));
    let groups: Vec<&[&str]> =
        PROTOCOL_GROUPS.iter().copied().filter(|g| g.iter().any(|p| protocols.contains(p))).collect();
    if groups.len() > 1 {
        let sets: Vec<String> = groups.iter().map(|g| format!("({})", quoted(g))).collect();
        entity_err(errors, format!("these sets are mutually exclusive: {}", sets.join(", ")));
        return;
    }
    if is_set(row.get("snis")) && !protocols.iter().any(|p| ["grpcs", "https", "tls", "tls_passthrough"].contains(p)) {
        entity_err(errors, "'snis' can only be set when 'protocols' is 'grpcs', 'https', 'tls' or 'tls_passthrough'");
    }
    if let Some(Value::Object(h)) = row.get("headers") {
        if h.keys().any(|k| k.eq_ignore_ascii_case("host")) {
            field_err(
                errors,
                "headers",
                "cannot contain 'host' header, which must be specified in the 'hosts' attribute",
            );
        }
    }
    let any_set = |fields: &[&str]| fields.iter().any(|f| is_set(row.get(*f)));
    let forbid = |errors: &mut Row, fields: &[&str], when: &str| {
        for f in fields {
            if is_set(row.get(*f)) {
                field_err(errors, f, format!("cannot set '{f}' when 'protocols' is {when}"));
            }
        }
    };
    match protocols.first().copied().unwrap_or("http") {
        "http" | "https" => {
            forbid(errors, &["sources", "destinations"], "'http' or 'https'");
            if protocols.contains(&"https") {
                if !any_set(&["methods", "hosts", "headers", "paths", "snis"]) {
                    entity_err(
                        errors,
                        "must set one of 'methods', 'hosts', 'headers', 'paths', 'snis' when 'protocols' is 'https'",
                    );
                }
            } else if !any_set(&["methods", "hosts", "headers", "paths"]) {
                entity_err(errors, "must set one of 'methods', 'hosts', 'headers', 'paths' when 'protocols' is 'http'");
            }
        }
        "grpc" | "grpcs" => {
            forbid(errors, &["methods", "sources", "destinations"], "'grpc' or 'grpcs'");
            if row.get("strip_path") == Some(&Value::Bool(true)) {
                field_err(errors, "strip_path", "cannot set 'strip_path' when 'protocols' is 'grpc' or 'grpcs'");
            }
            if protocols.contains(&"grpcs") {
                if !any_set(&["hosts", "headers", "paths", "snis"]) {
                    entity_err(
                        errors,
                        "must set one of 'hosts', 'headers', 'paths', 'snis' when 'protocols' is 'grpcs'",
                    );
                }
            } else if !any_set(&["hosts", "headers", "paths"]) {
                entity_err(errors, "must set one of 'hosts', 'headers', 'paths' when 'protocols' is 'grpc'");
            }
        }
        "tls_passthrough" => {
            forbid(errors, &["methods", "hosts", "paths", "headers"], "'tls_passthrough'");
            if !any_set(&["snis"]) {
                entity_err(errors, "must set snis when 'protocols' is 'tls_passthrough'");
            }
        }
        _ => {
            forbid(errors, &["methods", "hosts", "paths", "headers"], "'tcp', 'tls', 'tls_passthrough' or 'udp'");
            if !any_set(&["sources", "destinations", "snis"]) {
                entity_err(
                    errors,
                    "must set one of 'sources', 'destinations', 'snis' when 'protocols' is 'tcp', 'tls' or 'udp'",
                );
            }
        }
    }
}

pub fn consumer(row: &Row, errors: &mut Row) {
    if !is_set(row.get("custom_id")) && !is_set(row.get("username")) {
        entity_err(
            errors,
            format!("at least one of these fields must be non-empty: {}", quoted(&["custom_id", "username"])),
        );
    }
}

/// Upstream names are hostnames: no IP, no port.
pub fn upstream_name(value: &Value) -> Result<(), String> {
    let s = value.as_str().unwrap_or_default();
    match v::parse_host_port(s) {
        Ok((v::HostKind::Name(_), None)) => Ok(()),
        Ok((v::HostKind::Name(_), Some(_))) => Err(format!("Invalid name ('{s}'); must not have a port")),
        Ok(_) => Err(format!("Invalid name ('{s}'); no ip addresses allowed")),
        Err(_) => Err(format!("Invalid name ('{s}'); not a valid hostname")),
    }
}

pub fn upstream(row: &Row, errors: &mut Row) {
    let hash_on = str_of(row, "hash_on").unwrap_or("none");
    let fallback = str_of(row, "hash_fallback").unwrap_or("none");
    let conditional = |errors: &mut Row, if_field: &str, then_field: &str, msg: &str| {
        field_err(errors, then_field, msg);
        entity_err(errors, format!("failed conditional validation given value of field '{if_field}'"));
    };
    let needs = [
        ("header", "hash_on_header", "hash_fallback_header"),
        ("cookie", "hash_on_cookie", "hash_on_cookie"),
        ("query_arg", "hash_on_query_arg", "hash_fallback_query_arg"),
        ("uri_capture", "hash_on_uri_capture", "hash_fallback_uri_capture"),
    ];
    for (kind, on_field, fb_field) in needs {
        if hash_on == kind && !is_set(row.get(on_field)) {
            conditional(errors, "hash_on", on_field, "required field missing");
        }
        if fallback == kind && !is_set(row.get(fb_field)) {
            conditional(errors, "hash_fallback", fb_field, "required field missing");
        }
    }
    if (hash_on == "none" || hash_on == "cookie") && fallback != "none" {
        conditional(errors, "hash_on", "hash_fallback", "expected one of: none");
    }
    if hash_on == fallback && ["consumer", "ip", "path"].contains(&hash_on) {
        conditional(errors, "hash_on", "hash_fallback", &format!("must not be one of: {hash_on}"));
    }
    for (a, b) in [
        ("hash_on_header", "hash_fallback_header"),
        ("hash_on_query_arg", "hash_fallback_query_arg"),
        ("hash_on_uri_capture", "hash_fallback_uri_capture"),
    ] {
        if is_set(row.get(a)) && row.get(a) == row.get(b) {
            entity_err(errors, format!("values of these fields must be distinct: {}", quoted(&[a, b])));
        }
    }
}

pub fn certificate(row: &Row, errors: &mut Row) {
    if is_set(row.get("cert_alt")) != is_set(row.get("key_alt")) {
        entity_err(errors, format!("all or none of these fields must be set: {}", quoted(&["cert_alt", "key_alt"])));
    }
}

pub fn key(row: &Row, errors: &mut Row) {
    let (jwk, pem) = (is_set(row.get("jwk")), is_set(row.get("pem")));
    if jwk && pem {
        entity_err(errors, format!("only one or none of these fields must be set: {}", quoted(&["jwk", "pem"])));
    } else if !jwk && !pem {
        entity_err(errors, format!("at least one of these fields must be non-empty: {}", quoted(&["jwk", "pem"])));
    }
    if let Some(Value::String(s)) = row.get("jwk") {
        if !s.starts_with("{vault://") {
            match serde_json::from_str::<Value>(s) {
                Ok(j) if j.get("kid").and_then(Value::as_str) == str_of(row, "kid") => {}
                Ok(_) => field_err(errors, "jwk", "kid in jwk.kid must be equal to keys.kid"),
                Err(_) => field_err(errors, "jwk", "could not json decode jwk string"),
            }
        }
    }
}

/// jwt credentials: RS* algorithms need an RSA public key (`kong/plugins/jwt/daos.lua`).
pub fn jwt(row: &Row, errors: &mut Row) {
    let algo = str_of(row, "algorithm").unwrap_or("HS256");
    if algo.starts_with("RS") {
        match str_of(row, "rsa_public_key") {
            None => {
                field_err(errors, "rsa_public_key", "required field missing");
                entity_err(errors, "failed conditional validation given value of field 'algorithm'");
            }
            Some(k) if !k.contains("-----BEGIN") => field_err(errors, "rsa_public_key", "invalid key"),
            Some(_) => {}
        }
    }
}

/// Numbers the way Lua prints them in messages: integers without a fraction.
pub fn num(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        format!("{n}")
    }
}
