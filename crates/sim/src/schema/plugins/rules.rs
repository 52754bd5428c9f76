//! Kong's entity checks as data (`Schema.entity_checkers`, `kong/db/schema/init.lua:574-808` at 3.5.0),
//! for the plugin tables: a plugin lists its checks as a `const` slice and its `check` function runs
//! them. Paths are dotted (`config.allow`), as in Kong; errors land where Kong puts them: the check's
//! message in `@entity`, a conditional's field error at its field, a record's `custom_validator` message
//! as that record's error, and a record's own checks nested under the record.

use crate::schema::checks::{entity_err, is_set, quoted};
use serde_json::{Map, Value};

pub type Row = Map<String, Value>;

/// A literal compared by `eq`.
#[derive(Clone, Copy, Debug)]
pub enum Lit {
    Str(&'static str),
    Bool(bool),
}

/// The part of a field definition a conditional matches a value against.
#[derive(Clone, Copy, Debug)]
pub enum Match {
    Eq(Lit),
    OneOf(&'static [&'static str]),
    Gt(f64),
    Required,
    Contains(&'static str),
}

/// One entry of a schema's `entity_checks` (or a record's `custom_validator`).
#[derive(Clone, Copy)]
pub enum Check {
    AtLeastOneOf(&'static [&'static str]),
    /// Exactly one non-empty (`only_one_of`: none set fails too).
    OnlyOneOf(&'static [&'static str]),
    MutuallyRequired(&'static [&'static str]),
    Conditional {
        if_field: &'static str,
        if_match: Match,
        then_field: &'static str,
        then_match: Match,
        then_err: Option<&'static str>,
    },
    /// `custom_entity_check`: the message goes to `@entity`.
    Custom(fn(&Row) -> Result<(), String>),
    /// A record's `custom_validator`: the message becomes the record's error (`{"config": "..."}`),
    /// and it runs only when the record's fields are valid, as in `Schema:validate_field`.
    Record(&'static str, fn(&Row) -> Result<(), String>),
    /// The `entity_checks` of a nested record, with errors nested under its name.
    Nested(&'static str, &'static [Check]),
    /// The checks of the records in an array or the values of a map.
    Each(&'static str, &'static [Check]),
}

/// The value at a dotted path.
pub fn get<'a>(row: &'a Row, path: &str) -> Option<&'a Value> {
    match path.split_once('.') {
        None => row.get(path),
        Some((head, tail)) => get(row.get(head)?.as_object()?, tail),
    }
}

/// Sets an error at a dotted path, creating the nested maps and keeping an error already there.
fn set_err(errors: &mut Row, path: &str, msg: &str) {
    match path.split_once('.') {
        None => {
            errors.entry(path.to_string()).or_insert_with(|| Value::String(msg.into()));
        }
        Some((head, tail)) => {
            let entry = errors.entry(head.to_string()).or_insert_with(|| Value::Object(Map::new()));
            if let Value::Object(inner) = entry {
                set_err(inner, tail, msg);
            }
        }
    }
}

fn lit_eq(lit: Lit, v: &Value) -> bool {
    match lit {
        Lit::Str(s) => v.as_str() == Some(s),
        Lit::Bool(b) => v.as_bool() == Some(b),
    }
}

/// `Schema.validate_field` with the match's attributes: `Err` carries Kong's message.
fn matches(m: Match, v: Option<&Value>) -> Result<(), String> {
    let v = v.filter(|v| !v.is_null());
    match (m, v) {
        (Match::Required, None) => Err("required field missing".into()),
        (Match::Eq(lit), None) => Err(format!("value must be {}", lit_text(lit))),
        (_, None) | (Match::Required, Some(_)) => Ok(()),
        (Match::Eq(lit), Some(v)) if lit_eq(lit, v) => Ok(()),
        (Match::Eq(lit), Some(_)) => Err(format!("value must be {}", lit_text(lit))),
        (Match::OneOf(vals), Some(v)) if v.as_str().is_some_and(|s| vals.contains(&s)) => Ok(()),
        (Match::OneOf(vals), Some(_)) => Err(format!("expected one of: {}", vals.join(", "))),
        (Match::Gt(n), Some(v)) if v.as_f64().is_some_and(|x| x > n) => Ok(()),
        (Match::Gt(n), Some(_)) => Err(format!("value must be greater than {}", super::super::checks::num(n))),
        (Match::Contains(s), Some(Value::Array(a))) if a.iter().any(|x| x.as_str() == Some(s)) => Ok(()),
        (Match::Contains(s), Some(_)) => Err(format!("expected to contain: {s}")),
    }
}

fn lit_text(lit: Lit) -> String {
    match lit {
        Lit::Str(s) => s.to_string(),
        Lit::Bool(b) => b.to_string(),
    }
}

fn names(fields: &[&str]) -> String {
    quoted(fields)
}

/// Runs `checks` against `row`, adding to `errors`.
pub fn run(checks: &[Check], row: &Row, errors: &mut Row) {
    for check in checks {
        run_one(check, row, errors);
    }
}

fn run_one(check: &Check, row: &Row, errors: &mut Row) {
    let count = |fields: &[&str]| fields.iter().filter(|f| is_set(get(row, f))).count();
    match *check {
        Check::AtLeastOneOf(fields) => {
            if count(fields) == 0 {
                entity_err(errors, format!("at least one of these fields must be non-empty: {}", names(fields)));
            }
        }
        Check::OnlyOneOf(fields) => {
            if count(fields) != 1 {
                entity_err(errors, format!("exactly one of these fields must be non-empty: {}", names(fields)));
            }
        }
        Check::MutuallyRequired(fields) => {
            let n = count(fields);
            if n != 0 && n != fields.len() {
                entity_err(errors, format!("all or none of these fields must be set: {}", names(fields)));
            }
        }
        Check::Conditional { if_field, if_match, then_field, then_match, then_err } => {
            // A null `if` value is not matched: the simulator does not reproduce Kong's quirk of
            // treating an explicit null as passing `if_match` (documented limitation).
            let Some(if_value) = get(row, if_field).filter(|v| !v.is_null()) else { return };
            if matches(if_match, Some(if_value)).is_err() {
                return;
            }
            if let Err(msg) = matches(then_match, get(row, then_field)) {
                set_err(errors, then_field, &msg);
                let required = matches!(then_match, Match::Required);
                match then_err.filter(|_| !required) {
                    Some(text) => entity_err(errors, text.replace("%s", if_field)),
                    None => {
                        entity_err(errors, format!("failed conditional validation given value of field '{if_field}'"))
                    }
                }
            }
        }
        Check::Custom(f) => {
            if let Err(msg) = f(row) {
                entity_err(errors, msg);
            }
        }
        Check::Record(name, f) => {
            if errors.contains_key(name) {
                return;
            }
            if let Some(Value::Object(rec)) = row.get(name) {
                if let Err(msg) = f(rec) {
                    errors.insert(name.to_string(), Value::String(msg));
                }
            }
        }
        Check::Nested(name, checks) => {
            let Some(Value::Object(rec)) = row.get(name) else { return };
            let mut sub = match errors.remove(name) {
                Some(Value::Object(m)) => m,
                Some(other) => {
                    errors.insert(name.to_string(), other);
                    return;
                }
                None => Map::new(),
            };
            run(checks, rec, &mut sub);
            if !sub.is_empty() {
                errors.insert(name.to_string(), Value::Object(sub));
            }
        }
        Check::Each(name, checks) => each(name, checks, row, errors),
    }
}

/// Array elements' errors sit at their index (null for a valid element); a map value's at its key.
fn each(name: &str, checks: &[Check], row: &Row, errors: &mut Row) {
    if errors.contains_key(name) {
        return;
    }
    match row.get(name) {
        Some(Value::Array(items)) => {
            let mut out = Vec::with_capacity(items.len());
            for item in items {
                let mut sub = Map::new();
                if let Value::Object(rec) = item {
                    run(checks, rec, &mut sub);
                }
                out.push(if sub.is_empty() { Value::Null } else { Value::Object(sub) });
            }
            if out.iter().any(|e| !e.is_null()) {
                errors.insert(name.to_string(), Value::Array(out));
            }
        }
        Some(Value::Object(map)) => {
            let mut out = Map::new();
            for (key, item) in map {
                let mut sub = Map::new();
                if let Value::Object(rec) = item {
                    run(checks, rec, &mut sub);
                }
                if !sub.is_empty() {
                    out.insert(key.clone(), Value::Object(sub));
                }
            }
            if !out.is_empty() {
                errors.insert(name.to_string(), Value::Object(out));
            }
        }
        _ => {}
    }
}

/// Lua's `%.1f`, used by the rate-limiting plugins' period-order messages.
pub fn one_decimal(n: f64) -> String {
    format!("{n:.1}")
}

/// The first pair of periods out of order (a longer period with a lower limit), in Kong's loop order
/// (`kong/plugins/rate-limiting/schema.lua:10`).
pub fn periods_out_of_order(row: &Row) -> Option<(&'static str, f64, &'static str, f64)> {
    const PERIODS: [&str; 6] = ["second", "minute", "hour", "day", "month", "year"];
    for (i, lower) in PERIODS.iter().enumerate() {
        let Some(v1) = row.get(*lower).and_then(Value::as_f64) else { continue };
        for upper in &PERIODS[i + 1..] {
            if let Some(v2) = row.get(*upper).and_then(Value::as_f64) {
                if v2 < v1 {
                    return Some((upper, v2, lower, v1));
                }
            }
        }
    }
    None
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::json;

    fn row(v: Value) -> Row {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn conditional_puts_the_field_error_at_its_path() {
        // kong/db/schema/init.lua:733: a `required` then_match sets REQUIRED at then_field and the
        // CONDITIONAL message names if_field.
        const C: &[Check] = &[Check::Conditional {
            if_field: "config.policy",
            if_match: Match::Eq(Lit::Str("redis")),
            then_field: "config.redis_host",
            then_match: Match::Required,
            then_err: None,
        }];
        let mut errors = Map::new();
        run(C, &row(json!({"config": {"policy": "redis", "redis_host": null}})), &mut errors);
        assert_eq!(
            Value::Object(errors),
            json!({"config": {"redis_host": "required field missing"},
                   "@entity": ["failed conditional validation given value of field 'config.policy'"]})
        );
        let mut errors = Map::new();
        run(C, &row(json!({"config": {"policy": "local"}})), &mut errors);
        assert!(errors.is_empty());
    }

    #[test]
    fn only_one_of_fails_on_none_and_on_both() {
        // kong/db/schema/init.lua:661: only_one_of is ok only when exactly one field is non-empty.
        const C: &[Check] = &[Check::OnlyOneOf(&["a", "b"])];
        for (input, bad) in [(json!({}), true), (json!({"a": [1]}), false), (json!({"a": [1], "b": [2]}), true)] {
            let mut errors = Map::new();
            run(C, &row(input), &mut errors);
            assert_eq!(!errors.is_empty(), bad);
        }
    }

    #[test]
    fn each_checks_array_records_at_their_index() {
        const C: &[Check] = &[Check::Each("m", &[Check::AtLeastOneOf(&["x"])])];
        let mut errors = Map::new();
        run(C, &row(json!({"m": [{"x": 1}, {}]})), &mut errors);
        assert_eq!(errors["m"], json!([null, {"@entity": ["at least one of these fields must be non-empty: 'x'"]}]));
    }
}
