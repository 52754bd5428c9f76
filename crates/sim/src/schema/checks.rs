//! Entity-level checks (Kong's `entity_checks` and route subschemas) and the few validators that need
//! more than one field. Each check adds to an error map with Kong's conventions: `@entity` holds an array
//! of messages, a field holds its message, and a nested record's errors sit under its name. Messages
//! follow Kong 3.5.0's wording (`kong/db/schema/entities/*.lua`, `routes_subschemas.lua`, plugin schemas).

use super::der;
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
    // typedefs.sources / destinations: each element needs an ip or a port (typedefs.lua:517-549).
    for f in ["sources", "destinations"] {
        let Some(Value::Array(items)) = row.get(f) else { continue };
        let bad: Vec<bool> = items.iter().map(|i| !is_set(i.get("ip")) && !is_set(i.get("port"))).collect();
        if bad.contains(&true) && !errors.contains_key(f) {
            let msg = format!("at least one of these fields must be non-empty: {}", quoted(&["ip", "port"]));
            let list =
                bad.iter().map(|b| if *b { serde_json::json!({"@entity": [msg]}) } else { Value::Null }).collect();
            errors.insert(f.to_string(), Value::Array(list));
        }
    }
    let any_set = |fields: &[&str]| fields.iter().any(|f| is_set(row.get(*f)));
    // The subschemas' `no_*` fields are `eq = null`: any value, an empty one too, is refused
    // (kong/db/schema/entities/routes_subschemas.lua:8-53, typedefs.lua:532-557, 3.5.0).
    let forbid = |errors: &mut Row, fields: &[&str], when: &str| {
        for f in fields {
            if !matches!(row.get(*f), None | Some(Value::Null)) {
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

fn is_reference(s: &str) -> bool {
    s.starts_with("{vault://")
}

/// The public key of a certificate field and of a key field, when both are literal and load.
fn pair(row: &Row, cert: &str, key: &str) -> Option<(der::PublicKey, der::LoadedKey)> {
    let (c, k) = (str_of(row, cert)?, str_of(row, key)?);
    if is_reference(c) || is_reference(k) {
        return None;
    }
    Some((v::first_certificate(c)?.public_key, v::first_key(k)?))
}

fn key_type(k: &der::PublicKey) -> u8 {
    match k {
        der::PublicKey::Rsa { .. } => 0,
        der::PublicKey::Ec { .. } => 1,
        der::PublicKey::Other(_) => 2,
    }
}

/// kong/db/schema/entities/certificates.lua:26-73 (3.5.0): cert_alt and key_alt together, each key
/// the public half of its certificate, and the two certificates of different key types.
pub fn certificate(row: &Row, errors: &mut Row) {
    if is_set(row.get("cert_alt")) != is_set(row.get("key_alt")) {
        entity_err(errors, format!("all or none of these fields must be set: {}", quoted(&["cert_alt", "key_alt"])));
    }
    for (cert, key, msg) in [
        ("cert", "key", "certificate does not match key"),
        ("cert_alt", "key_alt", "alternative certificate does not match key"),
    ] {
        if let Some((public, der::LoadedKey::Known(from_key))) = pair(row, cert, key) {
            if public != from_key {
                entity_err(errors, msg);
            }
        }
    }
    let cert_of = |f: &str| str_of(row, f).filter(|s| !is_reference(s)).and_then(v::first_certificate);
    if let (Some(a), Some(b)) = (cert_of("cert"), cert_of("cert_alt")) {
        if key_type(&a.public_key) == key_type(&b.public_key) {
            entity_err(
                errors,
                "certificate and alternative certificate need to have different type (e.g. RSA and ECDSA), \
                 the provided certificates were both of the same type",
            );
        }
    }
}

/// kong/db/schema/entities/ca_certificates.lua:37-79 (3.5.0): one certificate, not expired, a CA.
pub fn ca_certificate(row: &Row, errors: &mut Row) {
    let Some(text) = str_of(row, "cert") else { return };
    if text.matches("-----BEGIN CERTIFICATE-----").count() > 1 {
        entity_err(errors, "please submit only one certificate at a time");
        return;
    }
    let Some(cert) = v::first_certificate(text) else { return };
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or_default();
    if cert.not_after < now {
        entity_err(errors, "certificate expired, \"Not After\" time is in the past");
    } else if !cert.ca {
        entity_err(errors, "certificate does not appear to be a CA because it is missing the \"CA\" basic constraint");
    }
}

/// kong/db/schema/entities/keys.lua:65-123 (3.5.0): jwk and pem exclude each other, one is needed; a
/// literal JWK must decode, carry the row's kid and load as a key (typedefs.lua:631-641); a pem record
/// needs a key. Every one of these is an entity error.
pub fn key(row: &Row, errors: &mut Row) {
    let (jwk, pem) = (is_set(row.get("jwk")), is_set(row.get("pem")));
    if jwk && pem {
        entity_err(errors, format!("only one or none of these fields must be set: {}", quoted(&["jwk", "pem"])));
    } else if !jwk && !pem {
        entity_err(errors, format!("at least one of these fields must be non-empty: {}", quoted(&["jwk", "pem"])));
    }
    if let Some(Value::String(s)) = row.get("jwk") {
        if !is_reference(s) {
            match serde_json::from_str::<Value>(s) {
                Ok(j) if j.get("kid").and_then(Value::as_str) != str_of(row, "kid") => {
                    entity_err(errors, "kid in jwk.kid must be equal to keys.kid")
                }
                Ok(j) if !jwk_loads(&j) => entity_err(errors, "could not load JWK, likely not a valid key"),
                Ok(_) => {}
                Err(_) => entity_err(errors, "could not json decode jwk string"),
            }
        }
    }
    if let Some(Value::Object(p)) = row.get("pem") {
        if !is_set(p.get("private_key")) && !is_set(p.get("public_key")) {
            entity_err(errors, "need to supply a PEM formatted public and/or private key.");
        }
    }
}

/// What OpenSSL's JWK loader accepts (lua-resty-openssl: RSA, EC and OKP keys): the members each key
/// type needs, base64url-encoded. Symmetric (`oct`) keys do not load as a key pair.
fn jwk_loads(j: &Value) -> bool {
    let b64 = |name: &str| {
        j.get(name).and_then(Value::as_str).is_some_and(|s| {
            !s.is_empty() && base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, s).is_ok()
        })
    };
    let crv = j.get("crv").and_then(Value::as_str).unwrap_or_default();
    match j.get("kty").and_then(Value::as_str) {
        Some("RSA") => b64("n") && b64("e"),
        Some("EC") => ["P-256", "P-384", "P-521"].contains(&crv) && b64("x") && b64("y"),
        Some("OKP") => ["Ed25519", "Ed448", "X25519", "X448"].contains(&crv) && b64("x"),
        _ => false,
    }
}

/// The pem record's own validator (typedefs.lua:645-663, 3.5.0): both keys must load; its message
/// sits on the `pem` field.
pub fn pem_keys(value: &Value) -> Result<(), String> {
    let get = |k: &str| value.get(k).and_then(Value::as_str);
    if get("private_key").is_some_and(is_reference) || get("public_key").is_some_and(is_reference) {
        return Ok(());
    }
    if get("public_key").and_then(v::first_key).is_none() {
        return Err("could not load public key".into());
    }
    if get("private_key").and_then(v::first_key).is_none() {
        return Err("could not load private key".into());
    }
    Ok(())
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
