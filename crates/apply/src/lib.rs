//! kongsync-apply: executing a plan. Refuses a stale plan ([`stale`]), one whose deletes look like
//! a mistake ([`guard`]) or one the target would refuse in part ([`preflight`]), walks the plan's dependency
//! graph with a bounded number of requests in flight ([`walk`]), hands each step's request, exactly as
//! planned, to the gateway client and reports what was done, what failed and what was skipped
//! ([`execute`]). It decides nothing on its own: what to send and how to retry it is in the plan.

// Only what the crate root re-exports is its interface; everything else says `pub(crate)`.
#![warn(unreachable_pub)]

mod execute;
mod guard;
mod preflight;
mod stale;
mod walk;

pub use execute::{execute, ExecuteOptions, NoStepProgress, Report, StepFailure, StepProgress, StepStatus};
pub use guard::{guard, without_deletes, DeleteGuard, GuardError};
pub use preflight::{preflight, Checked, PreflightError, PreflightOptions, Problem, Refusal};
pub use stale::{check, StaleError};
