//! Parsing a state file into JSON values without letting a repeated key win.
//!
//! YAML and JSON parsers keep the last of two equal keys in one mapping, so a second top-level `services:`
//! silently replaces the first list, and a sync then deletes everything the first one held. Here a
//! repeated key is an error, located by the parser at the place it stands. Nesting is bounded before the
//! YAML parser sees the text: its cost grows faster than the depth, and a file of nothing but `[` would
//! otherwise hold a run for minutes.

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};
use std::fmt;

/// The deepest nesting of flow collections (`[` and `{`) a state file may have; decK's files and
/// Kong's plugin configurations stay far below it, and so does serde_json's own limit.
pub(super) const MAX_FLOW_DEPTH: usize = 100;

const DUPLICATE: &str = "duplicate key ";
const DUPLICATE_END: &str = ": the second would silently replace the first";

/// The key a [`Strict`] parse refused as repeated, read back from the error's message.
pub(super) fn duplicate_key(message: &str) -> Option<&str> {
    let rest = &message[message.find(DUPLICATE)? + DUPLICATE.len()..];
    rest.strip_prefix('`')?.split_once(&format!("`{DUPLICATE_END}")).map(|(key, _)| key)
}

/// The 1-based line of the second `key` in the block mapping the YAML parser placed at `line:column`
/// (it reports where the mapping starts, not where the repeated key stands). `None` for a flow mapping
/// or a layout this cannot follow; the caller then keeps the mapping's position.
pub(super) fn duplicate_line(text: &str, line: usize, column: usize, key: &str) -> Option<usize> {
    let indent = column.checked_sub(1)?;
    let mut seen = 0;
    for (n, row) in text.lines().enumerate().skip(line.checked_sub(1)?) {
        let content = row.trim_start();
        if content.is_empty() || content.starts_with('#') {
            continue;
        }
        let start = row.len() - content.len();
        if n + 1 > line && start < indent {
            return None;
        }
        // The mapping's first key may follow a sequence dash on the mapping's own line.
        if row.get(indent..).is_some_and(|at| names_key(at, key)) {
            seen += 1;
            if seen == 2 {
                return Some(n + 1);
            }
        }
    }
    None
}

/// Whether `at` starts with `key:`, the key bare or quoted.
fn names_key(at: &str, key: &str) -> bool {
    let quote = at.chars().next().filter(|c| matches!(c, '"' | '\''));
    let rest = quote.map_or(at, |q| &at[q.len_utf8()..]);
    let Some(rest) = rest.strip_prefix(key) else { return false };
    let rest = match quote {
        Some(q) => match rest.strip_prefix(q) {
            Some(r) => r,
            None => return false,
        },
        None => rest,
    };
    rest.trim_start().starts_with(':')
}

/// A JSON value whose mappings held no repeated key.
pub(super) struct Strict(pub(super) Value);

impl<'de> Deserialize<'de> for Strict {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(StrictVisitor).map(Strict)
    }
}

struct StrictVisitor;

impl<'de> Visitor<'de> for StrictVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a YAML or JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        // NaN and the infinities have no JSON form: read as null (serde_json's way) they would take
        // the field's default silently. Kong refuses them in every integer field and in every number
        // field with a range (kong/db/schema/init.lua:953-958, `between`, 3.5.0).
        serde_json::Number::from_f64(v).map(Value::Number).ok_or_else(|| {
            de::Error::custom(format_args!("{v} is not a number Kong can store (NaN and infinity have no JSON form)"))
        })
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_string()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        Strict::deserialize(d).map(|s| s.0)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
        while let Some(Strict(item)) = seq.next_element()? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Value, A::Error> {
        let mut map = Map::new();
        while let Some(key) = access.next_key::<String>()? {
            if map.contains_key(&key) {
                return Err(de::Error::custom(format_args!("{DUPLICATE}`{key}`{DUPLICATE_END}")));
            }
            let Strict(value) = access.next_value()?;
            map.insert(key, value);
        }
        Ok(Value::Object(map))
    }
}

/// The 1-based line where flow collections first nest deeper than `limit`, if they do.
///
/// Brackets inside quoted scalars and comments do not count. A quote only opens a scalar where YAML
/// allows one to start, so an apostrophe inside a plain word (`it's`) is not taken for one. The
/// text is walked as bytes: every character that matters is ASCII, and no byte of a multi-byte
/// UTF-8 character is one; YAML's own whitespace is ASCII too.
pub(super) fn too_deep(text: &str, limit: usize) -> Option<usize> {
    let (mut depth, mut line) = (0usize, 1usize);
    let mut quote: Option<u8> = None;
    let mut bytes = text.bytes().peekable();
    let mut previous = b'\n';
    while let Some(c) = bytes.next() {
        if c == b'\n' {
            line += 1;
        }
        match quote {
            Some(b'"') if c == b'\\' => {
                bytes.next();
            }
            Some(q) if c == q => {
                // `''` inside a single-quoted scalar is an escaped quote, not its end.
                if q == b'\'' && bytes.peek() == Some(&b'\'') {
                    bytes.next();
                } else {
                    quote = None;
                }
            }
            Some(_) => {}
            None => match c {
                b'#' if previous.is_ascii_whitespace() => {
                    for skipped in bytes.by_ref() {
                        if skipped == b'\n' {
                            line += 1;
                            break;
                        }
                    }
                    previous = b'\n';
                    continue;
                }
                b'"' | b'\'' if previous.is_ascii_whitespace() || b"[{,:-".contains(&previous) => quote = Some(c),
                b'[' | b'{' => {
                    depth += 1;
                    if depth > limit {
                        return Some(line);
                    }
                }
                b']' | b'}' => depth = depth.saturating_sub(1),
                _ => {}
            },
        }
        previous = c;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn yaml(text: &str) -> Result<Value, serde_yaml::Error> {
        serde_yaml::from_str::<Strict>(text).map(|s| s.0)
    }

    #[test]
    fn a_repeated_key_is_refused_with_its_line() {
        let err = yaml("services:\n- name: a\n  host: x\n  host: y\n").err().map(|e| (e.to_string(), e.location()));
        let (message, location) = err.unwrap_or_default();
        assert!(message.contains("duplicate key `host`"), "{message}");
        // The parser places the error at the mapping; the loader finds the key's own line from there.
        assert_eq!(location.map(|l| (l.line(), l.column())), Some((2, 3)), "{message}");
        assert_eq!(duplicate_key(&message), Some("host"));
        let err = yaml("services: []\nroutes: []\nservices: []\n").err().map(|e| e.to_string()).unwrap_or_default();
        assert!(err.contains("duplicate key `services`"), "{err}");
    }

    #[test]
    fn the_second_key_is_found_in_its_block_mapping() {
        let text = "services:\n- name: a\n  host: x\n  routes:\n  - host: z\n  \"host\": y\n- host: w\n";
        assert_eq!(duplicate_line(text, 2, 3, "host"), Some(6));
        assert_eq!(duplicate_line(text, 2, 3, "name"), None);
        assert_eq!(duplicate_line("a: {b: 1, b: 2}\n", 1, 4, "b"), None);
    }

    #[test]
    fn json_repeated_keys_are_refused_too() {
        let err = serde_json::from_str::<Strict>("{\"a\": 1,\n \"a\": 2}").err().map(|e| (e.to_string(), e.line()));
        let (message, line) = err.unwrap_or_default();
        assert!(message.contains("duplicate key `a`"), "{message}");
        assert_eq!(line, 2);
    }

    #[test]
    fn values_read_as_serde_json_reads_them() {
        let text = "a: [1, -2, 3.5, true, null, 'x']\nb: {c: ~}\n";
        assert_eq!(yaml(text).ok(), serde_yaml::from_str::<Value>(text).ok());
    }

    #[test]
    fn nesting_is_bounded_outside_quotes_and_comments() {
        assert_eq!(too_deep(&"[".repeat(200_000), MAX_FLOW_DEPTH), Some(1));
        assert_eq!(too_deep("a: 1\nb: [[[\n", 2), Some(2));
        assert_eq!(too_deep("a: '[[[['\nb: \"[[[[\\\"[[\"\n# [[[[\nc: it's [[\n", 2), None);
        assert_eq!(too_deep("c: it's [[[\n", 2), Some(1), "an apostrophe in a word opens no quote");
        assert_eq!(too_deep("a: 'it''s [[['\n", 2), None);
    }
}
