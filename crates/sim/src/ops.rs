//! The generic entity operations both APIs share: resolve a URL key, create, upsert (PUT), update
//! (PATCH), read and delete, with Kong's order of checks: shorthands, foreign-key resolution by
//! endpoint key (code 13), schema validation (code 2), primary key (code 3), unique and cache keys
//! (409, code 5), foreign-key existence (code 4); deletes refuse (restrict, code 4) or cascade per the
//! schema's `on_delete`.

use crate::errors::{ApiError, ApiResult};
use crate::hooks;
use crate::schema::{EntityCheck, EntityDef, Field, OnDelete, Registry};
use crate::store::{cache_key_of, fk_id, Store};
use crate::validate::{deep_merge, normalize, Gen, Mode};
use serde_json::{json, Map, Value};
use uuid::Uuid;

/// The store plus the request's generator and clock.
pub struct Ctx<'a> {
    pub store: &'a mut Store,
    pub gen: Gen<'a>,
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

/// Resolves the last URL segment to an existing row's id (`None` when absent). Errors: a non-UUID key
/// where the entity has no endpoint key (code 1), or an endpoint-key value its validator rejects (code 10).
pub fn find(store: &Store, def: &EntityDef, key: &str, scope: Option<Scope>) -> ApiResult<Option<Uuid>> {
    let coll = store.coll(def.name);
    let id = if let Ok(id) =
        Uuid::parse_str(key).map_err(|_| ()).and_then(|u| if key.len() == 36 { Ok(u) } else { Err(()) })
    {
        Some(id)
    } else {
        match (def.name, scope) {
            // Targets and ACLs are named within their parent (cache keys upstream+target, consumer+group).
            ("targets", Some(s)) => coll.find_cache_key(&format!("targets:{}:{key}", s.parent)),
            ("acls", Some(s)) => coll.find_cache_key(&format!("acls:{}:{key}", s.parent)),
            ("certificates", _) => {
                // A non-UUID certificate key is an SNI name (kong-schemas.md §2.7).
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
    Ok(id.filter(|id| coll.get(id).is_some_and(|r| in_scope(r, scope))))
}

pub fn get(store: &Store, def: &EntityDef, key: &str, scope: Option<Scope>) -> ApiResult<Value> {
    let id = find(store, def, key, scope)?.ok_or_else(ApiError::not_found)?;
    let row = store.get(def.name, &id).ok_or_else(ApiError::not_found)?;
    Ok(hooks::view(store, def, row))
}

/// The field table and entity check for a write: a plugin's own when `def` is plugins.
type FieldTable = &'static [(&'static str, Field)];

fn fields_for(def: &EntityDef, row: &Map<String, Value>) -> ApiResult<(FieldTable, Option<EntityCheck>)> {
    let reg = Registry::get();
    let def: &'static EntityDef = reg.entity(def.name).ok_or_else(ApiError::not_found)?;
    if def.name != "plugins" {
        return Ok((&def.fields, def.check));
    }
    let name = match row.get("name") {
        Some(Value::String(n)) => n.as_str(),
        // Missing or invalid names fail in the generic table's validation.
        _ => return Ok((&def.fields, None)),
    };
    match (reg.plugin(name), reg.plugin_fields.get(name)) {
        (Some(p), Some(fields)) => Ok((fields.as_slice(), p.check)),
        _ => Err(ApiError::field(
            "name",
            format!("plugin '{name}' not enabled; add it to the 'plugins' configuration property"),
        )),
    }
}

/// Turns `{"name": ...}`-style foreign references into `{"id": ...}` (code 13 when nothing matches).
fn resolve_foreign(store: &Store, def: &EntityDef, body: &mut Map<String, Value>) -> ApiResult<()> {
    let reg = Registry::get();
    for (field, parent, _) in def.foreign_fields() {
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
        Some(k) => find(ctx.store, def, k, scope)?.and_then(|id| ctx.store.get(def.name, &id).map(|r| (id, r.clone()))),
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
    let extras = hooks::prepare(def, &mut body, verb != Verb::Patch)?;
    if let Some(s) = scope {
        body.insert(s.field.to_string(), json!({"id": s.parent.to_string()}));
    }
    resolve_foreign(ctx.store, def, &mut body)?;
    // The URL key wins over the body: a UUID sets `id`, a name sets the endpoint-key field.
    if let (Some(k), Verb::Put) = (key, verb) {
        if Uuid::parse_str(k).is_ok() && k.len() == 36 {
            body.insert("id".into(), json!(k.to_lowercase()));
        } else {
            match def.name {
                "certificates" => {}
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
            let (fields, _) = fields_for(def, &probe)?;
            deep_merge(&mut merged, &Value::Object(body.clone()), Some(fields));
            if let Some(m) = merged.as_object_mut() {
                m.remove("updated_at");
            }
            let merged = merged.as_object().cloned().unwrap_or_default();
            let (fields, check) = fields_for(def, &merged)?;
            normalize(fields, &merged, Mode::Update, check, &mut ctx.gen).map_err(ApiError::schema_violation)?
        }
        _ => {
            let (fields, check) = fields_for(def, &body)?;
            normalize(fields, &body, Mode::Fill, check, &mut ctx.gen).map_err(ApiError::schema_violation)?
        }
    };
    let has = |f: &str| sent.iter().any(|s| s == f);
    hooks::finish(def, &mut row, &has)?;
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
    if verb == Verb::Put
        && existing.is_none()
        && def.name == "targets"
        && key.is_some_and(|k| Uuid::parse_str(k).is_err())
    {
        // Kong 3.5: PUT /upstreams/{u}/targets/{target} updates only (kong-schemas.md §2.6).
        return Err(ApiError::not_found());
    }
    check_unique(ctx.store, def, id, &row)?;
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
            // PUT without `snis` drops the certificate's SNIs; PATCH leaves them.
            (None, Verb::Put) => set_snis(ctx, id, &[]),
            _ => {}
        }
    }
    let status = if verb == Verb::Post { 201 } else { 200 };
    Ok((status, hooks::view(ctx.store, def, &row)))
}

fn check_unique(store: &Store, def: &EntityDef, id: Uuid, row: &Map<String, Value>) -> ApiResult<()> {
    let coll = store.coll(def.name);
    if let Some(key) = cache_key_of(def, row) {
        if coll.find_cache_key(&key).is_some_and(|other| other != id) {
            let mut fields = Map::new();
            for f in def.cache_key.unwrap_or(&[]) {
                if def.has_field(f) {
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

/// DELETE: 204 also when the row is absent; restrict answers 400 code 4, cascade removes children.
pub fn delete(store: &mut Store, def: &EntityDef, key: &str, scope: Option<Scope>) -> ApiResult<()> {
    let Some(id) = find(store, def, key, scope)? else { return Ok(()) };
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
