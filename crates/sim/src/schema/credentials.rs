//! Declaration table of the consumer credentials of the bundled auth plugins (`kong/plugins/*/daos.lua`,
//! `kong-schemas.md` §4) and Enterprise/Konnect mTLS credentials. Every one hangs off a consumer with a
//! cascading foreign key and has no `updated_at`.

use super::validators as v;
use super::*;
use serde_json::json;
use serde_json::Value;

fn credential(name: &'static str, path: &'static str, extra: Vec<(&'static str, Field)>) -> EntityDef {
    let mut fields =
        vec![("id", id_field()), ("created_at", timestamp_field()), ("consumer", foreign("consumers").req().cascade())];
    fields.extend(extra);
    fields.push(("tags", tags_field()));
    base(name, path, fields)
}

/// oauth2 redirect URIs (kong/plugins/oauth2/daos.lua:9-19, 3.5.0): a scheme and a host, no fragment.
fn redirect_uri(value: &Value) -> Result<(), String> {
    let uri = value.as_str().unwrap_or_default();
    if v::url(value).is_err() {
        return Err(format!("cannot parse '{uri}'"));
    }
    if uri.contains('#') {
        return Err(format!("fragment not allowed in '{uri}'"));
    }
    Ok(())
}

pub fn entities() -> Vec<EntityDef> {
    // kong/plugins/key-auth/daos.lua:17 (3.5.0): `key` is required = false, unique, auto.
    let mut key_auth = credential("keyauth_credentials", "key-auths", vec![("key", string().unique().auto())]);
    key_auth.endpoint_key = Some("key");
    key_auth.ttl = true;

    let mut basic_auth = credential(
        "basicauth_credentials",
        "basic-auths",
        vec![("username", string().req().unique()), ("password", string().req().encrypted())],
    );
    basic_auth.endpoint_key = Some("username");

    let mut hmac_auth = credential(
        "hmacauth_credentials",
        "hmac-auths",
        vec![("username", string().req().unique()), ("secret", string().auto())],
    );
    hmac_auth.endpoint_key = Some("username");

    let mut jwt = credential(
        "jwt_secrets",
        "jwts",
        vec![
            ("key", string().unique().auto()),
            ("secret", string().auto()),
            ("rsa_public_key", string()),
            (
                "algorithm",
                string()
                    .def(json!("HS256"))
                    .one_of(&["HS256", "HS384", "HS512", "RS256", "RS384", "RS512", "ES256", "ES384"]),
            ),
        ],
    );
    jwt.endpoint_key = Some("key");
    jwt.check = Some(super::checks::jwt);

    let mut acls = credential("acls", "acls", vec![("group", string().req())]);
    acls.cache_key = Some(&["consumer", "group"]);

    let mut oauth2 = credential(
        "oauth2_credentials",
        "oauth2",
        vec![
            ("name", string().req()),
            // Neither is required: both are generated when absent (kong/plugins/oauth2/daos.lua:34-35).
            ("client_id", string().unique().auto()),
            ("client_secret", string().auto().encrypted()),
            ("hash_secret", boolean().req().def(json!(false))),
            ("redirect_uris", array(string().check(redirect_uri))),
            ("client_type", string().req().def(json!("confidential")).one_of(&["confidential", "public"])),
        ],
    );
    oauth2.endpoint_key = Some("client_id");
    // Konnect does not serve OAuth2 credentials (konnect.md §5.1).
    oauth2.surfaces = Surfaces::KONG;

    // mtls-auth is an Enterprise plugin: not bundled with Kong OSS 3.5 (kong/constants.lua:1-39).
    let mut mtls = credential(
        "mtls_auth_credentials",
        "mtls-auths",
        vec![("subject_name", string().req()), ("ca_certificate", foreign("ca_certificates"))],
    );

    mtls.surfaces = Surfaces::ENTERPRISE;

    vec![key_auth, basic_auth, hmac_auth, jwt, acls, oauth2, mtls]
}
