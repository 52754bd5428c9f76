//! Optional persistence of the whole simulator (Kong store, control-plane stores, data planes) to one
//! JSON file, written atomically: a temporary file in the same directory with mode 0600, flushed, then
//! renamed over the target, so a reader never sees half a file and a crash keeps the previous one.

use crate::state::{ControlPlane, DataPlane, State};
use crate::store::Store;
use serde_json::{json, Map, Value};
use std::io::Write;
use std::path::Path;

const FORMAT: u64 = 1;

/// The state as JSON (built under the lock; serialise it outside).
pub fn snapshot(state: &State) -> Value {
    let dump = |s: &Store| serde_json::to_value(s.dump()).unwrap_or(Value::Null);
    let cps: Vec<Value> =
        state.cps.iter().map(|c| json!({"id": c.id.to_string(), "name": c.name, "entities": dump(&c.store)})).collect();
    json!({
        "format": FORMAT,
        "kong": dump(&state.kong.store),
        "control_planes": cps,
        "data_planes": serde_json::to_value(&state.data_planes).unwrap_or(Value::Null),
    })
}

/// Loads a snapshot into `state`; control planes named in the file are added if missing.
pub fn restore(state: &mut State, v: &Value) -> Result<(), String> {
    if v.get("format").and_then(Value::as_u64) != Some(FORMAT) {
        return Err(format!("unsupported format (expected {FORMAT})"));
    }
    let empty = Map::new();
    let obj = |v: Option<&Value>| v.and_then(Value::as_object).cloned().unwrap_or_else(|| empty.clone());
    state.kong.store = Store::load(&obj(v.get("kong")));
    for cp in v.get("control_planes").and_then(Value::as_array).into_iter().flatten() {
        let Some(name) = cp.get("name").and_then(Value::as_str) else { continue };
        let store = Store::load(&obj(cp.get("entities")));
        match state.cps.iter_mut().find(|c| c.name == name) {
            Some(c) => c.store = store,
            None => {
                let mut c = ControlPlane::new(name);
                c.store = store;
                state.cps.push(c);
            }
        }
    }
    if let Some(dps) = v.get("data_planes") {
        state.data_planes = serde_json::from_value::<Vec<DataPlane>>(dps.clone()).unwrap_or_default();
    }
    Ok(())
}

pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("sim.json");
    // Unique per process and call, so concurrent saves never share a temporary file.
    static SEQ: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let seq = SEQ.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let tmp = dir.join(format!(".{name}.tmp.{}.{seq}", std::process::id()));
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let result = (|| {
        let mut f = opts.open(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}
