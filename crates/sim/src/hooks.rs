//! Entity-specific behaviour around the generic write path, each rule read from Kong 3.5.0's source:
//! the service `url` shorthand, the grpc `strip_path` default, the upstream `algorithm`/`hash_on`
//! shorthands on every write, key-auth `ttl` as a DAO option, the certificate `snis` pseudo-field,
//! vault names per surface, basic-auth password and oauth2 client-secret hashing, CA certificate
//! digests, Konnect's JWK form and target normalisation; and the read-side view (certificate `snis`,
//! key-auth `ttl`).

use crate::errors::{ApiError, ApiResult};
use crate::schema::{validators, EntityDef, Surface};
use crate::store::{fk_id, Store};
use crate::validate::Gen;
use serde_json::{json, Map, Value};
use sha1::Digest;

/// Values taken out of the body before validation.
#[derive(Default, Debug)]
pub struct Extras {
    /// Certificates: the `snis` pseudo-field, when sent.
    pub snis: Option<Vec<String>>,
    /// Key-auth: `ttl`, when sent.
    pub ttl: Option<Value>,
}

/// Runs before validation. `fill` is true for POST/PUT (defaults will be filled), false for PATCH.
pub fn prepare(def: &EntityDef, body: &mut Map<String, Value>, fill: bool) -> ApiResult<Extras> {
    let mut extras = Extras::default();
    match def.name {
        "services" => {
            if let Some(url) = body.remove("url") {
                if !url.is_null() {
                    let Some(u) = url.as_str() else { return Err(ApiError::field("url", "expected a string")) };
                    expand_url(u, body);
                }
            }
        }
        "routes" if fill && !body.contains_key("strip_path") => {
            // grpc and grpcs routes default to strip_path = false (routes_subschemas.lua).
            let first = body.get("protocols").and_then(|p| p.get(0)).and_then(Value::as_str);
            if matches!(first, Some("grpc" | "grpcs")) {
                body.insert("strip_path".into(), json!(false));
            }
        }
        "upstreams" => upstream_shorthands(body),
        "keyauth_credentials" => {
            // `ttl` is a DAO option, not a field: an integer 0..=1e8, else 400 code 11
            // (kong/api/endpoints.lua:149-153, kong/db/dao/init.lua:193-198, 3.5.0).
            if let Some(ttl) = body.remove("ttl") {
                match ttl.as_f64() {
                    Some(n) if (0.0..=DAO_MAX_TTL).contains(&n) && n.fract() == 0.0 => extras.ttl = Some(ttl),
                    None if ttl.is_null() => {}
                    _ => {
                        return Err(ApiError::invalid_option(
                            "ttl",
                            &format!("must be an integer between 0 and {}", DAO_MAX_TTL as u64),
                        ))
                    }
                }
            }
        }
        "certificates" => {
            if let Some(snis) = body.remove("snis") {
                extras.snis = Some(parse_snis(&snis)?);
            }
        }
        _ => {}
    }
    Ok(extras)
}

/// `kong.constants.DATABASE.DAO_MAX_TTL` (kong/constants.lua:196, 3.5.0).
const DAO_MAX_TTL: f64 = 1e8;

/// Upstreams' `shorthand_fields`, applied on every write before anything else, in their order
/// (kong/db/schema/entities/upstreams.lua:302-345, run by kong/db/schema/init.lua:1656-1680): an
/// `algorithm` of least-connections or latency sets `hash_on` to null; then a `hash_on` that is present
/// (possibly just nulled) rewrites: null becomes `none`, `none` forces round-robin, anything else
/// forces consistent-hashing. So `{algorithm: least-connections, hash_on: none}` stays least-connections,
/// while `{algorithm: consistent-hashing, hash_on: none}` becomes round-robin.
fn upstream_shorthands(body: &mut Map<String, Value>) {
    if let Some(Value::String(a)) = body.get("algorithm") {
        if a == "least-connections" || a == "latency" {
            body.insert("hash_on".into(), Value::Null);
        }
    }
    match body.get("hash_on") {
        Some(Value::Null) => {
            body.insert("hash_on".into(), json!("none"));
        }
        Some(Value::String(h)) => {
            let algorithm = if h == "none" { "round-robin" } else { "consistent-hashing" };
            body.insert("algorithm".into(), json!(algorithm));
        }
        _ => {}
    }
}

fn parse_snis(v: &Value) -> ApiResult<Vec<String>> {
    let items = match v {
        Value::Null => return Ok(Vec::new()),
        Value::Array(a) => a.clone(),
        // A single name is a list of one (kong/api/routes/certificates.lua:80-89).
        Value::String(_) => vec![v.clone()],
        _ => return Err(ApiError::field("snis", "expected an array")),
    };
    let mut out: Vec<String> = Vec::new();
    for item in &items {
        let Some(name) = item.as_str() else { return Err(ApiError::field("snis", "expected a string")) };
        validators::wildcard_host(item).map_err(|e| ApiError::field("snis", e))?;
        if out.iter().any(|n| n == name) {
            return Err(ApiError::field("snis", format!("{name} is duplicated")));
        }
        out.push(name.to_string());
    }
    Ok(out)
}

/// The `url` shorthand: overrides protocol, host, port and path (kong-schemas.md §2.1).
fn expand_url(url: &str, body: &mut Map<String, Value>) {
    let (scheme, rest) = match url.split_once("://") {
        Some((s, r)) if !s.is_empty() => (Some(s.to_ascii_lowercase()), r),
        _ => (None, url),
    };
    let (host, port, path) = if scheme.is_some() {
        let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
        let (authority, tail) = rest.split_at(end);
        let authority = authority.rsplit('@').next().unwrap_or_default();
        let (host, port) = split_host_port(authority);
        let path_end = tail.find(['?', '#']).unwrap_or(tail.len());
        let path = &tail[..path_end];
        (host, port, if path.is_empty() { None } else { Some(path.to_string()) })
    } else {
        // Not a URL: Lua's url parser keeps the whole text as the path.
        (None, None, Some(url.to_string()))
    };
    let protocol = scheme.clone().unwrap_or_else(|| if port == Some(443) { "https".into() } else { "http".into() });
    let port = port.unwrap_or(if protocol == "https" { 443 } else { 80 });
    body.insert("protocol".into(), json!(protocol));
    body.insert("host".into(), host.map(Value::String).unwrap_or(Value::Null));
    body.insert("port".into(), json!(port));
    body.insert("path".into(), path.map(Value::String).unwrap_or(Value::Null));
}

fn split_host_port(authority: &str) -> (Option<String>, Option<u16>) {
    if authority.is_empty() {
        return (None, None);
    }
    if let Some(rest) = authority.strip_prefix('[') {
        if let Some((h, after)) = rest.split_once(']') {
            let port = after.strip_prefix(':').and_then(|p| p.parse().ok());
            return (Some(h.to_string()), port);
        }
    }
    match authority.rsplit_once(':') {
        Some((h, p)) if !h.contains(':') => (Some(h.to_string()), p.parse().ok()),
        _ => (Some(authority.to_string()), None),
    }
}

/// What `finish` knows about the write besides the row.
pub struct Written<'a, 'g> {
    /// Whether the client sent a field.
    pub body_has: &'a dyn Fn(&str) -> bool,
    /// The stored row a PATCH started from.
    pub old: Option<&'a Value>,
    pub surface: Surface,
    pub gen: &'a mut Gen<'g>,
}

/// The vaults a surface has (`kong/constants.lua` BUNDLED_VAULTS, 3.5.0: only `env` in OSS).
fn vaults(surface: Surface) -> &'static [&'static str] {
    match surface {
        Surface::Community => &["env"],
        Surface::Enterprise => &["env", "aws", "gcp", "hcv", "azure"],
        Surface::Konnect => &["env", "aws", "gcp", "hcv", "azure", "conjur", "konnect"],
    }
}

/// Checks that depend on the surface, before validation. Vaults (kong/db/schema/entities/vaults.lua:43-66,
/// 3.5.0): `name` picks a subschema, an unknown one is "vault '<name>' is not installed"; a prefix may
/// not be a vault's name; the `env` vault's config is a record with one field, `prefix`
/// (kong/vaults/env/schema.lua), filled with null when absent on insert.
pub fn check_surface(def: &EntityDef, surface: Surface, body: &mut Map<String, Value>, fill: bool) -> ApiResult<()> {
    if def.name != "vaults" {
        return Ok(());
    }
    let installed = vaults(surface);
    if let Some(Value::String(name)) = body.get("name") {
        if !installed.contains(&name.as_str()) {
            return Err(ApiError::field("name", format!("vault '{name}' is not installed")));
        }
    }
    if let Some(Value::String(prefix)) = body.get("prefix") {
        if installed.contains(&prefix.as_str()) {
            return Err(ApiError::field("prefix", format!("must not be one of: {}", installed.join(", "))));
        }
    }
    if body.get("name").and_then(Value::as_str) == Some("env") {
        let config = body.entry("config").or_insert_with(|| json!({}));
        if let Value::Object(c) = config {
            let mut errors = Map::new();
            for k in c.keys().filter(|k| *k != "prefix") {
                errors.insert(k.clone(), json!("unknown field"));
            }
            if let Some(p) = c.get("prefix") {
                let ok = p.is_null()
                    || p.as_str().is_some_and(|s| {
                        s.starts_with(|ch: char| ch.is_ascii_alphabetic() || ch == '_' || ch == '-')
                            && s.chars().all(|ch| ch.is_ascii_alphanumeric() || ch == '_' || ch == '-')
                    });
                if !ok {
                    errors
                        .insert("prefix".into(), json!("invalid value: ".to_string() + p.as_str().unwrap_or_default()));
                }
            }
            if !errors.is_empty() {
                let mut e = Map::new();
                e.insert("config".into(), Value::Object(errors));
                return Err(ApiError::schema_violation(e));
            }
            if fill {
                c.entry("prefix").or_insert(Value::Null);
            }
        }
    }
    Ok(())
}

/// Runs after validation, on the complete row.
pub fn finish(def: &EntityDef, row: &mut Map<String, Value>, mut w: Written) -> ApiResult<()> {
    let body_has = w.body_has;
    match def.name {
        "basicauth_credentials" if body_has("password") => {
            // Kong stores sha1(password .. consumer_id) as hex (kong/plugins/basic-auth/crypto.lua).
            let password = row.get("password").and_then(Value::as_str).unwrap_or_default();
            if !password.starts_with("{vault://") {
                let consumer = fk_id(row.get("consumer")).map(|u| u.to_string()).unwrap_or_default();
                let digest = sha1::Sha1::digest(format!("{password}{consumer}").as_bytes());
                row.insert("password".into(), json!(hex::encode(digest)));
            }
        }
        "ca_certificates" => {
            // The SHA-256 of the certificate's DER, as hex (ca_certificates.lua:24-35, 3.5.0).
            let der = row
                .get("cert")
                .and_then(Value::as_str)
                .and_then(crate::schema::der::pem_blocks)
                .and_then(|b| b.into_iter().next());
            if let Some(block) = der {
                row.insert("cert_digest".into(), json!(hex::encode(sha2::Sha256::digest(&block.der))));
            }
        }
        "oauth2_credentials" => oauth2_secret(row, &mut w)?,
        "keys" if w.surface == Surface::Konnect => {
            if let Some(Value::String(jwk)) = row.get("jwk") {
                if let Some(compact) = konnect_jwk(jwk) {
                    row.insert("jwk".into(), json!(compact));
                }
            }
        }
        "targets" => {
            if let Some(t) = row.get("target").and_then(Value::as_str) {
                let normalized = validators::normalize_target(t).map_err(|e| ApiError::field("target", e))?;
                row.insert("target".into(), json!(normalized));
            }
        }
        _ => {}
    }
    Ok(())
}

/// oauth2_credentials' transformation (kong/plugins/oauth2/daos.lua:47-61, run as in
/// kong/db/schema/init.lua:2266-2345 and checked at :1404-1456, 3.5.0): when the body sets `hash_secret`
/// and the result is true, `client_secret` is stored as Kong's PBKDF2 PHC string
/// (kong/plugins/oauth2/secret.lua:198-284: sha512, 10000 iterations, 32 bytes, a 16-byte salt). A PATCH
/// that changes the secret or sets `hash_secret` must send both (`mutually_required`).
fn oauth2_secret(row: &mut Map<String, Value>, w: &mut Written) -> ApiResult<()> {
    let has = w.body_has;
    if let Some(old) = w.old {
        let changes_secret = has("client_secret") && row.get("client_secret") != old.get("client_secret");
        if (changes_secret || has("hash_secret")) && has("client_secret") != has("hash_secret") {
            let mut e = Map::new();
            e.insert(
                "@entity".into(),
                json!(["all or none of these fields must be set: 'hash_secret', 'client_secret'"]),
            );
            return Err(ApiError::schema_violation(e));
        }
    }
    if has("hash_secret") && row.get("hash_secret") == Some(&Value::Bool(true)) {
        if let Some(secret) = row.get("client_secret").and_then(Value::as_str).filter(|s| !s.is_empty()) {
            let salt: [u8; 16] = rand::Rng::gen(w.gen.rng);
            row.insert("client_secret".into(), json!(crate::schema::secret::pbkdf2_phc(secret, &salt)));
        }
    }
    Ok(())
}

/// Konnect returns a key's JWK re-serialised compactly, members in its own order (kid, kty, use,
/// key_ops, alg, then the key material), as decK's fixture
/// `tests/integration/testdata/dump/007-keys-and-key_sets/konnect-jwk.yaml` shows.
fn konnect_jwk(jwk: &str) -> Option<String> {
    let Ok(Value::Object(m)) = serde_json::from_str::<Value>(jwk) else { return None };
    const ORDER: &[&str] = &[
        "kid", "kty", "use", "key_ops", "alg", "crv", "x", "y", "n", "e", "d", "p", "q", "dp", "dq", "qi", "k", "x5u",
        "x5c", "x5t", "x5t#S256",
    ];
    // Written by hand: a JSON object of this build keeps its members sorted, not in Konnect's order.
    let known = ORDER.iter().filter_map(|k| m.get_key_value(*k));
    let others = m.iter().filter(|(k, _)| !ORDER.contains(&k.as_str()));
    let members: Vec<String> = known
        .chain(others)
        .map(|(k, v)| Some(format!("{}:{}", serde_json::to_string(k).ok()?, serde_json::to_string(v).ok()?)))
        .collect::<Option<_>>()?;
    Some(format!("{{{}}}", members.join(",")))
}

/// The entity as the Admin API shows it: certificates gain their sorted `snis`, key-auth credentials
/// their `ttl`.
pub fn view(store: &Store, def: &EntityDef, row: &Value) -> Value {
    match def.name {
        "certificates" => {
            let mut out = row.clone();
            if let (Some(obj), Some(id)) = (out.as_object_mut(), crate::store::row_id(row)) {
                obj.insert("snis".into(), json!(sni_names(store, &id)));
            }
            out
        }
        "keyauth_credentials" => {
            let mut out = row.clone();
            if let Some(obj) = out.as_object_mut() {
                obj.entry("ttl").or_insert(Value::Null);
            }
            out
        }
        _ => row.clone(),
    }
}

pub fn sni_names(store: &Store, cert: &uuid::Uuid) -> Vec<String> {
    let snis = store.coll("snis");
    let mut names: Vec<String> = snis
        .children("certificate", cert)
        .iter()
        .filter_map(|id| snis.get(id))
        .filter_map(|r| r.get("name").and_then(Value::as_str).map(str::to_string))
        .collect();
    names.sort();
    names
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn url_shorthand() {
        let mut b = Map::new();
        expand_url("http://example.test:443", &mut b);
        assert_eq!(
            Value::Object(b.clone()),
            json!({"protocol": "http", "host": "example.test", "port": 443, "path": null})
        );
        expand_url("https://example2.test:80/", &mut b);
        assert_eq!(b["protocol"], "https");
        assert_eq!(b["port"], 80);
        assert_eq!(b["path"], "/");
        expand_url("https://h/x/y?q=1", &mut b);
        assert_eq!(b["port"], 443);
        assert_eq!(b["path"], "/x/y");
        expand_url("invalid url", &mut b);
        assert_eq!(b["host"], Value::Null);
        assert_eq!(b["path"], "invalid url");
    }
}
