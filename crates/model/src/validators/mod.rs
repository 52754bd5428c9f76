//! The field validators Kong runs that its schema JSON does not carry (`custom_validator`, `match*`,
//! `uuid`), as one table: which field of which kind each one checks. [`field_checks`] runs the table
//! over an entity's fields and returns every problem, so a file is refused offline, before the first
//! request, for what Kong would refuse at the write.
//!
//! The table reads Kong 3.5.0's `kong/db/schema/entities/*.lua` and `typedefs.lua`; types, ranges
//! and `one_of` lists are the schema's own job ([`crate::Schema::validate`]), and a value of the wrong
//! type is left to it, so one mistake is reported once.

mod host;
mod text;

use crate::{FieldError, Kind};
use serde_json::{Map, Value};

/// How one validator reaches its values within an entity.
#[derive(Clone, Copy)]
enum At {
    /// The field at this dotted path (through records): `healthchecks.active.http_path`.
    Field(&'static str),
    /// Each element of the array or set at this path.
    Each(&'static str),
    /// Each key of the map at this path.
    Keys(&'static str),
    /// Field `.1` of each record in the array or set at `.0`.
    EachRecord(&'static str, &'static str),
}

type Check = fn(&str) -> Result<(), String>;

/// Every validator, by kind. Tags are checked for every kind that has them (see [`field_checks`]).
const TABLE: &[(Kind, At, Check)] = &[
    // kong/db/schema/entities/services.lua:31-46 (3.5.0)
    (Kind::Service, At::Field("name"), text::utf8_name),
    (Kind::Service, At::Field("host"), host::host),
    (Kind::Service, At::Field("path"), text::path),
    (Kind::Service, At::Each("ca_certificates"), text::uuid),
    // kong/db/schema/entities/routes.lua:154-197 (3.5.0)
    (Kind::Route, At::Field("name"), text::utf8_name),
    (Kind::Route, At::Each("methods"), text::http_method),
    (Kind::Route, At::Each("hosts"), host::route_host),
    (Kind::Route, At::Each("paths"), text::router_path),
    (Kind::Route, At::Keys("headers"), route_header),
    (Kind::Route, At::Each("snis"), host::sni),
    (Kind::Route, At::EachRecord("sources", "ip"), host::ip_or_cidr),
    (Kind::Route, At::EachRecord("destinations", "ip"), host::ip_or_cidr),
    // kong/db/schema/entities/upstreams.lua:139-204 (3.5.0)
    (Kind::Upstream, At::Field("name"), host::upstream_name),
    (Kind::Upstream, At::Field("hash_on_header"), text::header_name),
    (Kind::Upstream, At::Field("hash_fallback_header"), text::header_name),
    (Kind::Upstream, At::Field("hash_on_cookie"), text::cookie_name),
    (Kind::Upstream, At::Field("hash_on_cookie_path"), text::path),
    (Kind::Upstream, At::Field("host_header"), host::host_with_optional_port),
    (Kind::Upstream, At::Field("healthchecks.active.http_path"), text::path),
    (Kind::Upstream, At::Field("healthchecks.active.https_sni"), host::sni),
    (Kind::Upstream, At::Keys("healthchecks.active.headers"), text::header_name),
    // kong/db/schema/entities/targets.lua:5-16, 30 (3.5.0)
    (Kind::Target, At::Field("target"), host::target),
    // kong/db/schema/entities/snis.lua:11 (3.5.0)
    (Kind::Sni, At::Field("name"), host::wildcard_host),
    // kong/db/schema/entities/plugins.lua:19 (3.5.0)
    (Kind::Plugin, At::Field("instance_name"), text::utf8_name),
];

/// A route's header names: header names, and never `Host` (routes.lua:165-173).
fn route_header(v: &str) -> Result<(), String> {
    text::header_name(v)?;
    if v.eq_ignore_ascii_case("host") {
        return Err("cannot contain 'host' header, which must be specified in the 'hosts' attribute".into());
    }
    Ok(())
}

/// Runs every validator of the table that applies to this kind, and the tag validator
/// (`typedefs.tags`), over an entity's own fields. Values of another type than the validator reads,
/// and empty texts, are skipped: the schema reports them.
pub fn field_checks(kind: Kind, fields: &Map<String, Value>) -> Vec<FieldError> {
    let mut out = Vec::new();
    let mut run = |path: String, v: &Value, check: Check| {
        // An empty text is the schema's to refuse (`len_min`, which Kong checks first).
        if let Some(s) = v.as_str().filter(|s| !s.is_empty()) {
            if let Err(message) = check(s) {
                out.push(FieldError { path, message });
            }
        }
    };
    let rows = TABLE.iter().filter(|(k, _, _)| *k == kind).map(|(_, at, check)| (*at, *check));
    let tags = kind.has_tags().then_some((At::Each("tags"), text::tag as Check));
    for (at, check) in rows.chain(tags) {
        match at {
            At::Field(p) => {
                if let Some(v) = lookup(fields, p) {
                    run(p.to_string(), v, check);
                }
            }
            At::Each(p) => {
                for (i, v) in lookup(fields, p).and_then(Value::as_array).into_iter().flatten().enumerate() {
                    run(format!("{p}[{i}]"), v, check);
                }
            }
            At::Keys(p) => {
                for k in lookup(fields, p).and_then(Value::as_object).into_iter().flat_map(Map::keys) {
                    run(format!("{p}.{k}"), &Value::String(k.clone()), check);
                }
            }
            At::EachRecord(p, f) => {
                for (i, r) in lookup(fields, p).and_then(Value::as_array).into_iter().flatten().enumerate() {
                    if let Some(v) = r.get(f) {
                        run(format!("{p}[{i}].{f}"), v, check);
                    }
                }
            }
        }
    }
    out
}

/// A UUID in a form Kong accepts (hyphenated, 36 characters, either case), parsed; `None` for any
/// other form (braced, URN, unhyphenated), which Kong refuses with "expected a valid UUID".
pub fn kong_uuid(text: &str) -> Option<uuid::Uuid> {
    text::uuid(text).ok()?;
    uuid::Uuid::parse_str(text).ok()
}

/// The value at a dotted path through records.
fn lookup<'a>(fields: &'a Map<String, Value>, path: &str) -> Option<&'a Value> {
    let mut parts = path.split('.');
    let first = fields.get(parts.next()?)?;
    parts.try_fold(first, |v, p| v.get(p))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn check(kind: Kind, v: Value) -> Vec<String> {
        let fields = v.as_object().cloned().unwrap_or_default();
        field_checks(kind, &fields).into_iter().map(|e| e.to_string()).collect()
    }

    #[test]
    fn each_problem_is_located_by_field() {
        let route = json!({
            "name": "orders api",
            "methods": ["GET", "post"],
            "hosts": ["a.*.com"],
            "paths": ["/ok", "~/(x"],
            "headers": {"Host": ["x"]},
            "sources": [{"ip": "10.0.0.0/33"}],
            "tags": ["a,b"],
        });
        assert_eq!(
            check(Kind::Route, route),
            [
                "field `name`: invalid value 'orders api': the only accepted ascii characters are alphanumerics or ., -, _, and ~",
                "field `methods[1]`: invalid value: post",
                "field `hosts[0]`: invalid wildcard: must be placed at leftmost or rightmost label",
                "field `paths[1]`: invalid regex: '/(x' (PCRE returned: missing closing parenthesis)",
                "field `headers.Host`: cannot contain 'host' header, which must be specified in the 'hosts' attribute",
                "field `sources[0].ip`: invalid ip or cidr range: '10.0.0.0/33'",
                "field `tags[0]`: invalid tag 'a,b': expected printable ascii (except `,` and `/`) or valid utf-8 sequences",
            ]
        );
    }

    #[test]
    fn nested_upstream_fields_and_wrong_types_left_to_the_schema() {
        let upstream =
            json!({"name": "orders-up:80", "healthchecks": {"active": {"http_path": "x", "headers": {"a b": []}}}});
        assert_eq!(
            check(Kind::Upstream, upstream),
            [
                "field `name`: Invalid name ('orders-up:80'); no port allowed",
                "field `healthchecks.active.http_path`: should start with: /",
                "field `healthchecks.active.headers.a b`: bad header name 'a b', allowed characters are A-Z, a-z, 0-9, '_', and '-'",
            ]
        );
        assert!(check(Kind::Service, json!({"host": 42, "ca_certificates": "x"})).is_empty());
    }
}
