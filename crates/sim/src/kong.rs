//! The Kong Admin API 3.5 surface: node information (`GET /`, `/status`), schemas (`/schemas/{entity}`,
//! `/schemas/plugins/{name}`, the validate endpoints), the hybrid read-outs `/clustering/data-planes`
//! and `/clustering/status` (in `clustering.rs`), the `default` workspace, and every entity route
//! through `router`.

use crate::errors::ApiError;
use crate::http::{Reply, Req};
use crate::ops::Ctx;
use crate::router::{self, Flavor};
use crate::schema::{render, Registry, Surface};
use crate::state::State;
use crate::validate::{normalize, Gen, Mode};
use crate::Edition;
use serde_json::{json, Map, Value};

/// Kong's node id for this simulator (fixed so that dumps are stable).
const NODE_ID: &str = "5a1f0000-0000-4000-8000-00000000c0de";

pub fn handle(state: &mut State, req: &Req, now: f64) -> Reply {
    let segs: Vec<&str> = req.segments.iter().map(String::as_str).collect();
    let method = req.method.as_str();
    let surface = state.kong_surface();
    let result = match (method, segs.as_slice()) {
        ("GET" | "HEAD", []) => Ok(Reply::json(200, info(state))),
        ("GET", ["status"]) => Ok(Reply::json(200, status(state))),
        ("GET", ["schemas", "plugins", name]) => plugin_schema(name),
        ("POST", ["schemas", "plugins", "validate"]) => validate(state, surface, "plugins", req, now),
        ("GET", ["schemas", name]) => entity_schema(surface, name),
        ("POST", ["schemas", name, "validate"]) => validate(state, surface, name, req, now),
        ("GET", ["clustering", "data-planes"]) => Ok(crate::clustering::data_planes(state)),
        ("GET", ["clustering", "status"]) => Ok(crate::clustering::status(state)),
        ("GET", ["workspaces"]) => Ok(Reply::json(200, json!({"data": [workspace()], "next": null}))),
        ("GET", ["workspaces", "default"]) => Ok(Reply::json(200, workspace())),
        (_, [] | ["status"] | ["schemas", ..] | ["clustering", ..]) => Err(ApiError::method_not_allowed()),
        _ => {
            let before = state.kong.store.version;
            let mut ctx = Ctx { store: &mut state.kong.store, gen: Gen { rng: &mut state.rng, now }, surface };
            let r = router::route(&mut ctx, Flavor::Kong, req, &req.segments, "");
            if state.kong.store.version != before {
                state.kong.changed_at = std::time::Instant::now();
                state.dirty += 1;
            }
            r
        }
    };
    let reply = result.unwrap_or_else(|e| Reply::kong_error(&e));
    reply
        .with_header("Server", format!("kong/{}", version(state.edition)))
        .with_header("Access-Control-Allow-Origin", "*")
}

/// The version `GET /` reports: Kong OSS's `meta._VERSION` (kong/meta.lua, 3.5.0), and Enterprise's
/// four-part version with its suffix, which go-kong looks for to tell the editions apart.
fn version(edition: Edition) -> &'static str {
    match edition {
        Edition::Community => "3.5.0",
        Edition::Enterprise => "3.5.0.0-enterprise-edition",
    }
}

fn workspace() -> Value {
    crate::export::default_workspace()
}

fn info(state: &State) -> Value {
    let reg = Registry::get();
    let available: Map<String, Value> =
        reg.plugins.iter().map(|p| (p.name.to_string(), json!({"version": "3.5.0", "priority": p.priority}))).collect();
    let mut enabled: Vec<String> = state
        .kong
        .store
        .coll("plugins")
        .rows
        .values()
        .filter_map(|r| r.get("name").and_then(Value::as_str).map(str::to_string))
        .collect();
    enabled.sort();
    enabled.dedup();
    let names: Vec<&str> = reg.plugins.iter().map(|p| p.name).collect();
    // 3.5.0's `GET /` has no `edition` field (kong/api/routes/kong.lua:130-146); Enterprise's has one.
    let mut out = json!({
        "tagline": "Welcome to kong",
        "version": version(state.edition),
        "hostname": "kongsync-sim",
        "node_id": NODE_ID,
        "lua_version": "LuaJIT 2.1.0-20231117",
        "timers": {"running": 0, "pending": 0},
        "pids": {"master": 1, "workers": [2]},
        "plugins": {"available_on_server": available, "enabled_in_cluster": enabled},
        "configuration": {
            "database": "postgres",
            "role": state.kong_role.as_str(),
            "router_flavor": "traditional_compatible",
            "plugins": ["bundled"],
            "loaded_plugins": names,
            "admin_listen": ["127.0.0.1:8001"],
            "proxy_listen": ["0.0.0.0:8000"],
            "log_level": "notice",
            "pg_password": "******",
            "portal": false,
            "rbac": "off",
        },
    });
    if state.edition == Edition::Enterprise {
        out["edition"] = json!("enterprise");
    }
    out
}

fn status(state: &State) -> Value {
    json!({
        "database": {"reachable": true},
        "memory": {"workers_lua_vms": [{"http_allocated_gc": "0.02 MiB", "pid": 2}],
                   "lua_shared_dicts": {"kong": {"allocated_slabs": "0.04 MiB", "capacity": "5.00 MiB"}}},
        "server": {"total_requests": state.kong.store.version, "connections_active": 1, "connections_accepted": 1,
                   "connections_handled": 1, "connections_reading": 0, "connections_writing": 1, "connections_waiting": 0},
    })
}

fn entity_schema(surface: Surface, name: &str) -> Result<Reply, ApiError> {
    let reg = Registry::get();
    match reg.served(surface, name).filter(|d| !d.name.starts_with("consumer_group_consumers")) {
        Some(def) => Ok(Reply::json(200, render::entity(def, reg.fields(surface, def.name)))),
        None => Ok(Reply::json(404, json!({"message": format!("No entity named '{name}'")}))),
    }
}

fn plugin_schema(name: &str) -> Result<Reply, ApiError> {
    match Registry::get().plugin(name) {
        Some(p) => Ok(Reply::json(200, render::plugin(p))),
        None => Ok(Reply::json(404, json!({"message": format!("No plugin named '{name}'")}))),
    }
}

/// `POST /schemas/{entity}/validate`: defaults and field checks only, no database checks.
pub(crate) fn validate(
    state: &mut State,
    surface: Surface,
    name: &str,
    req: &Req,
    now: f64,
) -> Result<Reply, ApiError> {
    let reg = Registry::get();
    let def = reg
        .served(surface, name)
        .ok_or_else(|| ApiError::Message { status: 404, message: format!("No entity named '{name}'") })?;
    let Value::Object(mut body) = req.json()? else { return Err(ApiError::bad_request("Cannot parse JSON body")) };
    crate::hooks::prepare(def, &mut body, true)?;
    let (fields, check) = if def.name == "plugins" {
        let pname = body.get("name").and_then(Value::as_str).unwrap_or_default().to_string();
        match (reg.plugin(&pname), reg.plugin_fields(surface, &pname)) {
            (Some(p), Some(f)) => (f, p.check),
            _ => {
                return Err(ApiError::field(
                    "name",
                    format!("plugin '{pname}' not enabled; add it to the 'plugins' configuration property"),
                ))
            }
        }
    } else {
        (reg.fields(surface, def.name), def.check)
    };
    let mut gen = Gen { rng: &mut state.rng, now };
    normalize(fields, &body, Mode::Fill, check, &mut gen).map_err(ApiError::schema_violation)?;
    Ok(Reply::json(200, json!({"message": "schema validation successful"})))
}
