//! Resolving references and giving every entity its key: a nested entity's parent is known, a flat
//! reference is looked up by id or name among the entities the files define. Two entities with the
//! same key, or the same id, are an error naming both places.

use super::flatten::{Raw, RefSpec};
use super::Diagnostic;
use kongsync_model::{natural_key, Entity, FastMap, Ident, Key, Kind, PathShape, Refs};
use std::collections::BTreeMap;
use uuid::Uuid;

/// Where the entities come from, for messages.
pub(super) struct Sources<'a> {
    pub files: &'a [String],
    /// Kinds whose references may point at live entities outside the files (`_info.default_lookup_tags`).
    pub lookup_kinds: &'a [Kind],
}

/// Resolves every raw entity into keyed entities.
pub(super) fn resolve(
    mut raws: Vec<Raw>,
    ids: Vec<Option<Uuid>>,
    src: &Sources,
    errors: &mut Vec<Diagnostic>,
) -> BTreeMap<Key, Entity> {
    let own: Vec<Option<Key>> = raws
        .iter()
        .zip(&ids)
        .map(|(r, id)| if ref_free(r.kind) { natural_key(r.kind, &r.obj, &Refs::new(), *id) } else { None })
        .collect();
    let mut by_id: FastMap<(Kind, Uuid), usize> = FastMap::default();
    let mut by_name: FastMap<(Kind, &str), usize> = FastMap::default();
    let mut by_key: FastMap<&Key, usize> = FastMap::default();
    // The explicit entity an implicit one stands for, by the implicit one's index.
    let mut alias: Vec<Option<usize>> = vec![None; raws.len()];
    // Explicit entities first, so that a consumer written in full under a group resolves to the
    // consumer a file defines instead of being created a second time.
    let order: Vec<usize> =
        (0..raws.len()).filter(|i| !raws[*i].implicit).chain((0..raws.len()).filter(|i| raws[*i].implicit)).collect();
    for &i in &order {
        let r = &raws[i];
        if let Some(k) = &own[i] {
            if r.implicit {
                if let Some(&j) = by_key.get(k) {
                    alias[i] = Some(j);
                    continue;
                }
            }
            by_key.entry(k).or_insert(i);
        }
        if let Some(id) = ids[i] {
            by_id.entry((r.kind, id)).or_insert(i);
        }
        for field in ["name", "username", "custom_id"] {
            if let Some(n) = r.obj.get(field).and_then(|v| v.as_str()) {
                by_name.entry((r.kind, n)).or_insert(i);
            }
        }
    }
    let lookup = |kind: Kind, text: &str| -> Result<Key, String> {
        if let Some(id) = kongsync_model::kong_uuid(text) {
            // An id that no file defines points at an entity outside the files, as decK allows.
            return Ok(by_id.get(&(kind, id)).and_then(|i| own[*i].clone()).unwrap_or_else(|| Key::id(kind, id)));
        }
        if let Some(k) = by_name.get(&(kind, text)).and_then(|i| own[*i].clone()) {
            return Ok(k);
        }
        if src.lookup_kinds.contains(&kind) {
            return Ok(Key::name(kind, text));
        }
        Err(format!("references {kind} \"{text}\", which no state file defines"))
    };
    // What each kept entity resolved to; its fields are moved out of the raws once the look-ups,
    // which borrow them, are done. `placed` gives an entity's place in `kept` by its key, and its
    // copy of the key is the one the state is indexed by.
    let mut kept: Vec<Option<Kept>> = Vec::new();
    let mut placed: FastMap<Key, usize> = FastMap::default();
    let mut seen_ids: FastMap<(Kind, Uuid), usize> = FastMap::default();
    for (i, r) in raws.iter().enumerate() {
        if alias[i].is_some() {
            continue;
        }
        let file = &src.files[r.doc];
        // Made only for a message: most entities have none, and a label costs a key and a format.
        let label = || super::normalize::label(r, ids[i]);
        let mut refs = Refs::new();
        let mut ok = true;
        for (field, spec) in &r.refs {
            let Some(target) = r.kind.reference(field).map(|rf| rf.target) else { continue };
            let resolved = match spec {
                RefSpec::Parent(p) => own[alias[*p].unwrap_or(*p)].clone().ok_or_else(String::new),
                RefSpec::Text(t) => lookup(target, t),
            };
            match resolved {
                Ok(k) => {
                    refs.insert(field.to_string(), k);
                }
                // An empty message: the parent itself could not be identified and was reported.
                Err(m) if m.is_empty() => ok = false,
                Err(m) => {
                    errors.push(Diagnostic::file(file, m).at_entity(label()).at_field(*field));
                    ok = false;
                }
            }
        }
        for rf in r.kind.references() {
            if ok && rf.required && !refs.contains_key(rf.field) {
                errors.push(Diagnostic::file(file, "required field missing").at_entity(label()).at_field(rf.field));
                ok = false;
            }
        }
        if !ok {
            continue;
        }
        let Some(key) = natural_key(r.kind, &r.obj, &refs, ids[i]) else {
            if !r.identity_reported {
                errors.push(Diagnostic::file(file, unidentified(r.kind)).at_entity(label()));
            }
            continue;
        };
        if let Some(id) = ids[i] {
            if let Some(&j) = seen_ids.get(&(r.kind, id)) {
                errors.push(
                    Diagnostic::file(file, format!("id {id} is also used at {}", place(&raws[j], src)))
                        .at_entity(label()),
                );
                continue;
            }
            seen_ids.insert((r.kind, id), i);
        }
        if let Some(j) = placed.get(&key).and_then(|&k| kept[k].as_ref()).map(|(j, _, _)| *j) {
            // A membership may be written on both sides (`consumers[].groups` and
            // `consumer_groups[].consumers`), as decK allows: it holds nothing but its key.
            if matches!(r.kind.def().path, PathShape::Relation { .. }) {
                continue;
            }
            errors.push(
                Diagnostic::file(file, format!("defined twice: also at {}", place(&raws[j], src))).at_entity(label()),
            );
            continue;
        }
        placed.insert(key.clone(), kept.len());
        kept.push(Some((i, key, refs)));
    }
    // The keys are sorted alone, with their places, before the entities are moved out in that order:
    // collecting the map from hash order would sort the whole (key, entity) pairs, moving each
    // entity many times, into a vector grown without knowing its length.
    let mut order: Vec<(Key, usize)> = placed.into_iter().collect();
    order.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    let mut sorted: Vec<(Key, Entity)> = Vec::with_capacity(order.len());
    for (indexed_by, k) in order {
        if let Some((i, key, refs)) = kept[k].take() {
            let fields = std::mem::take(&mut raws[i].obj);
            sorted.push((indexed_by, Entity { key, id: ids[i], fields, refs }));
        }
    }
    // Already in key order, so the map's own sort finds one run and only builds.
    sorted.into_iter().collect()
}

/// A kept entity's raw index, key and resolved references.
type Kept = (usize, Key, Refs);

/// Kinds whose key does not depend on a reference, so that they can be looked up before resolution.
fn ref_free(kind: Kind) -> bool {
    kind.def().keyed_under.is_empty()
}

fn place(r: &Raw, src: &Sources) -> String {
    format!("{}: {}", src.files[r.doc], r.place)
}

fn unidentified(kind: Kind) -> String {
    let needs = match kind {
        Kind::Service | Kind::Route | Kind::KeySet | Kind::Key => "a `name` or an `id`",
        Kind::Consumer => "a `username`, a `custom_id` or an `id`",
        Kind::MtlsAuth => "an `id` (an mTLS credential has no other identity)",
        Kind::Certificate | Kind::CaCertificate => "a `cert`",
        Kind::Upstream | Kind::ConsumerGroup | Kind::Sni => "a `name`",
        Kind::Vault => "a `prefix`",
        Kind::KeyAuth | Kind::Jwt => "a `key`",
        Kind::BasicAuth | Kind::HmacAuth => "a `username`",
        Kind::Oauth2 => "a `client_id`",
        Kind::Acl => "a `group`",
        Kind::Target => "a `target`",
        Kind::Plugin => "a `name`",
        Kind::ConsumerGroupMember => "a consumer and a consumer group",
    };
    format!("cannot be identified: it needs {needs}")
}

/// Whether a key points at an entity by id only (a reference outside the files).
pub fn is_id_only(key: &Key) -> bool {
    matches!(key.ident, Ident::Id(_))
}
