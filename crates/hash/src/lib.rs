//! Kong's configuration hash, as a pure function over JSON.
//!
//! A Kong data plane reports the hash of the configuration it runs
//! (`config_hash`), and a control plane publishes the hash it expects
//! (Konnect's `expected-config-hash`). Both come from one algorithm, which
//! this crate reproduces byte for byte so that kongsync can hash a document
//! itself and compare it with what Kong reports.
//!
//! The algorithm has two layers. First a value is serialized into a canonical
//! byte string ([`to_sorted_string`]): objects with their keys in bytewise
//! order as `key:value;`, arrays joined by `;` (with a trailing `;` only once
//! they hold six or more items), strings bare, numbers as Lua prints them
//! ([`format_lua_number`], C's `%.14g`), null as `/null/`, and any empty
//! container as `{}`. Whenever the buffer has grown past 1,000,000 bytes it is
//! swapped for its own 16-byte binary MD5 before the next value is written.
//! [`hash_value`] is the lowercase hex MD5 of that string.
//!
//! Second, a whole configuration is not hashed in one go ([`config_hash`]):
//! `routes`, `services`, `plugins`, `upstreams` and `targets` are hashed one
//! by one (a missing one counts as [`EMPTY_HASH`]), then everything else in
//! the object is hashed as one object, and the configuration hash is the MD5
//! of those six hex strings written one after another. A value that is not a
//! Lua table (null, boolean, number, string) is hashed directly. A JSON array
//! is a Lua table too, so it takes the composed path with five empty parts;
//! Kong never sees one there, but this keeps the function total and faithful.
//!
//! What Kong feeds into this is its own export of the database (ids,
//! timestamps, nulls and row order included); reproducing that input is the
//! caller's business, not this crate's.

mod number;
mod serialize;

use md5::{Digest, Md5};
use serde_json::Value;

pub use number::format_lua_number;
pub use serialize::to_sorted_string;

/// The hash Kong uses for "no configuration" and for a missing part of one.
pub const EMPTY_HASH: &str = "00000000000000000000000000000000";

/// The top-level keys hashed on their own, in the order their hashes are
/// concatenated.
const PARTS: [&str; 5] = ["routes", "services", "plugins", "upstreams", "targets"];

/// The configuration hash together with the part hashes it is made of, as a
/// data plane records them (Kong's "granular hashes").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigHashes {
    /// The whole-configuration hash, the same as [`config_hash`].
    pub config: String,
    /// Hash of `routes`, or [`EMPTY_HASH`] when absent.
    pub routes: String,
    /// Hash of `services`, or [`EMPTY_HASH`] when absent.
    pub services: String,
    /// Hash of `plugins`, or [`EMPTY_HASH`] when absent.
    pub plugins: String,
    /// Hash of `upstreams`, or [`EMPTY_HASH`] when absent.
    pub upstreams: String,
    /// Hash of `targets`, or [`EMPTY_HASH`] when absent.
    pub targets: String,
}

/// Lowercase hex MD5 of [`to_sorted_string`] of `value`.
pub fn hash_value(value: &Value) -> String {
    md5_hex(&to_sorted_string(value))
}

/// The configuration hash Kong computes for `config`: 32 lowercase hex digits.
///
/// ```
/// use kongsync_hash::config_hash;
/// use serde_json::json;
///
/// assert_eq!(config_hash(&json!({})), "2da3c26e4dbd6dd6ea3ab60a3dd7fb3e");
/// assert_eq!(config_hash(&json!(true)), "b326b5062b2f0e69046810717534cb09");
/// ```
pub fn config_hash(config: &Value) -> String {
    config_hashes(config).config
}

/// The configuration hash and its part hashes.
pub fn config_hashes(config: &Value) -> ConfigHashes {
    let empty = || EMPTY_HASH.to_owned();
    let (parts, rest) = match config {
        Value::Object(map) => {
            let parts = PARTS.map(|key| map.get(key).map_or_else(empty, hash_value));
            (parts, md5_hex(&serialize::object_without(map, &PARTS)))
        }
        // An array is a Lua table without those keys: five absent parts.
        Value::Array(_) => (PARTS.map(|_| empty()), hash_value(config)),
        scalar => {
            let hash = hash_value(scalar);
            return ConfigHashes {
                config: hash,
                routes: empty(),
                services: empty(),
                plugins: empty(),
                upstreams: empty(),
                targets: empty(),
            };
        }
    };
    let mut joined = String::with_capacity(32 * 6);
    for part in parts.iter().chain(std::iter::once(&rest)) {
        joined.push_str(part);
    }
    let [routes, services, plugins, upstreams, targets] = parts;
    ConfigHashes { config: md5_hex(joined.as_bytes()), routes, services, plugins, upstreams, targets }
}

fn md5_hex(bytes: &[u8]) -> String {
    hex::encode(Md5::digest(bytes))
}
