//! Consumer-group membership (Kong Enterprise / Konnect, `konnect.md` §5.4), stored as
//! `consumer_group_consumers` rows that cascade with either side: `/consumer_groups/{g}/consumers`
//! (list, add with `{"consumer": id-or-name | [..]}`, remove one or all), `/consumers/{c}/consumer_groups`
//! (list, add with `{"group": id-or-name}`, remove), and the group read with its members.

use crate::errors::{ApiError, ApiResult};
use crate::http::{Reply, Req};
use crate::list;
use crate::ops::{self, Ctx};
use crate::schema::{EntityDef, Registry};
use crate::store::{fk_id, Store};
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::ops::Bound;
use uuid::Uuid;

fn def(name: &str) -> ApiResult<&'static EntityDef> {
    Registry::get().entity(name).ok_or_else(ApiError::not_found)
}

fn find_required(store: &Store, entity: &str, key: &str) -> ApiResult<Uuid> {
    ops::find(store, def(entity)?, key, None)?.ok_or_else(ApiError::not_found)
}

/// Ids on the other side of the memberships of `id` (`side` is the field holding `id`).
fn members(store: &Store, side: &str, other: &str, id: &Uuid) -> BTreeSet<Uuid> {
    let coll = store.coll("consumer_group_consumers");
    coll.children(side, id).iter().filter_map(|m| coll.get(m)).filter_map(|r| fk_id(r.get(other))).collect()
}

fn membership_id(store: &Store, group: &Uuid, consumer: &Uuid) -> Option<Uuid> {
    store.coll("consumer_group_consumers").find_cache_key(&format!("consumer_group_consumers:{group}:{consumer}"))
}

fn page_of(store: &Store, entity: &str, ids: &BTreeSet<Uuid>, req: &Req, base: &str) -> ApiResult<Value> {
    let p = list::params(&req.query)?;
    let after = match &p.offset {
        Some(tok) => Some(list::decode_offset_pub(tok)?),
        None => None,
    };
    let lower = after.map_or(Bound::Unbounded, Bound::Excluded);
    let coll = store.coll(entity);
    let mut rows: Vec<(Uuid, Value)> = Vec::new();
    for id in ids.range((lower, Bound::Unbounded)) {
        let Some(row) = coll.get(id) else { continue };
        if p.tags.as_ref().is_none_or(|t| t.matches(row)) {
            rows.push((*id, row.clone()));
            if rows.len() > p.size {
                break;
            }
        }
    }
    let more = rows.len() > p.size;
    rows.truncate(p.size);
    let offset = if more { rows.last().map(|(id, _)| list::encode_offset(id)) } else { None };
    Ok(list::shape(rows.into_iter().map(|(_, r)| r).collect(), offset, &p, base, true))
}

fn add(ctx: &mut Ctx, group: Uuid, consumer: Uuid) -> ApiResult<()> {
    if membership_id(ctx.store, &group, &consumer).is_some() {
        let fields = json!({"consumer": {"id": consumer.to_string()}, "consumer_group": {"id": group.to_string()}});
        return Err(ApiError::unique_violation(fields.as_object().cloned().unwrap_or_default()));
    }
    let d = def("consumer_group_consumers")?;
    let id = ctx.gen.uuid();
    let row = json!({"id": id.to_string(), "created_at": ctx.gen.now as i64,
        "consumer_group": {"id": group.to_string()}, "consumer": {"id": consumer.to_string()}});
    ctx.store.put(d, id, row);
    Ok(())
}

fn remove(ctx: &mut Ctx, group: Uuid, consumer: Uuid) -> ApiResult<()> {
    if let Some(m) = membership_id(ctx.store, &group, &consumer) {
        ctx.store.remove(def("consumer_group_consumers")?, &m);
    }
    Ok(())
}

fn keys_of(v: Option<&Value>, field: &str) -> ApiResult<Vec<String>> {
    match v {
        Some(Value::String(s)) => Ok(vec![s.clone()]),
        Some(Value::Array(a)) if !a.is_empty() => a
            .iter()
            .map(|x| x.as_str().map(str::to_string).ok_or_else(|| ApiError::field(field, "expected a string")))
            .collect(),
        _ => Err(ApiError::field(field, "required field missing")),
    }
}

/// `/consumer_groups/{g}/consumers[/{c}]`.
pub fn group_route(ctx: &mut Ctx, req: &Req, gkey: &str, ckey: Option<&String>, base: &str) -> ApiResult<Reply> {
    let group = find_required(ctx.store, "consumer_groups", gkey)?;
    match (req.method.as_str(), ckey) {
        ("GET", None) => {
            let ids = members(ctx.store, "consumer_group", "consumer", &group);
            Ok(Reply::json(200, page_of(ctx.store, "consumers", &ids, req, base)?))
        }
        ("POST", None) => {
            let body = req.json()?;
            let keys = keys_of(body.get("consumer"), "consumer")?;
            let mut added = Vec::new();
            for k in &keys {
                let c = ops::find(ctx.store, def("consumers")?, k, None)?.ok_or_else(ApiError::not_found)?;
                add(ctx, group, c)?;
                added.extend(ctx.store.get("consumers", &c).cloned());
            }
            let g = ctx.store.get("consumer_groups", &group).cloned().unwrap_or(Value::Null);
            Ok(Reply::json(201, json!({"consumer_group": g, "consumers": added})))
        }
        ("DELETE", None) => {
            for c in members(ctx.store, "consumer_group", "consumer", &group) {
                remove(ctx, group, c)?;
            }
            Ok(Reply::empty(204))
        }
        ("DELETE", Some(ck)) => {
            if let Some(c) = ops::find(ctx.store, def("consumers")?, ck, None)? {
                remove(ctx, group, c)?;
            }
            Ok(Reply::empty(204))
        }
        ("GET", Some(ck)) => {
            let c = find_required(ctx.store, "consumers", ck)?;
            membership_id(ctx.store, &group, &c).ok_or_else(ApiError::not_found)?;
            Ok(Reply::json(200, ctx.store.get("consumers", &c).cloned().unwrap_or(Value::Null)))
        }
        _ => Err(ApiError::method_not_allowed()),
    }
}

/// `/consumers/{c}/consumer_groups[/{g}]`.
pub fn consumer_route(ctx: &mut Ctx, req: &Req, ckey: &str, gkey: Option<&String>, base: &str) -> ApiResult<Reply> {
    let consumer = find_required(ctx.store, "consumers", ckey)?;
    match (req.method.as_str(), gkey) {
        ("GET", None) => {
            let ids = members(ctx.store, "consumer", "consumer_group", &consumer);
            Ok(Reply::json(200, page_of(ctx.store, "consumer_groups", &ids, req, base)?))
        }
        ("POST", None) => {
            let body = req.json()?;
            let keys = keys_of(body.get("group"), "group")?;
            let mut added = Vec::new();
            for k in &keys {
                let g = find_required(ctx.store, "consumer_groups", k)?;
                add(ctx, g, consumer)?;
                added.extend(ctx.store.get("consumer_groups", &g).cloned());
            }
            let c = ctx.store.get("consumers", &consumer).cloned().unwrap_or(Value::Null);
            Ok(Reply::json(201, json!({"consumer": c, "consumer_groups": added})))
        }
        ("DELETE", None) => {
            for g in members(ctx.store, "consumer", "consumer_group", &consumer) {
                remove(ctx, g, consumer)?;
            }
            Ok(Reply::empty(204))
        }
        ("DELETE", Some(gk)) => {
            if let Some(g) = ops::find(ctx.store, def("consumer_groups")?, gk, None)? {
                remove(ctx, g, consumer)?;
            }
            Ok(Reply::empty(204))
        }
        _ => Err(ApiError::method_not_allowed()),
    }
}

/// `GET /consumer_groups/{g}`: Kong Enterprise and Konnect wrap the group with its members and plugins
/// (`{"consumer_group": ..., "consumers": [...], "plugins": [...]}`, konnect.md §5.4).
pub fn get_group(store: &Store, key: &str) -> ApiResult<Reply> {
    let group = find_required(store, "consumer_groups", key)?;
    let g = store.get("consumer_groups", &group).cloned().ok_or_else(ApiError::not_found)?;
    let consumers: Vec<Value> = members(store, "consumer_group", "consumer", &group)
        .iter()
        .filter_map(|c| store.get("consumers", c).cloned())
        .collect();
    let plugins_coll = store.coll("plugins");
    let plugins: Vec<Value> =
        plugins_coll.children("consumer_group", &group).iter().filter_map(|p| plugins_coll.get(p).cloned()).collect();
    Ok(Reply::json(200, json!({"consumer_group": g, "consumers": consumers, "plugins": plugins})))
}
