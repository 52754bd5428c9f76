//! Renders the declaration tables as Kong's `GET /schemas/{entity}` and `GET /schemas/plugins/{name}`
//! JSON: `{"fields": [{"<name>": {"type": ..., ...}}, ...], "entity_checks": [...]}`, fields in schema
//! order, attributes as Kong copies them (functions such as custom validators are left out).

use super::{plugins::PluginDef, EntityDef, Field, Kind, OnDelete};
use serde_json::{json, Map, Value};

fn type_name(kind: &Kind) -> &'static str {
    match kind {
        Kind::String => "string",
        Kind::Integer => "integer",
        Kind::Number => "number",
        Kind::Boolean => "boolean",
        Kind::Array(_) => "array",
        Kind::Set(_) => "set",
        Kind::Map(..) => "map",
        Kind::Record(_) | Kind::Json => "record",
        Kind::Foreign(_) => "foreign",
    }
}

fn bound(n: f64) -> Value {
    if n.fract() == 0.0 && n.abs() < 9.0e15 {
        json!(n as i64)
    } else {
        json!(n)
    }
}

/// One field's attribute object.
pub fn field(f: &Field) -> Value {
    let mut m = Map::new();
    m.insert("type".into(), json!(type_name(&f.kind)));
    if f.required {
        m.insert("required".into(), json!(true));
    }
    if let Some(d) = &f.default {
        m.insert("default".into(), d.clone());
    }
    if f.auto {
        m.insert("auto".into(), json!(true));
    }
    if f.uuid {
        m.insert("uuid".into(), json!(true));
    }
    if f.timestamp {
        m.insert("timestamp".into(), json!(true));
    }
    if f.unique {
        m.insert("unique".into(), json!(true));
    }
    if let Some((lo, hi)) = f.between {
        m.insert("between".into(), json!([bound(lo), bound(hi)]));
    }
    if let Some(gt) = f.gt {
        m.insert("gt".into(), bound(gt));
    }
    if let Some(vals) = &f.one_of {
        m.insert("one_of".into(), Value::Array(vals.clone()));
    }
    if let Some(n) = f.len_min {
        m.insert("len_min".into(), json!(n));
    }
    if let Some(s) = f.starts_with {
        m.insert("starts_with".into(), json!(s));
    }
    if f.must_be_null {
        m.insert("eq".into(), Value::Null);
    }
    if f.referenceable {
        m.insert("referenceable".into(), json!(true));
    }
    if f.encrypted {
        m.insert("encrypted".into(), json!(true));
    }
    match &f.kind {
        Kind::Array(e) | Kind::Set(e) => {
            m.insert("elements".into(), field(e));
        }
        Kind::Map(k, v) => {
            m.insert("keys".into(), field(k));
            m.insert("values".into(), field(v));
        }
        Kind::Record(fields) => {
            m.insert("fields".into(), fields_json(fields));
        }
        Kind::Json => {
            m.insert("fields".into(), json!([]));
        }
        Kind::Foreign(r) => {
            m.insert("reference".into(), json!(r));
            if f.on_delete == OnDelete::Cascade {
                m.insert("on_delete".into(), json!("cascade"));
            }
        }
        _ => {}
    }
    Value::Object(m)
}

pub fn fields_json(fields: &[(&'static str, Field)]) -> Value {
    Value::Array(fields.iter().map(|(n, f)| json!({ *n: field(f) })).collect())
}

/// `GET /schemas/{entity}`, with the fields of the surface asked about.
pub fn entity(def: &EntityDef, fields: &[(&'static str, Field)]) -> Value {
    json!({ "fields": fields_json(fields), "entity_checks": def.checks_json.clone() })
}

/// `GET /schemas/plugins/{name}`: only the fields the plugin declares (consumer override, protocols,
/// config), as Kong's plugin subschema endpoint does.
pub fn plugin(p: &PluginDef) -> Value {
    json!({ "fields": fields_json(&p.declared_fields()), "entity_checks": [] })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::super::Registry;
    use super::*;

    #[test]
    fn service_schema_keeps_order_and_defaults() {
        let r = Registry::get();
        let s = entity(r.entity("services").unwrap(), r.fields(super::super::Surface::Community, "services"));
        let fields = s["fields"].as_array().unwrap();
        assert_eq!(fields[0]["id"]["type"], "string");
        let port = fields.iter().find_map(|f| f.get("port")).unwrap();
        assert_eq!(port["default"], 80);
        assert_eq!(port["between"], json!([0, 65535]));
    }

    #[test]
    fn plugin_schema_has_config_defaults() {
        let r = Registry::get();
        let p = plugin(r.plugin("key-auth").unwrap());
        let config = p["fields"].as_array().unwrap().iter().find_map(|f| f.get("config")).unwrap();
        let key_names = config["fields"][0]["key_names"].clone();
        assert_eq!(key_names["default"], json!(["apikey"]));
    }
}
