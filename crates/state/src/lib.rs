//! kongsync's [`State`] and the two ways to get one: from decK state files ([`file`]) and from a live
//! gateway (`api`), plus writing one back as a decK file.

pub mod api;
mod deck_yaml;
pub mod dump;
pub mod file;
pub mod layout;
mod state;

pub use state::{Meta, State};
