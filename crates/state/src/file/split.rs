//! One large YAML file parsed on several cores. The YAML parser is a third of reading a large
//! configuration and works on one core; a decK file is one top-level mapping whose few keys hold long
//! sequences written at column 0 (`services:` then `- name: ...`), so the text can be cut where a
//! line at column 0 starts an item or a key, and the pieces parsed at once: a piece that starts at
//! an item is a sequence of its own, one that starts at a key a mapping of its own.
//!
//! The pieces together must read exactly as the whole: anything this does not follow gives `None`,
//! and the caller parses the file whole, which also gives every error its place in the whole file.
//! A cut inside a quoted scalar or a flow collection leaves a piece that fails to parse; an alias to
//! an anchor in another piece fails too; a key repeated across pieces is found when they are
//! joined. Document markers and directives are not followed at all. The pieces are parsed by the caller's
//! YAML parser (`load`), the one place that knows it.

use serde_json::Value;

/// Texts shorter than this are parsed whole: threads would cost more than they save.
const MIN_BYTES: usize = 1 << 20;

/// A place the text may be cut: the offset of a line at column 0.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Cut<'t> {
    at: usize,
    /// For a line that starts an item, the top-level key whose sequence it belongs to.
    item_of: Option<&'t str>,
}

/// A piece of the text and what it is.
#[derive(Debug, PartialEq)]
struct Piece<'t> {
    text: &'t str,
    /// Items of this top-level key's sequence, continued from an earlier piece; `None` for a
    /// piece of the top-level mapping.
    items_of: Option<&'t str>,
}

/// A YAML parser: the value of a text, `None` when it does not parse.
pub(super) type Parse = dyn Fn(&str) -> Option<Value> + Sync;

/// The content of `text` parsed by `parse` in about `parts` pieces at once, or `None` (see the
/// module comment).
pub(super) fn parse_in_parts(text: &str, parts: usize, parse: &Parse) -> Option<Value> {
    if text.len() < MIN_BYTES {
        return None;
    }
    parse_pieces(text, parts, parse)
}

/// [`parse_in_parts`] of a text of any size.
fn parse_pieces(text: &str, parts: usize, parse: &Parse) -> Option<Value> {
    if parts < 2 {
        return None;
    }
    let pieces = pieces(text, parts)?;
    let parsed = kongsync_model::on_cores(pieces.iter(), |p| parse(p.text));
    join(pieces.iter().zip(parsed).map(|(p, v)| Some((p.items_of, v?))))
}

/// The pieces `text` is cut into: about `parts` of similar size, each piece that starts at an item
/// ending where its sequence does, so that it holds nothing but items. `None` when the text has no
/// place to cut or a layout this does not follow.
fn pieces(text: &str, parts: usize) -> Option<Vec<Piece<'_>>> {
    let cuts = cuts(text)?;
    let mut chosen: Vec<Cut> = Vec::new();
    for i in 1..parts {
        let wanted = text.len() * i / parts;
        let next = cuts.partition_point(|c| c.at < wanted);
        if let Some(c) = cuts.get(next).filter(|c| chosen.last().is_none_or(|l| l.at < c.at)) {
            chosen.push(*c);
        }
    }
    if chosen.is_empty() {
        return None;
    }
    let mut pieces = Vec::new();
    let mut start = Cut { at: 0, item_of: None };
    for end in chosen.iter().copied().chain([Cut { at: text.len(), item_of: None }]) {
        // A piece of items ends at the first key after them, where the mapping resumes.
        let resumes = match start.item_of {
            Some(_) => cuts[cuts.partition_point(|c| c.at <= start.at)..]
                .iter()
                .find(|c| c.item_of.is_none() && c.at < end.at)
                .map(|c| c.at),
            None => None,
        };
        match resumes {
            Some(key_at) => {
                pieces.push(Piece { text: &text[start.at..key_at], items_of: start.item_of });
                pieces.push(Piece { text: &text[key_at..end.at], items_of: None });
            }
            None => pieces.push(Piece { text: &text[start.at..end.at], items_of: start.item_of }),
        }
        start = end;
    }
    Some(pieces)
}

/// Every place `text` may be cut, in order; `None` for a text this does not follow (directives,
/// document markers).
fn cuts(text: &str) -> Option<Vec<Cut<'_>>> {
    let mut cuts = Vec::new();
    // The key whose value the items at column 0 belong to: the last key at column 0 with nothing
    // after its colon.
    let mut key: Option<&str> = None;
    // Whether an item of that key was seen: a cut before the first one would leave the key with
    // no value in the piece before it.
    let mut items_seen = false;
    let mut at = 0;
    for line in text.split_inclusive('\n') {
        let here = at;
        at += line.len();
        if here == 0 {
            // The first line is never a cut; a directive there is not followed.
            if line.starts_with('%') {
                return None;
            }
            key = open_key(line);
            items_seen = false;
            continue;
        }
        let content = line.trim_end_matches(['\n', '\r']);
        if content.starts_with("---") || content.starts_with("...") {
            return None;
        }
        match content.as_bytes().first() {
            None | Some(b' ' | b'\t' | b'#') => {}
            Some(b'-') if content.len() == 1 || content.as_bytes().get(1) == Some(&b' ') => {
                if let Some(k) = key.filter(|_| items_seen) {
                    cuts.push(Cut { at: here, item_of: Some(k) });
                }
                items_seen = true;
            }
            Some(_) => {
                key = open_key(content);
                items_seen = false;
                cuts.push(Cut { at: here, item_of: None });
            }
        }
    }
    Some(cuts)
}

/// The key of a line `name:` with nothing after the colon but spaces (its value follows on the next
/// lines); `None` for any other line.
fn open_key(line: &str) -> Option<&str> {
    let (name, rest) = line.split_once(':')?;
    let plain = name.bytes().next().is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    (plain && rest.trim().is_empty()).then_some(name)
}

/// The pieces' values joined into the top-level mapping; `None` when they do not make one (a key
/// in two pieces, a piece of items whose sequence is not there to continue).
fn join<'t>(mut values: impl Iterator<Item = Option<(Option<&'t str>, Value)>>) -> Option<Value> {
    let Some((None, Value::Object(mut top))) = values.next()? else { return None };
    for value in values {
        match value? {
            (Some(key), Value::Array(items)) => match top.get_mut(key) {
                Some(Value::Array(earlier)) => earlier.extend(items),
                _ => return None,
            },
            (None, Value::Object(entries)) => {
                for (k, v) in entries {
                    if top.contains_key(&k) {
                        return None;
                    }
                    top.insert(k, v);
                }
            }
            _ => return None,
        }
    }
    Some(Value::Object(top))
}

#[cfg(test)]
#[path = "split_tests.rs"]
mod tests;
