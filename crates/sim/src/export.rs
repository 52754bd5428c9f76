//! The document a hybrid control plane hashes: Kong 3.5.0's `declarative.export_config()`
//! (`kong/db/declarative/export.lua:98-191, 259-270`), called by `kong/clustering/control_plane.lua:98`
//! and hashed at :116. Built here from the simulator's own store, by Kong's rules:
//!
//! - `_format_version: "3.0"` and `_transform: false` at the top (export.lua:120-123);
//! - the workspaces are exported too (`skip_ws` is false, :261-263): the `default` workspace row;
//! - every DAO except those with `db_export = false` (:129-131: tags, clustering_data_planes, oauth2
//!   authorization codes, sessions); `parameters` holds the `cluster_id` row its migration inserts
//!   with a null `created_at` (kong/db/migrations/core/013_220_to_230.lua:9-17);
//! - one array per entity that has rows (the table emitter creates it on the first row, :239-246),
//!   rows in primary-key order (`each_for_export` pages by primary key);
//! - each row with every schema field, nulls kept (`nulls = true`, :17), timestamps kept, `ws_id`
//!   dropped (`row_to_entity` keeps it only with `show_ws_id`, kong/db/dao/init.lua:1446-1452 and
//!   kong/db/schema/init.lua:1895-1907), and a TTL entity's `ttl` kept (as the expiry time, null when
//!   none);
//! - foreign keys collapsed to the bare id (:165-178);
//! - disabled services are left out, and so is every row that references one or one of its routes
//!   (routes, plugins), and disabled plugins (:152-178).

use crate::schema::{Kind, Registry};
use crate::store::{fk_id, Store};
use serde_json::{json, Map, Value};
use std::collections::HashSet;
use uuid::Uuid;

/// The default workspace row, as `GET /workspaces/default` shows it.
pub fn default_workspace() -> Value {
    json!({"id": "00000000-0000-4000-8000-000000000001", "name": "default", "comment": null,
           "created_at": 1_700_000_000, "updated_at": 1_700_000_000, "meta": {}, "config": {}})
}

/// The simulated cluster's id (fixed, so that hashes are stable across restarts).
const CLUSTER_ID: &str = "c1a57e20-0000-4000-8000-00000000c1d0";

/// Kong's export of `store`.
pub fn export(store: &Store) -> Value {
    let reg = Registry::get();
    let mut out = Map::new();
    out.insert("_format_version".into(), json!("3.0"));
    out.insert("_transform".into(), json!(false));
    out.insert("workspaces".into(), json!([default_workspace()]));
    out.insert("parameters".into(), json!([{"created_at": null, "key": "cluster_id", "value": CLUSTER_ID}]));
    let disabled = |name: &str| -> HashSet<Uuid> {
        store
            .coll(name)
            .rows
            .iter()
            .filter(|(_, r)| r.get("enabled") == Some(&Value::Bool(false)))
            .map(|(id, _)| *id)
            .collect()
    };
    let disabled_services = disabled("services");
    let disabled_routes: HashSet<Uuid> = store
        .coll("routes")
        .rows
        .iter()
        .filter(|(_, r)| fk_id(r.get("service")).is_some_and(|s| disabled_services.contains(&s)))
        .map(|(id, _)| *id)
        .collect();
    for def in &reg.entities {
        let coll = store.coll(def.name);
        if coll.is_empty() {
            continue;
        }
        let mut rows = Vec::with_capacity(coll.len());
        for (id, row) in &coll.rows {
            let Some(obj) = row.as_object() else { continue };
            let off = match def.name {
                "services" => disabled_services.contains(id),
                "routes" => disabled_routes.contains(id),
                "plugins" => obj.get("enabled") == Some(&Value::Bool(false)),
                _ => false,
            };
            let references_off = def.foreign_fields().any(|(f, _, _)| {
                fk_id(obj.get(f)).is_some_and(|p| disabled_services.contains(&p) || disabled_routes.contains(&p))
            });
            if off || references_off {
                continue;
            }
            let mut flat = Map::new();
            for (name, f) in &def.fields {
                if flat.contains_key(*name) {
                    // A field declared once per surface (upstream `algorithm`): the row has one value.
                    continue;
                }
                let Some(v) = obj.get(*name) else { continue };
                let v = match (&f.kind, v) {
                    (Kind::Foreign(_), Value::Object(o)) => o.get("id").cloned().unwrap_or(Value::Null),
                    _ => v.clone(),
                };
                flat.insert((*name).to_string(), v);
            }
            if def.ttl {
                // Stored as the seconds asked for; exported as the expiry time.
                let expiry =
                    match (obj.get("ttl").and_then(Value::as_f64), obj.get("created_at").and_then(Value::as_f64)) {
                        (Some(ttl), Some(created)) => json!((created + ttl) as i64),
                        _ => Value::Null,
                    };
                flat.insert("ttl".into(), expiry);
            }
            rows.push(Value::Object(flat));
        }
        if !rows.is_empty() {
            out.insert(def.name.to_string(), Value::Array(rows));
        }
    }
    Value::Object(out)
}
