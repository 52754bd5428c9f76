//! Refusing a plan whose deletes look like a mistake, before any write: one that would leave the
//! gateway empty in scope (that is what `reset` is for), or one with more deletes than the run
//! allows; and taking the deletes out of a plan, for a run that must never delete (`apply`).

use kongsync_diff::{Action, Execution, Plan, Step, Summary};
use std::collections::BTreeSet;
use uuid::Uuid;

/// What a run allows a plan to delete.
#[derive(Clone, Debug, Default)]
pub struct DeleteGuard {
    /// At most this many delete steps (`--max-deletes`); `None`: no limit.
    pub max_deletes: Option<usize>,
    /// The ids of the entities the gateway holds in the plan's scope now.
    pub live_in_scope: BTreeSet<Uuid>,
}

/// Why a plan is refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum GuardError {
    /// The plan deletes every entity in scope and creates nothing.
    #[error("the plan deletes all {deletes} entities in scope and creates nothing")]
    DeletesEverything { deletes: usize },
    /// More deletes than `--max-deletes` allows.
    #[error("the plan deletes {deletes} entities, more than the {max} allowed")]
    TooManyDeletes { deletes: usize, max: usize },
}

/// Checks `plan` against `guard`.
pub fn guard(plan: &Plan, guard: &DeleteGuard) -> Result<(), GuardError> {
    let deletes = plan.summary.delete;
    // An empty file against a non-empty gateway: almost always a wrong path or a templating
    // accident, and it takes everything down. Counting is not enough: a delete may be of a
    // membership or another relation that is no entity of its own, while its consumer stays.
    let deleted: BTreeSet<Uuid> = plan.steps.iter().filter(|s| s.action == Action::Delete).map(|s| s.id).collect();
    if !guard.live_in_scope.is_empty()
        && plan.summary.create == 0
        && guard.live_in_scope.iter().all(|id| deleted.contains(id))
    {
        return Err(GuardError::DeletesEverything { deletes });
    }
    match guard.max_deletes {
        Some(max) if deletes > max => Err(GuardError::TooManyDeletes { deletes, max }),
        _ => Ok(()),
    }
}

/// The plan without its deletes, nor the steps that wait for one (a create that takes a name a
/// delete frees cannot succeed without it). Returns the plan and the steps left out, in plan order.
pub fn without_deletes(plan: &Plan) -> (Plan, Vec<Step>) {
    let mut dropped = vec![false; plan.steps.len()];
    // Dependencies point to lower or higher indices, so repeat until nothing changes.
    let mut changed = true;
    while changed {
        changed = false;
        for (i, step) in plan.steps.iter().enumerate() {
            let out = step.action == Action::Delete
                || step.depends_on.iter().any(|&d| dropped.get(d).copied().unwrap_or(false))
                || matches!(step.execution, Execution::WithStep { step, .. } if dropped.get(step).copied().unwrap_or(false));
            if out && !dropped[i] {
                dropped[i] = true;
                changed = true;
            }
        }
    }
    let mut new_index = vec![usize::MAX; plan.steps.len()];
    let mut kept = Vec::new();
    let mut left_out = Vec::new();
    for (i, step) in plan.steps.iter().enumerate() {
        if dropped[i] {
            left_out.push(step.clone());
        } else {
            new_index[i] = kept.len();
            kept.push(step.clone());
        }
    }
    for (position, step) in kept.iter_mut().enumerate() {
        step.index = position;
        step.depends_on = step.depends_on.iter().map(|&d| new_index[d]).collect();
        if let Execution::WithStep { step: with, .. } = &mut step.execution {
            *with = new_index[*with];
        }
    }
    (Plan { summary: Summary::of(&kept), steps: kept, ..plan.clone() }, left_out)
}
