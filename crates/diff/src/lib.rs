//! kongsync-diff: the plan. [`plan`] pairs the entities of the desired [`State`] and of what was
//! observed on the gateway ([`Observed`]: the live state, its schemas, the parents found by look-up),
//! compares them in a form where only real changes differ, chooses each step's request and retry
//! class, and orders the steps in a dependency graph of single entities. It is the only place a plan
//! is made. Pure: no I/O.
//!
//! [`State`]: kongsync_state::State
//! [`Observed`]: kongsync_state::live::Observed

// Only what the crate root re-exports is its interface; everything else says `pub(crate)`.
#![warn(unreachable_pub)]

mod agree;
mod build;
pub mod canonical;
mod compare;
mod graph;
pub mod mask;
mod merge;
mod options;
mod pair;
mod phc;
mod plan;
mod prepare;
mod request;

pub use build::{fingerprint, live_fingerprint, plan, PlanError};
pub use mask::{message_masker, redacted, Masker};
pub use options::{Dialect, IgnoreField, IgnoreFieldError, PlanOptions};
pub use plan::{Action, Change, Execution, Plan, PlanFileError, Step, Summary, PLAN_FORMAT_VERSION};

#[cfg(test)]
mod tests;

pub(crate) use kongsync_model::{FastMap, FastSet};
