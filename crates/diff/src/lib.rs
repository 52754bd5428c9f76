//! kongsync-diff: the plan. Pairs the entities of the desired and the live [`State`]s, compares them
//! in a form where only real changes differ, and orders the resulting steps in a dependency graph of
//! single entities. Pure: no I/O.
//!
//! [`State`]: kongsync_state::State

mod build;
pub mod canonical;
mod compare;
mod graph;
pub mod mask;
mod options;
mod pair;
mod prepare;
mod request;
mod types;

pub use build::{fingerprint, plan, scoped_fingerprint, PlanError};
pub use mask::{redacted, Masker};
pub use options::{Dialect, IgnoreField, IgnoreFieldError, PlanOptions};
pub use prepare::with_defaults;
pub use types::{Action, Change, Execution, Plan, PlanScope, PlannedRequest, Step, Summary, PLAN_FORMAT_VERSION};

#[cfg(test)]
mod tests;
