//! Pairing the entities of the two sides, and the ids every entity will have after the sync.
//!
//! A desired entity with an id is paired with the live entity of that id; one without, with the live
//! entity of the same natural key that no id claimed; a certificate known by its content, whose
//! content changed, with the live certificate its SNIs are on (a rotation). What is left is a create
//! or a delete. Then the pairs that cannot stay one entity: a child whose parent is deleted, and whose
//! new parent can only be written after that delete (it takes the name the old one frees: the same
//! consumer with a new id), is replaced too, deleted with or before its old parent and created under
//! the new one. The ids chosen here are the ones every request uses: a paired entity keeps its live
//! id, a replaced one too unless its file gives one, a new one takes the id its file gives or the one
//! derived from its key.

use crate::{FastMap, FastSet};
use kongsync_model::{ByAddress, Entity, Ident, Key, Kind};
use kongsync_state::State;
use std::collections::HashMap;
use uuid::Uuid;

/// One entity's two sides.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Pair<'a> {
    Both {
        desired: &'a Entity,
        live: &'a Entity,
    },
    /// The same entity, which cannot be updated in place: the live one is deleted (by Kong with its
    /// parent, or before it) and the desired one created under its new parent.
    Replaced {
        desired: &'a Entity,
        live: &'a Entity,
    },
    DesiredOnly(&'a Entity),
    LiveOnly(&'a Entity),
}

/// An entity known by its address: see [`ByAddress`].
type This<'a> = ByAddress<'a, Entity>;

/// Pairs every entity, in key order (desired first, then what is left of the live side).
pub(crate) fn pair<'a>(desired: &'a State, live: &'a State) -> Vec<Pair<'a>> {
    let live_by_id: FastMap<(Kind, Uuid), &Entity> =
        live.entities.values().filter_map(|e| e.id.map(|id| ((e.kind(), id), e))).collect();
    let mut taken: FastSet<This<'a>> = FastSet::with_capacity_and_hasher(live.len(), Default::default());
    let mut matched: FastMap<This<'a>, &Entity> = FastMap::with_capacity_and_hasher(desired.len(), Default::default());
    // Ids first, so that a natural-key match never takes an entity another one claims by id.
    for d in desired.entities.values() {
        if let Some(l) = d.id.and_then(|id| live_by_id.get(&(d.kind(), id))) {
            taken.insert(ByAddress(l));
            matched.insert(ByAddress(d), l);
        }
    }
    for (d, l) in same_keys(desired, live) {
        if d.id.is_none() && !taken.contains(&ByAddress(l)) {
            taken.insert(ByAddress(l));
            matched.insert(ByAddress(d), l);
        }
    }
    // Then the id a new entity would take: a live entity holding it is the same entity, whatever its
    // key now says (a parent read by id, say). Never a create and a delete of one id.
    for d in desired.entities.values().filter(|d| d.id.is_none()) {
        if matched.contains_key(&ByAddress(d)) {
            continue;
        }
        if let Some(l) = live_by_id.get(&(d.kind(), d.key.derived_id())).filter(|l| !taken.contains(&ByAddress(l))) {
            taken.insert(ByAddress(l));
            matched.insert(ByAddress(d), l);
        }
    }
    for (d, l) in rotations(desired, live, &matched, &taken) {
        taken.insert(ByAddress(l));
        matched.insert(ByAddress(d), l);
    }
    let mut out: Vec<Pair<'a>> = desired
        .entities
        .values()
        .map(|d| match matched.get(&ByAddress(d)) {
            Some(l) => Pair::Both { desired: d, live: l },
            None => Pair::DesiredOnly(d),
        })
        .collect();
    out.extend(live.entities.values().filter(|l| !taken.contains(&ByAddress(l))).map(Pair::LiveOnly));
    replace_blocked(&mut out);
    out
}

/// The entities of both states with the same key, found by walking the two sorted maps side by
/// side instead of looking each key up.
fn same_keys<'a>(desired: &'a State, live: &'a State) -> Vec<(&'a Entity, &'a Entity)> {
    let mut out = Vec::new();
    let (mut ds, mut ls) = (desired.entities.iter().peekable(), live.entities.iter().peekable());
    while let (Some((dk, d)), Some((lk, l))) = (ds.peek(), ls.peek()) {
        match dk.cmp(lk) {
            std::cmp::Ordering::Less => {
                ds.next();
            }
            std::cmp::Ordering::Greater => {
                ls.next();
            }
            std::cmp::Ordering::Equal => {
                out.push((*d, *l));
                ds.next();
                ls.next();
            }
        }
    }
    out
}

/// Certificates rotated in place: a file certificate without an id, paired with nothing (its content
/// is new), and the unpaired live certificate that holds the SNIs the file puts on it. Kong's
/// `PUT /certificates/{id}` replaces the certificate and key under the same id and keeps the SNIs its
/// `snis` list names (kong/db/dao/certificates.lua:127-159, 3.5.0), where a delete takes the SNIs
/// with it (certificates.lua:210-224) and a new certificate would need each SNI moved to it.
fn rotations<'a>(
    desired: &'a State,
    live: &'a State,
    matched: &FastMap<This<'a>, &'a Entity>,
    taken: &FastSet<This<'a>>,
) -> Vec<(&'a Entity, &'a Entity)> {
    let mut holders: FastMap<&Key, Vec<&Key>> = FastMap::default();
    for sni in desired.of_kind(Kind::Sni) {
        let held_by = live.get(&sni.key).and_then(|l| l.refs.get("certificate"));
        if let (Some(cert), Some(held_by)) = (sni.refs.get("certificate"), held_by) {
            holders.entry(cert).or_default().push(held_by);
        }
    }
    let mut claimed: FastSet<This<'a>> = FastSet::default();
    let mut out = Vec::new();
    for d in desired.of_kind(Kind::Certificate).filter(|d| d.id.is_none() && !matched.contains_key(&ByAddress(d))) {
        // SNIs come in key order, so the first free holder is the same on every run.
        let free = holders
            .get(&d.key)
            .into_iter()
            .flatten()
            .filter_map(|k| live.get(k))
            .find(|l| !taken.contains(&ByAddress(l)) && !claimed.contains(&ByAddress(l)));
        if let Some(l) = free {
            claimed.insert(ByAddress(l));
            out.push((d, l));
        }
    }
    out
}

/// The unique values an entity holds: its natural key, and the other unique fields of its kind. Two
/// entities holding one of the same value cannot exist at once.
pub(crate) fn claims(e: &Entity) -> Vec<String> {
    let mut out = Vec::new();
    if !matches!(e.key.ident, Ident::Id(_)) {
        out.push(format!("{:?}", e.key));
    }
    for f in e.kind().def().unique {
        if let Some(v) = e.str_field(f) {
            out.push(format!("{}|{f}|{v}", e.kind()));
        }
    }
    out
}

/// Turns into replacements the pairs that cannot be updated in place. A child must leave a parent
/// that is deleted before that delete, since Kong deletes it with the parent or refuses the delete
/// (every reference is a cascade or a restriction). It cannot when its new parent is written only
/// after the delete: a parent that takes a unique value the old one frees (the same username under a
/// new id), or its id. Such a child is deleted with (or before) its old parent and created under the
/// new one, which makes it a deleted parent in turn for its own children (a route of a service that
/// got a new id, and the route's plugins). Repeated until nothing changes: each round replaces at
/// least one pair, and a pair is replaced at most once.
fn replace_blocked(pairs: &mut [Pair<'_>]) {
    loop {
        let deleted: FastMap<&Key, &Entity> = pairs
            .iter()
            .filter_map(|p| match *p {
                Pair::LiveOnly(l) | Pair::Replaced { live: l, .. } => Some((&l.key, l)),
                Pair::Both { .. } | Pair::DesiredOnly(_) => None,
            })
            .collect();
        if deleted.is_empty() {
            return;
        }
        // Each desired entity, and the live one it is updated from (none when it is created).
        let written: FastMap<&Key, (&Entity, Option<&Entity>)> = pairs
            .iter()
            .filter_map(|p| match *p {
                Pair::Both { desired, live } => Some((&desired.key, (desired, Some(live)))),
                Pair::Replaced { desired, .. } | Pair::DesiredOnly(desired) => Some((&desired.key, (desired, None))),
                Pair::LiveOnly(_) => None,
            })
            .collect();
        // Whether the write of the new parent must wait for the delete of the old one: it takes a
        // unique value the old one frees (its name, which is also its key), or its id.
        let waits_for_delete = |new_parent: &Key, old: &Entity| -> bool {
            let Some(&(d, kept)) = written.get(new_parent) else { return false };
            if kept.is_none() && d.kind() == old.kind() && d.id.is_some_and(|id| Some(id) == old.id) {
                return true;
            }
            let had = kept.map(claims).unwrap_or_default();
            let freed = claims(old);
            claims(d).iter().any(|c| !had.contains(c) && freed.contains(c))
        };
        let blocked: Vec<usize> = pairs
            .iter()
            .enumerate()
            .filter_map(|(i, p)| match *p {
                Pair::Both { desired, live } => live
                    .refs
                    .iter()
                    .filter_map(|(field, old)| Some((desired.refs.get(field)?, deleted.get(old)?)))
                    .any(|(new, old)| waits_for_delete(new, old))
                    .then_some(i),
                _ => None,
            })
            .collect();
        if blocked.is_empty() {
            return;
        }
        for i in blocked {
            if let Pair::Both { desired, live } = pairs[i] {
                pairs[i] = Pair::Replaced { desired, live };
            }
        }
    }
}

/// The ids of both sides after the sync, for turning references into ids.
#[derive(Debug, Default)]
pub(crate) struct Ids<'a> {
    /// For the kinds a reference can point at (only references are looked up by key): the id each
    /// side's entity of that key will have.
    by_key: FastMap<&'a Key, Sides>,
    known: Option<&'a HashMap<Key, Uuid>>,
}

#[derive(Clone, Copy, Debug, Default)]
struct Sides {
    desired: Option<Uuid>,
    live: Option<Uuid>,
}

/// The id a paired entity keeps: its live one.
pub(crate) fn paired_id(desired: &Entity, live: &Entity) -> Uuid {
    live.id.unwrap_or_else(|| desired.effective_id())
}

/// The id a replaced entity is created again with: the one it had, unless its file gives another.
pub(crate) fn replaced_id(desired: &Entity, live: &Entity) -> Uuid {
    desired.id.or(live.id).unwrap_or_else(|| desired.effective_id())
}

impl<'a> Pair<'a> {
    /// The ids its desired and its live side will have after the sync, each if it has the side.
    fn ids(&self) -> (Option<Uuid>, Option<Uuid>) {
        match *self {
            // Both sides are one entity, with one id.
            Pair::Both { desired, live } => (Some(paired_id(desired, live)), Some(paired_id(desired, live))),
            Pair::Replaced { desired, live } => (Some(replaced_id(desired, live)), Some(live.effective_id())),
            Pair::DesiredOnly(d) => (Some(d.effective_id()), None),
            Pair::LiveOnly(l) => (None, Some(l.effective_id())),
        }
    }

    fn sides(&self) -> (Option<&'a Entity>, Option<&'a Entity>) {
        match *self {
            Pair::Both { desired, live } | Pair::Replaced { desired, live } => (Some(desired), Some(live)),
            Pair::DesiredOnly(d) => (Some(d), None),
            Pair::LiveOnly(l) => (None, Some(l)),
        }
    }
}

impl<'a> Ids<'a> {
    pub(crate) fn new(pairs: &[Pair<'a>]) -> Ids<'a> {
        let mut by_key: FastMap<&'a Key, Sides> = FastMap::default();
        for p in pairs {
            let (desired, live) = p.sides();
            if !desired.or(live).is_some_and(|e| e.kind().is_referenced()) {
                continue;
            }
            let (desired_id, live_id) = p.ids();
            if let Some(d) = desired {
                by_key.entry(&d.key).or_default().desired = desired_id;
            }
            if let Some(l) = live {
                by_key.entry(&l.key).or_default().live = live_id;
            }
        }
        Ids { by_key, known: None }
    }

    /// With the ids of parents outside both states, looked up on the gateway.
    pub(crate) fn with_known(mut self, known: &'a HashMap<Key, Uuid>) -> Ids<'a> {
        self.known = Some(known);
        self
    }

    /// The id a desired entity's reference points to.
    pub(crate) fn of_desired(&self, key: &Key) -> Uuid {
        let sides = self.by_key.get(key).copied().unwrap_or_default();
        sides.desired.or(sides.live).or_else(|| self.known_id(key)).unwrap_or_else(|| fallback(key))
    }

    /// The id a live entity's reference points to. A reference to a looked-up parent was given
    /// that parent's key in place of its id, so the look-up holds the id again.
    pub(crate) fn of_live(&self, key: &Key) -> Uuid {
        let live = self.by_key.get(key).and_then(|s| s.live);
        live.or_else(|| self.known_id(key)).unwrap_or_else(|| fallback(key))
    }

    /// Whether the references of the two sides point to one id.
    pub(crate) fn same_target(&self, desired: &Key, live: &Key) -> bool {
        if desired != live {
            return self.of_desired(desired) == self.of_live(live);
        }
        // One key: one look-up serves both sides.
        let sides = self.by_key.get(desired).copied().unwrap_or_default();
        let known = || self.known_id(desired).unwrap_or_else(|| fallback(desired));
        let live = sides.live.unwrap_or_else(known);
        sides.desired.or(sides.live).unwrap_or_else(known) == live
    }

    fn known_id(&self, key: &Key) -> Option<Uuid> {
        self.known.and_then(|k| k.get(key)).copied()
    }
}

/// A parent on neither side: referenced by id (out of scope), or unknown.
fn fallback(key: &Key) -> Uuid {
    match &key.ident {
        Ident::Id(id) => *id,
        _ => key.derived_id(),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::{json, Map};

    fn svc(name: &str, id: Option<u128>) -> Entity {
        let mut fields = Map::new();
        fields.insert("name".into(), json!(name));
        Entity { key: Key::name(Kind::Service, name), id: id.map(Uuid::from_u128), fields, refs: Default::default() }
    }

    fn state(items: Vec<Entity>) -> State {
        let mut s = State::default();
        for e in items {
            s.insert(e);
        }
        s
    }

    #[test]
    fn an_id_wins_over_a_name_and_frees_the_name_holder_for_deletion() {
        let desired = state(vec![svc("a", Some(7)), svc("b", None)]);
        let mut renamed = svc("old", Some(7));
        renamed.key = Key::name(Kind::Service, "old");
        let live = state(vec![renamed, svc("b", Some(9)), svc("a", Some(8))]);
        let pairs = pair(&desired, &live);
        let text: Vec<String> = pairs
            .iter()
            .map(|p| match p {
                Pair::Both { desired, live } => format!("both {} {}", desired.key, live.key),
                Pair::Replaced { desired, live } => format!("replace {} {}", live.key, desired.key),
                Pair::DesiredOnly(d) => format!("create {}", d.key),
                Pair::LiveOnly(l) => format!("delete {}", l.key),
            })
            .collect();
        assert_eq!(text, ["both a old", "both b b", "delete a"]);
        let ids = Ids::new(&pairs);
        assert_eq!(ids.of_desired(&Key::name(Kind::Service, "b")), Uuid::from_u128(9));
        assert_eq!(ids.of_desired(&Key::name(Kind::Service, "a")), Uuid::from_u128(7));
        assert_eq!(ids.of_live(&Key::name(Kind::Service, "a")), Uuid::from_u128(8));
    }

    #[test]
    fn a_live_entity_holding_the_id_a_new_one_would_take_is_the_same_entity() {
        let desired = state(vec![svc("a", None)]);
        let mut held = svc("a", None);
        held.key = Key::id(Kind::Service, Key::name(Kind::Service, "a").derived_id());
        held.id = Some(Key::name(Kind::Service, "a").derived_id());
        let live = state(vec![held]);
        let pairs = pair(&desired, &live);
        assert_eq!(pairs.len(), 1);
        assert!(matches!(pairs[0], Pair::Both { .. }));
    }
}
