//! Parents the files reference that neither the files nor the read hold: entities another team
//! manages (`_info.default_lookup_tags`), looked up on the gateway by name (or a consumer by
//! `custom_id`) so that references carry their real ids. A parent the gateway does not have either
//! is an error, before anything is sent.

use super::raw_id;
use crate::State;
use kongsync_gateway::{group_members, list, list_all, ApiError, Client, Gateway, Request};
use kongsync_model::{Entity, Ident, Key, Kind};
use serde_json::{Map, Value};
use std::collections::HashMap;
use uuid::Uuid;

/// A look-up that failed.
#[derive(Debug, thiserror::Error)]
pub enum LookupError {
    /// The gateway could not be asked.
    #[error(transparent)]
    Api(#[from] ApiError),
    /// Neither the files nor the gateway have the parent.
    #[error("the files reference {} {key}, which neither the files nor the gateway have", .key.kind)]
    Missing { key: Key },
}

/// The request that finds one parent by its natural key.
pub fn lookup_request(gateway: &Gateway, key: &Key) -> Request {
    match &key.ident {
        Ident::CustomId(c) => Request::get(gateway.entities(&["consumers"])).with_query("custom_id", c.clone()),
        _ => Request::get(gateway.entities(&[key.kind.collection(), &key.to_string()])),
    }
}

/// The parents `desired` references that neither side holds, by key.
pub fn missing_parents<'a>(desired: &'a State, live: &State) -> Vec<&'a Key> {
    let mut wanted: Vec<&Key> = desired
        .entities
        .values()
        .flat_map(|e| e.refs.values())
        .filter(|k| desired.get(k).is_none() && live.get(k).is_none())
        .filter(|k| matches!(k.ident, Ident::Name(_) | Ident::CustomId(_)))
        .collect();
    wanted.sort();
    wanted.dedup();
    wanted
}

/// Looks up every parent [`missing_parents`] names; their ids by key.
pub async fn look_up_parents(
    client: &Client,
    gateway: &Gateway,
    desired: &State,
    live: &State,
) -> Result<HashMap<Key, Uuid>, LookupError> {
    let lookups = missing_parents(desired, live).into_iter().map(|key| async move {
        let found = match client.send(&lookup_request(gateway, key)).await {
            Ok(response) => Some(response.body),
            Err(e) if e.status() == Some(404) => None,
            Err(e) => return Err(LookupError::Api(e)),
        };
        match found.as_ref().and_then(|body| found_id(key.kind, body)) {
            Some(id) => Ok((key.clone(), id)),
            None => Err(LookupError::Missing { key: key.clone() }),
        }
    });
    futures::future::try_join_all(lookups).await.map(|found| found.into_iter().collect())
}

/// The id in a look-up's answer: the entity itself, the first of a `custom_id` listing's `data`, the
/// entity wrapped under its DAO name, or a consumer group as Kong Enterprise and Konnect serve it:
/// wrapped with its members, `{"consumer_group": ..., "consumers": [...]}`.
fn found_id(kind: Kind, body: &Value) -> Option<Uuid> {
    found_entity(kind, body).and_then(raw_id)
}

/// The entity in a look-up's answer (the same shapes as [`found_id`]); `None` for an empty listing.
pub(super) fn found_entity(kind: Kind, body: &Value) -> Option<&Map<String, Value>> {
    let entity = match body.get("data") {
        Some(data) => data.get(0)?,
        None => body
            .get(kind.dao_name())
            .or_else(|| body.get("consumer_group").filter(|_| kind == Kind::ConsumerGroup))
            .unwrap_or(body),
    };
    entity.as_object()
}

/// The consumer groups of `_info.default_lookup_tags` that the read left out: those the files
/// reference (already looked up by name, in `known`) and every group carrying the lookup tags, so
/// that a membership the files no longer hold is seen, and deleted.
pub async fn look_up_groups(
    client: &Client,
    gateway: &Gateway,
    desired: &State,
    known: &HashMap<Key, Uuid>,
    live: &State,
) -> Result<HashMap<Key, Uuid>, LookupError> {
    let mut groups: HashMap<Key, Uuid> =
        known.iter().filter(|(k, _)| k.kind == Kind::ConsumerGroup).map(|(k, id)| (k.clone(), *id)).collect();
    if let Some(tags) = desired.meta.lookup_tags.get(Kind::ConsumerGroup.collection()) {
        let first = list(gateway, Kind::ConsumerGroup.collection(), tags);
        for g in list_all(client, &first, &|_| {}).await? {
            let name = g.get("name").and_then(Value::as_str);
            if let (Some(id), Some(name)) = (raw_id(&g), name) {
                let key = Key::name(Kind::ConsumerGroup, name);
                if live.get(&key).is_none() {
                    groups.insert(key, id);
                }
            }
        }
    }
    Ok(groups)
}

/// The memberships of these groups (which the read left out with them) for the consumers the read
/// holds: without them a membership the files hold would be planned again on every run (decK's
/// `Test_Sync_Consumers_Default_Lookup_Tag` syncs the same file twice).
pub async fn members_of(
    client: &Client,
    gateway: &Gateway,
    groups: &HashMap<Key, Uuid>,
    live: &State,
) -> Result<Vec<Entity>, LookupError> {
    let consumers: HashMap<Uuid, &Key> =
        live.of_kind(Kind::Consumer).filter_map(|e| e.id.map(|id| (id, &e.key))).collect();
    let mut out = Vec::new();
    for (group, id) in groups {
        let first = group_members(gateway, &id.to_string());
        for m in list_all(client, &first, &|_| {}).await? {
            if let Some(consumer) = raw_id(&m).and_then(|c| consumers.get(&c)) {
                let refs = kongsync_model::Refs::from([
                    ("consumer_group".to_string(), group.clone()),
                    ("consumer".to_string(), (*consumer).clone()),
                ]);
                let key = Key::member(group.clone(), (*consumer).clone());
                out.push(Entity { key, id: None, fields: serde_json::Map::new(), refs });
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use kongsync_gateway::Url;
    use serde_json::json;

    fn kong() -> Gateway {
        Gateway::Kong { base: Url::parse("http://localhost:8001").unwrap(), workspace: None }
    }

    #[test]
    fn parents_are_asked_for_by_name_or_custom_id() {
        let by_name = lookup_request(&kong(), &Key::name(Kind::Service, "a b"));
        assert_eq!(by_name.describe(), "GET /services/a%20b");
        let by_custom_id = lookup_request(&kong(), &Key { kind: Kind::Consumer, ident: Ident::CustomId("c&1".into()) });
        assert_eq!(by_custom_id.describe(), "GET /consumers?custom_id=c%261");
    }

    #[test]
    fn ids_are_found_in_every_answer_shape() {
        let id = "00000000-0000-0000-0000-000000000007";
        let want = Uuid::parse_str(id).ok();
        assert_eq!(found_id(Kind::Service, &json!({"id": id, "name": "a"})), want);
        assert_eq!(found_id(Kind::Consumer, &json!({"data": [{"id": id}], "next": null})), want);
        assert_eq!(found_id(Kind::Consumer, &json!({"data": []})), None);
        assert_eq!(found_id(Kind::ConsumerGroup, &json!({"consumer_group": {"id": id}, "consumers": []})), want);
    }
}
