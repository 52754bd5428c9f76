//! Traffic-control plugins: rate-limiting, response-ratelimiting, request-size-limiting,
//! request-termination and proxy-cache (`kong/plugins/<name>/schema.lua` at 3.5.0).

use super::rules::{self, one_decimal, periods_out_of_order, Check, Lit, Match};
use super::*;

const PERIOD_FIELDS: [&str; 6] = ["second", "minute", "hour", "day", "month", "year"];

fn limit() -> Field {
    number().gt(0.0)
}

/// The `redis_*` fields the two rate-limiting plugins share (3.5.0 still has them flat).
fn redis_fields(database: Field) -> Vec<(&'static str, Field)> {
    vec![
        ("redis_host", host()),
        ("redis_port", port().def(json!(6379))),
        ("redis_password", string().len_min(0).referenceable()),
        ("redis_username", string().referenceable()),
        ("redis_ssl", flag(false)),
        ("redis_ssl_verify", flag(false)),
        ("redis_server_name", sni()),
        ("redis_timeout", number().def(json!(2000))),
        ("redis_database", database),
    ]
}

/// `validate_periods_order` and the sync_rate rules (`kong/plugins/rate-limiting/schema.lua:10-36`), a
/// custom_validator of `config`.
fn rate_limiting_config(config: &rules::Row) -> Result<(), String> {
    if let Some((upper, v2, lower, v1)) = periods_out_of_order(config) {
        return Err(format!(
            "The limit for {upper}({}) cannot be lower than the limit for {lower}({})",
            one_decimal(v2),
            one_decimal(v1)
        ));
    }
    let redis = config.get("policy").and_then(Value::as_str) == Some("redis");
    let sync_rate = config.get("sync_rate").and_then(Value::as_f64).unwrap_or(-1.0);
    if !redis && sync_rate != -1.0 {
        return Err("sync_rate can only be used with the redis policy".into());
    }
    if redis && sync_rate != -1.0 && sync_rate < 0.02 {
        return Err("sync_rate must be greater than 0.02, or -1 to disable".into());
    }
    Ok(())
}

const fn when(if_field: &'static str, value: &'static str, then_field: &'static str) -> Check {
    Check::Conditional {
        if_field,
        if_match: Match::Eq(Lit::Str(value)),
        then_field,
        then_match: Match::Required,
        then_err: None,
    }
}

const RATE_LIMITING_CHECKS: &[Check] = &[
    Check::Record("config", rate_limiting_config),
    Check::AtLeastOneOf(&[
        "config.second",
        "config.minute",
        "config.hour",
        "config.day",
        "config.month",
        "config.year",
    ]),
    when("config.policy", "redis", "config.redis_host"),
    when("config.policy", "redis", "config.redis_port"),
    when("config.limit_by", "header", "config.header_name"),
    when("config.limit_by", "path", "config.path"),
    when("config.policy", "redis", "config.redis_timeout"),
];

fn rate_limiting_checks(row: &rules::Row, errors: &mut rules::Row) {
    rules::run(RATE_LIMITING_CHECKS, row, errors);
}

/// `policy` offers `cluster` because the simulator is a node with a database
/// (`kong/plugins/rate-limiting/schema.lua:49-70`).
pub(super) fn rate_limiting() -> PluginDef {
    let mut fields: Vec<(&'static str, Field)> = PERIOD_FIELDS.iter().map(|p| (*p, limit())).collect();
    fields.extend([
        (
            "limit_by",
            string().def(json!("consumer")).one_of(&["consumer", "credential", "ip", "service", "header", "path"]),
        ),
        ("header_name", string().check(v::header_name)),
        ("path", path()),
        ("policy", string().def(json!("local")).len_min(0).one_of(&["local", "cluster", "redis"])),
        ("fault_tolerant", flag(true)),
    ]);
    fields.extend(redis_fields(integer().def(json!(0))));
    fields.extend([
        ("hide_client_headers", flag(false)),
        ("error_code", number().def(json!(429)).gt(0.0)),
        ("error_message", string().def(json!("API rate limit exceeded"))),
        ("sync_rate", number().req().def(json!(-1))),
    ]);
    PluginDef::new("rate-limiting", 910, protocols_http(), fields).check(rate_limiting_checks)
}

/// A `limits` value's custom_validator (`kong/plugins/response-ratelimiting/schema.lua:7`): the same
/// order rule as rate-limiting, with a lower-case message.
fn limit_order(limit: &rules::Row) -> Result<(), String> {
    match periods_out_of_order(limit) {
        Some((upper, v2, lower, v1)) => Err(format!(
            "the limit for {upper}({}) cannot be lower than the limit for {lower}({})",
            one_decimal(v2),
            one_decimal(v1)
        )),
        None => Ok(()),
    }
}

/// `limits` is a required map with `len_min = 1`; the simulator's map type has no length rule, so the
/// check is here.
fn limits_not_empty(row: &rules::Row) -> Result<(), String> {
    match row.get("limits") {
        Some(Value::Object(m)) if m.is_empty() => Err("length must be at least 1".into()),
        _ => Ok(()),
    }
}

const RESPONSE_RATELIMITING_CHECKS: &[Check] = &[
    Check::Record("config", limits_not_empty),
    Check::Nested(
        "config",
        &[Check::Each("limits", &[Check::AtLeastOneOf(&PERIOD_FIELDS), Check::Custom(limit_order)])],
    ),
    when("config.policy", "redis", "config.redis_host"),
    when("config.policy", "redis", "config.redis_port"),
    when("config.policy", "redis", "config.redis_timeout"),
];

fn response_ratelimiting_checks(row: &rules::Row, errors: &mut rules::Row) {
    rules::run(RESPONSE_RATELIMITING_CHECKS, row, errors);
}

pub(super) fn response_ratelimiting() -> PluginDef {
    let limit_record = record(PERIOD_FIELDS.iter().map(|p| (*p, limit())).collect());
    let mut fields = vec![
        ("header_name", string().def(json!("x-kong-limit"))),
        ("limit_by", string().def(json!("consumer")).one_of(&["consumer", "credential", "ip"])),
        ("policy", string().def(json!("local")).one_of(&["local", "cluster", "redis"])),
        ("fault_tolerant", flag(true)),
    ];
    // Here redis_host is `typedefs.redis_host` and redis_database a number.
    fields.extend(redis_fields(number().def(json!(0))));
    fields.extend([
        ("block_on_first_violation", flag(false)),
        ("hide_client_headers", flag(false)),
        ("limits", map(string(), limit_record).req().len_min(1)),
    ]);
    PluginDef::new("response-ratelimiting", 900, protocols_http(), fields).check(response_ratelimiting_checks)
}

pub(super) fn request_size_limiting() -> PluginDef {
    PluginDef::new(
        "request-size-limiting",
        951,
        protocols_http(),
        vec![
            ("allowed_payload_size", integer().def(json!(128))),
            ("size_unit", string().req().def(json!("megabytes")).one_of(&["megabytes", "kilobytes", "bytes"])),
            ("require_content_length", flag(false)),
        ],
    )
}

/// request-termination's custom_validator (`kong/plugins/request-termination/schema.lua:27-44`).
fn termination_config(config: &rules::Row) -> Result<(), String> {
    let present = |f: &str| config.get(f).and_then(Value::as_str).is_some_and(|s| !s.is_empty());
    if present("message") && (present("content_type") || present("body")) {
        return Err("message cannot be used with content_type or body".into());
    }
    if present("content_type") && !present("body") {
        return Err("content_type requires a body".into());
    }
    if config.get("echo") == Some(&Value::Bool(true)) && (present("content_type") || present("body")) {
        return Err("echo cannot be used with content_type and body".into());
    }
    Ok(())
}

const TERMINATION_CHECKS: &[Check] = &[Check::Record("config", termination_config)];

fn termination_checks(row: &rules::Row, errors: &mut rules::Row) {
    rules::run(TERMINATION_CHECKS, row, errors);
}

pub(super) fn request_termination() -> PluginDef {
    PluginDef::new(
        "request-termination",
        2,
        protocols_http(),
        vec![
            ("status_code", integer().req().def(json!(503)).between(100.0, 599.0)),
            ("message", string()),
            ("content_type", string()),
            ("body", string()),
            ("echo", flag(false)),
            ("trigger", string().check(v::header_name)),
        ],
    )
    .check(termination_checks)
}

/// The memory strategy needs an existing shared dictionary (`kong/plugins/proxy-cache/schema.lua:93-106`).
fn proxy_cache_dict(row: &rules::Row) -> Result<(), String> {
    let memory = rules::get(row, "config.strategy").and_then(Value::as_str) == Some("memory");
    match rules::get(row, "config.memory.dictionary_name").and_then(Value::as_str) {
        Some(name) if memory && !super::security::SHARED_DICTS.contains(&name) => {
            Err(format!("missing shared dict '{name}'"))
        }
        _ => Ok(()),
    }
}

const PROXY_CACHE_CHECKS: &[Check] = &[Check::Custom(proxy_cache_dict)];

fn proxy_cache_checks(row: &rules::Row, errors: &mut rules::Row) {
    rules::run(PROXY_CACHE_CHECKS, row, errors);
}

/// proxy-cache takes every protocol (`typedefs.protocols`, `kong/plugins/proxy-cache/schema.lua:20`).
pub(super) fn proxy_cache() -> PluginDef {
    PluginDef::new(
        "proxy-cache",
        100,
        protocols_all(),
        vec![
            ("response_code", array(integer().between(100.0, 900.0)).req().def(json!([200, 301, 404])).len_min(1)),
            (
                "request_method",
                array(string().one_of(&["HEAD", "GET", "POST", "PATCH", "PUT"])).req().def(json!(["GET", "HEAD"])),
            ),
            ("content_type", array(string()).req().def(json!(["text/plain", "application/json"]))),
            ("cache_ttl", integer().def(json!(300)).gt(0.0)),
            ("strategy", string().req().one_of(&["memory"])),
            ("cache_control", flag(false)),
            ("ignore_uri_case", opt_flag(false)),
            ("storage_ttl", integer()),
            ("memory", record(vec![("dictionary_name", string().req().def(json!("kong_db_cache")))])),
            ("vary_query_params", strings()),
            ("vary_headers", strings()),
            (
                "response_headers",
                record(vec![
                    ("age", opt_flag(true)),
                    ("X-Cache-Status", opt_flag(true)),
                    ("X-Cache-Key", opt_flag(true)),
                ]),
            ),
        ],
    )
    .check(proxy_cache_checks)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::super::testing::{config, create, refused};
    use serde_json::json;

    #[test]
    fn rate_limiting_defaults_and_checks() {
        // kong/plugins/rate-limiting/schema.lua:80-107 (3.5.0).
        let c = config("rate-limiting", json!({"minute": 5}));
        assert_eq!(c["sync_rate"], -1);
        assert_eq!(c["policy"], "local");
        assert_eq!(c["redis_port"], 6379);
        assert_eq!(c["redis_timeout"], 2000);
        assert_eq!(c["error_code"], 429);
        // :112-113: at least one period.
        let e = refused("rate-limiting", json!({}));
        assert_eq!(
            e["@entity"][0],
            "at least one of these fields must be non-empty: 'config.second', \
            'config.minute', 'config.hour', 'config.day', 'config.month', 'config.year'"
        );
        // :10-22: Lua's %.1f, and the message is the error of the whole config record.
        let e = refused("rate-limiting", json!({"second": 10, "hour": 5}));
        assert_eq!(e["config"], "The limit for hour(5.0) cannot be lower than the limit for second(10.0)");
        // :25-32.
        let e = refused("rate-limiting", json!({"minute": 5, "sync_rate": 1}));
        assert_eq!(e["config"], "sync_rate can only be used with the redis policy");
        // :114-117: the redis policy needs redis_host.
        let e = refused("rate-limiting", json!({"minute": 5, "policy": "redis"}));
        assert_eq!(e["config"]["redis_host"], "required field missing");
        assert_eq!(e["@entity"][0], "failed conditional validation given value of field 'config.policy'");
        // :122-125: limit_by header needs header_name.
        let e = refused("rate-limiting", json!({"minute": 5, "limit_by": "header"}));
        assert_eq!(e["config"]["header_name"], "required field missing");
    }

    #[test]
    fn response_ratelimiting_limits() {
        // kong/plugins/response-ratelimiting/schema.lua:176-199 (3.5.0): a required map of records.
        let e = refused("response-ratelimiting", json!({}));
        assert_eq!(e["config"]["limits"], "required field missing");
        let c = config("response-ratelimiting", json!({"limits": {"video": {"minute": 10}}}));
        assert_eq!(c["header_name"], "x-kong-limit");
        assert_eq!(c["limits"]["video"]["minute"], 10);
        assert_eq!(c["block_on_first_violation"], false);
        let e = refused("response-ratelimiting", json!({"limits": {"video": {}}}));
        assert_eq!(
            e["config"]["limits"]["video"]["@entity"][0],
            "at least one of these fields must be non-empty: 'second', 'minute', 'hour', 'day', 'month', 'year'"
        );
        let e = refused("response-ratelimiting", json!({"limits": {"v": {"second": 10, "minute": 1}}}));
        assert_eq!(
            e["config"]["limits"]["v"]["@entity"][0],
            "the limit for minute(1.0) cannot be lower than the limit for second(10.0)"
        );
    }

    #[test]
    fn request_termination_stores_nulls() {
        // kong/plugins/request-termination/schema.lua:16-25 (3.5.0): echo false, the rest null.
        let c = config("request-termination", json!({}));
        assert_eq!(
            c,
            json!({"status_code": 503, "message": null, "content_type": null, "body": null, "echo": false,
                   "trigger": null})
        );
        // :27-44.
        let e = refused("request-termination", json!({"message": "x", "body": "y"}));
        assert_eq!(e["config"], "message cannot be used with content_type or body");
        let e = refused("request-termination", json!({"content_type": "text/plain"}));
        assert_eq!(e["config"], "content_type requires a body");
        let e = refused("request-termination", json!({"status_code": 99}));
        assert_eq!(e["config"]["status_code"], "value should be between 100 and 599");
    }

    #[test]
    fn request_size_limiting_defaults() {
        // kong/plugins/request-size-limiting/schema.lua:15-17 (3.5.0), size_units from handler.lua:14.
        let c = config("request-size-limiting", json!({}));
        assert_eq!(c, json!({"allowed_payload_size": 128, "size_unit": "megabytes", "require_content_length": false}));
    }

    #[test]
    fn proxy_cache_defaults_protocols_and_dictionary() {
        // kong/plugins/proxy-cache/schema.lua:20 (3.5.0): every protocol allowed.
        let row =
            create(json!({"name": "proxy-cache", "protocols": ["tcp"], "config": {"strategy": "memory"}})).unwrap();
        assert_eq!(row["config"]["memory"]["dictionary_name"], "kong_db_cache");
        assert_eq!(
            row["config"]["response_headers"],
            json!({"age": true, "X-Cache-Status": true, "X-Cache-Key": true})
        );
        assert_eq!(row["config"]["ignore_uri_case"], false);
        // :47-49: strategy is required; :93-106: the dictionary must exist.
        assert_eq!(refused("proxy-cache", json!({}))["config"]["strategy"], "required field missing");
        let e = refused("proxy-cache", json!({"strategy": "memory", "memory": {"dictionary_name": "nope"}}));
        assert_eq!(e["@entity"][0], "missing shared dict 'nope'");
    }
}
