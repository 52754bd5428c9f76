//! Kong's error bodies (`kong/db/errors.lua`, `kong/api/endpoints.lua` at 3.5.0): DAO errors carry
//! `{code, name, message, fields}` with the codes and HTTP statuses of `kong-schemas.md` §5; errors
//! outside the DAO are `{"message": ...}`. The same values are re-shaped as problem+json for Konnect.

use crate::schema::checks::num;
use serde_json::{json, Map, Value};

/// An answer other than success, before it is shaped for Kong or Konnect.
#[derive(Debug, Clone, PartialEq)]
pub enum ApiError {
    /// A DAO error: Kong's numbered code with its name, message and details.
    Db { status: u16, code: u8, name: String, message: String, fields: Option<Value> },
    /// A plain `{"message": ...}` answer.
    Message { status: u16, message: String },
}

pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    pub fn status(&self) -> u16 {
        match self {
            ApiError::Db { status, .. } | ApiError::Message { status, .. } => *status,
        }
    }

    pub fn message_text(&self) -> &str {
        match self {
            ApiError::Db { message, .. } | ApiError::Message { message, .. } => message,
        }
    }

    /// Kong's body.
    pub fn kong_body(&self) -> Value {
        match self {
            ApiError::Db { code, name, message, fields, .. } => {
                let mut m = Map::new();
                m.insert("code".into(), json!(code));
                m.insert("name".into(), json!(name));
                m.insert("message".into(), json!(message));
                if let Some(f) = fields {
                    // Code 11 carries its details under `options` (kong-schemas.md §5.1).
                    m.insert(if *code == 11 { "options" } else { "fields" }.into(), f.clone());
                }
                Value::Object(m)
            }
            ApiError::Message { message, .. } => json!({ "message": message }),
        }
    }

    pub fn not_found() -> ApiError {
        ApiError::Message { status: 404, message: "Not found".into() }
    }
    pub fn method_not_allowed() -> ApiError {
        ApiError::Message { status: 405, message: "Method not allowed".into() }
    }
    pub fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError::Message { status: 400, message: message.into() }
    }
    fn db(status: u16, code: u8, name: &str, message: String, fields: Option<Value>) -> ApiError {
        ApiError::Db { status, code, name: name.into(), message, fields }
    }

    pub fn invalid_primary_key() -> ApiError {
        ApiError::db(
            400,
            1,
            "invalid primary key",
            "invalid primary key: '{id=\"expected a valid UUID\"}'".into(),
            Some(json!({"id": "expected a valid UUID"})),
        )
    }
    pub fn schema_violation(errors: Map<String, Value>) -> ApiError {
        let message = schema_violation_message(&errors);
        ApiError::db(400, 2, "schema violation", message, Some(Value::Object(errors)))
    }
    /// A schema violation on one field.
    pub fn field(field: &str, msg: impl Into<String>) -> ApiError {
        let mut m = Map::new();
        m.insert(field.into(), Value::String(msg.into()));
        ApiError::schema_violation(m)
    }
    pub fn primary_key_violation(id: &str) -> ApiError {
        ApiError::db(
            400,
            3,
            "primary key violation",
            format!("primary key violation on key '{{id=\"{id}\"}}'"),
            Some(json!({ "id": id })),
        )
    }
    pub fn foreign_key_missing(field: &str, parent: &str, id: &str) -> ApiError {
        ApiError::db(
            400,
            4,
            "foreign key violation",
            format!("the foreign key '{{id=\"{id}\"}}' does not reference an existing '{parent}' entity."),
            Some(json!({ field: {"id": id} })),
        )
    }
    pub fn referenced_by(child: &str, parent: &str) -> ApiError {
        ApiError::db(
            400,
            4,
            "foreign key violation",
            format!("an existing '{child}' entity references this '{parent}' entity"),
            Some(json!({"@referenced_by": child})),
        )
    }
    /// 409 on the given key fields (a unique field, or every field of a composite cache key).
    pub fn unique_violation(fields: Map<String, Value>) -> ApiError {
        let message = format!("UNIQUE violation detected on '{}'", lua_table(&Value::Object(fields.clone())));
        ApiError::db(409, 5, "unique constraint violation", message, Some(Value::Object(fields)))
    }
    pub fn not_found_entity(key_field: &str, key: &str) -> ApiError {
        let message = if key_field == "id" {
            format!("could not find the entity with primary key '{{id=\"{key}\"}}'")
        } else {
            format!("could not find the entity with '{{{key_field}=\"{key}\"}}'")
        };
        ApiError::db(404, 6, "not found", message, Some(json!({ key_field: key })))
    }
    /// Code 7 (`kong/db/errors.lua:395-407`).
    pub fn invalid_offset(token: &str, why: &str) -> ApiError {
        ApiError::db(400, 7, "invalid offset", format!("'{token}' is not a valid offset: {why}"), None)
    }
    /// Code 9 (`kong/db/errors.lua:422-428`).
    pub fn invalid_size(message: &str) -> ApiError {
        ApiError::db(400, 9, "invalid size", message.into(), None)
    }
    pub fn invalid_unique(field: &str, msg: String) -> ApiError {
        ApiError::db(400, 10, &format!("invalid unique {field}"), msg, None)
    }
    pub fn invalid_tags(detail: &str) -> ApiError {
        ApiError::invalid_option("tags", detail)
    }
    /// Code 11 on one option (`kong/db/errors.lua:441-475`): details under `options`, not `fields`.
    pub fn invalid_option(option: &str, detail: &str) -> ApiError {
        ApiError::db(
            400,
            11,
            "invalid options",
            format!("invalid option ({option}: {detail})"),
            Some(json!({ option: detail })),
        )
    }
    pub fn unresolved(field: &str, key: &str, value: &str, parent: &str) -> ApiError {
        let why = format!(
            "the foreign key cannot be resolved with '{{{key}=\"{value}\"}}' for an existing '{parent}' entity"
        );
        ApiError::db(
            400,
            13,
            "foreign keys unresolved",
            format!("foreign key unresolved ({field}.{key}: {why})"),
            Some(json!({ field: { key: why } })),
        )
    }
}

/// Renders a value the way Kong's messages print Lua tables: `{k="v",n=1,x=null}`, keys sorted.
pub fn lua_table(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::String(s) => format!("\"{s}\""),
        Value::Number(n) => n.as_f64().map(num).unwrap_or_else(|| n.to_string()),
        Value::Bool(b) => b.to_string(),
        Value::Array(a) => format!("{{{}}}", a.iter().map(lua_table).collect::<Vec<_>>().join(",")),
        Value::Object(o) => {
            let mut keys: Vec<&String> = o.keys().collect();
            keys.sort();
            let parts: Vec<String> = keys.iter().map(|k| format!("{k}={}", lua_table(&o[k.as_str()]))).collect();
            format!("{{{}}}", parts.join(","))
        }
    }
}

/// Flattens an error map into Kong's message lines: `@entity` first, then fields in sorted order,
/// nested records as `parent.child: msg`, array elements by 1-based index.
fn flatten(prefix: &str, v: &Value, out: &mut Vec<String>) {
    match v {
        Value::String(s) if prefix.is_empty() => out.push(s.clone()),
        Value::String(s) => out.push(format!("{prefix}: {s}")),
        Value::Array(a) => {
            for (i, e) in a.iter().enumerate() {
                if e.is_null() {
                    continue;
                }
                let p = if prefix.is_empty() { String::new() } else { format!("{prefix}.{}", i + 1) };
                flatten(&p, e, out);
            }
        }
        Value::Object(o) => {
            if let Some(ent) = o.get("@entity") {
                let mut lines = Vec::new();
                flatten("", ent, &mut lines);
                for l in lines {
                    out.push(if prefix.is_empty() { l } else { format!("{prefix}: {l}") });
                }
            }
            let mut keys: Vec<&String> = o.keys().filter(|k| *k != "@entity").collect();
            keys.sort();
            for k in keys {
                let p = if prefix.is_empty() { k.clone() } else { format!("{prefix}.{k}") };
                flatten(&p, &o[k.as_str()], out);
            }
        }
        other => out.push(format!("{prefix}: {other}")),
    }
}

pub fn schema_violation_message(errors: &Map<String, Value>) -> String {
    let mut lines = Vec::new();
    flatten("", &Value::Object(errors.clone()), &mut lines);
    match lines.len() {
        1 => format!("schema violation ({})", lines[0]),
        n => format!("{n} schema violations ({})", lines.join("; ")),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn messages() {
        let mut e = Map::new();
        e.insert("host".into(), json!("required field missing"));
        assert_eq!(schema_violation_message(&e), "schema violation (host: required field missing)");
        e.insert("@entity".into(), json!(["bad"]));
        e.insert("protocols".into(), json!(["expected one of: http"]));
        assert_eq!(
            schema_violation_message(&e),
            "3 schema violations (bad; host: required field missing; protocols.1: expected one of: http)"
        );
        let f: Map<String, Value> =
            serde_json::from_value(json!({"name": "basic-auth", "consumer": null, "service": {"id": "x"}})).unwrap();
        assert_eq!(
            ApiError::unique_violation(f).message_text(),
            "UNIQUE violation detected on '{consumer=null,name=\"basic-auth\",service={id=\"x\"}}'"
        );
    }
}
