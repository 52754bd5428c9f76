//! The Konnect control-plane API (`konnect.md`, spec `000_*`): bearer-token authentication, control
//! planes listed and filtered (`filter[name][eq]`, `page[size]`/`page[number]`), core entities under
//! `/v2/control-planes/{id}/core-entities/...` and the legacy `/v2/runtime-groups/{id}/core-entities/...`
//! (same store, no PATCH), plugin schemas, `expected-config-hash`, and `nodes` paged with
//! `page[size]`/`page[after]`. Errors are problem+json.

use crate::errors::ApiError;
use crate::http::{problem, Reply, Req};
use crate::ops::Ctx;
use crate::router::{self, Flavor};
use crate::schema::{render, Registry, Surface};
use crate::state::{ControlPlane, State};
use crate::validate::Gen;
use base64::Engine;
use serde_json::{json, Value};

fn trace(state: &State) -> u64 {
    state.dirty.wrapping_mul(7919).wrapping_add(state.data_planes.len() as u64)
}

fn problem_reply(state: &State, status: u16, detail: &str) -> Reply {
    problem(&ApiError::Message { status, message: detail.into() }, trace(state))
}

pub fn handle(state: &mut State, req: &Req, token: &str, now: f64) -> Reply {
    let authorized = req
        .authorization
        .as_deref()
        .and_then(|h| h.strip_prefix("Bearer ").or_else(|| h.strip_prefix("bearer ")))
        .is_some_and(|t| t.trim() == token);
    if !authorized {
        return problem_reply(state, 401, "Invalid credentials");
    }
    let segs = &req.segments;
    // segs[0] == "v2"
    match (req.method.as_str(), segs.get(1).map(String::as_str), segs.len()) {
        ("GET", Some("control-planes"), 2) => list_control_planes(state, req),
        (_, Some("control-planes" | "runtime-groups"), n) if n >= 3 => control_plane(state, req, now),
        _ => problem_reply(state, 404, "Not found"),
    }
}

fn cp_json(cp: &ControlPlane) -> Value {
    let short = &cp.id.simple().to_string()[..10];
    json!({
        "id": cp.id.to_string(),
        "name": cp.name,
        "description": "",
        "labels": {},
        "config": {
            "control_plane_endpoint": format!("https://{short}.us.cp0.konghq.com"),
            "telemetry_endpoint": format!("https://{short}.us.tp0.konghq.com"),
            "cluster_type": "CLUSTER_TYPE_CONTROL_PLANE",
            "auth_type": "pinned_client_certs",
            "cloud_gateway": false,
            "proxy_urls": [],
        },
        "created_at": cp.created_at,
        "updated_at": cp.created_at,
    })
}

fn list_control_planes(state: &mut State, req: &Req) -> Reply {
    let eq = req.param("filter[name][eq]").or_else(|| req.param("filter[name]"));
    let contains = req.param("filter[name][contains]");
    let neq = req.param("filter[name][neq]");
    let id_eq = req.param("filter[id][eq]");
    let size: usize = match req.param("page[size]").map(str::parse::<usize>) {
        None => 10,
        Some(Ok(n)) if n >= 1 => n,
        _ => return problem_reply(state, 400, "page[size] must be a positive integer"),
    };
    let number: usize = match req.param("page[number]").map(str::parse::<usize>) {
        None => 1,
        Some(Ok(n)) if n >= 1 => n,
        _ => return problem_reply(state, 400, "page[number] must be a positive integer"),
    };
    let matching: Vec<&ControlPlane> = state
        .cps
        .iter()
        .filter(|c| eq.is_none_or(|n| c.name == n))
        .filter(|c| neq.is_none_or(|n| c.name != n))
        .filter(|c| contains.is_none_or(|n| c.name.contains(n)))
        .filter(|c| id_eq.is_none_or(|n| c.id.to_string() == n))
        .collect();
    let total = matching.len();
    let data: Vec<Value> = matching.iter().skip((number - 1) * size).take(size).map(|c| cp_json(c)).collect();
    Reply::json(200, json!({"data": data, "meta": {"page": {"number": number, "size": size, "total": total}}}))
}

fn control_plane(state: &mut State, req: &Req, now: f64) -> Reply {
    let segs = &req.segments;
    let cp_key = segs[2].clone();
    let Some(cp_idx) = state.cps.iter().position(|c| c.id.to_string() == cp_key.to_lowercase()) else {
        return problem_reply(state, 404, &format!("control plane {cp_key} not found"));
    };
    let tail: Vec<&str> = segs[3..].iter().map(String::as_str).collect();
    let method = req.method.as_str();
    match (method, tail.as_slice()) {
        ("GET", []) => Reply::json(200, cp_json(&state.cps[cp_idx])),
        ("GET", ["expected-config-hash"]) => {
            let cp = &mut state.cps[cp_idx];
            let hash = cp.expected_hash();
            let ts = crate::state::now_secs() as i64 - cp.changed_at.elapsed().as_secs() as i64;
            Reply::json(200, json!({"expected_hash": hash, "created_at": ts, "updated_at": ts}))
        }
        ("GET", ["nodes"]) => nodes(state, cp_idx, req),
        ("GET", ["nodes", id]) => {
            let cp_id = state.cps[cp_idx].id;
            match state.refresh_nodes(Some(cp_id)).iter().find(|d| d.id.to_string() == *id) {
                Some(d) => Reply::json(200, json!({"item": node_json(d)})),
                None => problem_reply(state, 404, "node not found"),
            }
        }
        ("DELETE", ["nodes", id]) => {
            state.data_planes.retain(|d| d.id.to_string() != *id);
            Reply::empty(204)
        }
        ("GET", ["core-entities", "schemas", "plugins", name]) => match Registry::get().plugin(name) {
            Some(p) => Reply::json(200, render::plugin(p)),
            None => problem_reply(state, 404, &format!("No plugin named '{name}'")),
        },
        ("POST", ["core-entities", "schemas", name, "validate"]) => {
            let name = if *name == "plugins" { "plugins".to_string() } else { name.replace('-', "_") };
            crate::kong::validate(state, Surface::Konnect, &name, req, now).unwrap_or_else(|e| problem(&e, 0))
        }
        (_, ["core-entities", ..]) => {
            let base = format!("/v2/{}/{}/core-entities", segs[1], cp_key);
            let State { cps, rng, dirty, .. } = state;
            let cp = &mut cps[cp_idx];
            let before = cp.store.version;
            let mut ctx = Ctx { store: &mut cp.store, gen: Gen { rng, now }, surface: Surface::Konnect };
            let result = router::route(&mut ctx, Flavor::Konnect, req, &req.segments[4..], &base);
            if cp.store.version != before {
                cp.changed_at = std::time::Instant::now();
                *dirty += 1;
            }
            let t = trace(state);
            result.unwrap_or_else(|e| problem(&e, t))
        }
        _ => problem_reply(state, 404, "Not found"),
    }
}

fn node_json(d: &crate::state::DataPlane) -> Value {
    json!({
        "id": d.id.to_string(),
        "version": d.version,
        "hostname": d.hostname,
        "last_ping": d.last_seen,
        "type": "kong-proxy",
        "created_at": d.created_at,
        "updated_at": d.last_seen,
        "config_hash": d.config_hash,
        "compatibility_status": {"state": "COMPATIBILITY_STATE_FULLY_COMPATIBLE"},
    })
}

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// `GET .../nodes`: `page[size]` (default 100) and an opaque `page[after]` cursor.
fn nodes(state: &mut State, cp_idx: usize, req: &Req) -> Reply {
    let cp_id = state.cps[cp_idx].id;
    let mut nodes = state.refresh_nodes(Some(cp_id));
    nodes.sort_by_key(|d| d.id);
    let size: usize = match req.param("page[size]").map(str::parse::<usize>) {
        None => 100,
        Some(Ok(n)) if n >= 1 => n,
        _ => return problem_reply(state, 400, "page[size] must be a positive integer"),
    };
    let after = match req.param("page[after]") {
        None | Some("") => None,
        Some(tok) => {
            let id = B64
                .decode(tok)
                .ok()
                .and_then(|b| String::from_utf8(b).ok())
                .and_then(|s| uuid::Uuid::parse_str(&s).ok());
            match id {
                Some(id) => Some(id),
                None => return problem_reply(state, 400, "invalid page[after] cursor"),
            }
        }
    };
    let total = nodes.len();
    let rest: Vec<_> = nodes.into_iter().filter(|d| after.is_none_or(|a| d.id > a)).collect();
    let page: Vec<_> = rest.iter().take(size).collect();
    let next = (rest.len() > size).then(|| page.last().map(|d| B64.encode(d.id.to_string()))).flatten();
    let items: Vec<Value> = page.iter().map(|d| node_json(d)).collect();
    Reply::json(200, json!({"items": items, "page": {"total_count": total, "next": next}}))
}
