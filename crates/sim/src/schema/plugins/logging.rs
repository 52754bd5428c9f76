//! Logging plugins: file-log, http-log, tcp-log, udp-log, syslog, loggly, datadog and statsd
//! (`kong/plugins/<name>/schema.lua` at 3.5.0). All of them accept every protocol.

use super::rules::{self, Check, Match};
use super::*;

/// file-log `path`: `match = [[^[^*&%%\`]+$]]`, err "not a valid filename" (`kong/plugins/file-log/schema.lua:10-14`).
fn file_name(value: &Value) -> Result<(), String> {
    let s = value.as_str().unwrap_or_default();
    if s.is_empty() || s.chars().any(|c| "*&%`".contains(c)) {
        Err("not a valid filename".into())
    } else {
        Ok(())
    }
}

pub(super) fn file_log() -> PluginDef {
    PluginDef::new(
        "file-log",
        9,
        protocols_all(),
        vec![("path", string().req().check(file_name)), ("reopen", flag(false)), ("custom_fields_by_lua", lua_code())],
    )
}

/// http-log header names: a header name that is not Host, Content-Length or Content-Type
/// (`kong/plugins/http-log/schema.lua:22-38`). Kong's Content-Length pattern spells `[nn]`, so only a
/// lower-case `n` in "length" is caught; reproduced.
fn http_log_header(value: &Value) -> Result<(), String> {
    v::header_name(value)?;
    let s = value.as_str().unwrap_or_default();
    let lower = s.to_ascii_lowercase();
    if lower == "host" {
        return Err("cannot contain 'Host' header".into());
    }
    if lower == "content-length" && s.as_bytes().get(10) == Some(&b'n') {
        return Err("cannot contain 'Content-Length' header".into());
    }
    if lower == "content-type" {
        return Err("cannot contain 'Content-Type' header".into());
    }
    Ok(())
}

/// http-log's custom_validator (`kong/plugins/http-log/schema.lua:67-76`): user info in the URL and an
/// Authorization header exclude each other.
fn http_log_config(config: &rules::Row) -> Result<(), String> {
    let endpoint = config.get("http_endpoint").and_then(Value::as_str).unwrap_or_default();
    let authority = endpoint.split_once("://").map_or("", |(_, rest)| rest.split(['/', '?', '#']).next().unwrap_or(""));
    let userinfo = authority.contains('@');
    let auth_header = config
        .get("headers")
        .and_then(Value::as_object)
        .is_some_and(|h| h.keys().any(|k| k.eq_ignore_ascii_case("authorization")));
    if userinfo && auth_header {
        Err("specifying both an 'Authorization' header and user info in 'http_endpoint' is not allowed".into())
    } else {
        Ok(())
    }
}

const HTTP_LOG_CHECKS: &[Check] = &[Check::Record("config", http_log_config)];

fn http_log_checks(row: &rules::Row, errors: &mut rules::Row) {
    rules::run(HTTP_LOG_CHECKS, row, errors);
}

/// http-log: `http_endpoint` is encrypted and referenceable, header values referenceable
/// (`kong/plugins/http-log/schema.lua:13` and `:38-41`).
pub(super) fn http_log() -> PluginDef {
    PluginDef::new(
        "http-log",
        12,
        protocols_all(),
        vec![
            ("http_endpoint", url().req().encrypted().referenceable()),
            ("method", string().def(json!("POST")).one_of(&["POST", "PUT", "PATCH"])),
            (
                "content_type",
                string()
                    .def(json!("application/json"))
                    .one_of(&["application/json", "application/json; charset=utf-8"]),
            ),
            ("timeout", number().def(json!(10000))),
            ("keepalive", number().def(json!(60000))),
            ("retry_count", integer()),
            ("queue_size", integer()),
            ("flush_timeout", number()),
            ("headers", map(string().check(http_log_header), string().referenceable()).optional()),
            ("queue", queue()),
            ("custom_fields_by_lua", lua_code()),
        ],
    )
    .check(http_log_checks)
}

pub(super) fn tcp_log() -> PluginDef {
    PluginDef::new(
        "tcp-log",
        7,
        protocols_all(),
        vec![
            ("host", host().req()),
            ("port", port().req()),
            ("timeout", number().def(json!(10000))),
            ("keepalive", number().def(json!(60000))),
            ("tls", flag(false)),
            ("tls_sni", string()),
            ("custom_fields_by_lua", lua_code()),
        ],
    )
}

pub(super) fn udp_log() -> PluginDef {
    PluginDef::new(
        "udp-log",
        8,
        protocols_all(),
        vec![
            ("host", host().req()),
            ("port", port().req()),
            ("timeout", number().def(json!(10000))),
            ("custom_fields_by_lua", lua_code()),
        ],
    )
}

const SEVERITIES: [&str; 8] = ["debug", "info", "notice", "warning", "err", "crit", "alert", "emerg"];

pub(super) fn syslog() -> PluginDef {
    let severity = || string().req().def(json!("info")).one_of(&SEVERITIES);
    let facilities = [
        "auth", "authpriv", "cron", "daemon", "ftp", "kern", "lpr", "mail", "news", "syslog", "user", "uucp", "local0",
        "local1", "local2", "local3", "local4", "local5", "local6", "local7",
    ];
    PluginDef::new(
        "syslog",
        4,
        protocols_all(),
        vec![
            ("log_level", severity()),
            ("successful_severity", severity()),
            ("client_errors_severity", severity()),
            ("server_errors_severity", severity()),
            ("custom_fields_by_lua", lua_code()),
            ("facility", string().req().def(json!("user")).one_of(&facilities)),
        ],
    )
}

pub(super) fn loggly() -> PluginDef {
    let severity = || string().def(json!("info")).one_of(&SEVERITIES);
    PluginDef::new(
        "loggly",
        6,
        protocols_all(),
        vec![
            ("host", host().def(json!("logs-01.loggly.com"))),
            ("port", port().def(json!(514))),
            ("key", string().req().encrypted().referenceable()),
            ("tags", set(string()).def(json!(["kong"]))),
            ("log_level", severity()),
            ("successful_severity", severity()),
            ("client_errors_severity", severity()),
            ("server_errors_severity", severity()),
            ("timeout", number().def(json!(10000))),
            ("custom_fields_by_lua", lua_code()),
        ],
    )
}

/// datadog and statsd metrics: counters and gauges need a sample rate.
const METRIC_CHECKS: &[Check] = &[Check::Nested(
    "config",
    &[Check::Each(
        "metrics",
        &[Check::Conditional {
            if_field: "stat_type",
            if_match: Match::OneOf(&["counter", "gauge"]),
            then_field: "sample_rate",
            then_match: Match::Required,
            then_err: None,
        }],
    )],
)];

fn metric_checks(row: &rules::Row, errors: &mut rules::Row) {
    rules::run(METRIC_CHECKS, row, errors);
}

const CONSUMER_IDENTIFIERS: [&str; 3] = ["consumer_id", "custom_id", "username"];

/// datadog metric tags: `match = "^.*[^:]$"` (not empty, not ending in a colon).
fn datadog_tag(value: &Value) -> Result<(), String> {
    let s = value.as_str().unwrap_or_default();
    if s.is_empty() || s.ends_with(':') {
        Err(format!("invalid value: {s}"))
    } else {
        Ok(())
    }
}

pub(super) fn datadog() -> PluginDef {
    let timer = |name: &str| json!({"name": name, "stat_type": "timer", "tags": ["app:kong"], "consumer_identifier": "custom_id"});
    let metrics_default = json!([
        {"name": "request_count", "stat_type": "counter", "sample_rate": 1, "tags": ["app:kong"],
         "consumer_identifier": "custom_id"},
        timer("latency"),
        timer("request_size"),
        timer("response_size"),
        timer("upstream_latency"),
        timer("kong_latency"),
    ]);
    let metric = element_record(vec![
        (
            "name",
            string().req().one_of(&[
                "kong_latency",
                "latency",
                "request_count",
                "request_size",
                "response_size",
                "upstream_latency",
            ]),
        ),
        (
            "stat_type",
            string().req().one_of(&["counter", "gauge", "histogram", "meter", "set", "timer", "distribution"]),
        ),
        ("tags", array(string().check(datadog_tag))),
        ("sample_rate", number().between(0.0, 1.0)),
        ("consumer_identifier", string().one_of(&CONSUMER_IDENTIFIERS)),
    ]);
    PluginDef::new(
        "datadog",
        10,
        protocols_all(),
        vec![
            ("host", host().referenceable().def(json!("localhost"))),
            ("port", port().def(json!(8125))),
            ("prefix", string().def(json!("kong"))),
            ("service_name_tag", string().def(json!("name"))),
            ("status_tag", string().def(json!("status"))),
            ("consumer_tag", string().def(json!("consumer"))),
            ("retry_count", integer()),
            ("queue_size", integer()),
            ("flush_timeout", number()),
            ("queue", queue()),
            ("metrics", array(metric).req().def(metrics_default)),
        ],
    )
    .check(metric_checks)
}

/// statsd `allow_status_codes` elements: `^[0-9]+-[0-9]+$` (`kong/plugins/statsd/constants.lua:4`).
fn status_range(value: &Value) -> Result<(), String> {
    let s = value.as_str().unwrap_or_default();
    let ok = s.split_once('-').is_some_and(|(a, b)| {
        !a.is_empty() && !b.is_empty() && a.chars().all(|c| c.is_ascii_digit()) && b.chars().all(|c| c.is_ascii_digit())
    });
    if ok {
        Ok(())
    } else {
        Err(format!("invalid value: {s}"))
    }
}

pub(super) fn statsd() -> PluginDef {
    const SERVICE_IDENTIFIERS: [&str; 4] = ["service_id", "service_name", "service_host", "service_name_or_host"];
    const WORKSPACE_IDENTIFIERS: [&str; 2] = ["workspace_id", "workspace_name"];
    // The defaults' `*_identifier = nil` entries leave the fields out (`kong/plugins/statsd/schema.lua:32-124`).
    let counted = |name: &str| json!({"name": name, "stat_type": "counter", "sample_rate": 1});
    let typed = |name: &str, stat_type: &str| json!({"name": name, "stat_type": stat_type});
    let metrics_default = json!([
        counted("request_count"),
        typed("latency", "timer"),
        counted("request_size"),
        counted("status_count"),
        counted("response_size"),
        typed("unique_users", "set"),
        counted("request_per_user"),
        typed("upstream_latency", "timer"),
        typed("kong_latency", "timer"),
        counted("status_count_per_user"),
        counted("status_count_per_workspace"),
        counted("status_count_per_user_per_route"),
        {"name": "shdict_usage", "stat_type": "gauge", "sample_rate": 1},
    ]);
    let metric = element_record(vec![
        (
            "name",
            string().req().one_of(&[
                "kong_latency",
                "latency",
                "request_count",
                "request_per_user",
                "request_size",
                "response_size",
                "status_count",
                "status_count_per_user",
                "unique_users",
                "upstream_latency",
                "status_count_per_workspace",
                "status_count_per_user_per_route",
                "shdict_usage",
            ]),
        ),
        ("stat_type", string().req().one_of(&["counter", "gauge", "histogram", "meter", "set", "timer"])),
        ("sample_rate", number().gt(0.0)),
        ("consumer_identifier", string().one_of(&CONSUMER_IDENTIFIERS)),
        ("service_identifier", string().one_of(&SERVICE_IDENTIFIERS)),
        ("workspace_identifier", string().one_of(&WORKSPACE_IDENTIFIERS)),
    ]);
    PluginDef::new(
        "statsd",
        11,
        protocols_all(),
        vec![
            ("host", host().def(json!("localhost"))),
            ("port", port().def(json!(8125))),
            ("prefix", string().def(json!("kong"))),
            ("metrics", array(metric).def(metrics_default)),
            ("allow_status_codes", array(string().check(status_range))),
            ("udp_packet_size", number().between(0.0, 65507.0).def(json!(0))),
            ("use_tcp", opt_flag(false)),
            ("hostname_in_prefix", opt_flag(false)),
            ("consumer_identifier_default", string().req().def(json!("custom_id")).one_of(&CONSUMER_IDENTIFIERS)),
            (
                "service_identifier_default",
                string().req().def(json!("service_name_or_host")).one_of(&SERVICE_IDENTIFIERS),
            ),
            ("workspace_identifier_default", string().req().def(json!("workspace_id")).one_of(&WORKSPACE_IDENTIFIERS)),
            ("retry_count", integer()),
            ("queue_size", integer()),
            ("flush_timeout", number()),
            ("tag_style", string().one_of(&["dogstatsd", "influxdb", "librato", "signalfx"])),
            ("queue", queue()),
        ],
    )
    .check(metric_checks)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::super::testing::{config, create, refused};
    use serde_json::json;

    #[test]
    fn http_log_defaults_and_validators() {
        // kong/plugins/http-log/schema.lua:13-45 (3.5.0) and kong/tools/queue_schema.lua.
        let c = config("http-log", json!({"http_endpoint": "http://logs.example.com"}));
        assert_eq!(c["method"], "POST");
        assert_eq!(c["queue"]["max_batch_size"], 1);
        assert_eq!(c["queue"]["initial_retry_delay"], 0.01);
        assert_eq!(c["queue"]["max_bytes"], json!(null));
        assert_eq!(c["headers"], json!(null));
        // :22-38: forbidden header names.
        let e = refused("http-log", json!({"http_endpoint": "http://l.example.com", "headers": {"Host": "x"}}));
        assert_eq!(e["config"]["headers"]["Host"], "cannot contain 'Host' header");
        // The pattern's `[nn]` only catches a lower-case n.
        config("http-log", json!({"http_endpoint": "http://l.example.com", "headers": {"Content-LeNgth": "1"}}));
        // :67-76: user info and an Authorization header exclude each other.
        let e = refused(
            "http-log",
            json!({"http_endpoint": "http://u:p@l.example.com", "headers": {"Authorization": "Basic x"}}),
        );
        assert_eq!(
            e["config"],
            "specifying both an 'Authorization' header and user info in 'http_endpoint' is not allowed"
        );
        // typedefs.url.
        let e = refused("http-log", json!({"http_endpoint": "logs.example.com"}));
        assert_eq!(e["config"]["http_endpoint"], "missing scheme in url");
        // Every protocol.
        create(json!({"name": "http-log", "protocols": ["udp"], "config": {"http_endpoint": "http://l.example.com"}}))
            .unwrap();
    }

    #[test]
    fn file_tcp_udp_syslog_loggly_defaults() {
        // kong/plugins/file-log/schema.lua:10-14 (3.5.0).
        assert_eq!(refused("file-log", json!({"path": "/tmp/a*b"}))["config"]["path"], "not a valid filename");
        assert_eq!(config("file-log", json!({"path": "/tmp/log"}))["reopen"], false);
        // kong/plugins/tcp-log/schema.lua:10-16.
        let c = config("tcp-log", json!({"host": "logs.example.com", "port": 9000}));
        assert_eq!(
            (c["timeout"].clone(), c["keepalive"].clone(), c["tls"].clone()),
            (json!(10000), json!(60000), json!(false))
        );
        assert_eq!(refused("udp-log", json!({"host": "l.example.com"}))["config"]["port"], "required field missing");
        // kong/plugins/syslog/schema.lua:3-33: required severities, facility user.
        let c = config("syslog", json!({}));
        assert_eq!(c["server_errors_severity"], "info");
        assert_eq!(c["facility"], "user");
        // kong/plugins/loggly/schema.lua:13-23: key required, tags ["kong"], port 514.
        assert_eq!(refused("loggly", json!({}))["config"]["key"], "required field missing");
        let c = config("loggly", json!({"key": "k"}));
        assert_eq!(c["tags"], json!(["kong"]));
        assert_eq!(c["port"], 514);
        assert_eq!(c["host"], "logs-01.loggly.com");
    }

    #[test]
    fn datadog_and_statsd_metrics() {
        // kong/plugins/datadog/schema.lua:29-72 (3.5.0): six default metrics, null where unset.
        let c = config("datadog", json!({}));
        let metrics = c["metrics"].as_array().unwrap();
        assert_eq!(metrics.len(), 6);
        assert_eq!(metrics[0]["sample_rate"], 1);
        assert_eq!(
            metrics[1],
            json!({"name": "latency", "stat_type": "timer", "tags": ["app:kong"],
                                      "sample_rate": null, "consumer_identifier": "custom_id"})
        );
        assert_eq!(c["host"], "localhost");
        assert_eq!(c["port"], 8125);
        // :126-132: counters need a sample rate.
        let e = refused("datadog", json!({"metrics": [{"name": "latency", "stat_type": "counter"}]}));
        assert_eq!(e["config"]["metrics"][0]["sample_rate"], "required field missing");
        // kong/plugins/statsd/schema.lua:32-124: thirteen default metrics; identifiers default.
        let c = config("statsd", json!({}));
        assert_eq!(c["metrics"].as_array().map(Vec::len), Some(13));
        assert_eq!(c["service_identifier_default"], "service_name_or_host");
        assert_eq!(c["udp_packet_size"], 0);
        assert_eq!(c["use_tcp"], false);
        assert_eq!(c["tag_style"], json!(null));
        let e = refused("statsd", json!({"allow_status_codes": ["200"]}));
        assert_eq!(e["config"]["allow_status_codes"], json!(["invalid value: 200"]));
    }
}
