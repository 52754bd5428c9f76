//! The configuration hash the simulated control planes expect and their data planes report: Kong's
//! algorithm from `kongsync-hash`, applied to the export built in `state::export`.

use serde_json::Value;

pub fn hash(export: &Value) -> String {
    kongsync_hash::config_hash(export)
}
