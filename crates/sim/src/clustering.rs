//! Hybrid mode: the simulated data planes of the Kong control plane and of each Konnect control plane,
//! when each picks up a new configuration, and Kong's two read-outs of them, `GET /clustering/data-planes`
//! and the deprecated `GET /clustering/status` (kong/api/routes/clustering.lua, 3.5.0).
//!
//! What Kong does, and this module imitates: the control plane computes the hash of the configuration
//! it pushes and keeps it in memory only (kong/clustering/control_plane.lua:143,
//! `self.current_config_hash`); no Admin API route serves it. A data plane that applies a new
//! configuration pings at once with its new hash (kong/clustering/data_plane.lua:219-245,
//! `ping_immediately`), and the control plane stores that hash and the time in the node's row
//! (control_plane.lua:348-350), which is what the read-outs list. A node here picks up the
//! configuration once it has been unchanged for its delay (its own, or the simulator's), unless it is
//! lagging, in which case it never does.

use crate::http::Reply;
use crate::state::{now_secs, State};
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use std::time::Duration;
use uuid::Uuid;

/// How to add simulated data planes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct DataPlaneSpec {
    /// Control plane name; `None` = the Kong hybrid control plane (`/clustering/data-planes`).
    pub control_plane: Option<String>,
    pub count: usize,
    /// A lagging node keeps reporting the configuration hash it had when it was added.
    pub lagging: bool,
    pub last_seen_secs_ago: u64,
    pub version: String,
    /// How long the configuration must be unchanged before these nodes report its hash, in
    /// milliseconds; `None` = the simulator's `data_plane_delay`.
    pub delay_ms: Option<u64>,
}

impl Default for DataPlaneSpec {
    fn default() -> Self {
        DataPlaneSpec {
            control_plane: None,
            count: 1,
            lagging: false,
            last_seen_secs_ago: 0,
            version: "3.5.0".into(),
            delay_ms: None,
        }
    }
}

/// One simulated data plane (persisted with the simulator's data file).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DataPlane {
    pub id: Uuid,
    /// `None` for the Kong side.
    pub control_plane: Option<Uuid>,
    pub hostname: String,
    pub ip: String,
    pub version: String,
    pub lagging: bool,
    pub last_seen: i64,
    pub created_at: i64,
    /// The hash this node reports and the store version it belongs to.
    pub config_hash: String,
    pub applied_version: u64,
    /// This node's own delay in milliseconds (`None`: the simulator's).
    #[serde(default)]
    pub delay_ms: Option<u64>,
}

/// What the Kong Admin API at `/` is in a cluster (`role` in kong.conf).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KongRole {
    /// A hybrid control plane: lists its data planes.
    #[default]
    ControlPlane,
    /// A traditional node with its own database: no data planes, and the clustering routes answer 400.
    Traditional,
}

impl KongRole {
    /// The value `GET /` reports as `configuration.role`.
    pub fn as_str(self) -> &'static str {
        match self {
            KongRole::ControlPlane => "control_plane",
            KongRole::Traditional => "traditional",
        }
    }
}

impl State {
    /// Adds `spec.count` data planes to the control plane `spec.control_plane` (Kong's when `None`), each
    /// reporting the configuration it holds now; returns their ids.
    pub fn add_data_planes(&mut self, spec: &DataPlaneSpec) -> Result<Vec<String>, String> {
        let cp_id = match &spec.control_plane {
            None => None,
            Some(name) => Some(
                self.cps
                    .iter()
                    .find(|c| &c.name == name)
                    .map(|c| c.id)
                    .ok_or_else(|| format!("no control plane named '{name}'"))?,
            ),
        };
        let now = now_secs() as i64;
        let mut ids = Vec::new();
        for _ in 0..spec.count {
            let n = self.data_planes.len() + 1;
            let id = uuid::Builder::from_random_bytes(rand::Rng::gen(&mut self.rng)).into_uuid();
            let cp = match cp_id {
                None => &mut self.kong,
                Some(id) => self.cps.iter_mut().find(|c| c.id == id).unwrap_or(&mut self.kong),
            };
            let hash = cp.expected_hash();
            self.data_planes.push(DataPlane {
                id,
                control_plane: cp_id,
                hostname: format!("dp-{n}.sim.local"),
                ip: format!("10.0.{}.{}", n / 250, n % 250 + 1),
                version: if spec.version.is_empty() { "3.5.0".into() } else { spec.version.clone() },
                lagging: spec.lagging,
                last_seen: now - spec.last_seen_secs_ago as i64,
                created_at: now,
                config_hash: hash,
                applied_version: cp.store.version,
                delay_ms: spec.delay_ms,
            });
            ids.push(id.to_string());
        }
        self.dirty += 1;
        Ok(ids)
    }

    /// Brings every non-lagging node of `cp` (None = Kong) whose delay has passed since the
    /// configuration last changed up to date, then returns the control plane's nodes.
    pub fn refresh_nodes(&mut self, cp: Option<Uuid>) -> Vec<DataPlane> {
        let default_delay = self.delay;
        let plane = match cp {
            None => &mut self.kong,
            Some(id) => match self.cps.iter_mut().find(|c| c.id == id) {
                Some(c) => c,
                None => return Vec::new(),
            },
        };
        let unchanged_for = plane.changed_at.elapsed();
        let version = plane.store.version;
        let due = |d: &DataPlane| {
            let delay = d.delay_ms.map_or(default_delay, Duration::from_millis);
            d.control_plane == cp && !d.lagging && d.applied_version != version && unchanged_for >= delay
        };
        if self.data_planes.iter().any(due) {
            let hash = plane.expected_hash();
            // `last_seen` stays as the node was added, so that a test's stale node stays stale.
            for d in self.data_planes.iter_mut().filter(|d| due(d)) {
                d.config_hash = hash.clone();
                d.applied_version = version;
            }
        }
        self.data_planes.iter().filter(|d| d.control_plane == cp).cloned().collect()
    }
}

/// Kong's answer on a node that is not a control plane (clustering.lua:15-19 and :31-35).
fn not_a_control_plane() -> Reply {
    Reply::json(
        400,
        json!({"message": "this endpoint is only available when Kong is configured to run as Control Plane for the cluster"}),
    )
}

/// `GET /clustering/data-planes`: the rows of `clustering_data_planes`, paged like every collection
/// (clustering.lua:11-25; fields: kong/db/schema/entities/clustering_data_planes.lua:20-41).
pub fn data_planes(state: &mut State) -> Reply {
    if state.kong_role != KongRole::ControlPlane {
        return not_a_control_plane();
    }
    let nodes = state.refresh_nodes(None);
    let data: Vec<Value> = nodes
        .iter()
        .map(|d| {
            json!({"id": d.id.to_string(), "hostname": d.hostname, "ip": d.ip, "version": d.version,
                   "config_hash": d.config_hash, "last_seen": d.last_seen, "updated_at": d.last_seen,
                   "sync_status": "normal", "labels": null})
        })
        .collect();
    Reply::json(200, json!({"data": data, "next": null}))
}

/// `GET /clustering/status`: the same rows as an object keyed by node id, each with `config_hash`,
/// `hostname`, `ip` and `last_seen` only, and a `Deprecation: true` header (clustering.lua:27-58).
pub fn status(state: &mut State) -> Reply {
    if state.kong_role != KongRole::ControlPlane {
        return not_a_control_plane();
    }
    let nodes = state.refresh_nodes(None);
    let data: Map<String, Value> = nodes
        .iter()
        .map(|d| {
            let row =
                json!({"config_hash": d.config_hash, "hostname": d.hostname, "ip": d.ip, "last_seen": d.last_seen});
            (d.id.to_string(), row)
        })
        .collect();
    Reply::json(200, Value::Object(data)).with_header("Deprecation", "true")
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::http::Body;

    fn state(delay: Duration) -> State {
        State::new(0, &[], delay, crate::Edition::Community)
    }

    fn body(reply: &Reply) -> &Value {
        match &reply.body {
            Body::Json(v) => v,
            other => panic!("not JSON: {other:?}"),
        }
    }

    /// Changes the Kong store as a write through the Admin API does (kong.rs marks `changed_at`).
    fn write(state: &mut State) {
        let id = Uuid::from_u128(1);
        let row = json!({"id": id.to_string(), "name": "orders", "host": "orders.internal"});
        state.kong.store.coll_mut("services").rows.insert(id, row);
        state.kong.store.version += 1;
        state.kong.changed_at = std::time::Instant::now();
    }

    // kong/api/routes/clustering.lua:15-19 and :31-35 (3.5.0): a node that is not a control plane
    // answers 400 on both routes.
    #[test]
    fn a_traditional_node_has_no_clustering_routes() {
        let mut st = state(Duration::ZERO);
        st.kong_role = KongRole::Traditional;
        for reply in [data_planes(&mut st), status(&mut st)] {
            assert_eq!(reply.status, 400);
            assert!(body(&reply)["message"].as_str().unwrap().contains("Control Plane"));
        }
    }

    // kong/api/routes/clustering.lua:38-56 (3.5.0): status is keyed by node id, four fields each, with a
    // Deprecation header; data-planes is a collection of the whole rows.
    #[test]
    fn status_is_keyed_by_node_and_deprecated() {
        let mut st = state(Duration::ZERO);
        let ids = st.add_data_planes(&DataPlaneSpec { count: 2, ..DataPlaneSpec::default() }).unwrap();
        let reply = status(&mut st);
        assert_eq!(reply.status, 200);
        assert!(reply.headers.contains(&("Deprecation", "true".to_string())));
        let rows = body(&reply).as_object().unwrap();
        assert_eq!(rows.len(), 2);
        let row = rows[&ids[0]].as_object().unwrap();
        let mut fields: Vec<&str> = row.keys().map(String::as_str).collect();
        fields.sort_unstable();
        assert_eq!(fields, ["config_hash", "hostname", "ip", "last_seen"]);
        let listed = data_planes(&mut st);
        assert_eq!(body(&listed)["data"].as_array().unwrap().len(), 2);
    }

    // kong/clustering/control_plane.lua:348-350 and data_plane.lua:219-245 (3.5.0): a node reports a new
    // hash once it applied the configuration (here: after its own delay), a lagging node never does.
    #[test]
    fn nodes_pick_up_a_change_after_their_own_delay_and_lagging_ones_never() {
        let mut st = state(Duration::from_secs(3600));
        st.add_data_planes(&DataPlaneSpec { delay_ms: Some(0), ..DataPlaneSpec::default() }).unwrap();
        st.add_data_planes(&DataPlaneSpec::default()).unwrap();
        st.add_data_planes(&DataPlaneSpec { lagging: true, delay_ms: Some(0), ..DataPlaneSpec::default() }).unwrap();
        let before = st.kong.expected_hash();
        write(&mut st);
        let after = st.kong.expected_hash();
        assert_ne!(before, after);
        let hashes: Vec<String> = st.refresh_nodes(None).into_iter().map(|d| d.config_hash).collect();
        // The first follows at once, the second waits for the simulator's hour, the third never follows.
        assert_eq!(hashes, [after, before.clone(), before]);
    }
}
