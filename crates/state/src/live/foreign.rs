//! In a scoped run (select tags), what the plan would create may already exist on the gateway
//! outside the scope: untagged, or another team's. The read cannot see it (it lists by tag), so a
//! create would overwrite it (same name, same derived or given id) and re-tag it. Every entity the
//! files define that the read did not find is therefore looked up on the gateway, by its id and by
//! its unique name, with the same requests as the parent look-ups; a hit outside the scope is
//! returned as [`Foreign`], which the plan refuses before anything is sent.

use super::convert::in_scope;
use super::lookup::{found_entity, lookup_request};
use crate::{Scope, State};
use kongsync_gateway::{ApiError, Client, Gateway, Request};
use kongsync_model::{Entity, Ident, Key, Kind, Listing};
use serde_json::Value;
use std::collections::HashSet;
use uuid::Uuid;

/// An entity of the files that exists on the gateway outside the run's scope.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Foreign {
    /// The entity as the files name it.
    pub key: Key,
    /// Its id on the gateway.
    pub id: Option<Uuid>,
    /// The tags it holds there.
    pub tags: Vec<String>,
}

/// The requests that find one desired entity on the gateway, if it may be there: by the id it will
/// have, and by its unique name. Only kinds with a top-level collection can be asked for directly;
/// key-auth and JWT keys are never put in a URL (they are secrets, and every log would show them),
/// so those are asked for by id only.
pub fn creation_lookups(gateway: &Gateway, entity: &Entity) -> Vec<Request> {
    let kind = entity.kind();
    if !kind.has_tags() || !matches!(kind.def().listing, Listing::Alone) {
        return Vec::new();
    }
    let id = entity.effective_id().to_string();
    let mut requests = vec![Request::get(gateway.entities(&[kind.collection(), &id]))];
    let secret_name = matches!(kind, Kind::KeyAuth | Kind::Jwt);
    if matches!(entity.key.ident, Ident::Name(_) | Ident::CustomId(_)) && !secret_name {
        requests.push(lookup_request(gateway, &entity.key));
    }
    requests
}

/// The entities of `desired` the read of `live` did not find, that the gateway holds outside
/// `scope`. Nothing is asked when the run is not scoped by tags: then the read saw everything.
pub async fn foreign_entities(
    client: &Client,
    gateway: &Gateway,
    scope: &Scope,
    desired: &State,
    live: &State,
) -> Result<Vec<Foreign>, ApiError> {
    if scope.select_tags.is_empty() {
        return Ok(Vec::new());
    }
    let live_ids: HashSet<(Kind, Uuid)> =
        live.entities.values().filter_map(|e| e.id.map(|id| (e.kind(), id))).collect();
    let unseen = desired
        .entities
        .values()
        .filter(|e| scope.covers(e) && live.get(&e.key).is_none() && !live_ids.contains(&(e.kind(), e.effective_id())));
    let asks = unseen.flat_map(|e| creation_lookups(gateway, e).into_iter().map(move |r| (e, r))).map(
        |(e, request)| async move {
            match client.send(&request).await {
                Ok(response) => Ok(outside(e, &response.body, scope)),
                Err(err) if err.status() == Some(404) => Ok(None),
                Err(err) => Err(err),
            }
        },
    );
    let found = futures::future::try_join_all(asks).await?;
    // One entity found by both its id and its name is reported once.
    let mut seen: HashSet<Key> = HashSet::new();
    let mut out: Vec<Foreign> = found.into_iter().flatten().filter(|f| seen.insert(f.key.clone())).collect();
    out.sort_by(|a, b| a.key.cmp(&b.key));
    Ok(out)
}

/// The entity in a look-up's answer, if it lies outside the scope.
fn outside(entity: &Entity, body: &Value, scope: &Scope) -> Option<Foreign> {
    let found = found_entity(entity.kind(), body)?;
    if in_scope(entity.kind(), found, scope) {
        return None;
    }
    let tags = match found.get("tags") {
        Some(Value::Array(t)) => t.iter().filter_map(Value::as_str).map(str::to_string).collect(),
        _ => Vec::new(),
    };
    let id = found.get("id").and_then(Value::as_str).and_then(|s| Uuid::parse_str(s).ok());
    Some(Foreign { key: entity.key.clone(), id, tags })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use kongsync_gateway::Url;
    use serde_json::{json, Map};

    fn kong() -> Gateway {
        Gateway::Kong { base: Url::parse("http://localhost:8001").unwrap(), workspace: None }
    }

    fn entity(key: Key) -> Entity {
        Entity { key, id: None, fields: Map::new(), refs: Default::default() }
    }

    #[test]
    fn creations_are_asked_for_by_id_and_name_but_keys_never_by_name() {
        let svc = entity(Key::name(Kind::Service, "orders"));
        let asked: Vec<String> = creation_lookups(&kong(), &svc).iter().map(Request::describe).collect();
        assert_eq!(asked, [format!("GET /services/{}", svc.effective_id()), "GET /services/orders".to_string()]);
        let key = entity(Key::name(Kind::KeyAuth, "s3cr3t"));
        let asked: Vec<String> = creation_lookups(&kong(), &key).iter().map(Request::describe).collect();
        assert_eq!(asked, [format!("GET /key-auths/{}", key.effective_id())]);
    }

    #[test]
    fn only_hits_outside_the_scope_are_foreign() {
        let scope = Scope { select_tags: vec!["team-x".into()], ..Scope::default() };
        let svc = entity(Key::name(Kind::Service, "orders"));
        let mine = json!({"id": "00000000-0000-0000-0000-000000000007", "tags": ["team-x", "more"]});
        assert_eq!(outside(&svc, &mine, &scope), None);
        let theirs = json!({"id": "00000000-0000-0000-0000-000000000007", "tags": ["team-y"]});
        let f = outside(&svc, &theirs, &scope).unwrap();
        assert_eq!(f.tags, ["team-y"]);
        let untagged = json!({"id": "00000000-0000-0000-0000-000000000007", "tags": null});
        assert_eq!(outside(&svc, &untagged, &scope).unwrap().tags, Vec::<String>::new());
    }
}
