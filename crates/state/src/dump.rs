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

use crate::deck_yaml::{key_order, Emitter, Node, Shown};
use crate::layout::{self, TOP_LEVEL};
use crate::State;
use kongsync_model::{ByAddress, Entity, FastMap, FastSet, Ident, Key, Kind};
use serde_json::{Map, Value};
use std::borrow::Cow;
use std::collections::BTreeMap;
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

/// Builds the decK document of a state (its JSON form).
pub fn to_document(state: &State, options: &DumpOptions) -> Dump {
    let w = Writer::new(state, options);
    let mut doc = Map::new();
    for (key, top) in w.top_level() {
        let value = match top {
            Top::Header(node) => node.to_value(),
            Top::Items(items) => Value::Array(items.into_iter().map(|e| w.render(e, None).to_value()).collect()),
        };
        doc.insert(key.into(), value);
    }
    Dump { document: Value::Object(doc), unplaced: w.unplaced() }
}

/// Writes the decK YAML of a state to `out` as it renders it, a few parts of a collection at a time
/// (rendered on all cores), so that neither the document nor the whole text is ever held: the same
/// bytes as [`to_yaml`] of [`to_document`]. Returns the entities left out (see [`Dump::unplaced`]).
pub fn write_yaml(state: &State, options: &DumpOptions, out: &mut dyn Write) -> std::io::Result<Vec<Key>> {
    write_yaml_split(state, options, out, Split { part: 32, renderers: kongsync_model::cores() })
}

/// Text handed to `out` once this much has gathered.
const CHUNK: usize = 1 << 16;

/// How a top-level collection is rendered over the cores: in parts of `part` entities, dealt in
/// turn to `renderers` threads (the writing one among them), and joined in order.
#[derive(Clone, Copy, Debug)]
struct Split {
    part: usize,
    renderers: usize,
}

/// [`write_yaml`], each top-level collection rendered as `split` says.
fn write_yaml_split(
    state: &State,
    options: &DumpOptions,
    out: &mut dyn Write,
    split: Split,
) -> std::io::Result<Vec<Key>> {
    let w = Writer::new(state, options);
    let mut e = Emitter::new();
    let mut top = w.top_level();
    // The document's own keys in yaml.v2's order, as the writer sorts any mapping's.
    top.sort_by(|a, b| key_order(a.0, b.0));
    for (key, value) in top {
        e.top_key(key);
        match value {
            Top::Header(node) => e.top_value(&node),
            Top::Items(items) => write_items(&w, &items, &mut e, out, split)?,
        }
    }
    e.finish();
    out.write_all(e.take().as_bytes())?;
    Ok(w.unplaced())
}

/// Writes the items of one top-level collection. Each helper thread renders every `renderers`-th
/// part and hands it over through a channel of one, so that only a few parts' text waits at a time
/// (rendering a whole collection at once held most of a 100k dump's text).
fn write_items(
    w: &Writer<'_>,
    items: &[&Entity],
    e: &mut Emitter,
    out: &mut dyn Write,
    split: Split,
) -> std::io::Result<()> {
    let parts: Vec<&[&Entity]> = items.chunks(split.part.max(1)).collect();
    let renderers = split.renderers.clamp(1, parts.len().max(1));
    let render = |entities: &[&Entity]| {
        let mut part = Emitter::mid_line();
        for item in entities {
            part.top_item(&w.render(item, None));
        }
        part
    };
    std::thread::scope(|scope| {
        let helpers: Vec<std::sync::mpsc::Receiver<Emitter>> = (1..renderers)
            .map(|r| {
                let (handed, received) = std::sync::mpsc::sync_channel(1);
                let theirs = parts.iter().skip(r).step_by(renderers);
                // A failed send means the writer stopped (a write error): nothing more is wanted.
                scope.spawn(move || theirs.map(|p| render(p)).try_for_each(|part| handed.send(part)));
                received
            })
            .collect();
        for (i, entities) in parts.iter().enumerate() {
            let part = match i % renderers {
                0 => render(entities),
                r => match helpers[r - 1].recv() {
                    Ok(part) => part,
                    // The helper panicked: the scope raises its panic again as it ends.
                    Err(_) => return Ok(()),
                },
            };
            e.append(part);
            if e.pending() >= CHUNK {
                out.write_all(e.take().as_bytes())?;
            }
        }
        Ok(())
    })
}

/// A top-level entry of the document.
enum Top<'a> {
    /// `_format_version`, `_workspace`, `_konnect`, `_info`.
    Header(Node<'a>),
    /// A collection, never empty, its entities in the order they are written.
    Items(Vec<&'a Entity>),
}

struct Writer<'a> {
    state: &'a State,
    with_id: bool,
    /// Entities some reference names by id: they must write theirs.
    referenced_by_id: FastSet<&'a Key>,
    /// Nested entities by (parent, kind, the reference to the parent).
    children: FastMap<(ByAddress<'a, Entity>, Kind, &'a str), Vec<&'a Entity>>,
    /// The entities of each top-level collection's kind that nest under no parent, in key order.
    top: FastMap<Kind, Vec<&'a Entity>>,
    /// The entities a decK file has no place for, in key order.
    unplaced: Vec<&'a Entity>,
    /// The entities a reference can name (services, consumers, ...), by key: each entity looks up
    /// its parents, and hashing a key costs less than comparing it along a B-tree's path.
    parents: FastMap<&'a Key, &'a Entity>,
}

impl<'a> Writer<'a> {
    fn new(state: &'a State, options: &DumpOptions) -> Writer<'a> {
        let mut w = Writer {
            state,
            with_id: options.with_id,
            referenced_by_id: FastSet::default(),
            // Sized for every entity at once: growing would hash every key again.
            children: FastMap::with_capacity_and_hasher(state.len(), Default::default()),
            top: FastMap::default(),
            unplaced: Vec::new(),
            parents: state.entities.iter().filter(|(k, _)| k.kind.is_referenced()).collect(),
        };
        // Where each entity goes is decided here, once: finding its parent costs a look-up of a
        // key in the state, the largest part of writing a small entity.
        for e in state.entities.values() {
            let nesting = w.nesting_parent(e);
            match nesting {
                Some((field, parent)) => w.children.entry((ByAddress(parent), e.kind(), field)).or_default().push(e),
                None if TOP_LEVEL.iter().any(|(_, k)| *k == e.kind()) => w.top.entry(e.kind()).or_default().push(e),
                None => w.unplaced.push(e),
            }
            for (field, parent) in &e.refs {
                if nesting.is_none_or(|(f, _)| f != field) && !nameable(parent) {
                    if let Some(p) = w.parents.get(parent) {
                        w.referenced_by_id.insert(&p.key);
                    }
                }
            }
        }
        w
    }

    /// The document's top-level entries: the header, then the collections in decK's order.
    fn top_level(&self) -> Vec<(&'static str, Top<'a>)> {
        let text = |s: &'a str| Node::Text(Cow::Borrowed(s));
        let meta = &self.state.meta;
        let mut top = vec![("_format_version", Top::Header(text("3.0")))];
        if let Some(ws) = &meta.workspace {
            top.push(("_workspace", Top::Header(text(ws))));
        }
        if let Some(cp) = &meta.konnect_control_plane {
            top.push(("_konnect", Top::Header(Node::Map(vec![("control_plane_name", text(cp))]))));
        }
        if !meta.select_tags.is_empty() {
            // decK's `Info.Defaults` is a struct, so its writer always shows it, empty.
            let tags = Node::Seq(meta.select_tags.iter().map(|t| text(t)).collect());
            top.push((
                "_info",
                Top::Header(Node::Map(vec![("defaults", Node::Map(Vec::new())), ("select_tags", tags)])),
            ));
        }
        for (collection, kind) in TOP_LEVEL {
            let at_top = self.top.get(&kind).map_or(&[][..], Vec::as_slice);
            let items: Vec<&Entity> = self.sorted(at_top.iter().copied()).collect();
            if !items.is_empty() {
                top.push((collection, Top::Items(items)));
            }
        }
        top
    }

    /// The entities a decK file has no place for.
    fn unplaced(&self) -> Vec<Key> {
        self.unplaced.iter().map(|e| e.key.clone()).collect()
    }

    /// The reference an entity is nested under, when its parent is in the state.
    fn nesting_parent(&self, e: &'a Entity) -> Option<(&'a str, &'a Entity)> {
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
            .filter(|(f, _)| nestable.contains(&f.as_str()))
            .find_map(|(f, k)| self.parents.get(k).map(|parent| (f.as_str(), *parent)))
    }

    fn sorted(&self, entities: impl Iterator<Item = &'a Entity>) -> impl Iterator<Item = &'a Entity> {
        let mut v: Vec<&Entity> = entities.collect();
        v.sort_by_cached_key(|e| sort_key(e));
        v.into_iter()
    }

    /// The children of `parent` nested under the reference `field`.
    fn children(&self, parent: &'a Entity, kind: Kind, field: &'static str) -> impl Iterator<Item = &'a Entity> + '_ {
        self.children.get(&(ByAddress(parent), kind, field)).map_or(&[][..], Vec::as_slice).iter().copied()
    }

    fn render(&self, e: &'a Entity, nested_under: Option<&str>) -> Node<'a> {
        let kind = e.kind();
        let ident = identity_field(kind);
        let mut rest: BTreeMap<&'a str, Node<'a>> = BTreeMap::new();
        for (k, v) in &e.fields {
            if k != ident && !v.is_null() {
                rest.insert(k, Node::Value(v, shown(kind, k)));
            }
        }
        for (field, parent) in &e.refs {
            if Some(field.as_str()) != nested_under {
                rest.insert(field, self.reference(parent, kind == Kind::Plugin));
            }
        }
        let mut out: Vec<(&'a str, Node<'a>)> = Vec::with_capacity(rest.len() + 4);
        if let Some(v) = e.fields.get(ident) {
            out.push((ident, Node::Value(v, shown(kind, ident))));
        }
        if let Some(id) = e.id.filter(|_| self.writes_id(e)) {
            out.push(("id", Node::Text(Cow::Owned(id.to_string()))));
        }
        out.extend(rest);
        for (collection, kind, field) in nested(kind) {
            let items: Vec<Node<'a>> =
                self.sorted(self.children(e, *kind, field)).map(|c| self.render(c, Some(field))).collect();
            if !items.is_empty() {
                set(&mut out, collection, Node::Seq(items));
            }
        }
        if kind == Kind::Consumer {
            let groups: Vec<Node<'a>> = self
                .sorted(self.children(e, Kind::ConsumerGroupMember, "consumer"))
                .filter_map(|m| m.refs.get("consumer_group"))
                .map(|g| self.reference(g, false))
                .collect();
            if !groups.is_empty() {
                set(&mut out, "groups", Node::Seq(groups));
            }
        }
        Node::Map(out)
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
    fn reference(&self, parent: &'a Key, plain: bool) -> Node<'a> {
        let id = self.parents.get(parent).and_then(|p| p.id).or(match parent.ident {
            Ident::Id(id) => Some(id),
            _ => None,
        });
        let name: Option<Cow<'a, str>> = match &parent.ident {
            Ident::Name(n) | Ident::CustomId(n) if nameable(parent) => Some(Cow::Borrowed(n)),
            _ => None,
        };
        // A parent neither named nor with an id cannot come from a gateway; name it as best we can.
        let name = if name.is_none() && id.is_none() { Some(Cow::Owned(parent.ident_text())) } else { name };
        if plain {
            return Node::Text(name.or(id.map(|i| Cow::Owned(i.to_string()))).unwrap_or_default());
        }
        let mut out = Vec::with_capacity(2);
        if let Some(id) = id.filter(|_| self.with_id || name.is_none()) {
            out.push(("id", Node::Text(Cow::Owned(id.to_string()))));
        }
        if let Some(n) = name {
            out.push(("name", Node::Text(n)));
        }
        Node::Map(out)
    }
}

/// Sets `key` in a mapping under construction: in place when it is there already (as a JSON
/// object's insert does), else at the end.
fn set<'a>(map: &mut Vec<(&'a str, Node<'a>)>, key: &'a str, node: Node<'a>) {
    match map.iter_mut().find(|(k, _)| *k == key) {
        Some(slot) => slot.1 = node,
        None => map.push((key, node)),
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

/// How a field's value is shown as decK writes it: decK's entities are Go structs whose unset (null)
/// fields are left out at every depth (an upstream's `healthchecks.active.https_sni`), except inside
/// the free-form `config` of a plugin or vault, which it writes as Kong gives it, nulls included.
/// Keys come sorted (a JSON object holds them so), so output never depends on the order a server
/// sent fields in.
fn shown(kind: Kind, field: &str) -> Shown {
    let free_form = field == "config" && matches!(kind, Kind::Plugin | Kind::Vault);
    Shown { drop_nulls: !free_form }
}

fn sort_key_text(k: &Key) -> String {
    match &k.ident {
        Ident::Name(n) | Ident::CustomId(n) => n.clone(),
        Ident::Id(id) => id.to_string(),
        other => format!("{other:?}"),
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
    write_private_with(path, |file| file.write_all(contents))
}

/// [`write_private`] of what `write` writes, as it writes it.
pub fn write_private_with<T>(
    path: &Path,
    write: impl FnOnce(&mut dyn Write) -> std::io::Result<T>,
) -> Result<T, DumpError> {
    let fail = |source: std::io::Error| DumpError::Write { path: path.to_path_buf(), source };
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    // tempfile creates the file with mode 0600 on Unix.
    let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(fail)?;
    let written = write(tmp.as_file_mut()).map_err(fail)?;
    tmp.as_file().sync_all().map_err(fail)?;
    tmp.persist(path).map_err(|e| fail(e.error))?;
    Ok(written)
}

#[cfg(test)]
#[path = "dump_tests.rs"]
mod tests;
