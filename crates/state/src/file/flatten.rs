//! Turning the nested and flat forms of decK files into one list of independent entities, each with
//! its references still as written (a parent it was nested under, or a name or id to look up).

use super::Diagnostic;
use crate::layout::{nested, TOP_LEVEL};
use kongsync_model::Kind;
use serde_json::{Map, Value};

/// An entity as the file gives it, before its references are resolved.
#[derive(Debug, Clone)]
pub(super) struct Raw {
    pub kind: Kind,
    /// Index of the document it comes from.
    pub doc: usize,
    /// Where it stands in its file: `services[0].routes[1]`.
    pub place: String,
    pub obj: Map<String, Value>,
    pub refs: Vec<(&'static str, RefSpec)>,
    /// A consumer written in full under a consumer group: it is created only when no file defines it.
    pub implicit: bool,
    /// Set by validation when a problem with an identifying field was reported, so that resolution
    /// does not report again that the entity cannot be identified.
    pub identity_reported: bool,
}

/// A reference as written.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum RefSpec {
    /// The entity it is nested under (an index into the list of raws).
    Parent(usize),
    /// A name, username, custom id or id given as text or as `{name: ...}` / `{id: ...}`.
    Text(String),
}

/// Collects the entities of one document into `out`.
pub(super) fn flatten(
    doc: usize,
    file: &str,
    mut content: Map<String, Value>,
    out: &mut Vec<Raw>,
    errors: &mut Vec<Diagnostic>,
) {
    for (collection, kind) in TOP_LEVEL {
        if let Some(v) = content.remove(collection) {
            walk(doc, file, collection, kind, v, None, out, errors);
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn walk(
    doc: usize,
    file: &str,
    place: &str,
    kind: Kind,
    value: Value,
    parent: Option<(&'static str, usize)>,
    out: &mut Vec<Raw>,
    errors: &mut Vec<Diagnostic>,
) {
    let items = match value {
        Value::Array(items) => items,
        Value::Null => return,
        _ => return errors.push(Diagnostic::file(file, format!("`{place}` must be a list"))),
    };
    for (i, item) in items.into_iter().enumerate() {
        let here = format!("{place}[{i}]");
        let mut obj = match item {
            Value::Object(o) => o,
            // SNIs may be written as plain names, as Kong's API accepts them.
            Value::String(s) if kind == Kind::Sni => Map::from_iter([("name".to_string(), Value::String(s))]),
            item => {
                let entity = format!("{kind} at {here}");
                errors.push(
                    Diagnostic::file(file, format!("expected an object, found {}", type_name(&item))).at_entity(entity),
                );
                continue;
            }
        };
        let index = out.len();
        let mut refs = Vec::new();
        if let Some((field, p)) = parent {
            if obj.get(field).is_some_and(|v| !v.is_null()) && kind == Kind::Plugin {
                errors.push(
                    Diagnostic::file(file, format!("a plugin nested under a {field} cannot name a {field} of its own"))
                        .at_entity(format!("{kind} at {here}"))
                        .at_field(field),
                );
            }
            obj.remove(field);
            refs.push((field, RefSpec::Parent(p)));
        }
        let nested: Vec<(&str, Kind, &'static str, Value)> =
            nested(kind).iter().filter_map(|(f, k, r)| obj.remove(*f).map(|v| (*f, *k, *r, v))).collect();
        let groups = if kind == Kind::Consumer { obj.remove("groups") } else { None };
        let members = if kind == Kind::ConsumerGroup { obj.remove("consumers") } else { None };
        out.push(Raw { kind, doc, place: here.clone(), obj, refs, implicit: false, identity_reported: false });
        for (field, child, back, v) in nested {
            walk(doc, file, &format!("{here}.{field}"), child, v, Some((back, index)), out, errors);
        }
        if let Some(g) = groups {
            memberships(doc, file, &format!("{here}.groups"), g, index, true, out, errors);
        }
        if let Some(m) = members {
            memberships(doc, file, &format!("{here}.consumers"), m, index, false, out, errors);
        }
    }
}

/// `consumers[].groups[]` (`from_consumer`) and `consumer_groups[].consumers[]` both become memberships.
#[allow(clippy::too_many_arguments)]
fn memberships(
    doc: usize,
    file: &str,
    place: &str,
    value: Value,
    owner: usize,
    from_consumer: bool,
    out: &mut Vec<Raw>,
    errors: &mut Vec<Diagnostic>,
) {
    let Value::Array(items) = value else {
        return errors.push(Diagnostic::file(file, format!("`{place}` must be a list")));
    };
    for (i, item) in items.into_iter().enumerate() {
        let here = format!("{place}[{i}]");
        let other = if from_consumer {
            reference_text(&item, &["name", "id"]).map(RefSpec::Text)
        } else if let Value::Object(o) = item {
            // A full consumer under a group: created unless a file defines it.
            let index = out.len();
            let place = here.clone();
            out.push(Raw {
                kind: Kind::Consumer,
                doc,
                place,
                obj: o,
                refs: Vec::new(),
                implicit: true,
                identity_reported: false,
            });
            Some(RefSpec::Parent(index))
        } else {
            reference_text(&item, &[]).map(RefSpec::Text)
        };
        let Some(other) = other else {
            let entity = format!("{} at {here}", Kind::ConsumerGroupMember);
            errors.push(Diagnostic::file(file, "expected a name, an id or an object with one").at_entity(entity));
            continue;
        };
        let refs = if from_consumer {
            vec![("consumer_group", other), ("consumer", RefSpec::Parent(owner))]
        } else {
            vec![("consumer_group", RefSpec::Parent(owner)), ("consumer", other)]
        };
        let obj = Map::new();
        out.push(Raw {
            kind: Kind::ConsumerGroupMember,
            doc,
            place: here,
            obj,
            refs,
            implicit: false,
            identity_reported: false,
        });
    }
}

/// The text of a reference written as a string or as an object with one of `fields` (or `id`).
pub(super) fn reference_text(value: &Value, fields: &[&str]) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Object(o) => fields
            .iter()
            .chain(["id", "name", "username", "custom_id"].iter())
            .find_map(|f| o.get(*f).and_then(Value::as_str))
            .map(str::to_string),
        _ => None,
    }
}

/// The JSON type of a value, as messages name it.
pub(super) fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}
