//! The entity routes both APIs share (Kong at `/`, Konnect under `.../core-entities/`): collections,
//! entities by id or endpoint key, the nested forms (`/services/{s}/routes`, `/consumers/{c}/key-auth`,
//! `/upstreams/{u}/targets`, ...), foreign-entity reads (`/routes/{r}/service`) and consumer-group
//! membership. Konnect differs only where `Flavor` says (no PATCH, a global `/targets` list).

use crate::errors::{ApiError, ApiResult};
use crate::http::{Reply, Req};
use crate::list;
use crate::membership;
use crate::ops::{self, Ctx, Scope, Verb};
use crate::schema::{EntityDef, Registry, Surface};
use serde_json::{json, Value};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flavor {
    Kong,
    Konnect,
}

/// `(parent collection path, segment) -> (child entity, foreign field)` for nested collections.
const NESTED: &[(&str, &str, &str, &str)] = &[
    ("services", "routes", "routes", "service"),
    ("services", "plugins", "plugins", "service"),
    ("routes", "plugins", "plugins", "route"),
    ("consumers", "plugins", "plugins", "consumer"),
    ("consumer_groups", "plugins", "plugins", "consumer_group"),
    ("consumers", "key-auth", "keyauth_credentials", "consumer"),
    ("consumers", "basic-auth", "basicauth_credentials", "consumer"),
    ("consumers", "hmac-auth", "hmacauth_credentials", "consumer"),
    ("consumers", "jwt", "jwt_secrets", "consumer"),
    ("consumers", "acls", "acls", "consumer"),
    ("consumers", "oauth2", "oauth2_credentials", "consumer"),
    ("consumers", "mtls-auth", "mtls_auth_credentials", "consumer"),
    ("certificates", "snis", "snis", "certificate"),
    ("upstreams", "targets", "targets", "upstream"),
    ("key-sets", "keys", "keys", "set"),
];

/// The top-level collection served at `segment`, if this flavour and surface serve it.
pub fn collection(flavor: Flavor, surface: Surface, segment: &str) -> Option<&'static EntityDef> {
    if segment.starts_with('_') {
        return None;
    }
    let def = Registry::get().by_path(segment)?;
    // Kong 3.5 serves targets only under their upstream (`/targets/:targets` is disabled,
    // kong/api/routes/targets.lua, 3.5.0).
    if flavor == Flavor::Kong && def.name == "targets" {
        return None;
    }
    def.surfaces.has(surface).then_some(def)
}

fn nested(surface: Surface, parent_path: &str, segment: &str) -> Option<(&'static EntityDef, &'static str)> {
    let (_, _, child, field) = NESTED.iter().find(|(p, s, _, _)| *p == parent_path && *s == segment)?;
    // A kind the surface does not serve is not served nested either (Konnect has no OAuth2, Kong OSS
    // no consumer groups).
    let def = Registry::get().served(surface, child)?;
    Some((def, *field))
}

fn ok(result: ApiResult<(u16, Value)>) -> ApiResult<Reply> {
    result.map(|(status, v)| Reply::json(status, v))
}

fn verb(method: &str, flavor: Flavor) -> ApiResult<Verb> {
    match method {
        "POST" => Ok(Verb::Post),
        "PUT" => Ok(Verb::Put),
        "PATCH" if flavor == Flavor::Kong => Ok(Verb::Patch),
        _ => Err(ApiError::method_not_allowed()),
    }
}

/// Dispatches `segs` (the path below the API root). `base` is the root prefix for `next` links
/// (empty for Kong, `/v2/control-planes/{id}/core-entities` for Konnect).
pub fn route(ctx: &mut Ctx, flavor: Flavor, req: &Req, segs: &[String], base: &str) -> ApiResult<Reply> {
    let Some(first) = segs.first() else { return Err(ApiError::not_found()) };
    let def = collection(flavor, ctx.surface, first).ok_or_else(ApiError::not_found)?;
    let method = req.method.as_str();
    match segs.len() {
        1 => match method {
            "GET" => list_top(ctx, def, req, &format!("{base}/{first}")),
            "POST" => ok(ops::write(ctx, def, None, Verb::Post, None, req.json()?)),
            _ => Err(ApiError::method_not_allowed()),
        },
        2 => entity(ctx, flavor, def, None, &segs[1], req),
        3 | 4 => sub(ctx, flavor, def, req, segs, base),
        _ => Err(ApiError::not_found()),
    }
}

fn list_top(ctx: &mut Ctx, def: &EntityDef, req: &Req, path: &str) -> ApiResult<Reply> {
    let p = list::params(&req.query)?;
    if def.name == "consumers" {
        if let Some(cid) = req.param("custom_id") {
            // `?custom_id=` answers one consumer or none, without an offset (kong-schemas.md §2.4).
            if cid.is_empty() {
                return Err(ApiError::bad_request("custom_id must be an unempty string"));
            }
            let coll = ctx.store.coll("consumers");
            let data: Vec<Value> =
                coll.find_unique("custom_id", &json!(cid)).and_then(|id| coll.get(&id)).cloned().into_iter().collect();
            return Ok(Reply::json(200, json!({"data": data, "next": null})));
        }
    }
    let name_eq = req.param("filter[name][eq]").map(str::to_string);
    let name_contains = req.param("filter[name][contains]").map(str::to_string);
    let filter = move |row: &Value| {
        let name = row.get("name").and_then(Value::as_str).unwrap_or_default();
        name_eq.as_deref().is_none_or(|n| n == name) && name_contains.as_deref().is_none_or(|n| name.contains(n))
    };
    let page = list::page(ctx.store, def, None, &p, path, Some(&filter))?;
    Ok(Reply::json(200, page))
}

/// GET/PUT/PATCH/DELETE on one entity, optionally inside a parent scope.
fn entity(
    ctx: &mut Ctx,
    flavor: Flavor,
    def: &EntityDef,
    scope: Option<Scope>,
    key: &str,
    req: &Req,
) -> ApiResult<Reply> {
    match req.method.as_str() {
        "GET" if def.name == "consumer_groups" && scope.is_none() => membership::get_group(ctx.store, key),
        "GET" => ops::get(ctx.store, def, key, scope).map(|v| Reply::json(200, v)),
        // Konnect's description lists only 204 for nested deletes (absent rows included).
        "DELETE" => {
            let absent_is_404 = flavor == Flavor::Kong && scope.is_some();
            ops::delete(ctx.store, def, key, scope, absent_is_404).map(|()| Reply::empty(204))
        }
        m => {
            let mut v = verb(m, flavor)?;
            if v == Verb::Post {
                return Err(ApiError::method_not_allowed());
            }
            if flavor == Flavor::Kong && def.name == "targets" && scope.is_some() && v == Verb::Put {
                // PUT on a target is an update of the row found under the upstream, never an upsert
                // (kong/api/routes/upstreams.lua:219-221 and update_target_cb at :60-68, 3.5.0).
                // Konnect's description calls the same PUT an upsert, and it stays one there.
                v = Verb::Patch;
            }
            ok(ops::write(ctx, def, scope, v, Some(key), req.json()?))
        }
    }
}

fn sub(ctx: &mut Ctx, flavor: Flavor, def: &EntityDef, req: &Req, segs: &[String], base: &str) -> ApiResult<Reply> {
    let (pkey, seg) = (&segs[1], segs[2].as_str());
    let method = req.method.as_str();
    match (def.name, seg) {
        ("consumer_groups", "consumers") => {
            return membership::group_route(ctx, req, pkey, segs.get(3), &format!("{base}/{}", segs[..3].join("/")))
        }
        ("consumers", "consumer_groups") if Registry::get().served(ctx.surface, "consumer_groups").is_some() => {
            return membership::consumer_route(ctx, req, pkey, segs.get(3), &format!("{base}/{}", segs[..3].join("/")))
        }
        _ => {}
    }
    let parent = ops::find(ctx.store, def, pkey, None)?.ok_or_else(ApiError::not_found)?;
    if let Some((child, field)) = nested(ctx.surface, def.path, seg) {
        let scope = Scope { field, parent };
        let path = format!("{base}/{}", segs[..3].join("/"));
        if segs.len() == 3 {
            return match method {
                "GET" if child.name == "targets" => {
                    let p = list::params(&req.query)?;
                    Ok(Reply::json(200, list::targets_page(ctx.store, child, parent, &p, &path)?))
                }
                "GET" => {
                    let p = list::params(&req.query)?;
                    Ok(Reply::json(200, list::page(ctx.store, child, Some(scope), &p, &path, None)?))
                }
                "POST" => ok(ops::write(ctx, child, Some(scope), Verb::Post, None, req.json()?)),
                _ => Err(ApiError::method_not_allowed()),
            };
        }
        if child.name == "targets" && segs[3] == "all" && method == "GET" {
            let p = list::params(&req.query)?;
            return Ok(Reply::json(200, list::page(ctx.store, child, Some(scope), &p, &format!("{path}/all"), None)?));
        }
        return entity(ctx, flavor, child, Some(scope), &segs[3], req);
    }
    if segs.len() == 3 {
        let known = Registry::get().fields(ctx.surface, def.name);
        if let Some((_, parent_name, _)) =
            def.foreign_fields().find(|(f, _, _)| *f == seg && known.iter().any(|(n, _)| n == f))
        {
            let pdef = Registry::get().served(ctx.surface, parent_name).ok_or_else(ApiError::not_found)?;
            return referenced(ctx, flavor, def, parent, seg, pdef, req);
        }
    }
    Err(ApiError::not_found())
}

/// `/routes/{r}/service`-style endpoints on the entity a row references (`kong/api/endpoints.lua`
/// `is_foreign_entity_endpoint`): GET reads it, PATCH updates it (:603-609), PUT upserts it and, when
/// the row referenced nothing, points the row at a new one (:522-562), DELETE is 405 (:683-690); each
/// 404 when the row references nothing (PUT excepted).
fn referenced(
    ctx: &mut Ctx,
    flavor: Flavor,
    def: &EntityDef,
    row_id: uuid::Uuid,
    field: &str,
    pdef: &'static EntityDef,
    req: &Req,
) -> ApiResult<Reply> {
    let row = ctx.store.get(def.name, &row_id).ok_or_else(ApiError::not_found)?;
    let target = crate::store::fk_id(row.get(field));
    match (req.method.as_str(), target) {
        ("GET", Some(t)) => ops::get(ctx.store, pdef, &t.to_string(), None).map(|v| Reply::json(200, v)),
        ("DELETE", Some(_)) => Err(ApiError::method_not_allowed()),
        ("GET" | "DELETE", None) => Err(ApiError::not_found()),
        (m, target) => {
            let v = verb(m, flavor)?;
            match (v, target) {
                (Verb::Post, _) => Err(ApiError::method_not_allowed()),
                (Verb::Patch, None) => Err(ApiError::not_found()),
                (v, Some(t)) => ok(ops::write(ctx, pdef, None, v, Some(&t.to_string()), req.json()?)),
                (_, None) => {
                    let new_id = ctx.gen.uuid().to_string();
                    let (status, created) = ops::write(ctx, pdef, None, Verb::Put, Some(&new_id), req.json()?)?;
                    let patch = json!({ field: {"id": new_id} });
                    ops::write(ctx, def, None, Verb::Patch, Some(&row_id.to_string()), patch)?;
                    Ok(Reply::json(status, created))
                }
            }
        }
    }
}
