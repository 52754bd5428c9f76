//! Kong's own test vectors for the configuration hash (spec
//! `01-unit/19-hybrid/02-clustering_spec.lua`, restated in
//! `shared/reference/config-hash.md`), checked byte for byte.
#![allow(clippy::unwrap_used)]

use kongsync_hash::{config_hash, config_hashes, hash_value, to_sorted_string, EMPTY_HASH};
use serde_json::{json, Value};

/// MD5 of `{}`, the hash of any empty array or object.
const EMPTY_TABLE_MD5: &str = "99914b932bd37a50b983c5e7c90ae93b";

#[test]
fn empty_hash_is_32_zeros() {
    assert_eq!(EMPTY_HASH, "0".repeat(32));
}

#[test]
fn scalars_hash_directly() {
    let cases = [
        (json!(null), "5bf07a8b7343015026657d1108d8206e"),
        (json!(10), "d3d9446802a44259755d38e6d163e820"),
        (json!(0.9), "a894124cc6d5c5c71afe060d5dde0762"),
        (json!(""), "d41d8cd98f00b204e9800998ecf8427e"),
        (json!("hello"), "5d41402abc4b2a76b9719d911017c592"),
        (json!(false), "68934a3e9455fa72420237eb05902327"),
        (json!(true), "b326b5062b2f0e69046810717534cb09"),
    ];
    for (value, want) in cases {
        assert_eq!(config_hash(&value), want, "{value}");
        assert_eq!(hash_value(&value), want, "{value}");
    }
}

#[test]
fn empty_table() {
    let hashes = config_hashes(&json!({}));
    assert_eq!(hashes.config, "2da3c26e4dbd6dd6ea3ab60a3dd7fb3e");
    for part in [&hashes.routes, &hashes.services, &hashes.plugins, &hashes.upstreams, &hashes.targets] {
        assert_eq!(part, EMPTY_HASH);
    }
}

#[test]
fn granular_routes_services_plugins() {
    let hashes = config_hashes(&json!({"routes": [], "services": [], "plugins": []}));
    assert_eq!(hashes.config, "81aac97a81ad03c0cf0b36663806488e");
    assert_eq!(hashes.routes, EMPTY_TABLE_MD5);
    assert_eq!(hashes.services, EMPTY_TABLE_MD5);
    assert_eq!(hashes.plugins, EMPTY_TABLE_MD5);
    assert_eq!(hashes.upstreams, EMPTY_HASH);
    assert_eq!(hashes.targets, EMPTY_HASH);
}

#[test]
fn granular_upstreams_targets() {
    let hashes = config_hashes(&json!({"upstreams": [], "targets": []}));
    assert_eq!(hashes.config, "4d60dd9998ea4314039da5ca2f1db96f");
    assert_eq!(hashes.routes, EMPTY_HASH);
    assert_eq!(hashes.upstreams, EMPTY_TABLE_MD5);
    assert_eq!(hashes.targets, EMPTY_TABLE_MD5);
}

fn complex_table() -> Value {
    let six = json!(["v1", "v2", "v3", "v4", "v5", "v6"]);
    let configs = [
        json!({"param": "value"}),
        json!({"param": six}),
        json!({"param": ["v1", "v2", "v3", "v4", "v5"]}),
        json!({"param": ["v1", "v2", "v3", "v4"]}),
        json!({"param": ["v1", "v2", "v3"]}),
        json!({"param": ["v1", "v2"]}),
        json!({"param": ["v1"]}),
        json!({"param": {}}),
        json!({"param": "value", "array": six}),
        json!({
            "bool1": true, "bool2": false, "number": 1, "double": 1.1, "empty": {},
            "null": null, "string": "test", "hash": {"k": "v"}, "array": six,
        }),
    ];
    let plugins: Vec<Value> =
        configs.into_iter().enumerate().map(|(i, config)| json!({"name": i.to_string(), "config": config})).collect();
    let consumers: Vec<Value> = (1..=1000).map(|i| json!({"username": format!("user-{i}")})).collect();
    json!({"plugins": plugins, "consumers": consumers})
}

#[test]
fn complex_table_vector() {
    assert_eq!(config_hash(&complex_table()), "675ff4b6b1c8cefa5198284110786ad0");
}

#[test]
fn complex_table_plugin_serialization() {
    // Spot-check the serialization behind the vector, so a mismatch points at
    // the rule that broke.
    let value = complex_table();
    let plugins = String::from_utf8(to_sorted_string(&value["plugins"])).unwrap();
    assert!(plugins.starts_with("config:param:value;;name:0;;config:param:v1;v2;v3;v4;v5;v6;;;name:1;;"));
    assert!(plugins.contains("config:param:v1;v2;v3;v4;v5;;name:2;;"));
    assert!(plugins.contains("config:param:{};;name:7;;"));
    assert!(plugins.ends_with(
        "config:array:v1;v2;v3;v4;v5;v6;;bool1:true;bool2:false;double:1.1;empty:{};\
         hash:k:v;;null:/null/;number:1;string:test;;name:9;;"
    ));
}

#[test]
fn top_level_array_takes_the_composed_path() {
    // A Lua array is a table without `routes` etc.: five empty parts.
    let value = json!(["a", "b"]);
    let rest = hash_value(&value);
    let joined = format!("{}{rest}", EMPTY_HASH.repeat(5));
    let want = hex_md5(joined.as_bytes());
    assert_eq!(config_hash(&value), want);
}

#[test]
fn null_part_is_hashed_not_missing() {
    let hashes = config_hashes(&json!({"routes": null}));
    assert_eq!(hashes.routes, "5bf07a8b7343015026657d1108d8206e");
}

fn hex_md5(bytes: &[u8]) -> String {
    use md5::{Digest, Md5};
    hex::encode(Md5::digest(bytes))
}
