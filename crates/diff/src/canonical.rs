//! The canonical form of JSON values for comparison and fingerprints.
//!
//! Kong answers `null` for unset fields and may write an empty list where a file says nothing; a
//! number may come back as `1.0` where the file said `1`. None of these is a change, so before two
//! values are compared both are put in this form: nulls and empty lists and objects dropped from
//! objects (recursively), integral floats written as integers. Fingerprints hash the canonical text
//! with object keys sorted, so the order in which a gateway happens to send fields never matters.

use serde_json::{Map, Number, Value};

/// Puts a value in canonical form, in place.
pub fn canonicalize(value: &mut Value) {
    match value {
        Value::Object(map) => canonicalize_map(map),
        Value::Array(items) => items.iter_mut().for_each(canonicalize),
        Value::Number(n) => {
            if let Some(i) = integral(n) {
                *n = i;
            }
        }
        _ => {}
    }
}

/// Canonicalizes the fields of an object, in place.
pub fn canonicalize_map(map: &mut Map<String, Value>) {
    for v in map.values_mut() {
        canonicalize(v);
    }
    map.retain(|_, v| !is_empty(v));
}

/// Whether a value means "not set" to Kong: null, an empty list or an empty object.
pub fn is_empty(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
        _ => false,
    }
}

/// Whether two numbers are equal in canonical form (`1.0` is `1`).
pub(crate) fn same_number(a: &Number, b: &Number) -> bool {
    a == b || integral(a).as_ref().unwrap_or(a) == integral(b).as_ref().unwrap_or(b)
}

fn integral(n: &Number) -> Option<Number> {
    if n.is_f64() {
        let f = n.as_f64()?;
        if f.fract() == 0.0 && f.abs() < 9.0e15 {
            // The range check above keeps the cast exact.
            #[allow(clippy::cast_possible_truncation)]
            return Some(Number::from(f as i64));
        }
    }
    None
}

/// Writes an object as compact JSON with keys sorted at every level (a JSON object holds its keys
/// in byte order). Strings and scalars are written by serde_json straight into `out`, so the text is
/// serde_json's own without a string per value.
pub fn sorted_map(map: &Map<String, Value>, out: &mut Vec<u8>) {
    out.push(b'{');
    for (i, (k, v)) in map.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        write_json(k, out);
        out.push(b':');
        sorted_text(v, out);
    }
    out.push(b'}');
}

/// Appends the compact JSON of a plain value. Writing into a `Vec` cannot fail, and a value without
/// maps has no key that could: an error is unreachable, and would only leave the text short.
pub fn write_json<T: serde::Serialize + ?Sized>(value: &T, out: &mut Vec<u8>) {
    let _ = serde_json::to_writer(&mut *out, value);
}

/// Writes a value as compact JSON with object keys sorted at every level.
pub fn sorted_text(value: &Value, out: &mut Vec<u8>) {
    match value {
        Value::Object(map) => sorted_map(map, out),
        Value::Array(items) => {
            out.push(b'[');
            for (i, v) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                sorted_text(v, out);
            }
            out.push(b']');
        }
        other => write_json(other, out),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn nulls_empties_and_float_integers_vanish() {
        let mut v = json!({"a": null, "b": [], "c": {}, "d": {"e": null, "f": 1.0}, "g": [1.5, {"h": null}]});
        canonicalize(&mut v);
        assert_eq!(v, json!({"d": {"f": 1}, "g": [1.5, {}]}));
    }

    #[test]
    fn sorted_text_ignores_key_order() {
        let mut a = Vec::new();
        let mut b = Vec::new();
        sorted_text(&json!({"b": 1, "a": {"y": 2, "x": [3]}, "c": "q\"\u{1}"}), &mut a);
        sorted_text(&json!({"a": {"x": [3], "y": 2}, "c": "q\"\u{1}", "b": 1}), &mut b);
        assert_eq!(a, b);
        assert_eq!(String::from_utf8(a).unwrap(), r#"{"a":{"x":[3],"y":2},"b":1,"c":"q\"\u0001"}"#);
    }
}
