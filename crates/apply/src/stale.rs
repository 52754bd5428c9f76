//! Refusing a plan that no longer describes what it would change: a plan file from another format
//! version, computed for another target, or against a live state that has moved since.

use kongsync_diff::{Plan, PLAN_FORMAT_VERSION};

/// Why a saved plan cannot run.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum StaleError {
    /// The plan file was written by a kongsync with another plan format.
    #[error("the plan has format version {found}; this kongsync reads version {PLAN_FORMAT_VERSION}")]
    Format { found: u32 },
    /// The plan was computed for another target.
    #[error("the plan was computed for {planned}, not for {current}")]
    Target { planned: String, current: String },
    /// The live state changed since the plan was computed.
    #[error(
        "the plan is stale: the gateway changed since it was computed (live fingerprint {planned}, now {current}); \
         compute a new plan with `kongsync diff --out`"
    )]
    Fingerprint { planned: String, current: String },
}

/// Checks that a saved plan can run against `target` whose live state in the plan's scope now has
/// the fingerprint `live_fingerprint`.
pub fn check(plan: &Plan, target: &str, live_fingerprint: &str) -> Result<(), StaleError> {
    if plan.format_version != PLAN_FORMAT_VERSION {
        return Err(StaleError::Format { found: plan.format_version });
    }
    if plan.target != target {
        return Err(StaleError::Target { planned: plan.target.clone(), current: target.to_string() });
    }
    if plan.live_fingerprint != live_fingerprint {
        return Err(StaleError::Fingerprint {
            planned: short(&plan.live_fingerprint),
            current: short(live_fingerprint),
        });
    }
    Ok(())
}

fn short(fp: &str) -> String {
    fp.chars().take(12).collect()
}

/// Checks only the format version of a plan read from a file, before anything else is done.
pub fn check_format(plan: &Plan) -> Result<(), StaleError> {
    if plan.format_version == PLAN_FORMAT_VERSION {
        Ok(())
    } else {
        Err(StaleError::Format { found: plan.format_version })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kongsync_diff::{Dialect, PlanScope, Summary};

    fn plan() -> Plan {
        Plan {
            format_version: PLAN_FORMAT_VERSION,
            target: "Kong at http://k".into(),
            dialect: Dialect::Kong,
            scope: PlanScope::default(),
            live_fingerprint: "aaaa".into(),
            desired_fingerprint: "bbbb".into(),
            summary: Summary::default(),
            steps: vec![],
        }
    }

    #[test]
    fn format_target_and_fingerprint_must_match() {
        assert_eq!(check(&plan(), "Kong at http://k", "aaaa"), Ok(()));
        assert!(matches!(check(&plan(), "Kong at http://other", "aaaa"), Err(StaleError::Target { .. })));
        assert!(matches!(check(&plan(), "Kong at http://k", "cccc"), Err(StaleError::Fingerprint { .. })));
        let old = Plan { format_version: 99, ..plan() };
        assert_eq!(check_format(&old), Err(StaleError::Format { found: 99 }));
    }
}
