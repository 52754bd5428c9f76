//! The request each step sends, as a value: method, path relative to the gateway's entities root,
//! body, and how it may be retried. Creates and updates are a PUT of the whole desired entity to the
//! id chosen at plan time, so a retried or repeated request never makes a duplicate; deletes are a
//! DELETE by id. Both are [`Retry::Idempotent`].
//!
//! Exceptions, each forced by the API: credentials live under their consumer; targets under their
//! upstream, and Kong 3.5 creates a target only by POST (its PUT updates), so that POST is retried
//! only after checking the target is not there ([`Retry::CheckBeforeRetry`]); consumer-group
//! membership is a POST and DELETE on the group's `consumers`, and a repeated POST answers 409
//! ([`Retry::ConflictIsDone`]).

use crate::options::Dialect;
use crate::plan::Action;
use kongsync_gateway::{Request, Retry};
use kongsync_model::{Create, Kind, PathShape};
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;
use uuid::Uuid;

/// An entity as its requests address it: kind, id, and its parents' ids.
pub(crate) struct ById<'a> {
    pub kind: Kind,
    pub id: Uuid,
    /// Reference field to the parent's id after the sync.
    pub refs: &'a BTreeMap<String, Uuid>,
}

/// The request that creates or updates an entity with `body` (its own fields, without references).
pub(crate) fn write(t: &ById<'_>, action: Action, mut body: Map<String, Value>, dialect: Dialect) -> Request {
    let def = t.kind.def();
    if let PathShape::Relation { parent, member, segment } = def.path {
        let path = format!("/{}/{}/{segment}", def.collection, t.parent(parent));
        let body = json!({ member: t.parent(member).to_string() });
        return Request::post(path, body).with_retry(Retry::ConflictIsDone);
    }
    for (field, id) in t.refs {
        body.insert(field.clone(), json!({"id": id.to_string()}));
    }
    if let (Create::PostOnKong, Action::Create, Dialect::Kong) = (def.create, action, dialect) {
        body.insert("id".into(), Value::String(t.id.to_string()));
        let check = entity_path(t);
        return Request::post(collection_path(t), Value::Object(body)).with_retry(Retry::CheckBeforeRetry { check });
    }
    Request::put(entity_path(t), Value::Object(body))
}

/// The request that deletes an entity (its references are the live ones).
pub(crate) fn delete(t: &ById<'_>) -> Request {
    let def = t.kind.def();
    if let PathShape::Relation { parent, member, segment } = def.path {
        return Request::delete(format!("/{}/{}/{segment}/{}", def.collection, t.parent(parent), t.parent(member)));
    }
    Request::delete(entity_path(t))
}

/// `/{collection}/{id}`, or the path under the parent for a nested kind.
fn entity_path(t: &ById<'_>) -> String {
    format!("{}/{}", collection_path(t), t.id)
}

/// `/{collection}`, or the collection under the parent for a nested kind.
fn collection_path(t: &ById<'_>) -> String {
    match t.kind.def().path {
        PathShape::Nested { parent, segment } => {
            let parent_kind = t.kind.reference(parent).map_or(t.kind, |r| r.target);
            format!("/{}/{}/{segment}", parent_kind.collection(), t.parent(parent))
        }
        PathShape::TopLevel | PathShape::Relation { .. } => format!("/{}", t.kind.collection()),
    }
}

impl ById<'_> {
    /// The id of the parent a reference field names (nil when unset, which the validator prevents
    /// for the references paths are made of).
    fn parent(&self, field: &str) -> Uuid {
        self.refs.get(field).copied().unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kongsync_gateway::Method;

    fn refs(items: &[(&str, u128)]) -> BTreeMap<String, Uuid> {
        items.iter().map(|(f, i)| (f.to_string(), Uuid::from_u128(*i))).collect()
    }

    #[test]
    fn requests_per_kind() {
        let id = Uuid::from_u128(9);
        let r = refs(&[("service", 1)]);
        let route = ById { kind: Kind::Route, id, refs: &r };
        let body = json!({"name": "r"}).as_object().cloned().unwrap_or_default();
        let put = write(&route, Action::Create, body, Dialect::Kong);
        assert_eq!(put.method, Method::Put);
        assert_eq!(put.path, format!("/routes/{id}"));
        assert_eq!(put.body, Some(json!({"name": "r", "service": {"id": Uuid::from_u128(1).to_string()}})));

        let r = refs(&[("consumer", 2)]);
        let cred = ById { kind: Kind::KeyAuth, id, refs: &r };
        assert_eq!(delete(&cred).path, format!("/consumers/{}/key-auth/{id}", Uuid::from_u128(2)));

        let r = refs(&[("upstream", 3)]);
        let target = ById { kind: Kind::Target, id, refs: &r };
        let kong = write(&target, Action::Create, Map::new(), Dialect::Kong);
        assert_eq!(
            (kong.method.as_str(), kong.path.as_str()),
            ("POST", &*format!("/upstreams/{}/targets", Uuid::from_u128(3)))
        );
        assert_eq!(
            kong.retry,
            Retry::CheckBeforeRetry { check: format!("/upstreams/{}/targets/{id}", Uuid::from_u128(3)) }
        );
        assert_eq!(kong.body.as_ref().and_then(|b| b.get("id")), Some(&json!(id.to_string())));
        let konnect = write(&target, Action::Create, Map::new(), Dialect::Konnect);
        assert_eq!(konnect.method, Method::Put);
        assert_eq!(konnect.retry, Retry::Idempotent);
        assert_eq!(write(&target, Action::Update, Map::new(), Dialect::Kong).method, Method::Put);

        let r = refs(&[("consumer_group", 4), ("consumer", 5)]);
        let member = ById { kind: Kind::ConsumerGroupMember, id, refs: &r };
        let add = write(&member, Action::Create, Map::new(), Dialect::Kong);
        assert_eq!(add.path, format!("/consumer_groups/{}/consumers", Uuid::from_u128(4)));
        assert_eq!(add.body, Some(json!({"consumer": Uuid::from_u128(5).to_string()})));
        assert_eq!(add.retry, Retry::ConflictIsDone);
        assert_eq!(
            delete(&member).path,
            format!("/consumer_groups/{}/consumers/{}", Uuid::from_u128(4), Uuid::from_u128(5))
        );
    }
}
