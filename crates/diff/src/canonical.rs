//! The canonical form of JSON values for comparison and fingerprints.
//!
//! Kong answers `null` for unset fields and may write an empty list where a file says nothing; a
//! number may come back as `1.0` where the file said `1`. None of these is a change, so before two
//! values are compared both are put in this form: nulls and empty lists and objects dropped from
//! objects (recursively), integral floats written as integers. Fingerprints hash the canonical text
//! with object keys sorted, so the order in which a gateway happens to send fields never matters.

use kongsync_model::{Ident, Key};
use serde_json::{Map, Number, Value};
use uuid::Uuid;

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
/// in byte order). The text is serde_json's own, written straight into `out` without a string per
/// value.
pub fn sorted_map(map: &Map<String, Value>, out: &mut Vec<u8>) {
    out.push(b'{');
    for (i, (k, v)) in map.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        write_str(k, out);
        out.push(b':');
        sorted_text(v, out);
    }
    out.push(b'}');
}

/// Appends a JSON string as serde_json writes it. Most strings hold nothing it escapes (a quote, a
/// backslash, a control character), and those are copied as they are.
pub fn write_str(s: &str, out: &mut Vec<u8>) {
    if escapes(s.as_bytes()) {
        write_json(s, out);
    } else {
        out.push(b'"');
        out.extend_from_slice(s.as_bytes());
        out.push(b'"');
    }
}

/// Whether the text holds a byte JSON escapes, eight bytes at a time: a per-byte loop costs as much
/// as serde_json's own escaping, on every string of a state.
fn escapes(text: &[u8]) -> bool {
    const ONES: u64 = u64::from_ne_bytes([1; 8]);
    const HIGH: u64 = u64::from_ne_bytes([0x80; 8]);
    // A high bit where some byte of `x` is below `n` (n at most 0x80); exact on whether there is one.
    let below = |x: u64, n: u8| x.wrapping_sub(ONES * u64::from(n)) & !x & HIGH;
    let mut chunks = text.chunks_exact(8);
    for chunk in &mut chunks {
        let mut bytes = [0; 8];
        bytes.copy_from_slice(chunk);
        let x = u64::from_ne_bytes(bytes);
        let quote = below(x ^ (ONES * u64::from(b'"')), 1);
        let backslash = below(x ^ (ONES * u64::from(b'\\')), 1);
        if below(x, 0x20) | quote | backslash != 0 {
            return true;
        }
    }
    chunks.remainder().iter().any(|&b| b < 0x20 || b == b'"' || b == b'\\')
}

/// Appends a key's JSON as its `Serialize` writes it (`{"kind":..,"ident":{..}}`), without serde's
/// machinery: the fingerprint writes one for every entity and every reference.
pub fn write_key(key: &Key, out: &mut Vec<u8>) {
    out.extend_from_slice(b"{\"kind\":");
    write_str(key.kind.deck_name(), out);
    out.extend_from_slice(b",\"ident\":{");
    match &key.ident {
        Ident::Name(n) => field(out, "name", n),
        Ident::CustomId(c) => field(out, "custom_id", c),
        Ident::Id(id) => {
            out.extend_from_slice(b"\"id\":\"");
            out.extend_from_slice(id.hyphenated().encode_lower(&mut Uuid::encode_buffer()).as_bytes());
            out.push(b'"');
        }
        Ident::Digest(d) => field(out, "digest", d),
        Ident::Child { parent, name, member } => {
            out.extend_from_slice(b"\"child\":{\"parent\":");
            write_key(parent, out);
            out.push(b',');
            field(out, "name", name);
            out.extend_from_slice(b",\"member\":");
            match member {
                Some(m) => write_key(m, out),
                None => out.extend_from_slice(b"null"),
            }
            out.push(b'}');
        }
        Ident::Plugin { name, scope } => {
            out.extend_from_slice(b"\"plugin\":{");
            field(out, "name", name);
            out.extend_from_slice(b",\"scope\":[");
            for (i, (f, k)) in scope.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                out.push(b'[');
                write_str(f, out);
                out.push(b',');
                write_key(k, out);
                out.push(b']');
            }
            out.extend_from_slice(b"]}");
        }
    }
    out.extend_from_slice(b"}}");
}

fn field(out: &mut Vec<u8>, name: &str, value: &str) {
    write_str(name, out);
    out.push(b':');
    write_str(value, out);
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
        Value::String(s) => write_str(s, out),
        Value::Null => out.extend_from_slice(b"null"),
        Value::Bool(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
        Value::Number(n) => write_json(n, out),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use kongsync_model::Kind;
    use serde_json::json;

    #[test]
    fn nulls_empties_and_float_integers_vanish() {
        let mut v = json!({"a": null, "b": [], "c": {}, "d": {"e": null, "f": 1.0}, "g": [1.5, {"h": null}]});
        canonicalize(&mut v);
        assert_eq!(v, json!({"d": {"f": 1}, "g": [1.5, {}]}));
    }

    #[test]
    fn keys_and_strings_are_written_as_serde_writes_them() {
        let svc = Key::name(Kind::Service, "s\"q\\\u{1}é");
        let consumer = Key { kind: Kind::Consumer, ident: Ident::CustomId("c".into()) };
        let keys = [
            svc.clone(),
            consumer.clone(),
            Key::id(Kind::Route, Uuid::from_u128(0xdead_beef)),
            Key { kind: Kind::Certificate, ident: Ident::Digest("abc".into()) },
            Key {
                kind: Kind::Acl,
                ident: Ident::Child { parent: Box::new(consumer.clone()), name: "g".into(), member: None },
            },
            Key {
                kind: Kind::ConsumerGroupMember,
                ident: Ident::Child {
                    parent: Box::new(Key::name(Kind::ConsumerGroup, "cg")),
                    name: String::new(),
                    member: Some(Box::new(consumer.clone())),
                },
            },
            Key::plugin("cors", [("service", svc), ("consumer", consumer)]),
            Key::plugin("acl", Vec::<(String, Key)>::new()),
        ];
        for key in &keys {
            let mut ours = Vec::new();
            write_key(key, &mut ours);
            assert_eq!(String::from_utf8(ours).unwrap(), serde_json::to_string(key).unwrap());
        }
        let mut texts: Vec<String> =
            ["", "plain", "q\"", "b\\", "\u{0}\u{1f}", "\u{7f}é中"].iter().map(|s| s.to_string()).collect();
        // Every ASCII byte, and a non-ASCII character, at every place of a text of eight and more bytes.
        for len in [7, 8, 9, 16, 17] {
            for at in 0..len {
                for c in (0..=0x7f_u8).map(char::from).chain(['é', '\u{80}', '\u{ff}']) {
                    let mut text: Vec<char> = vec!['a'; len];
                    text[at] = c;
                    texts.push(text.into_iter().collect());
                }
            }
        }
        for s in &texts {
            let mut ours = Vec::new();
            write_str(s, &mut ours);
            assert_eq!(String::from_utf8(ours).unwrap(), serde_json::to_string(s).unwrap(), "{s:?}");
            let fast = !escapes(s.as_bytes());
            assert_eq!(fast, s.bytes().all(|b| b >= 0x20 && b != b'"' && b != b'\\'), "{s:?}");
        }
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
