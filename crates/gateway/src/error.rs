//! What can go wrong talking to a gateway, as one typed error. Every error body Kong and Konnect
//! send (Kong's DAO errors and plain `{"message"}`, Konnect's problem+json and its gRPC-style
//! `details`) is read into the same [`StatusError`]: the status, the message, the field errors and
//! Konnect's trace id (`instance`), which Kong support asks for.
//!
//! Nothing here holds a secret: requests are named by method, path and query only, and URLs are
//! shown without credentials.

use serde_json::Value;
use std::fmt;
use std::time::Duration;

/// A failure to get an answer from the gateway.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The gateway answered with an error status.
    #[error("{0}")]
    Status(Box<StatusError>),
    /// No connection could be made or kept (refused, DNS failure, reset).
    #[error("cannot reach {url} ({request})")]
    Connect {
        url: String,
        request: String,
        #[source]
        source: reqwest::Error,
    },
    /// The TLS handshake failed (unknown CA, wrong name, expired certificate, client certificate refused).
    #[error("TLS handshake with {url} failed ({request})")]
    Tls {
        url: String,
        request: String,
        #[source]
        source: reqwest::Error,
    },
    /// The gateway answered with a redirect, which is never followed (the admin token would go
    /// wherever it points); `to` is the Location's scheme and host only.
    #[error("{request}: the gateway answered {status}, a redirect to {to}; redirects are not followed (the admin token would be sent there): give the address it points to, if it is the gateway's")]
    Redirected { request: String, status: u16, to: String },
    /// No answer within the request timeout.
    #[error("{request}: no answer from {url} within {}s", .timeout.as_secs_f64())]
    Timeout { url: String, request: String, timeout: Duration },
    /// An answer kongsync cannot read (not JSON, or not the expected shape).
    #[error("{request}: unexpected answer: {problem}")]
    Unexpected { request: String, problem: String },
    /// A transient failure that persisted through every retry; the last one is the source.
    #[error("{request}: gave up after {attempts} attempts")]
    GaveUp {
        request: String,
        attempts: u32,
        #[source]
        last: Box<ApiError>,
    },
    /// A client setting that cannot be used (a CA file that is not PEM, a malformed header).
    #[error("{setting}: {problem}")]
    Setting { setting: Setting, problem: String },
    /// No Konnect control plane has this name (`which` = `"prod"`) or id (`which` = `with id ...`).
    #[error("Konnect control plane {which} not found")]
    ControlPlaneNotFound { which: String },
    /// Several Konnect control planes have this name: the caller must choose one by id.
    #[error("{} Konnect control planes are named \"{name}\" ({})", .ids.len(), .ids.join(", "))]
    ControlPlaneAmbiguous { name: String, ids: Vec<String> },
}

/// The client setting an [`ApiError::Setting`] is about ([`ClientOptions`](crate::ClientOptions)'s
/// fields), so that the caller can name it the way its user gave it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Setting {
    /// The gateway's address.
    Address,
    /// The extra headers.
    Headers,
    /// The CA certificates to trust.
    CaCert,
    /// The client certificate and key for mutual TLS.
    ClientCert,
    /// The name the server's certificate is verified against.
    ServerName,
    /// The TLS set-up as a whole.
    Tls,
}

impl fmt::Display for Setting {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Setting::Address => "the address",
            Setting::Headers => "the extra headers",
            Setting::CaCert => "the CA certificate",
            Setting::ClientCert => "the client certificate",
            Setting::ServerName => "the TLS server name",
            Setting::Tls => "TLS",
        })
    }
}

impl ApiError {
    /// The HTTP status of the answer, when there was one (through retries too).
    pub fn status(&self) -> Option<u16> {
        match self {
            ApiError::Status(s) => Some(s.status),
            ApiError::GaveUp { last, .. } => last.status(),
            _ => None,
        }
    }

    /// The status error itself, when the gateway answered with one.
    pub fn as_status(&self) -> Option<&StatusError> {
        match self {
            ApiError::Status(s) => Some(s),
            ApiError::GaveUp { last, .. } => last.as_status(),
            _ => None,
        }
    }
}

/// An error answer, read from any of Kong's or Konnect's body shapes.
#[derive(Clone, Debug, PartialEq)]
pub struct StatusError {
    /// The request, as [`Request::describe`](crate::Request::describe) shows it.
    pub request: String,
    pub status: u16,
    /// The message of the body, or the status's reason phrase when the body has none.
    pub message: String,
    /// Field errors, with dotted paths (`config.minute`, `protocols[0]`, `@entity`).
    pub fields: Vec<FieldProblem>,
    /// Konnect's trace id (`instance`, e.g. `kong:trace:1234`), for support.
    pub trace_id: Option<String>,
    /// Kong's DAO error code (2 = schema violation, 5 = unique violation, ...).
    pub code: Option<i64>,
}

/// One field's problem in an error answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldProblem {
    /// Dotted path of the field; empty when the problem concerns the whole entity.
    pub field: String,
    pub message: String,
}

impl fmt::Display for StatusError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: HTTP {}: {}", self.request, self.status, self.message)?;
        for p in &self.fields {
            match p.field.as_str() {
                "" => write!(f, "; {}", p.message)?,
                field => write!(f, "; field `{field}`: {}", p.message)?,
            }
        }
        if let Some(t) = &self.trace_id {
            write!(f, " (trace id {t})")?;
        }
        Ok(())
    }
}

impl StatusError {
    /// Reads an error answer's body, whatever its shape.
    pub fn from_body(request: String, status: u16, body: &[u8]) -> StatusError {
        let mut e =
            StatusError { request, status, message: String::new(), fields: Vec::new(), trace_id: None, code: None };
        match serde_json::from_slice::<Value>(body) {
            Ok(Value::Object(o)) => {
                let text = |k: &str| o.get(k).and_then(Value::as_str).filter(|s| !s.is_empty()).map(str::to_string);
                // problem+json puts the human text in `detail` (or `title`); Kong and the gRPC shape in `message`.
                e.message = text("detail").or_else(|| text("message")).or_else(|| text("title")).unwrap_or_default();
                e.trace_id = text("instance");
                e.code = o.get("code").and_then(Value::as_i64);
                for key in ["fields", "options"] {
                    if let Some(v) = o.get(key) {
                        flatten_fields(v, "", &mut e.fields);
                    }
                }
                for p in o.get("invalid_parameters").and_then(Value::as_array).into_iter().flatten() {
                    let field = p.get("field").and_then(Value::as_str).unwrap_or_default().to_string();
                    let message = p.get("reason").and_then(Value::as_str).unwrap_or("invalid").to_string();
                    e.fields.push(FieldProblem { field, message });
                }
                for d in o.get("details").and_then(Value::as_array).into_iter().flatten() {
                    grpc_detail(d, &mut e.fields);
                }
            }
            _ => {
                let text = String::from_utf8_lossy(body);
                e.message = text.trim().chars().take(300).collect();
            }
        }
        if e.message.is_empty() {
            e.message = reason(status).to_string();
        }
        e
    }
}

/// Kong's nested `fields`: objects by field name, arrays by position (nulls for the valid elements).
fn flatten_fields(v: &Value, path: &str, out: &mut Vec<FieldProblem>) {
    match v {
        Value::String(m) => out.push(FieldProblem { field: path.to_string(), message: m.clone() }),
        Value::Object(o) => {
            for (k, v) in o {
                let sub = if path.is_empty() { k.clone() } else { format!("{path}.{k}") };
                flatten_fields(v, &sub, out);
            }
        }
        Value::Array(items) if path == "@entity" => items.iter().for_each(|i| flatten_fields(i, path, out)),
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                flatten_fields(item, &format!("{path}[{i}]"), out);
            }
        }
        Value::Null => {}
        other => out.push(FieldProblem { field: path.to_string(), message: other.to_string() }),
    }
}

/// One element of Konnect's gRPC-style `details`: `{"type", "field"?, "messages": [...]}`.
fn grpc_detail(d: &Value, out: &mut Vec<FieldProblem>) {
    let field = d.get("field").and_then(Value::as_str).unwrap_or_default().to_string();
    let messages: Vec<String> = match d.get("messages").and_then(Value::as_array) {
        Some(m) => m.iter().filter_map(Value::as_str).map(str::to_string).collect(),
        None => d.get("message").and_then(Value::as_str).map(str::to_string).into_iter().collect(),
    };
    if messages.is_empty() {
        let kind = d.get("type").and_then(Value::as_str).unwrap_or("invalid");
        out.push(FieldProblem { field, message: kind.to_string() });
    } else {
        out.extend(messages.into_iter().map(|message| FieldProblem { field: field.clone(), message }));
    }
}

fn reason(status: u16) -> &'static str {
    reqwest::StatusCode::from_u16(status).ok().and_then(|s| s.canonical_reason()).unwrap_or("error")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(status: u16, body: &str) -> StatusError {
        StatusError::from_body("PUT /services/x".into(), status, body.as_bytes())
    }

    fn problems(e: &StatusError) -> Vec<(String, String)> {
        e.fields.iter().map(|p| (p.field.clone(), p.message.clone())).collect()
    }

    #[test]
    fn kong_schema_violations_keep_every_field() {
        let e = parse(
            400,
            r#"{"code":2,"name":"schema violation","message":"2 schema violations (...)",
               "fields":{"@entity":["must set one of 'methods'"],"config":{"minute":"expected a number"},"protocols":[null,"expected one of: http"]}}"#,
        );
        assert_eq!(e.code, Some(2));
        assert_eq!(e.message, "2 schema violations (...)");
        assert_eq!(
            problems(&e),
            [
                ("@entity".into(), "must set one of 'methods'".into()),
                ("config.minute".into(), "expected a number".into()),
                ("protocols[1]".into(), "expected one of: http".into()),
            ]
        );
        assert_eq!(
            e.to_string(),
            "PUT /services/x: HTTP 400: 2 schema violations (...); field `@entity`: must set one of 'methods'; \
             field `config.minute`: expected a number; field `protocols[1]`: expected one of: http"
        );
    }

    #[test]
    fn kong_invalid_options_are_field_problems_too() {
        let e = parse(
            400,
            r#"{"code":11,"name":"invalid options","message":"invalid option (tags: invalid filter syntax)","options":{"tags":"invalid filter syntax"}}"#,
        );
        assert_eq!(problems(&e), [("tags".into(), "invalid filter syntax".into())]);
    }

    #[test]
    fn konnect_problem_json_keeps_the_trace_id() {
        let e = parse(
            400,
            r#"{"status":400,"title":"Bad Request","detail":"Invalid request format","instance":"konnect:trace:42",
               "invalid_parameters":[{"field":"body","reason":"request format is invalid","rule":"type"}]}"#,
        );
        assert_eq!(e.message, "Invalid request format");
        assert_eq!(e.trace_id.as_deref(), Some("konnect:trace:42"));
        assert_eq!(problems(&e), [("body".into(), "request format is invalid".into())]);
        assert!(e.to_string().ends_with("(trace id konnect:trace:42)"));
        let e = parse(401, r#"{"status":401,"title":"Unauthorized","instance":"kong:trace:7"}"#);
        assert_eq!(e.message, "Unauthorized");
    }

    #[test]
    fn konnect_grpc_details_become_field_problems() {
        let e = parse(
            400,
            r#"{"code":3,"message":"validation error","details":[
                {"@type":"type.googleapis.com/kong.admin.model.v1.ErrorDetail","type":"ERROR_TYPE_ENTITY","messages":["bad plugin"]},
                {"type":"ERROR_TYPE_FIELD","field":"config.key"}]}"#,
        );
        assert_eq!(e.message, "validation error");
        assert_eq!(
            problems(&e),
            [(String::new(), "bad plugin".into()), ("config.key".into(), "ERROR_TYPE_FIELD".into())]
        );
    }

    #[test]
    fn bodies_without_a_message_fall_back_to_the_reason() {
        assert_eq!(parse(429, r#"{"message":"API rate limit exceeded"}"#).message, "API rate limit exceeded");
        assert_eq!(parse(503, "").message, "Service Unavailable");
        assert_eq!(parse(502, "<html>bad gateway</html>").message, "<html>bad gateway</html>");
        assert_eq!(parse(404, r#"{"message":"Not found"}"#).to_string(), "PUT /services/x: HTTP 404: Not found");
    }
}
