//! JSON for machines: the redacted plan as it is, and the sync report with each step named.

use kongsync_apply::{Report, StepStatus};
use kongsync_diff::{message_masker, Plan, Step};
use serde::Serialize;

/// The plan (already redacted) as pretty JSON.
pub fn plan(plan: &Plan) -> String {
    serde_json::to_string_pretty(plan).unwrap_or_default()
}

#[derive(Serialize)]
struct SyncOutput<'a> {
    target: &'a str,
    summary: &'a kongsync_diff::Summary,
    done: usize,
    failed: usize,
    skipped: usize,
    not_started: usize,
    #[serde(skip_serializing_if = "is_zero")]
    held_back: usize,
    requests: u64,
    steps: Vec<StepOutput<'a>>,
}

#[derive(Serialize)]
struct StepOutput<'a> {
    index: usize,
    action: &'static str,
    kind: String,
    key: &'a str,
    #[serde(flatten)]
    status: StepStatus,
}

/// The outcome of a sync; the gateway's messages masked as in the text report.
pub fn report(plan: &Plan, report: &Report) -> String {
    let masker = message_masker(plan);
    let masked = |st: &StepStatus| match st {
        StepStatus::Failed(f) => {
            let mut f = f.clone();
            f.message = masker.scrub(&f.message);
            StepStatus::Failed(f)
        }
        other => other.clone(),
    };
    let steps = plan.steps.iter().zip(&report.steps).map(|(s, st): (&Step, _)| StepOutput {
        index: s.index,
        action: s.action.verb(),
        kind: s.kind.to_string(),
        key: &s.key,
        status: masked(st),
    });
    let out = SyncOutput {
        target: &plan.target,
        summary: &plan.summary,
        done: report.done,
        failed: report.failed,
        skipped: report.skipped,
        not_started: report.not_started,
        held_back: report.held_back,
        requests: report.requests,
        steps: steps.collect(),
    };
    serde_json::to_string_pretty(&out).unwrap_or_default()
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}
