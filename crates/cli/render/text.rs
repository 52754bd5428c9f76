//! The plan and the sync report as a person reads them in a terminal or a CI log.

use super::{carried_by, field_diff, printable, summary_line, symbol};
use crate::printer::paint;
use kongsync_apply::{Report, StepStatus};
use kongsync_diff::{message_masker, Action, Plan};
use std::fmt::Write;

/// The plan, one line per step and one per changed field. `color` adds ANSI colours.
pub fn plan(plan: &Plan, color: bool) -> String {
    let mut out = String::new();
    if plan.is_empty() {
        let _ = writeln!(out, "No changes: {} matches the files.", plan.target);
        return out;
    }
    let _ = writeln!(out, "Plan for {}: {}\n", plan.target, summary_line(&plan.summary));
    for step in &plan.steps {
        let code = match step.action {
            Action::Create => "32",
            Action::Update => "33",
            Action::Delete => "31",
        };
        let head = format!("{} {} {} {}", symbol(step.action), step.action.verb(), step.kind, printable(&step.key));
        let _ = write!(out, "{}", paint(color, &head, code));
        if let Some(reason) = carried_by(step) {
            let _ = write!(out, "  ({})", printable(reason));
        }
        out.push('\n');
        for line in field_diff(&step.changes) {
            let code = match line.chars().next() {
                Some('-') => "31",
                Some('+') => "32",
                _ => "0",
            };
            let _ = writeln!(out, "    {}", paint(color && code != "0", &line, code));
        }
        for n in &step.notes {
            let _ = writeln!(out, "    note: {}", printable(n));
        }
    }
    let _ = writeln!(out, "\nSummary: {}", summary_line(&plan.summary));
    out
}

/// The outcome of a sync: counts, then every failure with its cause and what it held back. The
/// gateway's messages are masked: they may quote a secret the request sent.
pub fn report(plan: &Plan, report: &Report) -> String {
    let masker = message_masker(plan);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Sync {}: {} done, {} failed, {} skipped, {} not started ({} requests)",
        if report.succeeded() { "complete" } else { "incomplete" },
        report.done,
        report.failed,
        report.skipped,
        report.not_started,
        report.requests
    );
    if report.held_back > 0 {
        let _ =
            writeln!(out, "  {} held back: deletes run only after every create and update succeeded", report.held_back);
    }
    for (step, status) in plan.steps.iter().zip(&report.steps) {
        match status {
            StepStatus::Failed(f) => {
                let message = masker.scrub(&f.message);
                let (verb, kind, key) = (step.action.verb(), step.kind, printable(&step.key));
                let _ = writeln!(out, "  failed: {verb} {kind} {key}: {}", printable(&message));
                let held: Vec<String> = plan
                    .steps
                    .iter()
                    .zip(&report.steps)
                    .filter(|(_, s)| matches!(s, StepStatus::Skipped { root } if *root == step.index))
                    .map(|(s, _)| format!("{} {} {}", s.action.verb(), s.kind, printable(&s.key)))
                    .collect();
                for h in held {
                    let _ = writeln!(out, "    skipped because of it: {h}");
                }
            }
            StepStatus::NotStarted => {
                let _ = writeln!(out, "  not started: {} {} {}", step.action.verb(), step.kind, printable(&step.key));
            }
            StepStatus::HeldBack => {
                let _ = writeln!(
                    out,
                    "  held back (a write failed; deletes run only after every other write succeeded): {} {} {}",
                    step.action.verb(),
                    step.kind,
                    step.key
                );
            }
            StepStatus::Done | StepStatus::Skipped { .. } => {}
        }
    }
    out
}
