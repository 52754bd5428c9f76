//! Everything the simulator holds behind its one mutex: the Kong store, the Konnect control planes
//! (each with its own store), the simulated data planes, and the seeded generator. Also the hybrid-mode
//! model: the hash of the export a control plane builds (`export.rs`) and when data planes pick it up.

use crate::schema::Surface;
use crate::store::Store;
use rand::rngs::StdRng;
use rand::SeedableRng;
use serde::{Deserialize, Serialize};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use uuid::Uuid;

/// Namespace for control-plane ids: a control plane's id is UUIDv5(namespace, name), so it is the same
/// across restarts and runs.
const CP_NAMESPACE: Uuid = Uuid::from_u128(0x6b6f_6e67_7379_6e63_2d73_696d_2d63_7001);

pub fn now_secs() -> f64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs_f64()).unwrap_or_default()
}

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
}

impl Default for DataPlaneSpec {
    fn default() -> Self {
        DataPlaneSpec { control_plane: None, count: 1, lagging: false, last_seen_secs_ago: 0, version: "3.5.0".into() }
    }
}

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
}

#[derive(Debug, Clone)]
pub struct ControlPlane {
    pub id: Uuid,
    pub name: String,
    pub created_at: String,
    pub store: Store,
    /// When the store last changed (data planes wait `data_plane_delay` after it).
    pub changed_at: Instant,
    pub hash_cache: Option<(u64, String)>,
}

impl ControlPlane {
    pub fn new(name: &str) -> ControlPlane {
        ControlPlane {
            id: Uuid::new_v5(&CP_NAMESPACE, name.as_bytes()),
            name: name.to_string(),
            created_at: "2024-01-01T00:00:00.000Z".into(),
            store: Store::new(),
            changed_at: Instant::now(),
            hash_cache: None,
        }
    }

    /// The hash of the current export, recomputed only when the store changed.
    pub fn expected_hash(&mut self) -> String {
        match &self.hash_cache {
            Some((v, h)) if *v == self.store.version => h.clone(),
            _ => {
                let h = crate::confighash::hash(&crate::export::export(&self.store));
                self.hash_cache = Some((self.store.version, h.clone()));
                h
            }
        }
    }
}

pub struct State {
    /// The Kong Admin API side, modelled as the hybrid control plane named "" (no Konnect id).
    pub kong: ControlPlane,
    pub cps: Vec<ControlPlane>,
    pub data_planes: Vec<DataPlane>,
    pub rng: StdRng,
    pub seed: u64,
    pub delay: Duration,
    /// Bumped on every change that persistence should save.
    pub dirty: u64,
    /// The Kong edition the Admin API at `/` imitates.
    pub edition: crate::Edition,
}

impl State {
    pub fn new(seed: u64, extra_cps: &[String], delay: Duration, edition: crate::Edition) -> State {
        let mut cps = vec![ControlPlane::new("default")];
        for name in extra_cps {
            if !cps.iter().any(|c| &c.name == name) {
                cps.push(ControlPlane::new(name));
            }
        }
        State {
            kong: ControlPlane::new(""),
            cps,
            data_planes: Vec::new(),
            rng: StdRng::seed_from_u64(seed),
            seed,
            delay,
            dirty: 0,
            edition,
        }
    }

    /// The tables the Kong Admin API follows.
    pub fn kong_surface(&self) -> Surface {
        match self.edition {
            crate::Edition::Community => Surface::Community,
            crate::Edition::Enterprise => Surface::Enterprise,
        }
    }

    /// Empties every store and forgets the data planes (control planes stay).
    pub fn reset(&mut self) {
        self.kong.store = Store::new();
        self.kong.changed_at = Instant::now();
        for cp in &mut self.cps {
            cp.store = Store::new();
            cp.changed_at = Instant::now();
        }
        self.data_planes.clear();
        self.rng = StdRng::seed_from_u64(self.seed);
        self.dirty += 1;
    }

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
            });
            ids.push(id.to_string());
        }
        self.dirty += 1;
        Ok(ids)
    }

    /// Brings every non-lagging node of `cp` (None = Kong) up to date when the configuration has been
    /// stable for `delay`, then returns those nodes.
    pub fn refresh_nodes(&mut self, cp: Option<Uuid>) -> Vec<DataPlane> {
        let delay = self.delay;
        let plane = match cp {
            None => &mut self.kong,
            Some(id) => match self.cps.iter_mut().find(|c| c.id == id) {
                Some(c) => c,
                None => return Vec::new(),
            },
        };
        let settled = plane.changed_at.elapsed() >= delay;
        let version = plane.store.version;
        let needs =
            self.data_planes.iter().any(|d| d.control_plane == cp && !d.lagging && d.applied_version != version);
        if settled && needs {
            let hash = plane.expected_hash();
            for d in self.data_planes.iter_mut().filter(|d| d.control_plane == cp && !d.lagging) {
                d.config_hash = hash.clone();
                d.applied_version = version;
            }
        }
        self.data_planes.iter().filter(|d| d.control_plane == cp).cloned().collect()
    }
}
