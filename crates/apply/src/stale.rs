//! Refusing a plan that no longer describes what it would change: a plan of another format version
//! (a plan file of another version is refused when read, by [`Plan::from_json`]), computed for
//! another target, or against a live state that has moved since.

use kongsync_diff::{Plan, PLAN_FORMAT_VERSION};

/// Why a saved plan cannot run.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum StaleError {
    /// The plan was made by a kongsync with another plan format.
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

#[cfg(test)]
mod tests {
    use super::*;
    use kongsync_diff::{Dialect, Masker, Summary};
    use kongsync_state::Scope;

    fn plan() -> Plan {
        Plan {
            format_version: PLAN_FORMAT_VERSION,
            target: "Kong at http://k".into(),
            dialect: Dialect::Kong,
            scope: Scope::default(),
            live_fingerprint: "aaaa".into(),
            desired_fingerprint: "bbbb".into(),
            summary: Summary::default(),
            steps: vec![],
            masker: Masker::default(),
        }
    }

    #[test]
    fn format_target_and_fingerprint_must_match() {
        assert_eq!(check(&plan(), "Kong at http://k", "aaaa"), Ok(()));
        assert!(matches!(check(&plan(), "Kong at http://other", "aaaa"), Err(StaleError::Target { .. })));
        assert!(matches!(check(&plan(), "Kong at http://k", "cccc"), Err(StaleError::Fingerprint { .. })));
        let old = Plan { format_version: 99, ..plan() };
        assert_eq!(check(&old, "Kong at http://k", "aaaa"), Err(StaleError::Format { found: 99 }));
    }
}
