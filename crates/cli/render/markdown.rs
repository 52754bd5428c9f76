//! The plan as Markdown, for a pull-request comment: a heading with the counts, a summary table per
//! kind, then one collapsible section per kind listing its steps and their changed fields.

use super::{carried_by, field_diff, printable, summary_line, symbol};
use kongsync_diff::{Action, Plan, Step};
use kongsync_model::Kind;
use std::collections::BTreeMap;
use std::fmt::Write;

/// The plan as Markdown.
pub fn plan(plan: &Plan) -> String {
    let mut out = String::new();
    if plan.is_empty() {
        let _ = writeln!(out, "### kongsync plan: no changes\n\n`{}` matches the files.", code(&plan.target));
        return out;
    }
    let _ = writeln!(out, "### kongsync plan: {}\n", summary_line(&plan.summary));
    let _ = writeln!(out, "Target: `{}`\n", code(&plan.target));
    let mut by_kind: BTreeMap<Kind, Vec<&Step>> = BTreeMap::new();
    for s in &plan.steps {
        by_kind.entry(s.kind).or_default().push(s);
    }
    let _ = writeln!(out, "| kind | create | update | delete |\n| --- | ---: | ---: | ---: |");
    for (kind, steps) in &by_kind {
        let n = |a: Action| steps.iter().filter(|s| s.action == a).count();
        let _ = writeln!(out, "| {kind} | {} | {} | {} |", n(Action::Create), n(Action::Update), n(Action::Delete));
    }
    for (kind, steps) in &by_kind {
        let _ = writeln!(out, "\n<details><summary>{kind}: {} changes</summary>\n\n```diff", steps.len());
        for s in steps {
            let _ = write!(out, "{} {} {} {}", symbol(s.action), s.action.verb(), s.kind, printable(&s.key));
            if let Some(reason) = carried_by(s) {
                let _ = write!(out, "  ({reason})");
            }
            out.push('\n');
            for line in field_diff(&s.changes) {
                let _ = writeln!(out, "{line}");
            }
            for n in &s.notes {
                let _ = writeln!(out, "    note: {n}");
            }
        }
        let _ = writeln!(out, "```\n\n</details>");
    }
    out
}

/// Text safe inside a Markdown code span.
fn code(text: &str) -> String {
    text.replace('`', "'")
}
