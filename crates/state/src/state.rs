//! `State`: a whole gateway configuration as a set of entities indexed by natural key, with the
//! file-level settings that scope it. The files and the live gateway both produce one.

use kongsync_model::{Entity, Key, Kind};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use uuid::Uuid;

/// A configuration: every entity, keyed and ordered by kind then natural key.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct State {
    pub entities: BTreeMap<Key, Entity>,
    pub meta: Meta,
}

/// The settings of a configuration that are not entities.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Meta {
    /// `_workspace`: the Kong Enterprise workspace.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workspace: Option<String>,
    /// `_konnect.control_plane_name` (or the deprecated `runtime_group_name`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub konnect_control_plane: Option<String>,
    /// `_info.select_tags`: only entities carrying all these tags are managed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub select_tags: Vec<String>,
    /// Values that came from the environment: secrets in all output, whatever field they are in.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub env_values: Vec<String>,
    /// Of a live read: the kinds the gateway does not have (Kong OSS has no consumer groups), found
    /// by their listing answering 404.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub absent_kinds: Vec<kongsync_model::Kind>,
    /// `_info.default_lookup_tags`: by collection (`consumer_groups`), the tags of the entities another
    /// team manages that the files may reference.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub lookup_tags: BTreeMap<String, Vec<String>>,
    /// Of a live read: each entity's `created_at` as the gateway holds it, by kind and id. Never
    /// compared (it is not a field of the entity), but sent back with an update, which would
    /// otherwise stamp the entity as created now.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub created_at: BTreeMap<Kind, BTreeMap<Uuid, Value>>,
}

impl State {
    /// Adds an entity, replacing any with the same key; returns the one replaced.
    pub fn insert(&mut self, entity: Entity) -> Option<Entity> {
        self.entities.insert(entity.key.clone(), entity)
    }

    pub fn get(&self, key: &Key) -> Option<&Entity> {
        self.entities.get(key)
    }

    /// The entities of one kind, in key order.
    pub fn of_kind(&self, kind: Kind) -> impl Iterator<Item = &Entity> {
        self.entities.range(kind_range(kind)).map(|(_, e)| e)
    }

    /// How many entities of each kind, in kind order (kinds with none left out).
    pub fn counts(&self) -> Vec<(Kind, usize)> {
        Kind::ALL.into_iter().map(|k| (k, self.of_kind(k).count())).filter(|(_, n)| *n > 0).collect()
    }

    pub fn len(&self) -> usize {
        self.entities.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entities.is_empty()
    }

    /// The same state with references to parents it only knows by id (parents outside the read, such
    /// as another team's service) given those parents' keys, and the keys that embed a parent (plugins,
    /// targets, ACLs, memberships) made again from them. Then an entity on a parent found by lookup has
    /// the same key on both sides. Borrowed when no reference names such a parent: no copy is made.
    pub fn with_parents_known(&self, known: &HashMap<(Kind, Uuid), Key>) -> Cow<'_, State> {
        if !self.entities.values().any(|e| e.refs.values().any(|p| known_key(known, p).is_some())) {
            return Cow::Borrowed(self);
        }
        let mut out = State { entities: BTreeMap::new(), meta: self.meta.clone() };
        for e in self.entities.values() {
            let mut e = e.clone();
            let mut changed = false;
            for parent in e.refs.values_mut() {
                if let Some(k) = known_key(known, parent) {
                    *parent = k.clone();
                    changed = true;
                }
            }
            if changed {
                // A key another entity already holds stays as it was: two entities never merge.
                let key = kongsync_model::natural_key(e.kind(), &e.fields, &e.refs, e.id);
                if let Some(key) = key.filter(|k| !self.entities.contains_key(k) && !out.entities.contains_key(k)) {
                    e.key = key;
                }
            }
            out.insert(e);
        }
        Cow::Owned(out)
    }

    /// Gives every entity that has tags each of these (the select tags), as decK does, so that what a
    /// sync creates is found by the next read.
    pub fn stamp_select_tags(&mut self, tags: &[String]) {
        for e in self.entities.values_mut().filter(|e| e.kind().has_tags()) {
            add_tags(&mut e.fields, tags);
        }
    }

    /// An index from id to key over the entities that have an id.
    pub fn id_index(&self) -> HashMap<Uuid, &Key> {
        self.entities.values().filter_map(|e| Some((e.id?, &e.key))).collect()
    }
}

/// Adds each tag the fields' `tags` do not have yet.
pub(crate) fn add_tags(fields: &mut Map<String, Value>, tags: &[String]) {
    if tags.is_empty() {
        return;
    }
    let entry = fields.entry("tags").or_insert_with(|| Value::Array(Vec::new()));
    if let Value::Array(list) = entry {
        for t in tags {
            if !list.iter().any(|v| v.as_str() == Some(t)) {
                list.push(Value::String(t.clone()));
            }
        }
    }
}

fn kind_range(kind: Kind) -> std::ops::RangeInclusive<Key> {
    use kongsync_model::Ident;
    // `Ident::Name("")` is the smallest ident and `Ident::Plugin` with the largest name sorts last, so
    // this range covers exactly one kind.
    let lo = Key { kind, ident: Ident::Name(String::new()) };
    let hi = Key { kind, ident: Ident::Plugin { name: char::MAX.to_string().repeat(4), scope: Vec::new() } };
    lo..=hi
}

/// The key `known` gives a parent known only by id, if it gives one.
fn known_key<'k>(known: &'k HashMap<(Kind, Uuid), Key>, parent: &Key) -> Option<&'k Key> {
    match parent.ident {
        kongsync_model::Ident::Id(id) => known.get(&(parent.kind, id)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Map;

    fn entity(key: Key) -> Entity {
        Entity { key, id: None, fields: Map::new(), refs: kongsync_model::Refs::new() }
    }

    #[test]
    fn of_kind_returns_only_that_kind() {
        let mut s = State::default();
        s.insert(entity(Key::name(Kind::Service, "a")));
        s.insert(entity(Key::id(Kind::Service, Uuid::nil())));
        s.insert(entity(Key::name(Kind::Route, "a")));
        s.insert(entity(Key::plugin::<&str>("zzz", [])));
        assert_eq!(s.of_kind(Kind::Service).count(), 2);
        assert_eq!(s.of_kind(Kind::Route).count(), 1);
        assert_eq!(s.of_kind(Kind::Plugin).count(), 1);
        assert_eq!(s.counts(), vec![(Kind::Service, 2), (Kind::Route, 1), (Kind::Plugin, 1)]);
    }

    #[test]
    fn parents_known_only_by_id_get_their_keys_and_plugins_are_keyed_again() {
        let svc_id = Uuid::from_u128(7);
        let mut plugin = entity(Key::plugin("cors", [("service", Key::id(Kind::Service, svc_id))]));
        plugin.fields.insert("name".into(), serde_json::json!("cors"));
        plugin.refs.insert("service".into(), Key::id(Kind::Service, svc_id));
        let mut s = State::default();
        s.insert(plugin);
        let known = HashMap::from([((Kind::Service, svc_id), Key::name(Kind::Service, "orders"))]);
        let rekeyed = s.with_parents_known(&known);
        assert!(matches!(rekeyed, Cow::Owned(_)));
        let want = Key::plugin("cors", [("service", Key::name(Kind::Service, "orders"))]);
        assert!(rekeyed.get(&want).is_some(), "{:?}", rekeyed.entities.keys().collect::<Vec<_>>());
        assert_eq!(rekeyed.len(), 1);
        let elsewhere = HashMap::from([((Kind::Service, Uuid::from_u128(8)), Key::name(Kind::Service, "other"))]);
        assert!(matches!(s.with_parents_known(&elsewhere), Cow::Borrowed(_)), "nothing to re-key: no copy");
    }
}
