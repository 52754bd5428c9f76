//! The request each step sends, as a value: method, path relative to the target's entity root, and
//! body. Creates and updates are a PUT of the whole desired entity to the id chosen at plan time, so
//! a retried or repeated request never makes a duplicate; deletes are a DELETE by id.
//!
//! Exceptions, each forced by the API: credentials live under their consumer; targets under their
//! upstream, and Kong 3.5 creates a target only by POST (its PUT updates); consumer-group membership
//! is a POST and DELETE on the group's `consumers`.

use crate::options::Dialect;
use crate::types::{Action, PlannedRequest};
use kongsync_model::Kind;
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;
use uuid::Uuid;

/// What a request is built from.
pub struct Target<'a> {
    pub kind: Kind,
    pub id: Uuid,
    /// Reference field to the parent's id after the sync.
    pub refs: &'a BTreeMap<String, Uuid>,
}

/// The request that creates or updates an entity with `body` (its own fields, without references).
pub fn write(t: &Target<'_>, action: Action, mut body: Map<String, Value>, dialect: Dialect) -> PlannedRequest {
    let parent = |f: &str| t.refs.get(f).copied().unwrap_or_default();
    if t.kind == Kind::ConsumerGroupMember {
        let path = format!("/consumer_groups/{}/consumers", parent("consumer_group"));
        return request("POST", path, Some(json!({"consumer": parent("consumer").to_string()})));
    }
    for (field, id) in t.refs {
        body.insert(field.clone(), json!({"id": id.to_string()}));
    }
    if t.kind == Kind::Target && action == Action::Create && dialect == Dialect::Kong {
        body.insert("id".into(), Value::String(t.id.to_string()));
        return request("POST", format!("/upstreams/{}/targets", parent("upstream")), Some(Value::Object(body)));
    }
    request("PUT", entity_path(t), Some(Value::Object(body)))
}

/// The request that deletes an entity (its references are the live ones).
pub fn delete(t: &Target<'_>) -> PlannedRequest {
    let parent = |f: &str| t.refs.get(f).copied().unwrap_or_default();
    if t.kind == Kind::ConsumerGroupMember {
        let path = format!("/consumer_groups/{}/consumers/{}", parent("consumer_group"), parent("consumer"));
        return request("DELETE", path, None);
    }
    request("DELETE", entity_path(t), None)
}

fn entity_path(t: &Target<'_>) -> String {
    let parent = |f: &str| t.refs.get(f).copied().unwrap_or_default();
    if let Some(sub) = t.kind.consumer_subcollection() {
        return format!("/consumers/{}/{sub}/{}", parent("consumer"), t.id);
    }
    if t.kind == Kind::Target {
        return format!("/upstreams/{}/targets/{}", parent("upstream"), t.id);
    }
    format!("/{}/{}", t.kind.collection(), t.id)
}

fn request(method: &str, path: String, body: Option<Value>) -> PlannedRequest {
    PlannedRequest { method: method.to_string(), path, body }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refs(items: &[(&str, u128)]) -> BTreeMap<String, Uuid> {
        items.iter().map(|(f, i)| (f.to_string(), Uuid::from_u128(*i))).collect()
    }

    #[test]
    fn requests_per_kind() {
        let id = Uuid::from_u128(9);
        let r = refs(&[("service", 1)]);
        let route = Target { kind: Kind::Route, id, refs: &r };
        let body = json!({"name": "r"}).as_object().cloned().unwrap_or_default();
        let put = write(&route, Action::Create, body, Dialect::Kong);
        assert_eq!(put.method, "PUT");
        assert_eq!(put.path, format!("/routes/{id}"));
        assert_eq!(put.body, Some(json!({"name": "r", "service": {"id": Uuid::from_u128(1).to_string()}})));

        let r = refs(&[("consumer", 2)]);
        let cred = Target { kind: Kind::KeyAuth, id, refs: &r };
        assert_eq!(delete(&cred).path, format!("/consumers/{}/key-auth/{id}", Uuid::from_u128(2)));

        let r = refs(&[("upstream", 3)]);
        let target = Target { kind: Kind::Target, id, refs: &r };
        let kong = write(&target, Action::Create, Map::new(), Dialect::Kong);
        assert_eq!(
            (kong.method.as_str(), kong.path.as_str()),
            ("POST", &*format!("/upstreams/{}/targets", Uuid::from_u128(3)))
        );
        assert_eq!(kong.body.as_ref().and_then(|b| b.get("id")), Some(&json!(id.to_string())));
        let konnect = write(&target, Action::Create, Map::new(), Dialect::Konnect);
        assert_eq!(konnect.method, "PUT");
        assert_eq!(write(&target, Action::Update, Map::new(), Dialect::Kong).method, "PUT");

        let r = refs(&[("consumer_group", 4), ("consumer", 5)]);
        let member = Target { kind: Kind::ConsumerGroupMember, id, refs: &r };
        let add = write(&member, Action::Create, Map::new(), Dialect::Kong);
        assert_eq!(add.path, format!("/consumer_groups/{}/consumers", Uuid::from_u128(4)));
        assert_eq!(add.body, Some(json!({"consumer": Uuid::from_u128(5).to_string()})));
        assert_eq!(
            delete(&member).path,
            format!("/consumer_groups/{}/consumers/{}", Uuid::from_u128(4), Uuid::from_u128(5))
        );
    }
}
