//! Everything the simulator holds behind its one mutex: the Kong store, the Konnect control planes
//! (each with its own store), the simulated data planes, and the seeded generator. Also the hash of
//! the export a control plane builds (`export.rs`); when data planes pick it up is `clustering.rs`.

pub use crate::clustering::{DataPlane, DataPlaneSpec, KongRole};
use crate::schema::Surface;
use crate::store::Store;
use rand::rngs::StdRng;
use rand::SeedableRng;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use uuid::Uuid;

/// Namespace for control-plane ids: a control plane's id is UUIDv5(namespace, name), so it is the same
/// across restarts and runs.
const CP_NAMESPACE: Uuid = Uuid::from_u128(0x6b6f_6e67_7379_6e63_2d73_696d_2d63_7001);

pub fn now_secs() -> f64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs_f64()).unwrap_or_default()
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
    /// Whether the Admin API at `/` is a hybrid control plane or a traditional node.
    pub kong_role: KongRole,
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
            kong_role: KongRole::default(),
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
}
