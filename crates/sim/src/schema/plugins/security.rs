//! Access-control plugins: acl, cors, ip-restriction, bot-detection and acme
//! (`kong/plugins/<name>/schema.lua` at 3.5.0).

use super::rules::{self, Check, Lit, Match};
use super::*;

const ACL_CHECKS: &[Check] =
    &[Check::OnlyOneOf(&["config.allow", "config.deny"]), Check::AtLeastOneOf(&["config.allow", "config.deny"])];

fn acl_checks(row: &rules::Row, errors: &mut rules::Row) {
    rules::run(ACL_CHECKS, row, errors);
}

pub(super) fn acl() -> PluginDef {
    PluginDef::new(
        "acl",
        950,
        protocols_http(),
        vec![("allow", strings()), ("deny", strings()), ("hide_groups_header", flag(false))],
    )
    .no_consumer()
    .check(acl_checks)
}

/// Whether PCRE would compile `pattern`. Rust's engine stands in for it; what it refuses only for lack
/// of support (look-around, backreferences) PCRE accepts, so those count as valid.
fn pcre_compiles(pattern: &str) -> bool {
    match regex::Regex::new(pattern) {
        Ok(_) => true,
        Err(e) => {
            let text = e.to_string();
            text.contains("look-around") || text.contains("backreferences")
        }
    }
}

/// The `is_regex` validator (`kong/db/schema/init.lua:251`).
fn regex_element(value: &Value) -> Result<(), String> {
    let s = value.as_str().unwrap_or_default();
    if pcre_compiles(s) {
        Ok(())
    } else {
        Err(format!("not a valid regex: {s}"))
    }
}

/// cors `origins` elements: `*` or a regex (`kong/plugins/cors/schema.lua:18`).
fn asterisk_or_regex(value: &Value) -> Result<(), String> {
    let s = value.as_str().unwrap_or_default();
    if s == "*" || pcre_compiles(s) {
        Ok(())
    } else {
        Err(format!("'{s}' is not a valid regex"))
    }
}

pub(super) fn cors() -> PluginDef {
    const METHODS: [&str; 9] = ["GET", "HEAD", "PUT", "PATCH", "POST", "DELETE", "OPTIONS", "TRACE", "CONNECT"];
    PluginDef::new(
        "cors",
        2000,
        protocols_http(),
        vec![
            ("origins", array(string().check(asterisk_or_regex))),
            ("headers", strings()),
            ("exposed_headers", strings()),
            ("methods", array(string().one_of(&METHODS)).def(json!(METHODS))),
            ("max_age", number()),
            ("credentials", flag(false)),
            ("private_network", flag(false)),
            ("preflight_continue", flag(false)),
        ],
    )
    .no_consumer()
}

const IP_CHECKS: &[Check] = &[Check::AtLeastOneOf(&["config.allow", "config.deny"])];

fn ip_checks(row: &rules::Row, errors: &mut rules::Row) {
    rules::run(IP_CHECKS, row, errors);
}

/// ip-restriction overrides the protocols default to every protocol but tls_passthrough and udp
/// (`kong/plugins/ip-restriction/schema.lua:7`).
pub(super) fn ip_restriction() -> PluginDef {
    let protocols = set(string().one_of(ALL)).req().def(json!(["http", "https", "tcp", "tls", "grpc", "grpcs"]));
    PluginDef::new(
        "ip-restriction",
        990,
        protocols,
        vec![
            ("allow", array(string().check(v::ip_or_cidr))),
            ("deny", array(string().check(v::ip_or_cidr))),
            ("status", number()),
            ("message", string()),
        ],
    )
    .check(ip_checks)
}

pub(super) fn bot_detection() -> PluginDef {
    PluginDef::new(
        "bot-detection",
        2500,
        protocols_http(),
        vec![
            ("allow", array(string().check(regex_element)).def(json!([]))),
            ("deny", array(string().check(regex_element)).def(json!([]))),
        ],
    )
    .no_consumer()
}

/// The shared dictionaries Kong 3.5.0's nginx template declares (`kong/templates/nginx_kong.lua`).
pub(super) const SHARED_DICTS: &[&str] = &[
    "kong",
    "kong_cluster_events",
    "kong_core_db_cache",
    "kong_core_db_cache_miss",
    "kong_db_cache",
    "kong_db_cache_miss",
    "kong_healthchecks",
    "kong_locks",
    "kong_rate_limiting_counters",
    "kong_secrets",
];

/// A custom_validator returning nothing but false gets the generic message (`kong/db/schema/init.lua:996`).
pub(super) fn shared_dict(value: &Value) -> Result<(), String> {
    let s = value.as_str().unwrap_or_default();
    if SHARED_DICTS.contains(&s) {
        Ok(())
    } else {
        Err(format!("failed validating: {s}"))
    }
}

/// acme redis `namespace`: no reserved prefix (`kong/plugins/acme/schema.lua:10`, `reserved_words.lua`).
fn acme_namespace(value: &Value) -> Result<(), String> {
    let s = value.as_str().unwrap_or_default();
    for word in ["kong_acme:renew_config:", "kong_acme:renew_last_run", "kong_acme:cert_key:"] {
        if !s.is_empty() && s.starts_with(word) {
            return Err(format!("namespace can't be prefixed with reserved word: {word}"));
        }
    }
    Ok(())
}

/// acme `account_email`: the unanchored Lua pattern `%w*%p*@+%w*%.?%w*` needs an `@`.
fn acme_email(value: &Value) -> Result<(), String> {
    let s = value.as_str().unwrap_or_default();
    if s.contains('@') {
        Ok(())
    } else {
        Err(format!("invalid value: {s}"))
    }
}

const ACME_CHECKS: &[Check] = &[Check::Conditional {
    if_field: "config.api_uri",
    if_match: Match::OneOf(&["https://acme-v02.api.letsencrypt.org", "https://acme-staging-v02.api.letsencrypt.org"]),
    then_field: "config.tos_accepted",
    then_match: Match::Eq(Lit::Bool(true)),
    then_err: Some("terms of service must be accepted, see https://letsencrypt.org/repository/"),
}];

fn acme_checks(row: &rules::Row, errors: &mut rules::Row) {
    rules::run(ACME_CHECKS, row, errors);
}

/// acme is global only (no consumer, service or route). The storage check against db-less and
/// hybrid mode (`kong/plugins/acme/schema.lua:236`) never fires: the simulator is a traditional node.
pub(super) fn acme() -> PluginDef {
    let remote = |extra: Vec<(&'static str, Field)>| {
        let mut fields = vec![
            ("https", opt_flag(false)),
            ("host", host()),
            ("port", port()),
            ("kv_path", string()),
            ("timeout", number()),
            ("token", string().referenceable()),
        ];
        fields.extend(extra);
        record(fields)
    };
    let storage_config = record(vec![
        ("shm", record(vec![("shm_name", string().def(json!("kong")).check(shared_dict))])),
        ("kong", record(vec![])),
        (
            "redis",
            record(vec![
                ("host", host()),
                ("port", port()),
                ("database", number()),
                ("auth", string().referenceable()),
                ("ssl", flag(false)),
                ("ssl_verify", flag(false)),
                ("ssl_server_name", sni()),
                ("namespace", string().req().def(json!("")).len_min(0).check(acme_namespace)),
                ("scan_count", number().def(json!(10))),
            ]),
        ),
        ("consul", remote(vec![])),
        (
            "vault",
            remote(vec![
                ("tls_verify", opt_flag(true)),
                ("tls_server_name", string()),
                ("auth_method", string().def(json!("token")).one_of(&["token", "kubernetes"])),
                ("auth_path", string()),
                ("auth_role", string()),
                ("jwt_path", string()),
            ]),
        ),
    ]);
    PluginDef::new(
        "acme",
        1705,
        protocols_http(),
        vec![
            ("account_email", string().req().check(acme_email).encrypted().referenceable()),
            ("account_key", record(vec![("key_id", string().req()), ("key_set", string())]).optional()),
            ("api_uri", url().def(json!("https://acme-v02.api.letsencrypt.org/directory"))),
            ("tos_accepted", opt_flag(false)),
            ("eab_kid", string().encrypted().referenceable()),
            ("eab_hmac_key", string().encrypted().referenceable()),
            ("cert_type", string().def(json!("rsa")).one_of(&["rsa", "ecc"])),
            ("rsa_key_size", number().def(json!(4096)).one_of_int(&[2048, 3072, 4096])),
            ("renew_threshold_days", number().def(json!(14))),
            ("domains", array(string().check(v::route_host))),
            ("allow_any_domain", opt_flag(false)),
            ("fail_backoff_minutes", number().def(json!(5))),
            ("storage", string().def(json!("shm")).one_of(&["kong", "shm", "redis", "consul", "vault"])),
            ("storage_config", storage_config),
            ("preferred_chain", string()),
            ("enable_ipv4_common_name", opt_flag(true)),
        ],
    )
    .global_only()
    .check(acme_checks)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::super::testing::{config, create, refused};
    use serde_json::json;

    #[test]
    fn acl_needs_exactly_one_list() {
        // kong/plugins/acl/schema.lua:19-22 (3.5.0): only_one_of and at_least_one_of, both reported.
        let e = refused("acl", json!({}));
        assert_eq!(
            e["@entity"],
            json!([
                "exactly one of these fields must be non-empty: 'config.allow', 'config.deny'",
                "at least one of these fields must be non-empty: 'config.allow', 'config.deny'"
            ])
        );
        let e = refused("acl", json!({"allow": ["a"], "deny": ["b"]}));
        assert_eq!(
            e["@entity"],
            json!(["exactly one of these fields must be non-empty: 'config.allow', 'config.deny'"])
        );
        assert_eq!(config("acl", json!({"allow": ["a"]}))["hide_groups_header"], false);
    }

    #[test]
    fn cors_origins_are_star_or_regex() {
        // kong/plugins/cors/schema.lua:18-24 and :37 (3.5.0).
        let c = config("cors", json!({"origins": ["*", "https://.*\\.example\\.com"]}));
        assert_eq!(c["methods"].as_array().map(Vec::len), Some(9));
        assert_eq!(c["max_age"], json!(null));
        let e = refused("cors", json!({"origins": ["(unclosed"]}));
        assert_eq!(e["config"]["origins"], json!(["'(unclosed' is not a valid regex"]));
        // :29: no consumer scope.
        let e =
            create(json!({"name": "cors", "consumer": {"id": "8b0f1c3e-5d5c-4a53-9d55-0a2b8e0a0c11"}})).unwrap_err();
        assert_eq!(e["consumer"], "value must be null");
    }

    #[test]
    fn ip_restriction_protocols_default_and_check() {
        // kong/plugins/ip-restriction/schema.lua:7 (3.5.0): its own protocols default.
        let row = create(json!({"name": "ip-restriction", "config": {"allow": ["10.0.0.0/8"]}})).unwrap();
        assert_eq!(row["protocols"], json!(["http", "https", "tcp", "tls", "grpc", "grpcs"]));
        // :19-21: at least one of allow and deny.
        let e = refused("ip-restriction", json!({}));
        assert_eq!(
            e["@entity"],
            json!(["at least one of these fields must be non-empty: 'config.allow', 'config.deny'"])
        );
        assert_eq!(
            refused("ip-restriction", json!({"deny": ["nope"]}))["config"]["deny"],
            json!(["invalid ip or cidr range: 'nope'"])
        );
    }

    #[test]
    fn bot_detection_lists_default_empty_and_are_regexes() {
        // kong/plugins/bot-detection/schema.lua:11-18 (3.5.0): default {} and is_regex elements.
        let c = config("bot-detection", json!({}));
        assert_eq!(c, json!({"allow": [], "deny": []}));
        let e = refused("bot-detection", json!({"deny": ["(bad"]}));
        assert_eq!(e["config"]["deny"], json!(["not a valid regex: (bad"]));
        // PCRE takes look-ahead and backreferences, which Rust's engine lacks.
        config("bot-detection", json!({"allow": ["^(?!curl).*$", "(a)\\1"]}));
    }

    #[test]
    fn acme_is_global_and_fills_storage_config() {
        // kong/plugins/acme/schema.lua:91-94 (3.5.0): no consumer, service or route.
        let e = create(json!({"name": "acme", "config": {"account_email": "a@example.com"},
                              "service": {"id": "8b0f1c3e-5d5c-4a53-9d55-0a2b8e0a0c11"}}))
        .unwrap_err();
        assert_eq!(e["service"], "value must be null");
        // :192-199: every storage record is completed (records are required by make_records_required);
        // account_key is explicitly optional and stays null.
        let c = config("acme", json!({"account_email": "a@example.com"}));
        assert_eq!(c["storage_config"]["redis"]["namespace"], "");
        assert_eq!(c["storage_config"]["redis"]["scan_count"], 10);
        assert_eq!(c["storage_config"]["vault"]["auth_method"], "token");
        assert_eq!(c["storage_config"]["shm"]["shm_name"], "kong");
        assert_eq!(c["storage_config"]["kong"], json!({}));
        assert_eq!(c["account_key"], json!(null));
        assert_eq!(c["rsa_key_size"], 4096);
        // :220-232: the letsencrypt root (not the default /directory URI) needs tos_accepted.
        let e = refused(
            "acme",
            json!({"account_email": "a@example.com", "api_uri": "https://acme-v02.api.letsencrypt.org"}),
        );
        assert_eq!(e["@entity"], json!(["terms of service must be accepted, see https://letsencrypt.org/repository/"]));
        assert_eq!(
            refused("acme", json!({"account_email": "nobody"}))["config"]["account_email"],
            "invalid value: nobody"
        );
    }
}
