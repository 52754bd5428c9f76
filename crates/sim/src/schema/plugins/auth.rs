//! The authentication plugins: jwt, oauth2, key-auth, hmac-auth, basic-auth, ldap-auth and session
//! (`kong/plugins/<name>/schema.lua` at 3.5.0). All but session take no consumer scope.

use super::rules::{self, Check, Lit, Match};
use super::*;

const JWT_CHECKS: &[Check] = &[Check::Conditional {
    if_field: "config.maximum_expiration",
    if_match: Match::Gt(0.0),
    then_field: "config.claims_to_verify",
    then_match: Match::Contains("exp"),
    then_err: None,
}];

fn jwt_checks(row: &rules::Row, errors: &mut rules::Row) {
    rules::run(JWT_CHECKS, row, errors);
}

pub(super) fn jwt() -> PluginDef {
    PluginDef::new(
        "jwt",
        1450,
        protocols_http(),
        vec![
            ("uri_param_names", set(string()).def(json!(["jwt"]))),
            ("cookie_names", set(string()).def(json!([]))),
            ("key_claim_name", string().def(json!("iss"))),
            ("secret_is_base64", flag(false)),
            ("claims_to_verify", set(string().one_of(&["exp", "nbf"]))),
            ("anonymous", string()),
            ("run_on_preflight", flag(true)),
            ("maximum_expiration", number().def(json!(0)).between(0.0, 31536000.0)),
            ("header_names", set(string()).def(json!(["authorization"]))),
        ],
    )
    .no_consumer()
    .check(jwt_checks)
}

fn oauth2_flows(config: &rules::Row) -> Result<(), String> {
    let flows =
        ["enable_authorization_code", "enable_implicit_grant", "enable_client_credentials", "enable_password_grant"];
    if flows.iter().any(|f| config.get(*f) == Some(&Value::Bool(true))) {
        Ok(())
    } else {
        Err(format!("at least one of these fields must be true: {}", flows.join(", ")))
    }
}

const OAUTH2_CHECKS: &[Check] = &[
    Check::Nested(
        "config",
        &[Check::Conditional {
            if_field: "mandatory_scope",
            if_match: Match::Eq(Lit::Bool(true)),
            then_field: "scopes",
            then_match: Match::Required,
            then_err: None,
        }],
    ),
    Check::Record("config", oauth2_flows),
];

fn oauth2_checks(row: &rules::Row, errors: &mut rules::Row) {
    rules::run(OAUTH2_CHECKS, row, errors);
}

/// oauth2 has no `persistent_refresh_token` in 3.5.0 (it came later).
pub(super) fn oauth2() -> PluginDef {
    PluginDef::new(
        "oauth2",
        1400,
        protocols_http(),
        vec![
            ("scopes", strings()),
            ("mandatory_scope", flag(false)),
            ("provision_key", string().req().auto().unique().encrypted()),
            ("token_expiration", number().req().def(json!(7200))),
            ("enable_authorization_code", flag(false)),
            ("enable_implicit_grant", flag(false)),
            ("enable_client_credentials", flag(false)),
            ("enable_password_grant", flag(false)),
            ("hide_credentials", flag(false)),
            ("accept_http_if_already_terminated", flag(false)),
            ("anonymous", string()),
            ("global_credentials", flag(false)),
            ("auth_header_name", string().def(json!("authorization"))),
            // typedefs.ttl: between 0 and DAO_MAX_TTL (100000000).
            ("refresh_token_ttl", number().req().def(json!(1209600)).between(0.0, 100000000.0)),
            ("reuse_refresh_token", flag(false)),
            ("pkce", string().def(json!("lax")).one_of(&["none", "lax", "strict"])),
        ],
    )
    .no_consumer()
    .check(oauth2_checks)
}

pub(super) fn key_auth() -> PluginDef {
    PluginDef::new(
        "key-auth",
        1250,
        protocols_http(),
        vec![
            ("key_names", array(string().check(v::header_name)).req().def(json!(["apikey"]))),
            ("hide_credentials", flag(false)),
            ("anonymous", string()),
            ("key_in_header", flag(true)),
            ("key_in_query", flag(true)),
            ("key_in_body", flag(false)),
            ("run_on_preflight", flag(true)),
        ],
    )
    .no_consumer()
}

pub(super) fn hmac_auth() -> PluginDef {
    let algos = ["hmac-sha1", "hmac-sha256", "hmac-sha384", "hmac-sha512"];
    PluginDef::new(
        "hmac-auth",
        1030,
        protocols_http(),
        vec![
            ("hide_credentials", flag(false)),
            ("clock_skew", number().def(json!(300)).gt(0.0)),
            ("anonymous", string()),
            ("validate_request_body", flag(false)),
            ("enforce_headers", strings().def(json!([]))),
            ("algorithms", array(string().one_of(&algos)).def(json!(algos))),
        ],
    )
    .no_consumer()
}

pub(super) fn basic_auth() -> PluginDef {
    PluginDef::new(
        "basic-auth",
        1100,
        protocols_http(),
        vec![("anonymous", string()), ("hide_credentials", flag(false))],
    )
    .no_consumer()
}

const LDAP_CHECKS: &[Check] = &[Check::Nested(
    "config",
    &[Check::Conditional {
        if_field: "ldaps",
        if_match: Match::Eq(Lit::Bool(true)),
        then_field: "start_tls",
        then_match: Match::Eq(Lit::Bool(false)),
        then_err: Some("'ldaps' and 'start_tls' cannot be enabled simultaneously"),
    }],
)];

fn ldap_checks(row: &rules::Row, errors: &mut rules::Row) {
    rules::run(LDAP_CHECKS, row, errors);
}

pub(super) fn ldap_auth() -> PluginDef {
    PluginDef::new(
        "ldap-auth",
        1200,
        protocols_http(),
        vec![
            ("ldap_host", host().req()),
            ("ldap_port", port().req().def(json!(389))),
            ("ldaps", flag(false)),
            ("start_tls", flag(false)),
            ("verify_ldap_host", flag(false)),
            ("base_dn", string().req()),
            ("attribute", string().req()),
            ("cache_ttl", number().req().def(json!(60))),
            ("hide_credentials", flag(false)),
            ("timeout", number().def(json!(10000))),
            ("keepalive", number().def(json!(60000))),
            ("anonymous", string()),
            ("header_type", string().def(json!("ldap"))),
        ],
    )
    .no_consumer()
    .check(ldap_checks)
}

/// session: Kong's `secret` default is a random string drawn once per process at schema load
/// (`kong/plugins/session/schema.lua:77`, `default = random_string()`): every session plugin created
/// without a secret gets the same one until the node restarts, and `/schemas/plugins/session` shows it
/// as the default. The simulator's table is built once per process, so it does the same. The
/// deprecated `cookie_*` shorthand fields of 3.5.0 are not simulated.
pub(super) fn session() -> PluginDef {
    let headers = || {
        set(string().one_of(&[
            "id",
            "audience",
            "subject",
            "timeout",
            "idling-timeout",
            "rolling-timeout",
            "absolute-timeout",
        ]))
    };
    PluginDef::new(
        "session",
        1900,
        protocols_all(),
        vec![
            (
                "secret",
                string()
                    .def(json!(crate::validate::random_string_from(&mut rand::thread_rng())))
                    .encrypted()
                    .referenceable(),
            ),
            ("storage", string().def(json!("cookie")).one_of(&["cookie", "kong"])),
            ("audience", string().def(json!("default"))),
            ("idling_timeout", number().def(json!(900))),
            ("rolling_timeout", number().def(json!(3600))),
            ("absolute_timeout", number().def(json!(86400))),
            ("stale_ttl", number().def(json!(10))),
            ("cookie_name", string().def(json!("session"))),
            ("cookie_path", string().def(json!("/"))),
            ("cookie_domain", string()),
            ("cookie_same_site", string().def(json!("Strict")).one_of(&["Strict", "Lax", "None", "Default"])),
            ("cookie_http_only", opt_flag(true)),
            ("cookie_secure", opt_flag(true)),
            ("remember", opt_flag(false)),
            ("remember_cookie_name", string().def(json!("remember"))),
            ("remember_rolling_timeout", number().def(json!(604800))),
            ("remember_absolute_timeout", number().def(json!(2592000))),
            ("response_headers", headers()),
            ("request_headers", headers()),
            ("read_body_for_logout", opt_flag(false)),
            ("logout_methods", set(string().one_of(&["GET", "POST", "DELETE"])).def(json!(["POST", "DELETE"]))),
            ("logout_query_arg", string().def(json!("session_logout"))),
            ("logout_post_arg", string().def(json!("session_logout"))),
        ],
    )
    .no_consumer()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::super::testing::{config, create, refused};
    use serde_json::json;

    #[test]
    fn jwt_defaults_and_expiration_check() {
        // kong/plugins/jwt/schema.lua:12-45 (3.5.0): defaults; :51-57: maximum_expiration > 0 needs
        // claims_to_verify to contain "exp".
        let c = config("jwt", json!({}));
        assert_eq!(c["uri_param_names"], json!(["jwt"]));
        assert_eq!(c["header_names"], json!(["authorization"]));
        assert_eq!(c["maximum_expiration"], 0);
        assert_eq!(c["claims_to_verify"], json!(null));
        let e = refused("jwt", json!({"maximum_expiration": 60, "claims_to_verify": ["nbf"]}));
        assert_eq!(e["config"]["claims_to_verify"], "expected to contain: exp");
        assert_eq!(e["@entity"][0], "failed conditional validation given value of field 'config.maximum_expiration'");
        config("jwt", json!({"maximum_expiration": 60, "claims_to_verify": ["exp"]}));
        // kong/plugins/jwt/schema.lua:7: no consumer scope.
        let e = create(json!({"name": "jwt", "consumer": {"id": "8b0f1c3e-5d5c-4a53-9d55-0a2b8e0a0c11"}})).unwrap_err();
        assert_eq!(e["consumer"], "value must be null");
    }

    #[test]
    fn oauth2_has_no_persistent_refresh_token_and_needs_a_flow() {
        // kong/plugins/oauth2/schema.lua:22-38 (3.5.0): no persistent_refresh_token field.
        let e = refused("oauth2", json!({"enable_password_grant": true, "persistent_refresh_token": true}));
        assert_eq!(e["config"]["persistent_refresh_token"], "unknown field");
        // :3-12 and :40: a record custom_validator, its message is the error of `config`.
        let e = refused("oauth2", json!({}));
        assert_eq!(
            e["config"],
            "at least one of these fields must be true: enable_authorization_code, enable_implicit_grant, \
             enable_client_credentials, enable_password_grant"
        );
        // :41-47: mandatory_scope needs scopes.
        let e = refused("oauth2", json!({"enable_password_grant": true, "mandatory_scope": true}));
        assert_eq!(e["config"]["scopes"], "required field missing");
        let c = config("oauth2", json!({"enable_client_credentials": true}));
        assert_eq!(c["pkce"], "lax");
        assert_eq!(c["refresh_token_ttl"], 1209600);
        assert_eq!(c["provision_key"].as_str().map(str::len), Some(32));
    }

    #[test]
    fn key_basic_hmac_defaults() {
        // kong/plugins/key-auth/schema.lua:12-22 (3.5.0): key_names has no len_min.
        let c = config("key-auth", json!({"key_names": []}));
        assert_eq!(c["key_names"], json!([]));
        assert_eq!(config("key-auth", json!({}))["key_in_body"], false);
        assert_eq!(config("basic-auth", json!({}))["anonymous"], json!(null));
        // kong/plugins/hmac-auth/schema.lua:21-28: clock_skew 300, gt 0; all four algorithms.
        let c = config("hmac-auth", json!({}));
        assert_eq!(c["clock_skew"], 300);
        assert_eq!(c["algorithms"].as_array().map(Vec::len), Some(4));
        assert_eq!(
            refused("hmac-auth", json!({"clock_skew": 0}))["config"]["clock_skew"],
            "value must be greater than 0"
        );
    }

    #[test]
    fn ldap_auth_refuses_ldaps_with_start_tls() {
        // kong/plugins/ldap-auth/schema.lua:28-34 (3.5.0): the check's then_err replaces the message.
        let base = json!({"ldap_host": "ldap.example.com", "base_dn": "dc=example", "attribute": "cn"});
        let c = config("ldap-auth", base.clone());
        assert_eq!(c["ldap_port"], 389);
        assert_eq!(c["cache_ttl"], 60);
        assert_eq!(c["header_type"], "ldap");
        let mut both = base;
        both["ldaps"] = json!(true);
        both["start_tls"] = json!(true);
        let e = refused("ldap-auth", both);
        assert_eq!(e["config"]["start_tls"], "value must be false");
        assert_eq!(e["config"]["@entity"][0], "'ldaps' and 'start_tls' cannot be enabled simultaneously");
        // :14-18: ldap_host, base_dn and attribute are required.
        assert_eq!(refused("ldap-auth", json!({}))["config"]["base_dn"], "required field missing");
    }

    #[test]
    fn session_defaults_and_generated_secret() {
        // kong/plugins/session/schema.lua:73-212 (3.5.0): defaults; the secret is generated.
        let c = config("session", json!({}));
        assert_eq!(c["storage"], "cookie");
        assert_eq!(c["cookie_same_site"], "Strict");
        assert_eq!(c["logout_methods"], json!(["POST", "DELETE"]));
        assert_eq!(c["remember_absolute_timeout"], 2592000);
        assert_eq!(c["response_headers"], json!(null));
        assert!(c["secret"].as_str().is_some_and(|s| s.len() == 32));
        // session/schema.lua:77: one default per process, the same for every plugin.
        assert_eq!(config("session", json!({}))["secret"], c["secret"]);
        let row = create(json!({"name": "session"})).unwrap();
        assert_eq!(row["protocols"], json!(["grpc", "grpcs", "http", "https"]));
    }
}
