//! kongsync-apply: executing a plan.

pub mod walk;
