//! kongsync's [`State`] and its [`Scope`], and the conversions to and from it: decK state files into
//! a `State` ([`file`]), a live gateway into one ([`live`], through kongsync-gateway), a `State` back
//! into a decK file ([`dump`]) and into the document Kong hashes ([`export`]).

// Only what the crate root re-exports is its interface; everything else says `pub(crate)`.
#![warn(unreachable_pub)]

mod deck_yaml;
pub mod dump;
pub mod export;
pub mod file;
pub mod layout;
pub mod live;
mod scope;
mod state;

pub use scope::Scope;
pub use state::{Meta, State};
