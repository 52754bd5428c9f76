//! kongsync's entity model: the kinds of Kong entities, their natural keys and references, Kong 3.5's
//! schemas and defaults, and the per-kind rules (secrets, required fields, entity checks).
//!
//! Pure: no I/O and no async. Both the state files and the live gateway are read into [`Entity`]
//! values described here, so that the two compare field by field.

// Only what the crate root re-exports is its interface; everything else says `pub(crate)`.
#![warn(unreachable_pub)]

mod builtin;
mod cores;
mod entity;
mod fast;
mod key;
mod kind;
mod refs;
mod rules;
mod schema;
mod schema_set;
pub mod secret;
mod validators;

pub use builtin::{entity_schema, known_plugins, plugin_schema};
pub use cores::{cores, joined, on_cores, uneven_parts};
pub use entity::Entity;
pub use fast::{ByAddress, FastMap, FastSet};
pub use key::{Ident, Key};
pub use kind::{Create, Kind, KindDef, Listing, OnDelete, Optional, PathShape, Reference, KINDS};
pub use refs::Refs;
pub use rules::{content_digest, entity_checks, file_required, is_secret, natural_key, normalize_target};
pub use schema::{sort_dedup, Field, FieldError, FieldSpec, FieldType, Schema, SchemaError, SERVER_FIELDS};
pub use schema_set::SchemaSet;
pub use secret::Secret;
pub use validators::{field_checks, kong_uuid};

/// Kong's configuration hash, re-exported so that the model offers it beside the entities it hashes.
pub use kongsync_hash as config_hash;
