//! Writing a [`State`] as a decK `_format_version: "3.0"` file, nested as decK writes it: routes under
//! their service, plugins with exactly one scope under that parent, credentials and group memberships
//! under their consumer, targets under their upstream, SNIs under their certificate. It is the inverse
//! of the file reader (`file::flatten`): reading a dump back gives the same state.
//!
//! Deterministic: collections are sorted by name (or key, for credentials), an entity without one by
//! its id, as decK sorts them. The YAML is written the way decK writes it (`deck_yaml`: every key
//! sorted, decK's quoting), byte for byte; the JSON document keeps the identifying field first, then
//! `id`, then every other field sorted. Null fields are left out, except inside a plugin's or vault's
//! `config`. Ids are written only where the file needs them: for entities that nothing else
//! identifies (certificates, CA certificates, mTLS credentials, unnamed routes), for entities
//! referenced by id, or for all with `with_id` (references then carry the id beside the name).

use crate::layout::{self, TOP_LEVEL};
use crate::State;
use kongsync_model::{Entity, Ident, Key, Kind};
use serde_json::{Map, Value};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::Write;
use std::path::{Path, PathBuf};

/// How to write a dump.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DumpOptions {
    /// Write every entity's id, even where a natural key identifies it.
    pub with_id: bool,
}

/// A dump, and what a decK file cannot hold.
#[derive(Clone, Debug, PartialEq)]
pub struct Dump {
    pub document: Value,
    /// Entities left out because their parent is not in the state and a decK file has no top-level
    /// collection for them (a credential of a consumer out of scope, say).
    pub unplaced: Vec<Key>,
}

/// Writing a dump failed.
#[derive(Debug, thiserror::Error)]
pub enum DumpError {
    /// The document could not be serialized.
    #[error("cannot serialize the dump")]
    Serialize(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// The file could not be written.
    #[error("cannot write {}", .path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// Nesting a dump does not use: decK writes keys at the top level, naming their set.
fn nested(kind: Kind) -> &'static [(&'static str, Kind, &'static str)] {
    match kind {
        Kind::KeySet => &[],
        _ => layout::nested(kind),
    }
}

/// The field that names an entity of this kind, written first: the first of its identity in the
/// kind table (a consumer's `username`), `name` for a kind identified otherwise.
fn identity_field(kind: Kind) -> &'static str {
    kind.def().identity.first().copied().unwrap_or("name")
}

/// Builds the decK document of a state.
pub fn to_document(state: &State, options: &DumpOptions) -> Dump {
    let w = Writer::new(state, options);
    let mut doc = Map::new();
    doc.insert("_format_version".into(), "3.0".into());
    if let Some(ws) = &state.meta.workspace {
        doc.insert("_workspace".into(), ws.clone().into());
    }
    if let Some(cp) = &state.meta.konnect_control_plane {
        doc.insert(
            "_konnect".into(),
            Value::Object(Map::from_iter([("control_plane_name".to_string(), cp.clone().into())])),
        );
    }
    if !state.meta.select_tags.is_empty() {
        // decK's `Info.Defaults` is a struct, so its writer always shows it, empty.
        doc.insert("_info".into(), serde_json::json!({ "defaults": {}, "select_tags": state.meta.select_tags }));
    }
    for (collection, kind) in TOP_LEVEL {
        let items: Vec<Value> =
            w.sorted(state.of_kind(kind).filter(|e| w.placed_at_top(e))).map(|e| w.render(e, None)).collect();
        if !items.is_empty() {
            doc.insert(collection.into(), Value::Array(items));
        }
    }
    let unplaced = state.entities.values().filter(|e| w.unplaceable(e)).map(|e| e.key.clone()).collect();
    Dump { document: Value::Object(doc), unplaced }
}

struct Writer<'a> {
    state: &'a State,
    with_id: bool,
    /// Entities some reference names by id: they must write theirs.
    referenced_by_id: HashSet<&'a Key>,
    /// Nested entities by (parent, kind, the reference to the parent).
    children: HashMap<(&'a Key, Kind, &'a str), Vec<&'a Entity>>,
}

impl<'a> Writer<'a> {
    fn new(state: &'a State, options: &DumpOptions) -> Writer<'a> {
        let mut w =
            Writer { state, with_id: options.with_id, referenced_by_id: HashSet::new(), children: HashMap::new() };
        for e in state.entities.values() {
            let nesting = w.nesting_parent(e);
            if let Some((field, parent)) = nesting {
                w.children.entry((parent, e.kind(), field)).or_default().push(e);
            }
            for (field, parent) in &e.refs {
                if nesting.is_none_or(|(f, _)| f != field) && !nameable(parent) {
                    if let Some((k, _)) = state.entities.get_key_value(parent) {
                        w.referenced_by_id.insert(k);
                    }
                }
            }
        }
        w
    }

    /// The reference an entity is nested under, when its parent is in the state.
    fn nesting_parent(&self, e: &'a Entity) -> Option<(&'a str, &'a Key)> {
        let nestable: &[&str] = match e.kind() {
            Kind::Route => &["service"],
            Kind::Plugin if e.refs.len() == 1 => &["service", "route", "consumer", "consumer_group"],
            Kind::Target => &["upstream"],
            Kind::Sni => &["certificate"],
            k if Kind::CREDENTIALS.contains(&k) => &["consumer"],
            Kind::ConsumerGroupMember => &["consumer"],
            _ => &[],
        };
        e.refs
            .iter()
            .find(|(f, k)| nestable.contains(&f.as_str()) && self.state.get(k).is_some())
            .map(|(f, k)| (f.as_str(), k))
    }

    /// Whether the entity goes in a top-level collection.
    fn placed_at_top(&self, e: &'a Entity) -> bool {
        self.nesting_parent(e).is_none() && TOP_LEVEL.iter().any(|(_, k)| *k == e.kind())
    }

    /// Whether the entity can be written nowhere.
    fn unplaceable(&self, e: &'a Entity) -> bool {
        self.nesting_parent(e).is_none() && !TOP_LEVEL.iter().any(|(_, k)| *k == e.kind())
    }

    fn sorted(&self, entities: impl Iterator<Item = &'a Entity>) -> impl Iterator<Item = &'a Entity> {
        let mut v: Vec<&Entity> = entities.collect();
        v.sort_by_cached_key(|e| sort_key(e));
        v.into_iter()
    }

    /// The children of `parent` nested under the reference `field`.
    fn children(&self, parent: &'a Key, kind: Kind, field: &'static str) -> std::vec::IntoIter<&'a Entity> {
        self.children.get(&(parent, kind, field)).cloned().unwrap_or_default().into_iter()
    }

    fn render(&self, e: &'a Entity, nested_under: Option<&str>) -> Value {
        let ident = identity_field(e.kind());
        let mut rest: BTreeMap<&str, Value> = BTreeMap::new();
        for (k, v) in &e.fields {
            if k != ident && !v.is_null() {
                rest.insert(k, sorted(shown(e.kind(), k, v)));
            }
        }
        for (field, parent) in &e.refs {
            if Some(field.as_str()) != nested_under {
                let plain = e.kind() == Kind::Plugin;
                rest.insert(field, self.reference(parent, plain));
            }
        }
        let mut out = Map::new();
        if let Some(v) = e.fields.get(ident) {
            out.insert(ident.into(), sorted(shown(e.kind(), ident, v)));
        }
        if let Some(id) = e.id.filter(|_| self.writes_id(e)) {
            out.insert("id".into(), id.to_string().into());
        }
        out.extend(rest.into_iter().map(|(k, v)| (k.to_string(), v)));
        for (collection, kind, field) in nested(e.kind()) {
            let items: Vec<Value> =
                self.sorted(self.children(&e.key, *kind, field)).map(|c| self.render(c, Some(field))).collect();
            if !items.is_empty() {
                out.insert(collection.to_string(), Value::Array(items));
            }
        }
        if e.kind() == Kind::Consumer {
            let groups: Vec<Value> = self
                .sorted(self.children(&e.key, Kind::ConsumerGroupMember, "consumer"))
                .filter_map(|m| m.refs.get("consumer_group"))
                .map(|g| self.reference(g, false))
                .collect();
            if !groups.is_empty() {
                out.insert("groups".into(), Value::Array(groups));
            }
        }
        Value::Object(out)
    }

    fn writes_id(&self, e: &Entity) -> bool {
        self.with_id
            || matches!(e.key.ident, Ident::Id(_))
            || matches!(e.kind(), Kind::Certificate | Kind::CaCertificate | Kind::MtlsAuth)
            || self.referenced_by_id.contains(&e.key)
    }

    /// A reference as the file reader resolves it: the parent's name when it has one, else its id.
    /// Plugins' scopes are plain strings, as decK writes them; other references `{name: ...}` or
    /// `{id: ...}`, and with `with_id` both, as decK writes `keys[].set` and `consumers[].groups[]`.
    fn reference(&self, parent: &Key, plain: bool) -> Value {
        let id = self.state.get(parent).and_then(|p| p.id).or(match parent.ident {
            Ident::Id(id) => Some(id),
            _ => None,
        });
        let name = match &parent.ident {
            Ident::Name(n) | Ident::CustomId(n) if nameable(parent) => Some(n.clone()),
            _ => None,
        };
        // A parent neither named nor with an id cannot come from a gateway; name it as best we can.
        let name = if name.is_none() && id.is_none() { Some(parent.ident_text()) } else { name };
        if plain {
            return Value::String(name.or(id.map(|i| i.to_string())).unwrap_or_default());
        }
        let mut out = Map::new();
        if let Some(id) = id.filter(|_| self.with_id || name.is_none()) {
            out.insert("id".into(), id.to_string().into());
        }
        if let Some(n) = name {
            out.insert("name".into(), n.into());
        }
        Value::Object(out)
    }
}

/// Whether the file reader can find this entity by its name: a name, username or custom id that
/// does not look like an id.
fn nameable(key: &Key) -> bool {
    match &key.ident {
        Ident::Name(n) | Ident::CustomId(n) => uuid::Uuid::parse_str(n).is_err(),
        _ => false,
    }
}

/// Sorted as decK sorts: by name (a consumer's username), and an entity without one by its id, in
/// the same order as the names (decK's dump of `sync/028-consumer-group-consumers-custom_id` puts
/// the consumer known only by custom id `foo`, id `bcb296c3-...`, between users `bar` and `foo`).
fn sort_key(e: &Entity) -> (String, String) {
    let id = e.id.map(|i| i.to_string()).unwrap_or_default();
    let name = match &e.key.ident {
        Ident::Name(n) | Ident::Child { name: n, member: None, .. } => n.clone(),
        Ident::Child { member: Some(m), .. } => sort_key_text(m),
        Ident::Plugin { name, scope } => {
            let scope: Vec<String> = scope.iter().map(|(f, k)| format!("{f}={}", sort_key_text(k))).collect();
            format!("{name} {}", scope.join(" "))
        }
        Ident::CustomId(_) | Ident::Id(_) | Ident::Digest(_) => id.clone(),
    };
    (name, id)
}

/// A field's value as decK writes it: decK's entities are Go structs whose unset (null) fields are
/// left out at every depth (an upstream's `healthchecks.active.https_sni`), except inside the free-form
/// `config` of a plugin or vault, which it writes as Kong gives it, nulls included.
fn shown(kind: Kind, field: &str, v: &Value) -> Value {
    if field == "config" && matches!(kind, Kind::Plugin | Kind::Vault) {
        return v.clone();
    }
    without_nulls(v)
}

fn without_nulls(v: &Value) -> Value {
    match v {
        Value::Object(o) => {
            Value::Object(o.iter().filter(|(_, x)| !x.is_null()).map(|(k, x)| (k.clone(), without_nulls(x))).collect())
        }
        Value::Array(a) => Value::Array(a.iter().map(without_nulls).collect()),
        other => other.clone(),
    }
}

fn sort_key_text(k: &Key) -> String {
    match &k.ident {
        Ident::Name(n) | Ident::CustomId(n) => n.clone(),
        Ident::Id(id) => id.to_string(),
        other => format!("{other:?}"),
    }
}

/// The value with every object's keys sorted, so that output never depends on the order a server
/// happened to send fields in. Sorted in place: the value is already the copy `shown` made.
fn sorted(mut v: Value) -> Value {
    sort_in_place(&mut v);
    v
}

fn sort_in_place(v: &mut Value) {
    match v {
        Value::Object(o) => {
            o.sort_keys();
            o.values_mut().for_each(sort_in_place);
        }
        Value::Array(a) => a.iter_mut().for_each(sort_in_place),
        _ => {}
    }
}

/// The document as YAML, written as decK writes it (see `deck_yaml`), so that a file dumped by decK
/// and one dumped by kongsync from the same gateway are the same bytes.
pub fn to_yaml(document: &Value) -> Result<String, DumpError> {
    Ok(crate::deck_yaml::to_string(document))
}

/// The document as pretty JSON, with a final newline.
pub fn to_json(document: &Value) -> Result<String, DumpError> {
    serde_json::to_string_pretty(document).map(|s| s + "\n").map_err(|e| DumpError::Serialize(Box::new(e)))
}

/// Writes a file atomically (a temporary file in the same directory, renamed over the target) and
/// readable by its owner only (mode 0600), since dumps and plans hold credentials and private keys.
pub fn write_private(path: &Path, contents: &[u8]) -> Result<(), DumpError> {
    let fail = |source: std::io::Error| DumpError::Write { path: path.to_path_buf(), source };
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    // tempfile creates the file with mode 0600 on Unix.
    let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(fail)?;
    tmp.write_all(contents).map_err(fail)?;
    tmp.as_file().sync_all().map_err(fail)?;
    tmp.persist(path).map_err(|e| fail(e.error))?;
    Ok(())
}

#[cfg(test)]
#[path = "dump_tests.rs"]
mod tests;
