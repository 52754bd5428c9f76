//! Declaration table of Kong 3.5's core entities (`kong/db/schema/entities/*.lua`, as summarised field by
//! field in `shared/reference/kong-schemas.md` §2), plus the Enterprise/Konnect consumer groups and their
//! membership rows. Field order is the schema order, which `/schemas/{name}` must keep.

use super::checks;
use super::validators as v;
use super::*;
use serde_json::json;

const PROTOCOLS: &[&str] = &["grpc", "grpcs", "http", "https", "tcp", "tls", "tls_passthrough", "udp"];
const HASH_ON: &[&str] = &["none", "consumer", "ip", "header", "cookie", "path", "query_arg", "uri_capture"];

fn timeout() -> Field {
    integer().def(json!(60000)).between(1.0, 2147483646.0)
}

fn services() -> EntityDef {
    let mut e = base(
        "services",
        "services",
        vec![
            ("id", id_field()),
            ("created_at", timestamp_field()),
            ("updated_at", timestamp_field()),
            ("name", string().unique().check(v::utf8_name)),
            ("retries", integer().def(json!(5)).between(0.0, 32767.0)),
            ("protocol", string().req().def(json!("http")).one_of(PROTOCOLS)),
            ("host", string().req().check(v::host)),
            ("port", integer().req().def(json!(80)).between(0.0, 65535.0)),
            ("path", path()),
            ("connect_timeout", timeout()),
            ("write_timeout", timeout()),
            ("read_timeout", timeout()),
            ("tags", tags_field()),
            ("client_certificate", foreign("certificates")),
            ("tls_verify", boolean()),
            ("tls_verify_depth", integer().def(Value::Null).between(0.0, 64.0)),
            ("ca_certificates", array(Field { uuid: true, ..string() })),
            ("enabled", boolean().req().def(json!(true))),
            // Konnect's current gateway: extra names to verify on the upstream's certificate.
            (
                "tls_sans",
                record(vec![("dnsnames", array(string().check(v::sni))), ("uris", array(string().check(v::url)))])
                    .optional()
                    .only(Surfaces::KONNECT),
            ),
        ],
    );
    e.endpoint_key = Some("name");
    e.check = Some(checks::service);
    e.checks_json = json!([
        {"conditional": {"if_field": "protocol", "if_match": {"one_of": ["tcp", "tls", "udp", "grpc", "grpcs"]},
                         "then_field": "path", "then_match": {"eq": null}}},
        {"conditional": {"if_field": "protocol", "if_match": {"not_one_of": ["https", "tls"]},
                         "then_field": "client_certificate", "then_match": {"eq": null}}},
        {"conditional": {"if_field": "protocol", "if_match": {"not_one_of": ["https", "tls"]},
                         "then_field": "tls_verify", "then_match": {"eq": null}}},
        {"conditional": {"if_field": "protocol", "if_match": {"not_one_of": ["https", "tls"]},
                         "then_field": "tls_verify_depth", "then_match": {"eq": null}}},
        {"conditional": {"if_field": "protocol", "if_match": {"not_one_of": ["https", "tls"]},
                         "then_field": "ca_certificates", "then_match": {"eq": null}}}
    ]);
    e
}

fn routes() -> EntityDef {
    let source = || {
        set(record(vec![("ip", string().check(v::ip_or_cidr)), ("port", integer().between(0.0, 65535.0))]).optional())
    };
    let mut e = base(
        "routes",
        "routes",
        vec![
            ("id", id_field()),
            ("created_at", timestamp_field()),
            ("updated_at", timestamp_field()),
            ("name", string().unique().check(v::utf8_name)),
            ("protocols", set(string().one_of(PROTOCOLS)).req().def(json!(["http", "https"])).len_min(1)),
            ("https_redirect_status_code", integer().req().def(json!(426)).one_of_int(&[426, 301, 302, 307, 308])),
            // The default depends on the protocols (false for grpc/grpcs): filled by `checks::route_defaults`.
            ("strip_path", boolean().req().def(json!(true))),
            ("preserve_host", boolean().req().def(json!(false))),
            ("request_buffering", boolean().req().def(json!(true))),
            ("response_buffering", boolean().req().def(json!(true))),
            ("tags", tags_field()),
            ("service", foreign("services")),
            ("methods", set(string().check(v::http_method))),
            ("hosts", array(string().check(v::route_host))),
            ("paths", array(string().check(v::router_path))),
            ("headers", map(string().check(v::header_name), array(string()))),
            ("regex_priority", integer().def(json!(0))),
            ("path_handling", string().def(json!("v0")).one_of(&["v0", "v1"])),
            ("snis", set(string().check(v::sni))),
            ("sources", source()),
            ("destinations", source()),
        ],
    );
    e.endpoint_key = Some("name");
    e.check = Some(checks::route);
    e.checks_json = json!([
        {"mutually_exclusive_subsets": {"field": "protocols",
            "subsets": [["http", "https"], ["tcp", "tls", "udp"], ["tls_passthrough"], ["grpc", "grpcs"]]}},
        {"custom_entity_check": {"field_sources": ["snis", "protocols"]}},
        {"custom_entity_check": {"field_sources": ["paths", "regex_priority", "path_handling", "hosts", "methods",
            "headers", "snis", "sources", "destinations"]}}
    ]);
    e
}

fn consumers() -> EntityDef {
    let mut e = base(
        "consumers",
        "consumers",
        vec![
            ("id", id_field()),
            ("created_at", timestamp_field()),
            ("updated_at", timestamp_field()),
            ("username", string().unique()),
            ("custom_id", string().unique()),
            ("tags", tags_field()),
        ],
    );
    e.endpoint_key = Some("username");
    e.check = Some(checks::consumer);
    e.checks_json = json!([{"at_least_one_of": ["custom_id", "username"]}]);
    e
}

fn plugins() -> EntityDef {
    let mut e = base(
        "plugins",
        "plugins",
        vec![
            ("id", id_field()),
            ("name", string().req()),
            ("instance_name", string().unique().check(v::utf8_name)),
            ("created_at", timestamp_field()),
            ("updated_at", timestamp_field()),
            // kong/db/schema/entities/plugins.lua:22-24 (3.5.0): the scope references default to null.
            ("route", foreign("routes").def(Value::Null).cascade()),
            ("service", foreign("services").def(Value::Null).cascade()),
            ("consumer", foreign("consumers").def(Value::Null).cascade()),
            // Enterprise / Konnect only: OSS 3.5's plugins schema has no consumer_group
            // (kong/db/schema/entities/plugins.lua:16-29, 3.5.0).
            ("consumer_group", foreign("consumer_groups").def(Value::Null).cascade().only(Surfaces::ENTERPRISE)),
            // plugins.lua:25: an abstract record, which kong/db/schema/entity.lua does not make
            // required; a plugin sent without it gets its subschema's defaults.
            ("config", json_any()),
            ("protocols", set(string().one_of(PROTOCOLS)).req().def(json!(["grpc", "grpcs", "http", "https"]))),
            ("enabled", boolean().req().def(json!(true))),
            ("tags", tags_field()),
        ],
    );
    e.endpoint_key = Some("instance_name");
    e.cache_key = Some(&["name", "route", "service", "consumer", "consumer_group"]);
    e
}

fn healthchecks() -> Field {
    let statuses = |d: Value| array(integer().between(100.0, 999.0)).def(d);
    let counter = || integer().def(json!(0)).between(0.0, 255.0);
    let interval = || number().def(json!(0)).between(0.0, 65535.0);
    let check_type = || string().def(json!("http")).one_of(&["tcp", "http", "https", "grpc", "grpcs"]);
    let active = record(vec![
        ("type", check_type()),
        ("timeout", number().def(json!(1)).between(0.0, 65535.0)),
        ("concurrency", integer().def(json!(10)).between(1.0, 2147483648.0)),
        ("http_path", path().def(json!("/"))),
        ("https_sni", string().check(v::host)),
        ("https_verify_certificate", boolean().def(json!(true))),
        ("headers", map(string().check(v::header_name), array(string())).optional()),
        (
            "healthy",
            record(vec![
                ("interval", interval()),
                ("http_statuses", statuses(json!([200, 302]))),
                ("successes", counter()),
            ]),
        ),
        (
            "unhealthy",
            record(vec![
                ("interval", interval()),
                ("http_statuses", statuses(json!([429, 404, 500, 501, 502, 503, 504, 505]))),
                ("tcp_failures", counter()),
                ("timeouts", counter()),
                ("http_failures", counter()),
            ]),
        ),
    ]);
    let passive = record(vec![
        ("type", check_type()),
        (
            "healthy",
            record(vec![
                (
                    "http_statuses",
                    statuses(json!([
                        200, 201, 202, 203, 204, 205, 206, 207, 208, 226, 300, 301, 302, 303, 304, 305, 306, 307, 308
                    ])),
                ),
                ("successes", counter()),
            ]),
        ),
        (
            "unhealthy",
            record(vec![
                ("tcp_failures", counter()),
                ("timeouts", counter()),
                ("http_failures", counter()),
                ("http_statuses", statuses(json!([429, 500, 503]))),
            ]),
        ),
    ]);
    record(vec![("active", active), ("passive", passive), ("threshold", number().def(json!(0)).between(0.0, 100.0))])
}

fn upstreams() -> EntityDef {
    let mut e = base(
        "upstreams",
        "upstreams",
        vec![
            ("id", id_field()),
            ("created_at", timestamp_field()),
            ("updated_at", timestamp_field()),
            ("name", string().req().unique().check(checks::upstream_name)),
            (
                "algorithm",
                string()
                    .def(json!("round-robin"))
                    .one_of(&["consistent-hashing", "least-connections", "round-robin", "latency"])
                    .only(Surfaces::KONG),
            ),
            // The same field as Konnect's gateway has it (one entry per surface; the tables pick one).
            (
                "algorithm",
                string()
                    .def(json!("round-robin"))
                    .one_of(&["consistent-hashing", "least-connections", "round-robin", "latency", "sticky-sessions"])
                    .only(Surfaces::KONNECT),
            ),
            ("hash_on", string().def(json!("none")).one_of(HASH_ON)),
            ("hash_fallback", string().def(json!("none")).one_of(HASH_ON)),
            ("hash_on_header", string().check(v::header_name)),
            ("hash_fallback_header", string().check(v::header_name)),
            ("hash_on_cookie", string().check(v::cookie_name)),
            ("hash_on_cookie_path", path().def(json!("/"))),
            ("hash_on_query_arg", string()),
            ("hash_fallback_query_arg", string()),
            ("hash_on_uri_capture", string()),
            ("hash_fallback_uri_capture", string()),
            ("slots", integer().def(json!(10000)).between(10.0, 65536.0)),
            ("healthchecks", healthchecks()),
            ("tags", tags_field()),
            ("host_header", string().check(v::host_with_optional_port)),
            ("client_certificate", foreign("certificates")),
            ("use_srv_name", boolean().def(json!(false))),
            ("sticky_sessions_cookie", string().check(v::cookie_name).only(Surfaces::KONNECT)),
            ("sticky_sessions_cookie_path", path().def(json!("/")).only(Surfaces::KONNECT)),
        ],
    );
    e.endpoint_key = Some("name");
    e.check = Some(checks::upstream);
    e.checks_json = json!([
        {"conditional": {"if_field": "hash_on", "if_match": {"match": "^header$"},
                         "then_field": "hash_on_header", "then_match": {"required": true}}},
        {"conditional": {"if_field": "hash_fallback", "if_match": {"match": "^header$"},
                         "then_field": "hash_fallback_header", "then_match": {"required": true}}},
        {"conditional": {"if_field": "hash_on", "if_match": {"match": "^cookie$"},
                         "then_field": "hash_on_cookie", "then_match": {"required": true}}},
        {"conditional": {"if_field": "hash_fallback", "if_match": {"match": "^cookie$"},
                         "then_field": "hash_on_cookie", "then_match": {"required": true}}},
        {"conditional": {"if_field": "hash_on", "if_match": {"match": "^none$"},
                         "then_field": "hash_fallback", "then_match": {"one_of": ["none"]}}},
        {"conditional": {"if_field": "hash_on", "if_match": {"match": "^cookie$"},
                         "then_field": "hash_fallback", "then_match": {"one_of": ["none"]}}},
        {"distinct": ["hash_on_header", "hash_fallback_header"]},
        {"distinct": ["hash_on_query_arg", "hash_fallback_query_arg"]},
        {"distinct": ["hash_on_uri_capture", "hash_fallback_uri_capture"]}
    ]);
    e
}

fn targets() -> EntityDef {
    let ts = || Field { timestamp: true, auto: true, ..number() };
    let mut e = base(
        "targets",
        "targets",
        vec![
            ("id", id_field()),
            ("created_at", ts()),
            ("updated_at", ts()),
            ("upstream", foreign("upstreams").req().cascade()),
            // kong/db/schema/entities/targets.lua:5-16, 30 (3.5.0): a schema validator, so the
            // validate endpoint refuses what a write would.
            ("target", string().req().check(v::target)),
            ("weight", integer().def(json!(100)).between(0.0, 65535.0)),
            ("failover", boolean().def(json!(false)).only(Surfaces::KONNECT)),
            ("tags", tags_field()),
        ],
    );
    e.endpoint_key = Some("target");
    e.cache_key = Some(&["upstream", "target"]);
    e.float_timestamps = true;
    e
}

fn certificates() -> EntityDef {
    let mut e = base(
        "certificates",
        "certificates",
        vec![
            ("id", id_field()),
            ("created_at", timestamp_field()),
            ("updated_at", timestamp_field()),
            ("cert", string().req().referenceable().check(v::pem_certificate)),
            ("key", string().req().referenceable().encrypted().check(v::pem_key)),
            ("cert_alt", string().referenceable().check(v::pem_certificate)),
            ("key_alt", string().referenceable().encrypted().check(v::pem_key)),
            ("tags", tags_field()),
        ],
    );
    e.check = Some(checks::certificate);
    e.checks_json = json!([{"mutually_required": ["cert_alt", "key_alt"]}]);
    e
}

fn snis() -> EntityDef {
    let mut e = base(
        "snis",
        "snis",
        vec![
            ("id", id_field()),
            ("name", string().req().unique().check(v::wildcard_host)),
            ("created_at", timestamp_field()),
            ("updated_at", timestamp_field()),
            ("tags", tags_field()),
            ("certificate", foreign("certificates").req()),
        ],
    );
    e.endpoint_key = Some("name");
    e
}

fn ca_certificates() -> EntityDef {
    let mut e = base(
        "ca_certificates",
        "ca_certificates",
        vec![
            ("id", id_field()),
            ("created_at", timestamp_field()),
            ("updated_at", timestamp_field()),
            ("cert", string().req().check(v::pem_certificate)),
            ("cert_digest", string().unique()),
            ("tags", tags_field()),
        ],
    );
    e.check = Some(checks::ca_certificate);
    e
}

fn vaults() -> EntityDef {
    let mut e = base(
        "vaults",
        "vaults",
        vec![
            ("id", id_field()),
            ("created_at", timestamp_field()),
            ("updated_at", timestamp_field()),
            ("prefix", string().req().unique().check(v::vault_prefix)),
            ("name", string().req()),
            ("description", string()),
            ("config", json_any()),
            ("tags", tags_field()),
        ],
    );
    e.endpoint_key = Some("prefix");
    e
}

fn keys() -> EntityDef {
    let mut e = base(
        "keys",
        "keys",
        vec![
            ("id", id_field()),
            ("set", foreign("key_sets").cascade()),
            ("name", string().unique()),
            ("kid", string().req()),
            ("jwk", string().referenceable().encrypted()),
            (
                "pem",
                record(vec![
                    ("private_key", string().referenceable().encrypted()),
                    ("public_key", string().referenceable()),
                ])
                .optional()
                .check(checks::pem_keys),
            ),
            ("tags", tags_field()),
            ("created_at", timestamp_field()),
            ("updated_at", timestamp_field()),
            ("x5t", string().only(Surfaces::KONNECT)),
        ],
    );
    e.endpoint_key = Some("name");
    e.cache_key = Some(&["kid", "set"]);
    e.check = Some(checks::key);
    e.checks_json = json!([{"mutually_exclusive": ["jwk", "pem"]}, {"at_least_one_of": ["jwk", "pem"]}]);
    e
}

fn key_sets() -> EntityDef {
    let mut e = base(
        "key_sets",
        "key-sets",
        vec![
            ("id", id_field()),
            ("name", string().unique()),
            ("tags", tags_field()),
            ("created_at", timestamp_field()),
            ("updated_at", timestamp_field()),
        ],
    );
    e.endpoint_key = Some("name");
    e
}

fn consumer_groups() -> EntityDef {
    let mut e = base(
        "consumer_groups",
        "consumer_groups",
        vec![
            ("id", id_field()),
            ("created_at", timestamp_field()),
            ("updated_at", timestamp_field()),
            ("name", string().req().unique().check(v::utf8_name)),
            ("tags", tags_field()),
        ],
    );
    e.endpoint_key = Some("name");
    e.surfaces = Surfaces::ENTERPRISE;
    e
}

/// Membership rows; served only through `/consumer_groups/{g}/consumers` and `/consumers/{c}/consumer_groups`.
fn consumer_group_consumers() -> EntityDef {
    let mut e = base(
        "consumer_group_consumers",
        "_consumer_group_consumers",
        vec![
            ("id", id_field()),
            ("created_at", timestamp_field()),
            ("consumer_group", foreign("consumer_groups").req().cascade()),
            ("consumer", foreign("consumers").req().cascade()),
        ],
    );
    e.cache_key = Some(&["consumer_group", "consumer"]);
    e.surfaces = Surfaces::ENTERPRISE;
    e
}

pub fn entities() -> Vec<EntityDef> {
    vec![
        services(),
        routes(),
        consumers(),
        plugins(),
        upstreams(),
        targets(),
        certificates(),
        snis(),
        ca_certificates(),
        vaults(),
        keys(),
        key_sets(),
        consumer_groups(),
        consumer_group_consumers(),
    ]
}
