//! Entity schemas in the shape Kong serves them (`GET /schemas/{entity}`, `GET /schemas/plugins/{name}`),
//! and the three things kongsync does with one: fill defaults, validate a value, and put a value in the
//! canonical form used for comparison.
//!
//! Built-in Kong 3.5 schemas are the same JSON, embedded (see `schemas/`), so a schema fetched from the
//! target and the fallback go through one parser and one set of rules.

use serde_json::{Map, Value};
use std::fmt;

/// A parsed schema: an ordered list of fields.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Schema {
    pub fields: Vec<Field>,
}

/// One named field of a schema or record.
#[derive(Clone, Debug, PartialEq)]
pub struct Field {
    pub name: String,
    pub spec: FieldSpec,
}

/// The type of a field, as Kong names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FieldType {
    String,
    Integer,
    Number,
    Boolean,
    Array,
    Set,
    Map,
    Record,
    Foreign,
    /// Anything: a value kongsync does not validate (a vault's config, an unknown plugin's config).
    Any,
}

/// The attributes of a field that kongsync uses.
#[derive(Clone, Debug, PartialEq)]
pub struct FieldSpec {
    pub ty: FieldType,
    pub required: bool,
    /// `Some(Value::Null)` is an explicit null default, which Kong distinguishes from none.
    pub default: Option<Value>,
    pub one_of: Option<Vec<Value>>,
    pub between: Option<(f64, f64)>,
    /// `gt`: the value must be greater than this.
    pub gt: Option<f64>,
    pub len_min: Option<usize>,
    pub starts_with: Option<String>,
    pub elements: Option<Box<FieldSpec>>,
    pub keys: Option<Box<FieldSpec>>,
    pub values: Option<Box<FieldSpec>>,
    pub fields: Vec<Field>,
    /// Kong forces the field to null (`eq = null`), e.g. `consumer` on plugins that cannot take one.
    pub must_be_null: bool,
    /// Kong stores the value encrypted (`encrypted = true`): a secret.
    pub encrypted: bool,
    /// The value may be a vault reference (`referenceable = true`): Kong's mark of a field that may
    /// hold a secret.
    pub referenceable: bool,
    /// The gateway makes the value up when none is given (`auto = true`). kongsync's built-in tables
    /// also mark so the session plugin's `secret`, whose default Kong draws at random.
    pub auto: bool,
}

impl FieldSpec {
    /// Whether output must mask this field's value: Kong encrypts it or lets it come from a vault.
    pub fn is_secret(&self) -> bool {
        self.encrypted || self.referenceable
    }
}

/// A problem with one field of a value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldError {
    /// The path of the field: `port`, `config.minute`, `protocols[2]`.
    pub path: String,
    pub message: String,
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "field `{}`: {}", self.path, self.message)
    }
}

/// A schema that does not have the shape Kong serves.
#[derive(Debug, thiserror::Error)]
#[error("malformed schema at `{path}`: {problem}")]
pub struct SchemaError {
    pub path: String,
    pub problem: String,
}

/// Fields Kong manages itself; they are neither validated nor compared.
pub const SERVER_FIELDS: [&str; 3] = ["id", "created_at", "updated_at"];

impl Schema {
    /// Parses Kong's schema JSON: `{"fields": [{"name": {...attributes...}}, ...]}`.
    pub fn from_kong_json(json: &Value) -> Result<Schema, SchemaError> {
        let fields = json.get("fields").ok_or_else(|| err("", "no `fields`"))?;
        Ok(Schema { fields: parse_fields(fields, "")? })
    }

    /// The field with this name.
    pub fn field(&self, name: &str) -> Option<&FieldSpec> {
        find(&self.fields, name)
    }

    /// The paths of the fields whose values are secrets ([`FieldSpec::is_secret`]), as output
    /// addresses them: `config.http_endpoint`; a map whose values are secrets as `config.headers.*`
    /// (each of its keys); fields of records inside arrays by the array's path.
    pub fn secret_paths(&self) -> Vec<String> {
        let mut out = Vec::new();
        secret_fields(&self.fields, "", &mut out);
        out
    }

    /// The paths of the fields the gateway makes up when they are not given ([`FieldSpec::auto`]),
    /// in records too (`["config", "secret"]`); not inside arrays.
    pub fn generated_paths(&self) -> Vec<Vec<String>> {
        let mut out = Vec::new();
        generated_fields(&self.fields, &[], &mut out);
        out
    }

    /// Fills every absent field that has a default (and every required record, recursively), as Kong
    /// does on insert. A field present with an explicit `null` is left null, as in Kong.
    pub fn fill_defaults(&self, obj: &mut Map<String, Value>) {
        fill_fields(&self.fields, obj);
    }

    /// Validates an object against the schema; every problem is returned, none is fatal.
    pub fn validate(&self, obj: &Map<String, Value>) -> Vec<FieldError> {
        let mut errors = Vec::new();
        validate_fields(&self.fields, obj, "", &mut errors, true);
        errors
    }

    /// Puts a value in canonical form for comparison: sets sorted and de-duplicated (recursively
    /// through records), nulls dropped, so that equal configurations compare equal.
    pub fn canonicalize(&self, obj: &mut Map<String, Value>) {
        canonical_fields(&self.fields, obj);
    }
}

fn err(path: &str, problem: &str) -> SchemaError {
    SchemaError { path: path.to_string(), problem: problem.to_string() }
}

fn find<'a>(fields: &'a [Field], name: &str) -> Option<&'a FieldSpec> {
    fields.iter().find(|f| f.name == name).map(|f| &f.spec)
}

fn parse_fields(json: &Value, path: &str) -> Result<Vec<Field>, SchemaError> {
    let list = json.as_array().ok_or_else(|| err(path, "`fields` is not an array"))?;
    let mut out = Vec::with_capacity(list.len());
    for item in list {
        let obj =
            item.as_object().filter(|o| o.len() == 1).ok_or_else(|| err(path, "a field is not a single-key object"))?;
        for (name, attrs) in obj {
            if SERVER_FIELDS.contains(&name.as_str()) && path.is_empty() {
                continue;
            }
            let sub = join(path, name);
            out.push(Field { name: name.clone(), spec: parse_spec(attrs, &sub)? });
        }
    }
    Ok(out)
}

fn parse_spec(attrs: &Value, path: &str) -> Result<FieldSpec, SchemaError> {
    let a = attrs.as_object().ok_or_else(|| err(path, "attributes are not an object"))?;
    let ty = match a.get("type").and_then(Value::as_str) {
        Some("string") => FieldType::String,
        Some("integer") => FieldType::Integer,
        Some("number") => FieldType::Number,
        Some("boolean") => FieldType::Boolean,
        Some("array") => FieldType::Array,
        Some("set") => FieldType::Set,
        Some("map") => FieldType::Map,
        Some("record") => FieldType::Record,
        Some("foreign") => FieldType::Foreign,
        // Types kongsync does not model (json, function) are accepted as they are.
        _ => FieldType::Any,
    };
    let sub = |key: &str| -> Result<Option<Box<FieldSpec>>, SchemaError> {
        a.get(key).map(|v| parse_spec(v, &format!("{path}.{key}")).map(Box::new)).transpose()
    };
    let between = match a.get("between").and_then(Value::as_array) {
        Some(b) if b.len() == 2 => match (b[0].as_f64(), b[1].as_f64()) {
            (Some(lo), Some(hi)) => Some((lo, hi)),
            _ => return Err(err(path, "`between` is not two numbers")),
        },
        _ => None,
    };
    Ok(FieldSpec {
        ty,
        required: a.get("required").and_then(Value::as_bool).unwrap_or(false),
        default: a.get("default").cloned(),
        one_of: a.get("one_of").and_then(Value::as_array).cloned(),
        between,
        gt: a.get("gt").and_then(Value::as_f64),
        len_min: a.get("len_min").and_then(Value::as_u64).map(|n| n as usize),
        starts_with: a.get("starts_with").and_then(Value::as_str).map(str::to_string),
        elements: sub("elements")?,
        keys: sub("keys")?,
        values: sub("values")?,
        fields: match a.get("fields") {
            Some(f) => parse_fields(f, path)?,
            None => Vec::new(),
        },
        must_be_null: a.get("eq").is_some_and(Value::is_null),
        encrypted: a.get("encrypted").and_then(Value::as_bool).unwrap_or(false),
        referenceable: a.get("referenceable").and_then(Value::as_bool).unwrap_or(false),
        auto: a.get("auto").and_then(Value::as_bool).unwrap_or(false),
    })
}

fn generated_fields(fields: &[Field], path: &[String], out: &mut Vec<Vec<String>>) {
    for f in fields {
        let mut here = path.to_vec();
        here.push(f.name.clone());
        if f.spec.auto {
            out.push(here.clone());
        }
        generated_fields(&f.spec.fields, &here, out);
    }
}

fn secret_fields(fields: &[Field], path: &str, out: &mut Vec<String>) {
    for f in fields {
        let here = join(path, &f.name);
        if f.spec.is_secret() {
            out.push(here.clone());
        }
        if f.spec.values.as_deref().is_some_and(FieldSpec::is_secret) {
            out.push(format!("{here}.*"));
        }
        secret_fields(&f.spec.fields, &here, out);
        if let Some(el) = f.spec.elements.as_deref() {
            if el.is_secret() {
                out.push(here.clone());
            }
            secret_fields(&el.fields, &here, out);
        }
    }
}

fn join(path: &str, name: &str) -> String {
    if path.is_empty() {
        name.to_string()
    } else {
        format!("{path}.{name}")
    }
}

fn fill_fields(fields: &[Field], obj: &mut Map<String, Value>) {
    for f in fields {
        match obj.get_mut(&f.name) {
            None => {
                if let Some(d) = &f.spec.default {
                    let mut d = d.clone();
                    if let Value::Object(inner) = &mut d {
                        fill_fields(&f.spec.fields, inner);
                    }
                    obj.insert(f.name.clone(), d);
                } else if f.spec.ty == FieldType::Record && f.spec.required {
                    let mut inner = Map::new();
                    fill_fields(&f.spec.fields, &mut inner);
                    obj.insert(f.name.clone(), Value::Object(inner));
                }
            }
            Some(Value::Object(inner)) if f.spec.ty == FieldType::Record => fill_fields(&f.spec.fields, inner),
            Some(Value::Array(items)) => {
                if let Some(el) = f.spec.elements.as_deref().filter(|e| e.ty == FieldType::Record) {
                    for item in items.iter_mut() {
                        if let Value::Object(inner) = item {
                            fill_fields(&el.fields, inner);
                        }
                    }
                }
            }
            Some(_) => {}
        }
    }
}

fn validate_fields(fields: &[Field], obj: &Map<String, Value>, path: &str, errors: &mut Vec<FieldError>, top: bool) {
    for (name, _) in obj.iter() {
        if find(fields, name).is_none() && !(top && SERVER_FIELDS.contains(&name.as_str())) {
            errors.push(FieldError { path: join(path, name), message: "unknown field".into() });
        }
    }
    for f in fields {
        let p = join(path, &f.name);
        match obj.get(&f.name) {
            None | Some(Value::Null) => {
                // References are checked when they are resolved, records are filled with defaults.
                let checked_elsewhere = matches!(f.spec.ty, FieldType::Record | FieldType::Foreign);
                if f.spec.required && f.spec.default.as_ref().is_none_or(Value::is_null) && !checked_elsewhere {
                    errors.push(FieldError { path: p, message: "required field missing".into() });
                }
            }
            Some(v) => validate_value(&f.spec, v, &p, errors),
        }
    }
}

fn validate_value(spec: &FieldSpec, v: &Value, path: &str, errors: &mut Vec<FieldError>) {
    let mut fail = |message: String| errors.push(FieldError { path: path.to_string(), message });
    if spec.must_be_null {
        return fail("value must be null".into());
    }
    match spec.ty {
        FieldType::Any | FieldType::Foreign => {}
        FieldType::String => match v.as_str() {
            None => fail("expected a string".into()),
            Some(s) => {
                if s.chars().count() < spec.len_min.unwrap_or(1) {
                    fail(format!("length must be at least {}", spec.len_min.unwrap_or(1)));
                } else if let Some(prefix) = spec.starts_with.as_deref().filter(|p| !s.starts_with(p)) {
                    fail(format!("should start with: {prefix}"));
                }
            }
        },
        FieldType::Integer => {
            if !(v.is_i64() || v.is_u64()) {
                return fail("expected an integer".into());
            }
        }
        FieldType::Number => {
            if !v.is_number() {
                return fail("expected a number".into());
            }
        }
        FieldType::Boolean => {
            if !v.is_boolean() {
                fail("expected a boolean".into());
            }
        }
        FieldType::Array | FieldType::Set => match v.as_array() {
            None => fail(format!("expected {}", if spec.ty == FieldType::Set { "a set" } else { "an array" })),
            Some(items) => {
                if let Some(min) = spec.len_min.filter(|m| items.len() < *m) {
                    fail(format!("length must be at least {min}"));
                }
                if let Some(el) = &spec.elements {
                    for (i, item) in items.iter().enumerate() {
                        validate_value(el, item, &format!("{path}[{i}]"), errors);
                    }
                }
            }
        },
        FieldType::Map => match v.as_object() {
            None => fail("expected a map".into()),
            Some(m) => {
                if let Some(vs) = &spec.values {
                    for (k, item) in m {
                        validate_value(vs, item, &format!("{path}.{k}"), errors);
                    }
                }
            }
        },
        FieldType::Record => match v.as_object() {
            None => fail("expected a record".into()),
            Some(m) if !spec.fields.is_empty() => validate_fields(&spec.fields, m, path, errors, false),
            Some(_) => {}
        },
    }
    if matches!(spec.ty, FieldType::String | FieldType::Integer | FieldType::Number) {
        check_range(spec, v, path, errors);
    }
}

fn check_range(spec: &FieldSpec, v: &Value, path: &str, errors: &mut Vec<FieldError>) {
    if let Some(choices) = &spec.one_of {
        if !choices.iter().any(|c| c == v || (c.as_f64().is_some() && c.as_f64() == v.as_f64())) {
            let list: Vec<String> =
                choices.iter().map(|c| c.as_str().map_or_else(|| c.to_string(), str::to_string)).collect();
            errors
                .push(FieldError { path: path.to_string(), message: format!("expected one of: {}", list.join(", ")) });
        }
    }
    // kong/db/schema/init.lua:66, validators `gt` (3.5.0): "value must be greater than %s".
    if let (Some(gt), Some(n)) = (spec.gt, v.as_f64()) {
        if n <= gt {
            let shown = if gt.fract() == 0.0 { format!("{}", gt as i64) } else { gt.to_string() };
            errors.push(FieldError { path: path.to_string(), message: format!("value must be greater than {shown}") });
        }
    }
    if let (Some((lo, hi)), Some(n)) = (spec.between, v.as_f64()) {
        if n < lo || n > hi {
            errors
                .push(FieldError { path: path.to_string(), message: format!("value should be between {lo} and {hi}") });
        }
    }
}

fn canonical_fields(fields: &[Field], obj: &mut Map<String, Value>) {
    obj.retain(|_, v| !v.is_null());
    for f in fields {
        if let Some(v) = obj.get_mut(&f.name) {
            canonical_value(&f.spec, v);
        }
    }
}

fn canonical_value(spec: &FieldSpec, v: &mut Value) {
    match (spec.ty, v) {
        (FieldType::Record, Value::Object(m)) if !spec.fields.is_empty() => canonical_fields(&spec.fields, m),
        (FieldType::Set, Value::Array(items)) => {
            if let Some(el) = &spec.elements {
                items.iter_mut().for_each(|i| canonical_value(el, i));
            }
            sort_dedup(items);
        }
        (FieldType::Array, Value::Array(items)) => {
            if let Some(el) = &spec.elements {
                items.iter_mut().for_each(|i| canonical_value(el, i));
            }
        }
        (FieldType::Map, Value::Object(m)) => {
            if let Some(vs) = &spec.values {
                m.values_mut().for_each(|i| canonical_value(vs, i));
            }
        }
        _ => {}
    }
}

/// Sorts JSON values by their compact text and removes duplicates: the canonical form of a set.
pub fn sort_dedup(items: &mut Vec<Value>) {
    // Most sets hold one value or none: already sorted, and nothing to write out to find that.
    if items.len() < 2 {
        return;
    }
    let mut keyed: Vec<(String, Value)> = items.drain(..).map(|v| (v.to_string(), v)).collect();
    keyed.sort_by(|a, b| a.0.cmp(&b.0));
    keyed.dedup_by(|a, b| a.0 == b.0);
    items.extend(keyed.into_iter().map(|(_, v)| v));
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn encrypted_and_referenceable_fields_are_secret_paths() {
        let s = Schema::from_kong_json(&json!({"fields": [{"config": {"type": "record", "fields": [
            {"endpoint": {"type": "string", "encrypted": true}},
            {"key": {"type": "string", "referenceable": true}},
            {"headers": {"type": "map", "keys": {"type": "string"}, "values": {"type": "string", "referenceable": true}}},
            {"rules": {"type": "array", "elements": {"type": "record", "fields": [{"pw": {"type": "string", "encrypted": true}}]}}},
            {"timeout": {"type": "integer"}}
        ]}}]}))
        .unwrap();
        assert_eq!(s.secret_paths(), ["config.endpoint", "config.key", "config.headers.*", "config.rules.pw"]);
    }

    fn schema() -> Schema {
        Schema::from_kong_json(&json!({"fields": [
            {"id": {"type": "string"}},
            {"port": {"type": "integer", "default": 80, "required": true, "between": [0, 65535]}},
            {"mode": {"type": "string", "one_of": ["a", "b"]}},
            {"tags": {"type": "set", "elements": {"type": "string"}}},
            {"depth": {"type": "integer", "default": null}},
            {"hc": {"type": "record", "required": true, "fields": [{"t": {"type": "number", "default": 1}}]}}
        ]}))
        .unwrap()
    }

    #[test]
    fn fills_defaults_but_keeps_explicit_null() {
        let mut obj = json!({"port": null}).as_object().unwrap().clone();
        schema().fill_defaults(&mut obj);
        assert_eq!(Value::Object(obj), json!({"port": null, "depth": null, "hc": {"t": 1}}));
    }

    #[test]
    fn validation_reports_every_problem() {
        let obj = json!({"port": 70000, "mode": "c", "tags": "x", "bogus": 1, "hc": {"t": "no"}});
        let errors = schema().validate(obj.as_object().unwrap());
        let texts: Vec<String> = errors.iter().map(|e| e.to_string()).collect();
        assert_eq!(
            texts,
            [
                "field `bogus`: unknown field",
                "field `port`: value should be between 0 and 65535",
                "field `mode`: expected one of: a, b",
                "field `tags`: expected a set",
                "field `hc.t`: expected a number",
            ]
        );
    }

    #[test]
    fn greater_than_is_checked() {
        // kong/db/schema/init.lua:66 and the `gt` validator (3.5.0); rate-limiting's periods are `gt = 0`.
        let s = Schema::from_kong_json(&json!({"fields": [{"minute": {"type": "number", "gt": 0}}]})).unwrap();
        let texts =
            |v: Value| -> Vec<String> { s.validate(v.as_object().unwrap()).iter().map(ToString::to_string).collect() };
        assert_eq!(texts(json!({"minute": 0})), ["field `minute`: value must be greater than 0"]);
        assert!(texts(json!({"minute": 0.5})).is_empty());
    }

    #[test]
    fn canonical_form_sorts_sets_and_drops_nulls() {
        let mut obj = json!({"tags": ["b", "a", "b"], "depth": null}).as_object().unwrap().clone();
        schema().canonicalize(&mut obj);
        assert_eq!(Value::Object(obj), json!({"tags": ["a", "b"]}));
    }

    #[test]
    fn server_fields_are_skipped() {
        assert!(schema().field("id").is_none());
    }
}
