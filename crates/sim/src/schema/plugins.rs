//! Declaration table of the bundled plugins: every plugin name Kong 3.5 ships with its version and
//! priority (for `GET /`), and, for the ones kongsync's users configure most, the full `config` record
//! with Kong 3.5.0's defaults (`kong/plugins/*/schema.lua`, `kong-schemas.md` §8). A bundled plugin
//! without a table here accepts any `config` object and fills no defaults (documented limitation).

use super::checks;
use super::validators as v;
use super::*;
use serde_json::json;

pub struct PluginDef {
    pub name: &'static str,
    pub priority: i64,
    pub protocols: Field,
    /// `typedefs.no_consumer`: the plugin cannot be scoped to a consumer.
    pub no_consumer: bool,
    pub config: Field,
    pub check: Option<EntityCheck>,
}

impl PluginDef {
    /// The generic plugin fields with this plugin's `config`, `protocols` and `consumer` overrides.
    pub fn effective_fields(&self, base: &[(&'static str, Field)]) -> Vec<(&'static str, Field)> {
        base.iter()
            .map(|(n, f)| match *n {
                "config" => (*n, self.config.clone()),
                "protocols" => (*n, self.protocols.clone()),
                "consumer" if self.no_consumer => (*n, f.clone().null_only()),
                _ => (*n, f.clone()),
            })
            .collect()
    }
}

const HTTP: &[&str] = &["grpc", "grpcs", "http", "https"];
const ALL: &[&str] = &["grpc", "grpcs", "http", "https", "tcp", "tls", "tls_passthrough", "udp"];

fn protocols_http() -> Field {
    set(string().one_of(HTTP)).req().def(json!(HTTP))
}
fn protocols_all() -> Field {
    set(string().one_of(ALL)).req().def(json!(HTTP))
}
fn flag(default: bool) -> Field {
    boolean().req().def(json!(default))
}
fn strings() -> Field {
    array(string())
}
fn empty_list() -> Field {
    array(string()).req().def(json!([]))
}

fn plugin(name: &'static str, priority: i64, protocols: Field, no_consumer: bool, config: Field) -> PluginDef {
    PluginDef { name, priority, protocols, no_consumer, config, check: None }
}

fn with_check(mut p: PluginDef, c: EntityCheck) -> PluginDef {
    p.check = Some(c);
    p
}

fn unmodelled(name: &'static str, priority: i64) -> PluginDef {
    PluginDef {
        name,
        priority,
        protocols: protocols_all(),
        no_consumer: false,
        config: json_any().req().def(json!({})),
        check: None,
    }
}

fn key_auth() -> PluginDef {
    plugin(
        "key-auth",
        1250,
        protocols_http(),
        true,
        record(vec![
            ("key_names", array(string().check(v::header_name)).req().def(json!(["apikey"])).len_min(1)),
            ("hide_credentials", flag(false)),
            ("anonymous", string()),
            ("key_in_header", flag(true)),
            ("key_in_query", flag(true)),
            ("key_in_body", flag(false)),
            ("run_on_preflight", flag(true)),
        ]),
    )
}

fn basic_auth() -> PluginDef {
    plugin(
        "basic-auth",
        1100,
        protocols_http(),
        true,
        record(vec![("anonymous", string()), ("hide_credentials", flag(false))]),
    )
}

fn acl() -> PluginDef {
    with_check(
        plugin(
            "acl",
            950,
            protocols_http(),
            true,
            record(vec![("allow", strings()), ("deny", strings()), ("hide_groups_header", flag(false))]),
        ),
        checks::acl_plugin,
    )
}

fn cors() -> PluginDef {
    plugin(
        "cors",
        2000,
        protocols_http(),
        true,
        record(vec![
            ("origins", strings()),
            ("headers", array(string())),
            ("exposed_headers", array(string())),
            (
                "methods",
                array(
                    string().one_of(&["GET", "HEAD", "PUT", "PATCH", "POST", "DELETE", "OPTIONS", "TRACE", "CONNECT"]),
                )
                .def(json!(["GET", "HEAD", "PUT", "PATCH", "POST", "DELETE", "OPTIONS", "TRACE", "CONNECT"])),
            ),
            ("max_age", number()),
            ("credentials", flag(false)),
            ("private_network", flag(false)),
            ("preflight_continue", flag(false)),
        ]),
    )
}

fn rate_limiting() -> PluginDef {
    let limit = || number().gt(0.0);
    with_check(
        plugin(
            "rate-limiting",
            910,
            protocols_http(),
            false,
            record(vec![
                ("second", limit()),
                ("minute", limit()),
                ("hour", limit()),
                ("day", limit()),
                ("month", limit()),
                ("year", limit()),
                (
                    "limit_by",
                    string().def(json!("consumer")).one_of(&[
                        "consumer",
                        "credential",
                        "ip",
                        "service",
                        "header",
                        "path",
                    ]),
                ),
                ("header_name", string().check(v::header_name)),
                ("path", string().check(v::service_path)),
                ("policy", string().def(json!("local")).len_min(0).one_of(&["local", "cluster", "redis"])),
                ("fault_tolerant", flag(true)),
                ("redis_host", string().check(v::host)),
                ("redis_port", integer().def(json!(6379)).between(0.0, 65535.0)),
                ("redis_password", string().len_min(0).referenceable()),
                ("redis_username", string().referenceable()),
                ("redis_ssl", flag(false)),
                ("redis_ssl_verify", flag(false)),
                ("redis_server_name", string().check(v::sni)),
                ("redis_timeout", number().def(json!(2000))),
                ("redis_database", integer().def(json!(0))),
                ("hide_client_headers", flag(false)),
                ("error_code", number().def(json!(429)).gt(0.0)),
                ("error_message", string().def(json!("API rate limit exceeded"))),
                ("sync_rate", number().def(json!(-1))),
            ]),
        ),
        checks::rate_limiting_plugin,
    )
}

fn body_header_query() -> Field {
    record(vec![("body", empty_list()), ("headers", empty_list()), ("querystring", empty_list())])
}

fn request_transformer() -> PluginDef {
    plugin(
        "request-transformer",
        801,
        protocols_all(),
        false,
        record(vec![
            ("http_method", string().check(v::http_method)),
            ("remove", body_header_query()),
            ("rename", body_header_query()),
            (
                "replace",
                record(vec![
                    ("body", empty_list()),
                    ("headers", empty_list()),
                    ("querystring", empty_list()),
                    ("uri", string()),
                ]),
            ),
            ("add", body_header_query()),
            ("append", body_header_query()),
        ]),
    )
}

fn response_transformer() -> PluginDef {
    let json_types = || array(string().one_of(&["boolean", "number", "string"])).req().def(json!([]));
    let with_types = || record(vec![("json", empty_list()), ("json_types", json_types()), ("headers", empty_list())]);
    plugin(
        "response-transformer",
        800,
        protocols_http(),
        false,
        record(vec![
            ("remove", record(vec![("json", empty_list()), ("headers", empty_list())])),
            ("rename", record(vec![("json", empty_list()), ("headers", empty_list())])),
            ("replace", with_types()),
            ("add", with_types()),
            ("append", with_types()),
        ]),
    )
}

fn ip_restriction() -> PluginDef {
    with_check(
        plugin(
            "ip-restriction",
            990,
            protocols_all(),
            false,
            record(vec![
                ("allow", array(string().check(v::ip_or_cidr))),
                ("deny", array(string().check(v::ip_or_cidr))),
                ("status", number()),
                ("message", string()),
            ]),
        ),
        checks::ip_restriction_plugin,
    )
}

fn jwt() -> PluginDef {
    plugin(
        "jwt",
        1450,
        protocols_http(),
        true,
        record(vec![
            ("uri_param_names", set(string()).def(json!(["jwt"]))),
            ("cookie_names", set(string()).def(json!([]))),
            ("key_claim_name", string().def(json!("iss"))),
            ("secret_is_base64", flag(false)),
            ("claims_to_verify", set(string().one_of(&["exp", "nbf"]))),
            ("anonymous", string()),
            ("run_on_preflight", flag(true)),
            ("maximum_expiration", number().def(json!(0)).between(0.0, 31536000.0)),
            ("header_names", set(string()).def(json!(["authorization"]))),
        ]),
    )
}

fn hmac_auth() -> PluginDef {
    let algos = ["hmac-sha1", "hmac-sha256", "hmac-sha384", "hmac-sha512"];
    plugin(
        "hmac-auth",
        1030,
        protocols_http(),
        true,
        record(vec![
            ("hide_credentials", flag(false)),
            ("clock_skew", number().def(json!(300)).gt(0.0)),
            ("anonymous", string()),
            ("validate_request_body", flag(false)),
            ("enforce_headers", array(string()).def(json!([]))),
            ("algorithms", array(string().one_of(&algos)).def(json!(algos))),
        ]),
    )
}

fn oauth2() -> PluginDef {
    with_check(
        plugin(
            "oauth2",
            1400,
            protocols_http(),
            true,
            record(vec![
                ("scopes", strings()),
                ("mandatory_scope", flag(false)),
                ("provision_key", string().req().auto().unique()),
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
                ("refresh_token_ttl", number().req().def(json!(1209600)).between(0.0, 100000000.0)),
                ("reuse_refresh_token", flag(false)),
                ("persistent_refresh_token", flag(false)),
                ("pkce", string().def(json!("lax")).one_of(&["none", "lax", "strict"])),
            ]),
        ),
        checks::oauth2_plugin,
    )
}

fn proxy_cache() -> PluginDef {
    plugin(
        "proxy-cache",
        100,
        protocols_http(),
        false,
        record(vec![
            ("response_code", array(integer().between(100.0, 900.0)).req().def(json!([200, 301, 404])).len_min(1)),
            (
                "request_method",
                array(string().one_of(&["HEAD", "GET", "POST", "PATCH", "PUT"])).req().def(json!(["GET", "HEAD"])),
            ),
            ("content_type", array(string()).req().def(json!(["text/plain", "application/json"]))),
            ("cache_ttl", integer().def(json!(300)).gt(0.0)),
            ("strategy", string().req().one_of(&["memory"])),
            ("cache_control", flag(false)),
            ("ignore_uri_case", flag(false)),
            ("storage_ttl", integer()),
            ("memory", record(vec![("dictionary_name", string().req().def(json!("kong_db_cache")))])),
            ("vary_query_params", strings()),
            ("vary_headers", strings()),
            (
                "response_headers",
                record(vec![("age", flag(true)), ("X-Cache-Status", flag(true)), ("X-Cache-Key", flag(true))]),
            ),
        ]),
    )
}

fn correlation_id() -> PluginDef {
    plugin(
        "correlation-id",
        100001,
        protocols_http(),
        false,
        record(vec![
            ("header_name", string().def(json!("Kong-Request-ID"))),
            ("generator", string().req().def(json!("uuid#counter")).one_of(&["uuid", "uuid#counter", "tracker"])),
            ("echo_downstream", flag(false)),
        ]),
    )
}

fn request_size_limiting() -> PluginDef {
    plugin(
        "request-size-limiting",
        951,
        protocols_http(),
        false,
        record(vec![
            ("allowed_payload_size", integer().def(json!(128))),
            ("size_unit", string().req().def(json!("megabytes")).one_of(&["megabytes", "kilobytes", "bytes"])),
            ("require_content_length", flag(false)),
        ]),
    )
}

fn lua_code() -> Field {
    map(string().len_min(1), string().len_min(1)).optional()
}

fn file_log() -> PluginDef {
    plugin(
        "file-log",
        9,
        protocols_all(),
        false,
        record(vec![
            ("path", string().req().check(checks::file_log_path)),
            ("reopen", flag(false)),
            ("custom_fields_by_lua", lua_code()),
        ]),
    )
}

fn queue() -> Field {
    record(vec![
        ("max_batch_size", integer().def(json!(1)).between(1.0, 1000000.0)),
        ("max_coalescing_delay", number().def(json!(1)).between(0.0, 3600.0)),
        ("max_entries", integer().def(json!(10000)).between(1.0, 1000000.0)),
        ("max_bytes", integer()),
        ("max_retry_time", number().def(json!(60))),
        ("initial_retry_delay", number().def(json!(0.01)).between(0.001, 1000000.0)),
        ("max_retry_delay", number().def(json!(60)).between(0.001, 1000000.0)),
    ])
}

fn http_log() -> PluginDef {
    plugin(
        "http-log",
        12,
        protocols_all(),
        false,
        record(vec![
            ("http_endpoint", string().req().referenceable().check(v::url)),
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
            ("headers", map(string().check(v::header_name), string().referenceable()).optional()),
            ("queue", queue()),
            ("custom_fields_by_lua", lua_code()),
        ]),
    )
}

fn prometheus() -> PluginDef {
    plugin(
        "prometheus",
        13,
        protocols_all(),
        false,
        record(vec![
            ("per_consumer", flag(false)),
            ("status_code_metrics", flag(false)),
            ("latency_metrics", flag(false)),
            ("bandwidth_metrics", flag(false)),
            ("upstream_health_metrics", flag(false)),
        ]),
    )
}

/// Every plugin of Kong 3.5's `bundled` set (`kong/constants.lua`), modelled ones first.
pub fn bundled() -> Vec<PluginDef> {
    vec![
        key_auth(),
        basic_auth(),
        acl(),
        cors(),
        rate_limiting(),
        request_transformer(),
        response_transformer(),
        ip_restriction(),
        jwt(),
        hmac_auth(),
        oauth2(),
        proxy_cache(),
        correlation_id(),
        request_size_limiting(),
        file_log(),
        http_log(),
        prometheus(),
        unmodelled("tcp-log", 7),
        unmodelled("udp-log", 8),
        unmodelled("syslog", 4),
        unmodelled("loggly", 6),
        unmodelled("datadog", 10),
        unmodelled("ldap-auth", 1200),
        unmodelled("statsd", 11),
        unmodelled("bot-detection", 2500),
        unmodelled("aws-lambda", 750),
        unmodelled("request-termination", 2),
        unmodelled("response-ratelimiting", 900),
        unmodelled("session", 1900),
        unmodelled("acme", 1705),
        unmodelled("grpc-gateway", 998),
        unmodelled("grpc-web", 3),
        unmodelled("pre-function", 1000000),
        unmodelled("post-function", -1000),
        unmodelled("azure-functions", 749),
        unmodelled("zipkin", 100000),
        unmodelled("opentelemetry", 14),
    ]
}
