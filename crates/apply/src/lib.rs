//! kongsync-apply: executing a plan. Refuses a stale plan ([`stale`]), walks the plan's dependency
//! graph with a bounded number of requests in flight ([`walk`]), sends each step's request exactly as
//! planned and reports what was done, what failed and what was skipped ([`execute`]).

pub mod execute;
pub mod stale;
pub mod walk;

pub use execute::{execute, ExecuteOptions, Progress, Quiet, Report, StepFailure, StepStatus};
pub use stale::{check, check_format, StaleError};
