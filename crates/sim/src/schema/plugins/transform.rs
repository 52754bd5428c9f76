//! Transformation plugins: request-transformer, response-transformer, correlation-id, grpc-gateway
//! and grpc-web (`kong/plugins/<name>/schema.lua` at 3.5.0).

use super::*;

/// Lua's `pair:match("^([^:]+):*(.-)$")`: the name before the first colon (none when the string is
/// empty or starts with one) and the value after the colons that follow it.
fn split_pair(s: &str) -> (Option<&str>, &str) {
    match s.find(':') {
        Some(0) => (None, ""),
        Some(i) => (Some(&s[..i]), s[i..].trim_start_matches(':')),
        None if s.is_empty() => (None, ""),
        None => (Some(s), ""),
    }
}

fn valid_header(name: Option<&str>) -> Result<(), String> {
    let name = name.unwrap_or("nil");
    v::header_name(&Value::String(name.to_string())).map_err(|_| format!("'{name}' is not a valid header"))
}

/// `validate_headers(pair)`: the name part is a header name.
fn header_pair(value: &Value) -> Result<(), String> {
    valid_header(split_pair(value.as_str().unwrap_or_default()).0)
}

/// `validate_colon_headers`: both sides are header names (rename).
fn header_rename(value: &Value) -> Result<(), String> {
    let (name, to) = split_pair(value.as_str().unwrap_or_default());
    valid_header(name)?;
    valid_header(Some(to))
}

/// `match = "^[^:]+:.*$"`: a name, a colon, anything.
fn colon_pair(value: &Value) -> Result<(), String> {
    let s = value.as_str().unwrap_or_default();
    match s.find(':') {
        Some(i) if i > 0 => Ok(()),
        _ => Err(format!("invalid value: {s}")),
    }
}

fn colon_header_pair(value: &Value) -> Result<(), String> {
    colon_pair(value)?;
    header_pair(value)
}

fn colon_header_rename(value: &Value) -> Result<(), String> {
    colon_pair(value)?;
    header_rename(value)
}

/// `check_for_value` (`kong/plugins/request-transformer/schema.lua:12`): a value after the colon. The
/// template compile step is not simulated.
fn has_value(value: &Value) -> Result<(), String> {
    let s = value.as_str().unwrap_or_default();
    match split_pair(s) {
        (Some(_), v) if !v.is_empty() => Ok(()),
        (name, _) => Err(format!("key '{}' has no value", name.unwrap_or_default())),
    }
}

fn list(element: Field) -> Field {
    array(element).req().def(json!([]))
}

fn transformer_record(
    body: fn(&Value) -> Result<(), String>,
    headers: fn(&Value) -> Result<(), String>,
) -> Vec<(&'static str, Field)> {
    vec![
        ("body", list(string().check(body))),
        ("headers", list(string().check(headers))),
        ("querystring", list(string().check(body))),
    ]
}

fn any_string(_: &Value) -> Result<(), String> {
    Ok(())
}

pub(super) fn request_transformer() -> PluginDef {
    let mut replace = transformer_record(has_value, colon_header_pair);
    replace.push(("uri", string()));
    PluginDef::new(
        "request-transformer",
        801,
        protocols_all(),
        vec![
            ("http_method", string().check(v::http_method)),
            ("remove", record(transformer_record(any_string, header_pair))),
            ("rename", record(transformer_record(has_value, colon_header_rename))),
            ("replace", record(replace)),
            ("add", record(transformer_record(has_value, colon_header_pair))),
            ("append", record(transformer_record(has_value, colon_header_pair))),
        ],
    )
}

/// response-transformer: `rename` has only `headers` (`kong/plugins/response-transformer/schema.lua:73-78, :89`).
pub(super) fn response_transformer() -> PluginDef {
    let plain = || record(vec![("json", list(string())), ("headers", list(string()))]);
    let colon = || {
        record(vec![
            ("json", list(string().check(colon_pair))),
            ("json_types", list(string().one_of(&["boolean", "number", "string"]))),
            ("headers", list(string().check(colon_pair))),
        ])
    };
    PluginDef::new(
        "response-transformer",
        800,
        protocols_http(),
        vec![
            ("remove", plain()),
            ("rename", record(vec![("headers", list(string().check(colon_header_rename)))])),
            ("replace", colon()),
            ("add", colon()),
            ("append", colon()),
        ],
    )
}

/// correlation-id runs at priority 1 in 3.5.0 (`kong/plugins/correlation-id/handler.lua:45`).
pub(super) fn correlation_id() -> PluginDef {
    PluginDef::new(
        "correlation-id",
        1,
        protocols_http(),
        vec![
            ("header_name", string().def(json!("Kong-Request-ID"))),
            ("generator", string().def(json!("uuid#counter")).one_of(&["uuid", "uuid#counter", "tracker"])),
            ("echo_downstream", flag(false)),
        ],
    )
}

pub(super) fn grpc_gateway() -> PluginDef {
    PluginDef::new("grpc-gateway", 998, protocols_all(), vec![("proto", string())])
}

pub(super) fn grpc_web() -> PluginDef {
    PluginDef::new(
        "grpc-web",
        3,
        protocols_all(),
        vec![("proto", string()), ("pass_stripped_path", boolean()), ("allow_origin_header", string().def(json!("*")))],
    )
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::super::testing::{config, create, refused};
    use serde_json::json;

    #[test]
    fn request_transformer_validators() {
        // kong/plugins/request-transformer/schema.lua:49-124 (3.5.0): every list defaults to [].
        let c = config("request-transformer", json!({}));
        assert_eq!(c["replace"], json!({"body": [], "headers": [], "querystring": [], "uri": null}));
        assert_eq!(c["remove"]["headers"], json!([]));
        // :12-16: add/append/replace body and querystring entries need a value.
        let e = refused("request-transformer", json!({"add": {"querystring": ["q"]}}));
        assert_eq!(e["config"]["add"]["querystring"], json!(["key 'q' has no value"]));
        // :83-87: header entries are `name:value` with a valid header name.
        let e = refused("request-transformer", json!({"add": {"headers": ["x-ok:1", "bad header:1", "novalue"]}}));
        assert_eq!(
            e["config"]["add"]["headers"],
            json!([null, "'bad header' is not a valid header", "invalid value: novalue"])
        );
        // :101-115: rename checks both names.
        let e = refused("request-transformer", json!({"rename": {"headers": ["a:b c"]}}));
        assert_eq!(e["config"]["rename"]["headers"], json!(["'b c' is not a valid header"]));
        config("request-transformer", json!({"rename": {"headers": ["a:b"]}, "remove": {"headers": ["x-a"]}}));
        // typedefs.http_method: upper-case letters only.
        let e = refused("request-transformer", json!({"http_method": "get"}));
        assert_eq!(e["config"]["http_method"], "invalid value: get");
        // protocols = typedefs.protocols: stream protocols allowed.
        create(json!({"name": "request-transformer", "protocols": ["tcp"]})).unwrap();
    }

    #[test]
    fn response_transformer_rename_is_headers_only() {
        // kong/plugins/response-transformer/schema.lua:73-89 (3.5.0).
        let c = config("response-transformer", json!({}));
        assert_eq!(c["rename"], json!({"headers": []}));
        assert_eq!(c["add"], json!({"json": [], "json_types": [], "headers": []}));
        let e = refused("response-transformer", json!({"rename": {"json": ["a:b"]}}));
        assert_eq!(e["config"]["rename"]["json"], "unknown field");
        let e = refused("response-transformer", json!({"add": {"json": ["nocolon"]}}));
        assert_eq!(e["config"]["add"]["json"], json!(["invalid value: nocolon"]));
    }

    #[test]
    fn correlation_id_and_grpc_defaults() {
        // kong/plugins/correlation-id/schema.lua:11-14 (3.5.0): generator is not required.
        let c = config("correlation-id", json!({}));
        assert_eq!(c, json!({"header_name": "Kong-Request-ID", "generator": "uuid#counter", "echo_downstream": false}));
        config("correlation-id", json!({"generator": null}));
        // kong/plugins/grpc-web/schema.lua:11-22: allow_origin_header "*", the rest null.
        assert_eq!(
            config("grpc-web", json!({})),
            json!({"proto": null, "pass_stripped_path": null, "allow_origin_header": "*"})
        );
        assert_eq!(config("grpc-gateway", json!({})), json!({"proto": null}));
    }
}
