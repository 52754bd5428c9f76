//! The in-memory database of one gateway (the Kong Admin API's implicit workspace, or one Konnect
//! control plane): per collection, rows as plain JSON objects keyed by UUID in a `BTreeMap` (so lists
//! come out in Kong's primary-key order: UUIDs compare bytewise, which equals comparing lower-case hex),
//! with indexes for unique fields, composite cache keys and foreign keys so that lookups, unique checks,
//! nested lists and cascades stay O(log n) with tens of thousands of entities.

use crate::schema::{EntityDef, Kind, Registry};
use serde_json::{Map, Value};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use uuid::Uuid;

#[derive(Default, Debug, Clone)]
pub struct Collection {
    pub rows: BTreeMap<Uuid, Value>,
    /// unique field -> JSON text of the value -> id
    unique: HashMap<&'static str, HashMap<String, Uuid>>,
    cache_key: HashMap<String, Uuid>,
    /// foreign field -> parent id -> child ids
    fk: HashMap<&'static str, HashMap<Uuid, BTreeSet<Uuid>>>,
}

/// The id inside a stored foreign reference (`{"id": "..."}`).
pub fn fk_id(v: Option<&Value>) -> Option<Uuid> {
    v.and_then(|v| v.get("id")).and_then(Value::as_str).and_then(|s| Uuid::parse_str(s).ok())
}

pub fn row_id(row: &Value) -> Option<Uuid> {
    row.get("id").and_then(Value::as_str).and_then(|s| Uuid::parse_str(s).ok())
}

fn unique_text(v: &Value) -> Option<String> {
    match v {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}

/// The composite cache key text: foreign values become their id, nulls the empty string.
pub fn cache_key_of(def: &EntityDef, row: &Map<String, Value>) -> Option<String> {
    let fields = def.cache_key?;
    let parts: Vec<String> = fields
        .iter()
        .map(|f| match row.get(*f) {
            None | Some(Value::Null) => String::new(),
            Some(v @ Value::Object(_)) => fk_id(Some(v)).map(|u| u.to_string()).unwrap_or_default(),
            Some(Value::String(s)) => s.clone(),
            Some(v) => v.to_string(),
        })
        .collect();
    Some(format!("{}:{}", def.name, parts.join(":")))
}

impl Collection {
    pub fn get(&self, id: &Uuid) -> Option<&Value> {
        self.rows.get(id)
    }
    pub fn len(&self) -> usize {
        self.rows.len()
    }
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }
    pub fn find_unique(&self, field: &str, value: &Value) -> Option<Uuid> {
        let text = unique_text(value)?;
        self.unique.get(field)?.get(&text).copied()
    }
    pub fn find_cache_key(&self, key: &str) -> Option<Uuid> {
        self.cache_key.get(key).copied()
    }
    /// Ids of rows whose `field` references `parent`, in id order.
    pub fn children(&self, field: &str, parent: &Uuid) -> Vec<Uuid> {
        self.fk.get(field).and_then(|m| m.get(parent)).map(|s| s.iter().copied().collect()).unwrap_or_default()
    }
    pub fn children_set(&self, field: &str, parent: &Uuid) -> Option<&BTreeSet<Uuid>> {
        self.fk.get(field).and_then(|m| m.get(parent))
    }
    pub fn has_children(&self, field: &str, parent: &Uuid) -> bool {
        self.children_set(field, parent).is_some_and(|s| !s.is_empty())
    }

    fn index(&mut self, def: &EntityDef, id: Uuid, row: &Value, add: bool) {
        let Some(obj) = row.as_object() else { return };
        for (name, field) in &def.fields {
            let v = obj.get(*name);
            if field.unique {
                if let Some(text) = v.and_then(unique_text) {
                    let idx = self.unique.entry(name).or_default();
                    if add {
                        idx.insert(text, id);
                    } else if idx.get(&text) == Some(&id) {
                        idx.remove(&text);
                    }
                }
            }
            if let Kind::Foreign(_) = field.kind {
                if let Some(parent) = fk_id(v) {
                    let idx = self.fk.entry(name).or_default();
                    if add {
                        idx.entry(parent).or_default().insert(id);
                    } else if let Some(set) = idx.get_mut(&parent) {
                        set.remove(&id);
                        if set.is_empty() {
                            idx.remove(&parent);
                        }
                    }
                }
            }
        }
        if let Some(key) = cache_key_of(def, obj) {
            if add {
                self.cache_key.insert(key, id);
            } else if self.cache_key.get(&key) == Some(&id) {
                self.cache_key.remove(&key);
            }
        }
    }

    /// Inserts or replaces a row, keeping every index in step.
    pub fn put(&mut self, def: &EntityDef, id: Uuid, row: Value) {
        if let Some(old) = self.rows.remove(&id) {
            self.index(def, id, &old, false);
        }
        self.index(def, id, &row, true);
        self.rows.insert(id, row);
    }

    pub fn remove(&mut self, def: &EntityDef, id: &Uuid) -> Option<Value> {
        let old = self.rows.remove(id)?;
        self.index(def, *id, &old, false);
        Some(old)
    }
}

/// One gateway's entities. `version` counts writes, so readers (data planes, the saver) can tell
/// whether anything changed.
#[derive(Debug, Clone, Default)]
pub struct Store {
    colls: HashMap<&'static str, Collection>,
    pub version: u64,
}

impl Store {
    pub fn new() -> Store {
        let mut colls = HashMap::new();
        for def in &Registry::get().entities {
            colls.insert(def.name, Collection::default());
        }
        Store { colls, version: 0 }
    }

    pub fn coll(&self, name: &str) -> &Collection {
        static EMPTY: std::sync::OnceLock<Collection> = std::sync::OnceLock::new();
        self.colls.get(name).unwrap_or_else(|| EMPTY.get_or_init(Collection::default))
    }

    pub fn coll_mut(&mut self, name: &'static str) -> &mut Collection {
        self.colls.entry(name).or_default()
    }

    pub fn get(&self, entity: &str, id: &Uuid) -> Option<&Value> {
        self.coll(entity).get(id)
    }

    pub fn put(&mut self, def: &EntityDef, id: Uuid, row: Value) {
        self.coll_mut(def.name).put(def, id, row);
        self.version += 1;
    }

    pub fn remove(&mut self, def: &EntityDef, id: &Uuid) -> Option<Value> {
        let old = self.coll_mut(def.name).remove(def, id);
        if old.is_some() {
            self.version += 1;
        }
        old
    }

    /// Every collection's rows, for persistence and export (entity name -> rows in id order).
    pub fn dump(&self) -> BTreeMap<String, Vec<Value>> {
        let mut out = BTreeMap::new();
        for def in &Registry::get().entities {
            let rows: Vec<Value> = self.coll(def.name).rows.values().cloned().collect();
            if !rows.is_empty() {
                out.insert(def.name.to_string(), rows);
            }
        }
        out
    }

    /// Rebuilds a store from `dump()` output; rows without a valid id or of unknown collections are skipped.
    pub fn load(data: &Map<String, Value>) -> Store {
        let mut store = Store::new();
        let reg = Registry::get();
        for (name, rows) in data {
            let (Some(def), Some(rows)) = (reg.entity(name), rows.as_array()) else { continue };
            for row in rows {
                if let Some(id) = row_id(row) {
                    store.coll_mut(def.name).put(def, id, row.clone());
                }
            }
        }
        store
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn indexes_follow_replacements() {
        let reg = Registry::get();
        let def = reg.entity("services").unwrap();
        let mut s = Store::new();
        let id = Uuid::new_v4();
        s.put(def, id, json!({"id": id.to_string(), "name": "a"}));
        assert_eq!(s.coll("services").find_unique("name", &json!("a")), Some(id));
        s.put(def, id, json!({"id": id.to_string(), "name": "b"}));
        assert_eq!(s.coll("services").find_unique("name", &json!("a")), None);
        assert_eq!(s.coll("services").find_unique("name", &json!("b")), Some(id));
        let routes = reg.entity("routes").unwrap();
        let rid = Uuid::new_v4();
        s.put(routes, rid, json!({"id": rid.to_string(), "service": {"id": id.to_string()}}));
        assert!(s.coll("routes").has_children("service", &id));
        s.remove(routes, &rid);
        assert!(!s.coll("routes").has_children("service", &id));
    }
}
