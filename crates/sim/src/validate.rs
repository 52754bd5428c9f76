//! Field-level validation and default filling against the declaration tables, as Kong's schema library
//! does it (`kong/db/schema/init.lua`): on insert and upsert every absent field gets its default (records
//! are completed at every level, auto fields generated), on update nothing is filled; then every value
//! is checked against its type and constraints, and the entity checks run. The result is the complete
//! row in schema order (every field present, `null` when unset) or Kong's error map.

use crate::schema::{EntityCheck, Field, Kind};
use rand::rngs::StdRng;
use rand::Rng;
use serde_json::{Map, Value};

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Mode {
    /// POST and PUT: defaults and auto fields are filled.
    Fill,
    /// PATCH: the caller merged the patch over the stored row; nothing is filled.
    Update,
}

/// Sources of generated values: the seeded generator and the request's clock.
pub struct Gen<'a> {
    pub rng: &'a mut StdRng,
    /// Seconds since the epoch, with milliseconds (targets keep them, others truncate).
    pub now: f64,
}

impl Gen<'_> {
    pub fn uuid(&mut self) -> uuid::Uuid {
        uuid::Builder::from_random_bytes(self.rng.gen()).into_uuid()
    }
    /// Kong's `utils.random_string`: 32 alphanumeric characters.
    pub fn random_string(&mut self) -> String {
        random_string_from(&mut *self.rng)
    }
}

/// 32 alphanumeric characters drawn from `rng`, as Kong's `utils.random_string` gives.
pub fn random_string_from(rng: &mut impl Rng) -> String {
    const CHARS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    (0..32).map(|_| CHARS[rng.gen_range(0..CHARS.len())] as char).collect()
}

fn auto_value(f: &Field, gen: &mut Gen) -> Value {
    if f.uuid {
        Value::String(gen.uuid().to_string())
    } else if f.timestamp {
        match f.kind {
            Kind::Number => Value::from((gen.now * 1000.0).floor() / 1000.0),
            _ => Value::from(gen.now.floor() as i64),
        }
    } else {
        Value::String(gen.random_string())
    }
}

/// Validates and completes `body` against `fields`; `check` is the entity-level check.
pub fn normalize(
    fields: &[(&'static str, Field)],
    body: &Map<String, Value>,
    mode: Mode,
    check: Option<EntityCheck>,
    gen: &mut Gen,
) -> Result<Map<String, Value>, Map<String, Value>> {
    let mut errors = Map::new();
    let row = record(fields, body, mode, gen, &mut errors);
    if let Some(check) = check {
        check(&row, &mut errors);
    }
    if errors.is_empty() {
        Ok(row)
    } else {
        Err(errors)
    }
}

fn record(
    fields: &[(&'static str, Field)],
    body: &Map<String, Value>,
    mode: Mode,
    gen: &mut Gen,
    errors: &mut Map<String, Value>,
) -> Map<String, Value> {
    for key in body.keys() {
        if !fields.iter().any(|(n, _)| n == key) {
            errors.insert(key.clone(), Value::String("unknown field".into()));
        }
    }
    let mut row = Map::new();
    for (name, f) in fields {
        let raw = body.get(*name);
        let value = match (raw, mode) {
            (None | Some(Value::Null), Mode::Fill) if f.auto => auto_value(f, gen),
            (None, Mode::Fill) => match (&f.default, &f.kind) {
                (Some(d), Kind::Record(sub)) => complete_record(sub, d, gen),
                (Some(d), _) => d.clone(),
                (None, Kind::Record(sub)) if f.required => complete_record(sub, &Value::Object(Map::new()), gen),
                (None, _) => Value::Null,
            },
            (None, Mode::Update) => Value::Null,
            (Some(v), _) => v.clone(),
        };
        match check_value(f, value, mode, gen) {
            Ok(v) => {
                row.insert((*name).to_string(), v);
            }
            Err(e) => {
                errors.insert((*name).to_string(), e);
                row.insert((*name).to_string(), body.get(*name).cloned().unwrap_or(Value::Null));
            }
        }
    }
    row
}

fn complete_record(sub: &[(&'static str, Field)], given: &Value, gen: &mut Gen) -> Value {
    let empty = Map::new();
    let body = given.as_object().unwrap_or(&empty);
    let mut ignored = Map::new();
    Value::Object(record(sub, body, Mode::Fill, gen, &mut ignored))
}

fn type_error(kind: &Kind) -> &'static str {
    match kind {
        Kind::String => "expected a string",
        Kind::Integer => "expected an integer",
        Kind::Number => "expected a number",
        Kind::Boolean => "expected a boolean",
        Kind::Array(_) => "expected an array",
        Kind::Set(_) => "expected a set",
        Kind::Map(..) => "expected a map",
        Kind::Record(_) | Kind::Foreign(_) | Kind::Json => "expected a record",
    }
}

fn err(msg: impl Into<String>) -> Result<Value, Value> {
    Err(Value::String(msg.into()))
}

fn is_vault_ref(s: &str) -> bool {
    s.starts_with("{vault://") && s.ends_with('}')
}

/// Checks one value (already defaulted) and returns its stored form.
pub fn check_value(f: &Field, value: Value, mode: Mode, gen: &mut Gen) -> Result<Value, Value> {
    if value.is_null() {
        return if f.required { err("required field missing") } else { Ok(Value::Null) };
    }
    if f.must_be_null {
        return err("value must be null");
    }
    let value = match (&f.kind, value) {
        (Kind::String, Value::String(s)) => {
            if f.referenceable && is_vault_ref(&s) {
                return Ok(Value::String(s));
            }
            let min = f.len_min.unwrap_or(1);
            if s.chars().count() < min {
                return err(format!("length must be at least {min}"));
            }
            if f.uuid && !crate::schema::validators::is_uuid(&s) {
                return err("expected a valid UUID");
            }
            let s = if f.uuid { s.to_lowercase() } else { s };
            if let Some(prefix) = f.starts_with {
                if !s.starts_with(prefix) {
                    return err(format!("should start with: {prefix}"));
                }
            }
            Value::String(s)
        }
        (Kind::Integer, Value::Number(n)) => {
            let whole = n.is_i64() || n.is_u64() || n.as_f64().is_some_and(|x| x.fract() == 0.0);
            if !whole {
                return err("expected an integer");
            }
            // Keep integers as integers (`60000`, not `60000.0`).
            match n.as_i64() {
                Some(i) => Value::from(i),
                None => Value::from(n.as_f64().unwrap_or_default() as i64),
            }
        }
        (Kind::Number, v @ Value::Number(_)) => v,
        (Kind::Boolean, v @ Value::Bool(_)) => v,
        (Kind::Array(elem) | Kind::Set(elem), v) => {
            let items = match v {
                Value::Array(a) => a,
                // An empty Lua table decodes from `{}` too, and passes as an empty array.
                Value::Object(o) if o.is_empty() => Vec::new(),
                _ => return err(type_error(&f.kind)),
            };
            let is_set = matches!(f.kind, Kind::Set(_));
            let mut out = Vec::with_capacity(items.len());
            let mut errs = Vec::with_capacity(items.len());
            let mut any_err = false;
            for item in items {
                if is_set && out.contains(&item) {
                    continue;
                }
                match check_value(elem, item, mode, gen) {
                    Ok(v) => {
                        out.push(v);
                        errs.push(Value::Null);
                    }
                    Err(e) => {
                        any_err = true;
                        errs.push(e);
                    }
                }
            }
            if any_err {
                return Err(Value::Array(errs));
            }
            if let Some(min) = f.len_min {
                if out.len() < min {
                    return err(format!("length must be at least {min}"));
                }
            }
            Value::Array(out)
        }
        (Kind::Map(kf, vf), Value::Object(o)) => {
            let mut out = Map::new();
            let mut errs = Map::new();
            for (k, v) in o {
                if let Err(e) = check_value(kf, Value::String(k.clone()), mode, gen) {
                    errs.insert(k.clone(), e);
                    continue;
                }
                match check_value(vf, v, mode, gen) {
                    Ok(v) => {
                        out.insert(k, v);
                    }
                    Err(e) => {
                        errs.insert(k, e);
                    }
                }
            }
            if !errs.is_empty() {
                return Err(Value::Object(errs));
            }
            Value::Object(out)
        }
        (Kind::Record(sub), Value::Object(o)) => {
            let mut errs = Map::new();
            let row = record(sub, &o, mode, gen, &mut errs);
            if !errs.is_empty() {
                return Err(Value::Object(errs));
            }
            Value::Object(row)
        }
        (Kind::Foreign(_), Value::Object(o)) => match o.get("id") {
            Some(Value::String(s)) if crate::schema::validators::is_uuid(s) => {
                let mut m = Map::new();
                m.insert("id".into(), Value::String(s.to_lowercase()));
                Value::Object(m)
            }
            Some(_) => return Err(serde_json::json!({"id": "expected a valid UUID"})),
            None => return Err(serde_json::json!({"id": "missing primary key"})),
        },
        (Kind::Json, v) => v,
        (kind, _) => return err(type_error(kind)),
    };
    constraints(f, &value)?;
    Ok(value)
}

fn fmt_num(n: f64) -> String {
    crate::schema::checks::num(n)
}

fn constraints(f: &Field, value: &Value) -> Result<(), Value> {
    if let Some(vals) = &f.one_of {
        if !vals.contains(value) {
            let list: Vec<String> =
                vals.iter().map(|v| v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string())).collect();
            return Err(Value::String(format!("expected one of: {}", list.join(", "))));
        }
    }
    if let Some(n) = value.as_f64() {
        if let Some((lo, hi)) = f.between {
            if n < lo || n > hi {
                return Err(Value::String(format!("value should be between {} and {}", fmt_num(lo), fmt_num(hi))));
            }
        }
        if let Some(gt) = f.gt {
            if n <= gt {
                return Err(Value::String(format!("value must be greater than {}", fmt_num(gt))));
            }
        }
    }
    if let Some(validate) = f.validator {
        validate(value).map_err(Value::String)?;
    }
    Ok(())
}

/// Kong's PATCH merge: records (objects) merge deeply, everything else is replaced whole.
pub fn deep_merge(base: &mut Value, patch: &Value, fields: Option<&[(&'static str, Field)]>) {
    let (Value::Object(b), Value::Object(p)) = (&mut *base, patch) else {
        *base = patch.clone();
        return;
    };
    for (k, v) in p {
        let field = fields.and_then(|fs| fs.iter().find(|(n, _)| n == k)).map(|(_, f)| f);
        let mergeable = match field.map(|f| &f.kind) {
            Some(Kind::Record(_)) | Some(Kind::Json) => true,
            Some(_) => false,
            None => fields.is_none(),
        };
        match b.get_mut(k) {
            Some(existing @ Value::Object(_)) if mergeable && v.is_object() => {
                let sub = field.and_then(Field::record_fields);
                deep_merge(existing, v, sub);
            }
            _ => {
                b.insert(k.clone(), v.clone());
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::schema::Registry;
    use rand::SeedableRng;
    use serde_json::json;

    fn gen(rng: &mut StdRng) -> Gen<'_> {
        Gen { rng, now: 1_700_000_000.5 }
    }

    #[test]
    fn fills_service_defaults_and_reports_errors() {
        let def = Registry::get().entity("services").unwrap();
        let mut rng = StdRng::seed_from_u64(1);
        let body = json!({"host": "example.com"});
        let row = normalize(&def.fields, body.as_object().unwrap(), Mode::Fill, def.check, &mut gen(&mut rng)).unwrap();
        assert_eq!(row["port"], 80);
        assert_eq!(row["protocol"], "http");
        assert_eq!(row["path"], Value::Null);
        assert_eq!(row["created_at"], 1_700_000_000);
        let body = json!({"port": 70000, "bogus": 1});
        let errs =
            normalize(&def.fields, body.as_object().unwrap(), Mode::Fill, def.check, &mut gen(&mut rng)).unwrap_err();
        assert_eq!(errs["host"], "required field missing");
        assert_eq!(errs["port"], "value should be between 0 and 65535");
        assert_eq!(errs["bogus"], "unknown field");
    }

    #[test]
    fn upstream_healthchecks_completed() {
        let def = Registry::get().entity("upstreams").unwrap();
        let mut rng = StdRng::seed_from_u64(1);
        let body = json!({"name": "up", "healthchecks": {"active": {"healthy": {"successes": 3}}}});
        let row = normalize(&def.fields, body.as_object().unwrap(), Mode::Fill, def.check, &mut gen(&mut rng)).unwrap();
        assert_eq!(row["healthchecks"]["active"]["healthy"]["successes"], 3);
        assert_eq!(row["healthchecks"]["active"]["healthy"]["http_statuses"], json!([200, 302]));
        assert_eq!(row["healthchecks"]["threshold"], 0);
    }

    #[test]
    fn merge_is_deep_for_records_only() {
        let mut base = json!({"config": {"a": 1, "b": [1, 2]}, "tags": ["x"]});
        deep_merge(&mut base, &json!({"config": {"b": [3]}, "tags": ["y"]}), None);
        assert_eq!(base, json!({"config": {"a": 1, "b": [3]}, "tags": ["y"]}));
    }
}
