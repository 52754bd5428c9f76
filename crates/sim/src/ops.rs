//! The generic entity operations both APIs share: resolve a URL key, create, upsert (PUT), update
//! (PATCH), read and delete, with Kong's order of checks: shorthands, foreign-key resolution by
//! endpoint key (code 13), schema validation (code 2), primary key (code 3), unique and cache keys
//! (409, code 5), foreign-key existence (code 4); deletes refuse (restrict, code 4) or cascade per the
//! schema's `on_delete`.

use crate::errors::{ApiError, ApiResult};
use crate::hooks;
use crate::schema::{EntityCheck, EntityDef, Fields, OnDelete, Registry, Surface};
use crate::store::{cache_key_of, fk_id, Store};
use crate::validate::{deep_merge, normalize, Gen, Mode};
use serde_json::{json, Map, Value};
use uuid::Uuid;

/// The store plus the request's generator, clock and the surface whose tables apply.
pub struct Ctx<'a> {
    pub store: &'a mut Store,
    pub gen: Gen<'a>,
    pub surface: Surface,
}

/// A nested path's parent: rows must reference `parent` through `field`.
#[derive(Clone, Copy, Debug)]
pub struct Scope {
    pub field: &'static str,
    pub parent: Uuid,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verb {
    Post,
    Put,
    Patch,
}

fn in_scope(row: &Value, scope: Option<Scope>) -> bool {
    scope.is_none_or(|s| fk_id(row.get(s.field)) == Some(s.parent))
}

fn is_uuid_key(key: &str) -> bool {
    key.len() == 36 && Uuid::parse_str(key).is_ok()
}

/// Resolves a URL key to the id of an existing row, wherever it hangs (`None` when absent). A UUID is
/// the primary key; otherwise the kind's endpoint key, except that targets and ACLs are named within
/// their parent (`kong/api/routes/upstreams.lua:92-101`, `kong/plugins/acl/api.lua:15-36`) and a
/// certificate is named by one of its SNIs (`kong/api/routes/certificates.lua:18-36`). Errors: a
/// non-UUID key where the kind has no endpoint key (code 1), or an endpoint-key value its validator
/// rejects (code 10).
pub fn locate(store: &Store, def: &EntityDef, key: &str, scope: Option<Scope>) -> ApiResult<Option<Uuid>> {
    let coll = store.coll(def.name);
    let id = if is_uuid_key(key) {
        Uuid::parse_str(key).ok()
    } else {
        match (def.name, scope) {
            ("targets", Some(s)) => coll.find_cache_key(&format!("targets:{}:{key}", s.parent)),
            ("acls", Some(s)) => coll.find_cache_key(&format!("acls:{}:{key}", s.parent)),
            ("certificates", _) => {
                let sni = store.coll("snis").find_unique("name", &json!(key));
                sni.and_then(|s| store.get("snis", &s)).and_then(|r| fk_id(r.get("certificate")))
            }
            _ => {
                let Some(ek) = def.endpoint_key else { return Err(ApiError::invalid_primary_key()) };
                if let Some(check) = def.field(ek).and_then(|f| f.validator) {
                    check(&json!(key)).map_err(|m| ApiError::invalid_unique(ek, m))?;
                }
                coll.find_unique(ek, &json!(key))
            }
        }
    };
    Ok(id.filter(|id| coll.get(id).is_some()))
}

/// `locate`, keeping only a row under `scope`. A certificate named by an SNI that does not exist is
/// 404 "SNI not found" rather than absent (`kong/api/routes/certificates.lua:30-31`); only PUT, which
/// goes through `locate`, creates one.
pub fn find(store: &Store, def: &EntityDef, key: &str, scope: Option<Scope>) -> ApiResult<Option<Uuid>> {
    let id = locate(store, def, key, scope)?;
    if id.is_none() && def.name == "certificates" && !is_uuid_key(key) {
        return Err(ApiError::Message { status: 404, message: "SNI not found".into() });
    }
    Ok(id.filter(|id| store.get(def.name, id).is_some_and(|r| in_scope(r, scope))))
}

pub fn get(store: &Store, def: &EntityDef, key: &str, scope: Option<Scope>) -> ApiResult<Value> {
    let id = find(store, def, key, scope)?.ok_or_else(ApiError::not_found)?;
    let row = store.get(def.name, &id).ok_or_else(ApiError::not_found)?;
    Ok(hooks::view(store, def, row))
}

/// The field table and entity check for a write, as `surface` has them: a plugin's own when `def`
/// is plugins.
fn fields_for(
    surface: Surface,
    def: &EntityDef,
    row: &Map<String, Value>,
) -> ApiResult<(&'static Fields, Option<EntityCheck>)> {
    let reg = Registry::get();
    let generic = reg.fields(surface, def.name);
    if def.name != "plugins" {
        return Ok((generic, def.check));
    }
    let name = match row.get("name") {
        Some(Value::String(n)) => n.as_str(),
        // Missing or invalid names fail in the generic table's validation.
        _ => return Ok((generic, None)),
    };
    match (reg.plugin(name), reg.plugin_fields(surface, name)) {
        (Some(p), Some(fields)) => Ok((fields, p.check)),
        _ => Err(ApiError::field(
            "name",
            format!("plugin '{name}' not enabled; add it to the 'plugins' configuration property"),
        )),
    }
}

/// Turns `{"name": ...}`-style foreign references into `{"id": ...}` (code 13 when nothing matches).
/// Fields the surface does not have are left for validation to refuse as unknown.
fn resolve_foreign(store: &Store, surface: Surface, def: &EntityDef, body: &mut Map<String, Value>) -> ApiResult<()> {
    let reg = Registry::get();
    let known = reg.fields(surface, def.name);
    for (field, parent, _) in def.foreign_fields() {
        if !known.iter().any(|(n, _)| *n == field) {
            continue;
        }
        let Some(Value::Object(obj)) = body.get(field) else { continue };
        if obj.contains_key("id") {
            continue;
        }
        let Some(pdef) = reg.entity(parent) else { continue };
        let Some((k, v)) = obj.iter().find(|(k, _)| pdef.field(k).is_some_and(|f| f.unique)) else { continue };
        let text = v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string());
        match store.coll(parent).find_unique(k, v) {
            Some(id) => {
                body.insert(field.to_string(), json!({"id": id.to_string()}));
            }
            None => return Err(ApiError::unresolved(field, k, &text, parent)),
        }
    }
    Ok(())
}

/// POST, PUT or PATCH. `key` is the URL key (None for POST). Returns the status and the entity view.
///
/// Under a parent (`scope`), POST and PUT set the parent reference from the URL, and PUT upserts the
/// row its key names wherever it hangs, moving it under this parent (`kong/api/endpoints.lua:510-536`);
/// PATCH needs the row under this parent and sets the reference only when the body has none
/// (`kong/api/endpoints.lua:611-637`).
pub fn write(
    ctx: &mut Ctx,
    def: &EntityDef,
    scope: Option<Scope>,
    verb: Verb,
    key: Option<&str>,
    body: Value,
) -> ApiResult<(u16, Value)> {
    let Value::Object(mut body) = body else { return Err(ApiError::bad_request("Cannot parse JSON body")) };
    // Locate the row the URL names.
    let existing: Option<(Uuid, Value)> = match key {
        None => None,
        Some(k) => {
            let id =
                if verb == Verb::Put { locate(ctx.store, def, k, scope)? } else { find(ctx.store, def, k, scope)? };
            id.and_then(|id| ctx.store.get(def.name, &id).map(|r| (id, r.clone())))
        }
    };
    if verb == Verb::Patch && existing.is_none() {
        let k = key.unwrap_or_default();
        return Err(match (scope, def.name) {
            (None, n) if n != "plugins" && n != "targets" => {
                let field = if Uuid::parse_str(k).is_ok() { "id" } else { def.endpoint_key.unwrap_or("id") };
                ApiError::not_found_entity(field, k)
            }
            _ => ApiError::not_found(),
        });
    }
    let mut extras = hooks::prepare(def, &mut body, verb != Verb::Patch)?;
    if let Some(s) = scope {
        if verb != Verb::Patch || !body.contains_key(s.field) {
            body.insert(s.field.to_string(), json!({"id": s.parent.to_string()}));
        }
    }
    if def.name == "plugins" && !(verb == Verb::Put && key.is_some_and(|k| !is_uuid_key(k))) {
        check_plugin_protocols(ctx.store, &body, existing.as_ref().map(|(_, r)| r).filter(|_| verb == Verb::Patch))?;
    }
    hooks::check_surface(def, ctx.surface, &mut body, verb != Verb::Patch)?;
    resolve_foreign(ctx.store, ctx.surface, def, &mut body)?;
    // The URL key wins over the body: a UUID sets `id`, a name sets the endpoint-key field.
    if let (Some(k), Verb::Put) = (key, verb) {
        if is_uuid_key(k) {
            body.insert("id".into(), json!(k.to_lowercase()));
        } else {
            match def.name {
                "certificates" => {
                    // PUT by SNI name: the name joins the SNIs the body lists (certificates.lua:63-89).
                    if let Some(names) = extras.snis.as_mut() {
                        if !names.iter().any(|n| n == k) {
                            names.push(k.to_string());
                        }
                    }
                }
                "acls" => {
                    body.entry("group").or_insert_with(|| json!(k));
                }
                _ => {
                    if let Some(ek) = def.endpoint_key {
                        body.insert(ek.into(), json!(k));
                    }
                }
            }
            if let Some((id, _)) = &existing {
                body.insert("id".into(), json!(id.to_string()));
            }
        }
    }
    let sent: Vec<String> = body.keys().cloned().collect();
    let mut row = match (verb, &existing) {
        (Verb::Patch, Some((_, old))) => {
            let mut merged = old.clone();
            if let Some(m) = merged.as_object_mut() {
                // Pseudo-fields of the view never reach the stored row.
                m.remove("ttl");
            }
            let probe = {
                let mut p = merged.as_object().cloned().unwrap_or_default();
                if let Some(n) = body.get("name") {
                    p.insert("name".into(), n.clone());
                }
                p
            };
            let (fields, _) = fields_for(ctx.surface, def, &probe)?;
            deep_merge(&mut merged, &Value::Object(body.clone()), Some(fields));
            if let Some(m) = merged.as_object_mut() {
                m.remove("updated_at");
            }
            let merged = merged.as_object().cloned().unwrap_or_default();
            let (fields, check) = fields_for(ctx.surface, def, &merged)?;
            normalize(fields, &merged, Mode::Update, check, &mut ctx.gen).map_err(ApiError::schema_violation)?
        }
        _ => {
            let (fields, check) = fields_for(ctx.surface, def, &body)?;
            normalize(fields, &body, Mode::Fill, check, &mut ctx.gen).map_err(ApiError::schema_violation)?
        }
    };
    let has = |f: &str| sent.iter().any(|s| s == f);
    let old = existing.as_ref().filter(|_| verb == Verb::Patch).map(|(_, r)| r);
    hooks::finish(def, &mut row, hooks::Written { body_has: &has, old, surface: ctx.surface, gen: &mut ctx.gen })?;
    if def.has_field("updated_at") {
        let now = if def.float_timestamps {
            json!((ctx.gen.now * 1000.0).floor() / 1000.0)
        } else {
            json!(ctx.gen.now as i64)
        };
        row.insert("updated_at".into(), now);
    }
    if verb == Verb::Patch {
        if let Some((id, old)) = &existing {
            row.insert("id".into(), json!(id.to_string()));
            if let Some(c) = old.get("created_at") {
                row.insert("created_at".into(), c.clone());
            }
        }
    }
    let id = row
        .get("id")
        .and_then(Value::as_str)
        .and_then(|s| Uuid::parse_str(s).ok())
        .ok_or_else(|| ApiError::field("id", "expected a valid UUID"))?;
    if verb == Verb::Post && ctx.store.get(def.name, &id).is_some() {
        return Err(ApiError::primary_key_violation(&id.to_string()));
    }
    check_unique(ctx.store, ctx.surface, def, id, &row)?;
    check_foreign(ctx.store, def, &row)?;
    if let Some(names) = &extras.snis {
        check_snis(ctx.store, id, names)?;
    }
    if let Some(ttl) = extras.ttl {
        row.insert("ttl".into(), ttl);
    } else if def.ttl {
        if let (Verb::Patch, Some((_, old))) = (verb, &existing) {
            row.insert("ttl".into(), old.get("ttl").cloned().unwrap_or(Value::Null));
        }
    }
    let row = Value::Object(row);
    ctx.store.put(def, id, row.clone());
    if def.name == "certificates" {
        match (&extras.snis, verb) {
            (Some(names), _) => set_snis(ctx, id, names),
            // PUT without `snis` drops the certificate's SNIs (certificates.lua:92-94); PATCH leaves them.
            (None, Verb::Put) => set_snis(ctx, id, &[]),
            _ => {}
        }
    }
    let status = if verb == Verb::Post { 201 } else { 200 };
    Ok((status, hooks::view(ctx.store, def, &row)))
}

/// The plugins DAO's check before any validation (kong/db/dao/plugins.lua:23-111, 3.5.0): when the
/// body (merged over the stored row on PATCH) sets `protocols`, a route it names must share one, and a
/// service it names must have a route that shares one, or no route at all. A PUT by instance name
/// goes through the generic upsert, which does not check.
fn check_plugin_protocols(store: &Store, body: &Map<String, Value>, old: Option<&Value>) -> ApiResult<()> {
    let get = |f: &str| body.get(f).or_else(|| old.and_then(|o| o.get(f)));
    let Some(Value::Array(protocols)) = get("protocols") else { return Ok(()) };
    let shares = |route: &Value| {
        let route_protocols = route.get("protocols").and_then(Value::as_array);
        protocols.iter().any(|p| route_protocols.is_some_and(|r| r.contains(p)))
    };
    if let Some(route) = fk_id(get("route")).and_then(|id| store.get("routes", &id)) {
        if !shares(route) {
            return Err(ApiError::field("protocols", "must match the associated route's protocols"));
        }
    }
    if let Some(service) = fk_id(get("service")) {
        let routes = store.coll("routes");
        let ids = routes.children("service", &service);
        if !ids.is_empty() && !ids.iter().filter_map(|id| routes.get(id)).any(shares) {
            return Err(ApiError::field(
                "protocols",
                "must match the protocols of at least one route pointing to this Plugin's service",
            ));
        }
    }
    Ok(())
}

fn check_unique(store: &Store, surface: Surface, def: &EntityDef, id: Uuid, row: &Map<String, Value>) -> ApiResult<()> {
    let coll = store.coll(def.name);
    let known = Registry::get().fields(surface, def.name);
    if let Some(key) = cache_key_of(def, row) {
        if coll.find_cache_key(&key).is_some_and(|other| other != id) {
            let mut fields = Map::new();
            for f in def.cache_key.unwrap_or(&[]) {
                if known.iter().any(|(n, _)| n == f) {
                    fields.insert((*f).to_string(), row.get(*f).cloned().unwrap_or(Value::Null));
                }
            }
            return Err(ApiError::unique_violation(fields));
        }
    }
    for field in def.unique_fields() {
        let Some(v) = row.get(field).filter(|v| !v.is_null()) else { continue };
        if coll.find_unique(field, v).is_some_and(|other| other != id) {
            let mut fields = Map::new();
            fields.insert(field.to_string(), v.clone());
            return Err(ApiError::unique_violation(fields));
        }
    }
    Ok(())
}

fn check_foreign(store: &Store, def: &EntityDef, row: &Map<String, Value>) -> ApiResult<()> {
    for (field, parent, _) in def.foreign_fields() {
        if let Some(pid) = fk_id(row.get(field)) {
            if store.get(parent, &pid).is_none() {
                return Err(ApiError::foreign_key_missing(field, parent, &pid.to_string()));
            }
        }
    }
    // services.ca_certificates is a plain array of ids in 3.5 (no check); nothing else to verify.
    Ok(())
}

fn check_snis(store: &Store, cert: Uuid, names: &[String]) -> ApiResult<()> {
    let snis = store.coll("snis");
    for name in names {
        if let Some(sid) = snis.find_unique("name", &json!(name)) {
            let owner = snis.get(&sid).and_then(|r| fk_id(r.get("certificate")));
            if owner != Some(cert) {
                let owner = owner.map(|o| o.to_string()).unwrap_or_default();
                return Err(ApiError::field(
                    "snis",
                    format!("{name} already associated with existing certificate '{owner}'"),
                ));
            }
        }
    }
    Ok(())
}

/// Makes the certificate's SNIs exactly `names` (kept rows keep their ids).
fn set_snis(ctx: &mut Ctx, cert: Uuid, names: &[String]) {
    let Some(def) = Registry::get().entity("snis") else { return };
    let current = ctx.store.coll("snis").children("certificate", &cert);
    for sid in current {
        let name = ctx.store.get("snis", &sid).and_then(|r| r.get("name")).and_then(Value::as_str).map(str::to_string);
        if !name.is_some_and(|n| names.contains(&n)) {
            ctx.store.remove(def, &sid);
        }
    }
    for name in names {
        if ctx.store.coll("snis").find_unique("name", &json!(name)).is_some() {
            continue;
        }
        let id = ctx.gen.uuid();
        let now = ctx.gen.now as i64;
        let row = json!({"id": id.to_string(), "name": name, "created_at": now, "updated_at": now, "tags": null,
                         "certificate": {"id": cert.to_string()}});
        ctx.store.put(def, id, row);
    }
}

/// DELETE: at the top level 204 also when the row is absent (`kong/db/dao/init.lua:1294-1296`); Kong
/// answers 404 under a parent when the row is absent or hangs elsewhere (`kong/api/endpoints.lua:692-712`),
/// which the caller asks for with `absent_is_404`; restrict
/// answers 400 code 4, cascade removes children.
pub fn delete(
    store: &mut Store,
    def: &EntityDef,
    key: &str,
    scope: Option<Scope>,
    absent_is_404: bool,
) -> ApiResult<()> {
    let Some(id) = find(store, def, key, scope)? else {
        return if absent_is_404 { Err(ApiError::not_found()) } else { Ok(()) };
    };
    if def.name == "certificates" {
        // The certificate DAO deletes the SNIs before the certificate itself (kong-schemas.md §0.6).
        if let Some(sdef) = Registry::get().entity("snis") {
            for sid in store.coll("snis").children("certificate", &id) {
                store.remove(sdef, &sid);
            }
        }
    }
    check_restrict(store, def, &id)?;
    delete_cascade(store, def, &id);
    Ok(())
}

fn check_restrict(store: &Store, def: &EntityDef, id: &Uuid) -> ApiResult<()> {
    let reg = Registry::get();
    for rel in reg.children_of(def.name) {
        match rel.on_delete {
            OnDelete::Restrict if store.coll(rel.child).has_children(rel.field, id) => {
                return Err(ApiError::referenced_by(rel.child, def.name));
            }
            OnDelete::Cascade => {
                if let Some(cdef) = reg.entity(rel.child) {
                    for cid in store.coll(rel.child).children(rel.field, id) {
                        check_restrict(store, cdef, &cid)?;
                    }
                }
            }
            _ => {}
        }
    }
    Ok(())
}

fn delete_cascade(store: &mut Store, def: &EntityDef, id: &Uuid) {
    let reg = Registry::get();
    for rel in reg.children_of(def.name) {
        if rel.on_delete != OnDelete::Cascade {
            continue;
        }
        let Some(cdef) = reg.entity(rel.child) else { continue };
        for cid in store.coll(rel.child).children(rel.field, id) {
            delete_cascade(store, cdef, &cid);
        }
    }
    store.remove(def, id);
}
