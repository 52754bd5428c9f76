//! The plan as Markdown, for a pull-request comment: a heading with the counts, a table of steps,
//! and the changed fields of each update folded under `<details>`.

use super::{carried_by, show_change, summary_line};
use kongsync_diff::{Action, Plan};
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
    let _ = writeln!(out, "| # | action | kind | entity | changes |\n| ---: | --- | --- | --- | --- |");
    for step in &plan.steps {
        let action = match step.action {
            Action::Create => "🟢 create",
            Action::Update => "🟡 update",
            Action::Delete => "🔴 delete",
        };
        let changes = match carried_by(step) {
            Some(reason) => cell(reason),
            None if step.changes.is_empty() => String::new(),
            None => step.changes.iter().map(|c| format!("`{}`", code(&c.path))).collect::<Vec<_>>().join(", "),
        };
        let _ = writeln!(out, "| {} | {action} | {} | `{}` | {changes} |", step.index, step.kind, code(&step.key));
    }
    let updates: Vec<_> = plan.steps.iter().filter(|s| !s.changes.is_empty()).collect();
    if !updates.is_empty() {
        let _ = writeln!(out, "\n<details><summary>Changed fields</summary>\n\n```diff");
        for s in updates {
            let _ = writeln!(out, "~ {} {}", s.kind, s.key);
            for c in &s.changes {
                let _ = writeln!(out, "    {}", show_change(c));
            }
            for n in &s.notes {
                let _ = writeln!(out, "    note: {n}");
            }
        }
        let _ = writeln!(out, "```\n\n</details>");
    }
    out
}

/// Text safe inside a Markdown code span in a table cell.
fn code(text: &str) -> String {
    text.replace('`', "'").replace('|', "\\|")
}

/// Text safe inside a table cell.
fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}
