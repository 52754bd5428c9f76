//! Transport-free request and reply values: the routers are pure functions from a `Req` (method,
//! decoded path segments, query pairs, parsed body) to a `Reply`, so they can be tested without sockets
//! and the server only converts to and from hyper.

use crate::errors::ApiError;
use serde_json::{json, Map, Value};

#[derive(Debug, Clone)]
pub struct Req {
    pub method: String,
    /// The raw path, as sent (percent-encoded).
    pub path: String,
    /// Percent-decoded path segments, empty ones dropped.
    pub segments: Vec<String>,
    pub query: Vec<(String, String)>,
    pub query_raw: String,
    pub body: Vec<u8>,
    pub content_type: Option<String>,
    pub authorization: Option<String>,
}

impl Req {
    pub fn new(method: &str, path: &str, query: &str, body: Vec<u8>) -> Req {
        let segments = path
            .split('/')
            .filter(|s| !s.is_empty())
            .map(|s| percent_encoding::percent_decode_str(s).decode_utf8_lossy().into_owned())
            .collect();
        let query_pairs = form_urlencoded::parse(query.as_bytes()).into_owned().collect();
        Req {
            method: method.to_ascii_uppercase(),
            path: path.to_string(),
            segments,
            query: query_pairs,
            query_raw: query.to_string(),
            body,
            content_type: None,
            authorization: None,
        }
    }

    pub fn param(&self, name: &str) -> Option<&str> {
        self.query.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    /// The body as JSON, as Kong's Admin API reads it (kong/api/api_helpers.lua:240-268 and :288-304,
    /// 3.5.0): an empty body is `{}`; a body without a content type is not read (`{}`); a content type
    /// other than JSON, form-urlencoded or multipart is 415; form-encoded bodies become flat objects;
    /// JSON that does not parse is 400 "Cannot parse JSON body". Multipart bodies are not simulated
    /// (read as `{}`).
    pub fn json(&self) -> Result<Value, ApiError> {
        if self.body.iter().all(u8::is_ascii_whitespace) {
            return Ok(Value::Object(Map::new()));
        }
        let Some(ct) = self.content_type.as_deref() else { return Ok(Value::Object(Map::new())) };
        if ct.starts_with("multipart/form-data") {
            return Ok(Value::Object(Map::new()));
        }
        if !ct.starts_with("application/json") && !ct.starts_with("application/x-www-form-urlencoded") {
            return Err(ApiError::Message { status: 415, message: "Unsupported Media Type".into() });
        }
        let form = ct.starts_with("application/x-www-form-urlencoded");
        if form {
            let mut m = Map::new();
            for (k, v) in form_urlencoded::parse(&self.body) {
                m.insert(k.into_owned(), Value::String(v.into_owned()));
            }
            return Ok(Value::Object(m));
        }
        serde_json::from_slice(&self.body).map_err(|_| ApiError::bad_request("Cannot parse JSON body"))
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Body {
    Json(Value),
    Problem(Value),
    Empty,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Reply {
    pub status: u16,
    pub body: Body,
    pub headers: Vec<(&'static str, String)>,
}

impl Reply {
    pub fn json(status: u16, v: Value) -> Reply {
        Reply { status, body: Body::Json(v), headers: Vec::new() }
    }
    pub fn empty(status: u16) -> Reply {
        Reply { status, body: Body::Empty, headers: Vec::new() }
    }
    pub fn problem(status: u16, v: Value) -> Reply {
        Reply { status, body: Body::Problem(v), headers: Vec::new() }
    }
    /// Kong's answer for an error; a 415 has no body (`kong.response.exit(415)`, api_helpers.lua:267).
    pub fn kong_error(e: &ApiError) -> Reply {
        if e.status() == 415 {
            return Reply::empty(415);
        }
        Reply::json(e.status(), e.kong_body())
    }
    pub fn with_header(mut self, name: &'static str, value: impl Into<String>) -> Reply {
        self.headers.push((name, value.into()));
        self
    }
}

pub fn title(status: u16) -> &'static str {
    match status {
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        409 => "Conflict",
        415 => "Unsupported Media Type",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        _ => "Error",
    }
}

/// Konnect's problem+json for an error (`konnect.md` §8): status, title, type, instance, detail, and
/// `invalid_parameters` flattened from Kong's field map.
pub fn problem(e: &ApiError, trace: u64) -> Reply {
    let status = e.status();
    let mut body = json!({
        "status": status,
        "title": title(status),
        "type": format!("https://httpstatuses.com/{status}"),
        "instance": format!("kong:trace:{trace:019}"),
        "detail": e.message_text(),
    });
    if let ApiError::Db { fields: Some(f), .. } = e {
        let mut params = Vec::new();
        flatten_params("", f, &mut params);
        if status == 400 || status == 409 {
            body["invalid_parameters"] = Value::Array(params);
        }
    }
    Reply::problem(status, body)
}

fn flatten_params(prefix: &str, v: &Value, out: &mut Vec<Value>) {
    let join = |k: &str| if prefix.is_empty() { k.to_string() } else { format!("{prefix}.{k}") };
    match v {
        Value::Object(o) => {
            for (k, v) in o {
                flatten_params(&join(k), v, out);
            }
        }
        Value::Array(a) => {
            for (i, e) in a.iter().enumerate() {
                if !e.is_null() {
                    let p = if prefix == "@entity" { prefix.to_string() } else { join(&i.to_string()) };
                    flatten_params(&p, e, out);
                }
            }
        }
        Value::String(s) => out.push(json!({"field": prefix, "reason": s, "rule": rule_of(s)})),
        other => out.push(json!({"field": prefix, "reason": other.to_string()})),
    }
}

fn rule_of(reason: &str) -> &'static str {
    if reason == "required field missing" {
        "required"
    } else if reason == "unknown field" {
        "unknown_property"
    } else if reason.starts_with("expected one of") {
        "enum"
    } else if reason.starts_with("expected a") {
        "type"
    } else {
        "invalid"
    }
}
