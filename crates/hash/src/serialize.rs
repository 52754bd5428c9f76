//! Kong's `to_sorted_string`: the canonical byte string a configuration hash
//! is taken over.
//!
//! The encoding is not JSON and cannot be parsed back: strings are written
//! bare, objects as `key:value;` in bytewise key order, arrays of one to five
//! items joined by `;` and longer arrays with a `;` after every item, any
//! empty container as `{}`, null as `/null/`. The one stateful rule: before
//! each value is written, a buffer longer than 1,000,000 bytes is replaced by
//! its own 16-byte binary MD5, so huge configurations hash in bounded memory.
//! Every detail here changes the hash, so each mirrors Kong exactly.

use md5::{Digest, Md5};
use serde_json::{Map, Value};

use crate::number::format_lua_number;

/// A buffer longer than this is folded into its MD5 before the next value.
pub(crate) const FOLD_THRESHOLD: usize = 1_000_000;

/// Arrays up to this length are joined (no trailing `;`); Kong spells these
/// lengths out one by one, longer arrays take its generic loop.
const SHORT_ARRAY_MAX: usize = 5;

/// Serializes `value` as Kong's `to_sorted_string` does, folds included.
pub fn to_sorted_string(value: &Value) -> Vec<u8> {
    let mut out = Vec::new();
    write_value(value, &mut out);
    out
}

/// Serializes an object as if the `skip` keys were not in it; this is the
/// "rest" part of a configuration hash, without cloning the configuration.
pub(crate) fn object_without(map: &Map<String, Value>, skip: &[&str]) -> Vec<u8> {
    let mut out = Vec::new();
    write_object(map, skip, &mut out);
    out
}

fn write_value(value: &Value, out: &mut Vec<u8>) {
    fold_if_large(out);
    match value {
        Value::Null => out.extend_from_slice(b"/null/"),
        Value::Bool(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
        Value::Number(n) => match n.as_f64() {
            Some(f) => out.extend_from_slice(format_lua_number(f).as_bytes()),
            // Only reachable with serde_json's arbitrary precision numbers;
            // keep the literal rather than invent a value.
            None => out.extend_from_slice(n.to_string().as_bytes()),
        },
        Value::String(s) => out.extend_from_slice(s.as_bytes()),
        Value::Array(items) => write_array(items, out),
        Value::Object(map) => write_object(map, &[], out),
    }
}

/// Replaces an over-long buffer by the binary MD5 of its contents.
fn fold_if_large(out: &mut Vec<u8>) {
    if out.len() > FOLD_THRESHOLD {
        let digest = Md5::digest(&out[..]);
        out.clear();
        out.extend_from_slice(&digest);
    }
}

fn write_array(items: &[Value], out: &mut Vec<u8>) {
    if items.is_empty() {
        // Lua cannot tell an empty array from an empty object.
        out.extend_from_slice(b"{}");
    } else if items.len() <= SHORT_ARRAY_MAX {
        for (i, item) in items.iter().enumerate() {
            if i > 0 {
                out.push(b';');
            }
            write_value(item, out);
        }
    } else {
        for item in items {
            write_value(item, out);
            out.push(b';');
        }
    }
}

fn write_object(map: &Map<String, Value>, skip: &[&str], out: &mut Vec<u8>) {
    let mut entries: Vec<(&String, &Value)> = map.iter().filter(|(k, _)| !skip.contains(&k.as_str())).collect();
    if entries.is_empty() {
        out.extend_from_slice(b"{}");
        return;
    }
    // `str` orders bytewise, as LuaJIT compares strings.
    entries.sort_unstable_by(|a, b| a.0.cmp(b.0));
    for (key, value) in entries {
        out.extend_from_slice(key.as_bytes());
        out.push(b':');
        write_value(value, out);
        out.push(b';');
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use serde_json::json;

    use super::to_sorted_string;

    fn s(v: serde_json::Value) -> String {
        String::from_utf8(to_sorted_string(&v)).unwrap()
    }

    #[test]
    fn scalars() {
        assert_eq!(s(json!(null)), "/null/");
        assert_eq!(s(json!(true)), "true");
        assert_eq!(s(json!(false)), "false");
        assert_eq!(s(json!("a b\"c")), "a b\"c");
        assert_eq!(s(json!(60000)), "60000");
        assert_eq!(s(json!(1.5)), "1.5");
        assert_eq!(s(json!(-0.0)), "-0");
    }

    #[test]
    fn containers() {
        assert_eq!(s(json!([])), "{}");
        assert_eq!(s(json!({})), "{}");
        assert_eq!(s(json!(["a"])), "a");
        assert_eq!(s(json!(["a", "b", "c", "d", "e"])), "a;b;c;d;e");
        assert_eq!(s(json!(["a", "b", "c", "d", "e", "f"])), "a;b;c;d;e;f;");
        assert_eq!(s(json!({"b": 1, "a": [null, true], "C": {}})), "C:{};a:/null/;true;b:1;");
        assert_eq!(s(json!([[1, 2], {"k": "v"}])), "1;2;k:v;");
    }

    #[test]
    fn keys_sort_bytewise() {
        // Uppercase before lowercase, and a prefix before its extensions.
        assert_eq!(s(json!({"b": 1, "B": 2, "ba": 3, "_": 4})), "B:2;_:4;b:1;ba:3;");
    }
}
