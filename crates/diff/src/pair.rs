//! Pairing the entities of the two sides, and the ids every entity will have after the sync.
//!
//! A desired entity with an id is paired with the live entity of that id; one without, with the live
//! entity of the same natural key that no id claimed. What is left is a create or a delete. The ids
//! chosen here are the ones every request uses: a paired entity keeps its live id, a new one takes
//! the id its file gives or the one derived from its key.

use kongsync_model::{Entity, Ident, Key, Kind};
use kongsync_state::State;
use std::collections::{HashMap, HashSet};
use uuid::Uuid;

/// One entity's two sides.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Pair<'a> {
    Both { desired: &'a Entity, live: &'a Entity },
    DesiredOnly(&'a Entity),
    LiveOnly(&'a Entity),
}

/// Pairs every entity, in key order (desired first, then what is left of the live side).
pub(crate) fn pair<'a>(desired: &'a State, live: &'a State) -> Vec<Pair<'a>> {
    let live_by_id: HashMap<(Kind, Uuid), &Entity> =
        live.entities.values().filter_map(|e| e.id.map(|id| ((e.kind(), id), e))).collect();
    let mut taken: HashSet<&Key> = HashSet::new();
    let mut matched: HashMap<&Key, &Entity> = HashMap::new();
    // Ids first, so that a natural-key match never takes an entity another one claims by id.
    for d in desired.entities.values() {
        if let Some(l) = d.id.and_then(|id| live_by_id.get(&(d.kind(), id))) {
            taken.insert(&l.key);
            matched.insert(&d.key, l);
        }
    }
    for d in desired.entities.values().filter(|d| d.id.is_none()) {
        if let Some(l) = live.get(&d.key).filter(|l| !taken.contains(&l.key)) {
            taken.insert(&l.key);
            matched.insert(&d.key, l);
        }
    }
    // Then the id a new entity would take: a live entity holding it is the same entity, whatever its
    // key now says (a parent read by id, say). Never a create and a delete of one id.
    for d in desired.entities.values().filter(|d| d.id.is_none()) {
        if matched.contains_key(&d.key) {
            continue;
        }
        if let Some(l) = live_by_id.get(&(d.kind(), d.key.derived_id())).filter(|l| !taken.contains(&l.key)) {
            taken.insert(&l.key);
            matched.insert(&d.key, l);
        }
    }
    let mut out: Vec<Pair<'a>> = desired
        .entities
        .values()
        .map(|d| match matched.get(&d.key) {
            Some(l) => Pair::Both { desired: d, live: l },
            None => Pair::DesiredOnly(d),
        })
        .collect();
    out.extend(live.entities.values().filter(|l| !taken.contains(&l.key)).map(Pair::LiveOnly));
    out
}

/// The ids of both sides after the sync, for turning references into ids.
#[derive(Debug, Default)]
pub(crate) struct Ids<'a> {
    desired: HashMap<&'a Key, Uuid>,
    live: HashMap<&'a Key, Uuid>,
    known: Option<&'a HashMap<Key, Uuid>>,
}

impl<'a> Ids<'a> {
    pub(crate) fn new(pairs: &[Pair<'a>]) -> Ids<'a> {
        let mut ids = Ids {
            desired: HashMap::with_capacity(pairs.len()),
            live: HashMap::with_capacity(pairs.len()),
            known: None,
        };
        for p in pairs {
            match p {
                Pair::Both { desired, live } => {
                    let id = live.id.unwrap_or_else(|| desired.effective_id());
                    ids.desired.insert(&desired.key, id);
                    ids.live.insert(&live.key, id);
                }
                Pair::DesiredOnly(d) => {
                    ids.desired.insert(&d.key, d.effective_id());
                }
                Pair::LiveOnly(l) => {
                    ids.live.insert(&l.key, l.effective_id());
                }
            }
        }
        ids
    }

    /// With the ids of parents outside both states, looked up on the gateway.
    pub(crate) fn with_known(mut self, known: &'a HashMap<Key, Uuid>) -> Ids<'a> {
        self.known = Some(known);
        self
    }

    /// The id a desired entity's reference points to.
    pub(crate) fn of_desired(&self, key: &Key) -> Uuid {
        self.desired
            .get(key)
            .or_else(|| self.live.get(key))
            .or_else(|| self.known.and_then(|k| k.get(key)))
            .copied()
            .unwrap_or_else(|| fallback(key))
    }

    /// The id a live entity's reference points to. A reference to a looked-up parent was given
    /// that parent's key in place of its id, so the look-up holds the id again.
    pub(crate) fn of_live(&self, key: &Key) -> Uuid {
        self.live.get(key).or_else(|| self.known.and_then(|k| k.get(key))).copied().unwrap_or_else(|| fallback(key))
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
