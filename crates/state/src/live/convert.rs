//! Turning what the gateway returned into the same [`State`] the files produce. Pure.
//!
//! Per entity: the id goes to [`Entity::id`]; `created_at`, `updated_at`, `ws_id` and null fields are
//! dropped (the server manages them, and Kong shows every unset field as null), `created_at` kept
//! aside in the state's meta, for updates to send back; references
//! (`"service": {"id": U}`) become the parent's natural key, or `Key::id(U)` when the parent was not
//! read (out of scope); a certificate's `snis` pseudo-field is dropped, its SNIs being entities of
//! their own. Entities tagged `konnect-managed` are never read, nor those missing a select tag.
//! Kinds are converted parents first ([`Kind::ALL`]'s order), so every parent's key is known when a
//! child refers to it; within a kind, entities are taken in id order, so the result never depends on
//! the order pages arrived in.

use crate::{Scope, State};
use kongsync_model::{natural_key, Entity, FastMap, Key, Kind, PathShape, Refs};
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use uuid::Uuid;

/// Tags Konnect puts on entities it manages itself; kongsync neither shows nor touches them.
pub const MANAGED_TAGS: [&str; 2] = ["konnect-managed", "konnect-managed-plugin"];

/// Fields the server manages, never compared nor written to files.
const SERVER_MANAGED: [&str; 4] = ["id", "created_at", "updated_at", "ws_id"];

/// What the gateway returned, before conversion: the tests' way in, with whole raw listings (the read
/// strips each page as it comes and calls [`build_stripped`]).
#[cfg(test)]
#[derive(Debug, Default)]
pub struct Fetched {
    /// Raw objects by kind (targets of every upstream together).
    pub lists: BTreeMap<Kind, Vec<Map<String, Value>>>,
    /// Consumer-group memberships: the group's id and the member consumer as the API shows it.
    pub members: Vec<(Uuid, Map<String, Value>)>,
}

/// Whether a raw entity is in scope by its tags: not managed by Konnect, and carrying every select tag.
pub fn in_scope(kind: Kind, obj: &Map<String, Value>, scope: &Scope) -> bool {
    let tags: Vec<&str> = match obj.get("tags") {
        Some(Value::Array(t)) => t.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    if tags.iter().any(|t| MANAGED_TAGS.contains(t)) {
        return false;
    }
    !kind.has_tags() || scope.select_tags.iter().all(|w| tags.contains(&w.as_str()))
}

/// The id of a raw entity.
pub fn raw_id(obj: &Map<String, Value>) -> Option<Uuid> {
    obj.get("id").and_then(Value::as_str).and_then(|s| Uuid::parse_str(s).ok())
}

/// One raw entity in scope, stripped as it arrives of what the state never holds: its id and
/// `created_at` set aside, the server-managed and null fields dropped, its references reduced to
/// the parents' ids (their keys are known only once every parent is read). A page's objects are
/// stripped while the next page is awaited, so the read never holds Kong's nulls.
#[derive(Debug)]
pub(crate) struct Stripped {
    pub(crate) id: Option<Uuid>,
    created_at: Option<Value>,
    fields: Map<String, Value>,
    /// (reference field, the parent's kind, the parent's id).
    refs: Vec<(&'static str, Kind, Uuid)>,
}

/// Strips one raw entity (see [`Stripped`]); `None` when it is out of scope.
pub(crate) fn strip(kind: Kind, mut obj: Map<String, Value>, scope: &Scope) -> Option<Stripped> {
    if !in_scope(kind, &obj, scope) {
        return None;
    }
    let created_at = obj.get("created_at").filter(|v| !v.is_null()).cloned();
    let id = raw_id(&obj);
    // The same removals, in the same order, as ever: `remove` moves the last field into the
    // removed one's place, so the order of what is left depends on it.
    for f in SERVER_MANAGED {
        obj.remove(f);
    }
    if kind == Kind::Certificate {
        obj.remove("snis");
    }
    let mut refs = Vec::new();
    for r in kind.references() {
        let parent = obj
            .remove(r.field)
            .as_ref()
            .and_then(|v| v.get("id"))
            .and_then(Value::as_str)
            .and_then(|s| Uuid::parse_str(s).ok());
        if let Some(pid) = parent {
            refs.push((r.field, r.target, pid));
        }
    }
    obj.retain(|_, v| !v.is_null());
    Some(Stripped { id, created_at, fields: obj, refs })
}

/// Builds the live state of whole raw listings.
#[cfg(test)]
pub fn build(mut fetched: Fetched, scope: &Scope) -> State {
    let lists = std::mem::take(&mut fetched.lists)
        .into_iter()
        .map(|(kind, objs)| (kind, objs.into_iter().filter_map(|o| strip(kind, o, scope)).collect()))
        .collect();
    build_stripped(lists, fetched.members, scope)
}

/// Builds the live state of entities stripped as they were read, and the memberships.
pub(crate) fn build_stripped(
    mut lists: BTreeMap<Kind, Vec<Stripped>>,
    mut members: Vec<(Uuid, Map<String, Value>)>,
    scope: &Scope,
) -> State {
    let mut state = State::default();
    state.meta.select_tags = scope.select_tags.clone();
    let mut keys: FastMap<(Kind, Uuid), Key> = FastMap::default();
    // Every entity is gathered first and the state's map built once from them, in key order: an
    // insert (and a look-up for a clash) per entity into a growing B-tree was most of this work.
    let mut all: Vec<(Key, Entity)> = Vec::with_capacity(lists.values().map(Vec::len).sum::<usize>() + members.len());
    for kind in Kind::ALL {
        if scope.skips(kind) {
            continue;
        }
        if let PathShape::Relation { parent, member, .. } = kind.def().path {
            for (group, consumer) in std::mem::take(&mut members) {
                if let Some(e) = relation(kind, (parent, group), (member, &consumer), &keys) {
                    all.push((e.key.clone(), e));
                }
            }
            continue;
        }
        let referenced = kind.is_referenced();
        let mut objs = lists.remove(&kind).unwrap_or_default();
        objs.sort_by_key(|o| o.id);
        let mut built: Vec<(Entity, Option<Value>)> = Vec::with_capacity(objs.len());
        for mut obj in objs {
            let created_at = obj.created_at.take();
            if let Some(e) = entity(kind, obj, &keys, scope) {
                built.push((e, created_at));
            }
        }
        // Stable: of entities with one key, the first in id order comes first.
        built.sort_by(|a, b| a.0.key.cmp(&b.0.key));
        // Where in `all` the entity holding the natural key of the run being read stands.
        let mut holder: Option<usize> = None;
        for (mut e, created_at) in built {
            if holder.is_some_and(|h| all[h].0 == e.key) {
                // Two live entities with one natural key (two certificates with the same PEM): the
                // later one is known by its id, so that neither is lost.
                let Some(id) = e.id else { continue };
                e.key = Key::id(kind, id);
            } else {
                holder = Some(all.len());
            }
            if let (Some(id), Some(at)) = (e.id, created_at) {
                state.meta.created_at.entry(kind).or_default().insert(id, at);
            }
            // Only a kind that references can point at needs its keys by id: a plugin's or a
            // credential's would be a copy of every key, held to the end for nothing.
            if let Some(id) = e.id.filter(|_| referenced) {
                keys.insert((kind, id), e.key.clone());
            }
            all.push((e.key.clone(), e));
        }
    }
    state.entities = all.into_iter().collect();
    state
}

/// Converts one stripped entity, its references now parents' keys; `None` when it is out of scope.
fn entity(kind: Kind, obj: Stripped, keys: &FastMap<(Kind, Uuid), Key>, scope: &Scope) -> Option<Entity> {
    let Stripped { id, fields, refs: parents, .. } = obj;
    let mut refs = Refs::new();
    for (field, target, pid) in parents {
        let key = keys.get(&(target, pid)).cloned().unwrap_or_else(|| Key::id(target, pid));
        refs.insert(field.to_string(), key);
    }
    let key = natural_key(kind, &fields, &refs, id).or_else(|| id.map(|i| Key::id(kind, i)))?;
    let e = Entity { key, id, fields, refs };
    scope.covers(&e).then_some(e)
}

/// A relation (a membership), when both its parent (the group) and its member (the consumer, as
/// the parent's list shows it) were read.
fn relation(
    kind: Kind,
    (parent_field, parent_id): (&str, Uuid),
    (member_field, member): (&str, &Map<String, Value>),
    keys: &FastMap<(Kind, Uuid), Key>,
) -> Option<Entity> {
    let key_of = |field: &str, id: Uuid| keys.get(&(kind.reference(field)?.target, id)).cloned();
    let refs = Refs::from([
        (parent_field.to_string(), key_of(parent_field, parent_id)?),
        (member_field.to_string(), key_of(member_field, raw_id(member)?)?),
    ]);
    let key = natural_key(kind, &Map::new(), &refs, None)?;
    Some(Entity { key, id: None, fields: Map::new(), refs })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::json;

    const SVC: &str = "00000000-0000-0000-0000-000000000001";
    const ROUTE: &str = "00000000-0000-0000-0000-000000000002";
    const OTHER: &str = "00000000-0000-0000-0000-0000000000ff";

    fn obj(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    fn fetched(items: Vec<(Kind, Value)>) -> Fetched {
        let mut f = Fetched::default();
        for (k, v) in items {
            f.lists.entry(k).or_default().push(obj(v));
        }
        f
    }

    #[test]
    fn references_become_parent_keys_and_server_fields_go() {
        let f = fetched(vec![
            (
                Kind::Route,
                json!({"id": ROUTE, "name": "r", "service": {"id": SVC}, "paths": ["/"], "hosts": null, "created_at": 1, "updated_at": 2}),
            ),
            (Kind::Service, json!({"id": SVC, "name": "s", "host": "h", "created_at": 1})),
            (
                Kind::Plugin,
                json!({"id": OTHER, "name": "cors", "route": {"id": ROUTE}, "service": null, "consumer": null, "config": {"a": null}}),
            ),
        ]);
        let state = build(f, &Scope::default());
        let route = state.get(&Key::name(Kind::Route, "r")).unwrap();
        assert_eq!(route.id, Uuid::parse_str(ROUTE).ok());
        assert_eq!(Value::Object(route.fields.clone()), json!({"name": "r", "paths": ["/"]}));
        assert_eq!(route.refs.get("service"), Some(&Key::name(Kind::Service, "s")));
        let plugin = Key::plugin("cors", [("route", Key::name(Kind::Route, "r"))]);
        assert_eq!(
            state.get(&plugin).unwrap().fields.get("config"),
            Some(&json!({"a": null})),
            "nested nulls are Kong's"
        );
    }

    #[test]
    fn parents_out_of_scope_are_referenced_by_id() {
        let f = fetched(vec![(Kind::Route, json!({"id": ROUTE, "name": "r", "service": {"id": SVC}, "tags": ["t"]}))]);
        let state = build(f, &Scope { select_tags: vec!["t".into()], skip_consumers: false, ..Scope::default() });
        let route = state.get(&Key::name(Kind::Route, "r")).unwrap();
        assert_eq!(route.refs.get("service"), Some(&Key::id(Kind::Service, Uuid::parse_str(SVC).unwrap())));
        assert_eq!(state.meta.select_tags, ["t"]);
    }

    #[test]
    fn select_tags_must_all_be_present_and_managed_entities_never_show() {
        let f = fetched(vec![
            (Kind::Service, json!({"id": SVC, "name": "both", "tags": ["a", "b", "c"]})),
            (Kind::Service, json!({"id": ROUTE, "name": "one", "tags": ["a"]})),
            (Kind::Service, json!({"id": OTHER, "name": "managed", "tags": ["a", "b", "konnect-managed"]})),
        ]);
        let state =
            build(f, &Scope { select_tags: vec!["a".into(), "b".into()], skip_consumers: false, ..Scope::default() });
        let names: Vec<String> = state.of_kind(Kind::Service).map(|e| e.key.to_string()).collect();
        assert_eq!(names, ["both"]);
    }

    #[test]
    fn skip_consumers_drops_consumer_side_and_their_plugins() {
        let f = fetched(vec![
            (Kind::Consumer, json!({"id": SVC, "username": "u"})),
            (Kind::Plugin, json!({"id": ROUTE, "name": "rate-limiting", "consumer": {"id": SVC}})),
            (Kind::Plugin, json!({"id": OTHER, "name": "cors"})),
        ]);
        let state = build(f, &Scope { select_tags: vec![], skip_consumers: true, ..Scope::default() });
        let keys: Vec<String> = state.entities.keys().map(|k| k.to_string()).collect();
        assert_eq!(keys, ["cors (global)"]);
    }

    #[test]
    fn members_and_snis_are_entities_of_their_own() {
        let mut f = fetched(vec![
            (Kind::Consumer, json!({"id": SVC, "username": "alice"})),
            (Kind::ConsumerGroup, json!({"id": ROUTE, "name": "gold"})),
            (Kind::Certificate, json!({"id": OTHER, "cert": "PEM", "key": "K", "snis": ["a.example"]})),
            (
                Kind::Sni,
                json!({"id": "00000000-0000-0000-0000-000000000003", "name": "a.example", "certificate": {"id": OTHER}}),
            ),
        ]);
        f.members.push((Uuid::parse_str(ROUTE).unwrap(), obj(json!({"id": SVC, "username": "alice"}))));
        f.members.push((Uuid::parse_str(ROUTE).unwrap(), obj(json!({"id": OTHER, "username": "unread"}))));
        let state = build(f, &Scope::default());
        let member = Key::member(Key::name(Kind::ConsumerGroup, "gold"), Key::name(Kind::Consumer, "alice"));
        assert!(state.get(&member).is_some());
        assert_eq!(
            state.of_kind(Kind::ConsumerGroupMember).count(),
            1,
            "members whose consumer was not read are left out"
        );
        let cert = state.of_kind(Kind::Certificate).next().unwrap();
        assert!(!cert.fields.contains_key("snis"));
        let sni = state.get(&Key::name(Kind::Sni, "a.example")).unwrap();
        assert_eq!(sni.refs.get("certificate"), Some(&cert.key));
    }

    #[test]
    fn entities_sharing_a_natural_key_are_both_kept() {
        let f = fetched(vec![
            (Kind::Certificate, json!({"id": OTHER, "cert": "PEM", "key": "K2"})),
            (Kind::Certificate, json!({"id": SVC, "cert": "PEM", "key": "K1"})),
        ]);
        let state = build(f, &Scope::default());
        let certs: Vec<&Entity> = state.of_kind(Kind::Certificate).collect();
        assert_eq!(certs.len(), 2);
        assert_eq!(
            state.get(&Key::id(Kind::Certificate, Uuid::parse_str(OTHER).unwrap())).unwrap().str_field("key"),
            Some("K2")
        );
    }

    #[test]
    fn of_three_entities_sharing_a_key_the_first_by_id_keeps_it_and_children_follow_the_others_ids() {
        const THIRD: &str = "00000000-0000-0000-0000-0000000000fe";
        let f = fetched(vec![
            (Kind::Certificate, json!({"id": OTHER, "cert": "PEM", "key": "K3"})),
            (Kind::Certificate, json!({"id": SVC, "cert": "PEM", "key": "K1"})),
            (Kind::Certificate, json!({"id": THIRD, "cert": "PEM", "key": "K2"})),
            (Kind::Sni, json!({"id": ROUTE, "name": "a.example", "certificate": {"id": THIRD}})),
        ]);
        let state = build(f, &Scope::default());
        let by_id = |id: &str| Key::id(Kind::Certificate, Uuid::parse_str(id).unwrap());
        let certs: Vec<(&Key, Option<&str>)> =
            state.of_kind(Kind::Certificate).map(|c| (&c.key, c.str_field("key"))).collect();
        assert_eq!(certs.len(), 3, "{certs:?}");
        let holder = certs.iter().find(|(k, _)| !crate::file::is_id_only(k));
        assert_eq!(holder.map(|c| c.1), Some(Some("K1")), "{certs:?}");
        assert_eq!(state.get(&by_id(THIRD)).and_then(|c| c.str_field("key")), Some("K2"));
        assert_eq!(state.get(&by_id(OTHER)).and_then(|c| c.str_field("key")), Some("K3"));
        let sni = state.get(&Key::name(Kind::Sni, "a.example")).unwrap();
        assert_eq!(sni.refs.get("certificate"), Some(&by_id(THIRD)));
    }
}
