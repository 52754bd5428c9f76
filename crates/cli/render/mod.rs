//! Rendering plans, sync reports and drift reports for people (text), machines (JSON) and pull
//! requests or chat (Markdown). Pure functions from values to strings, so each is snapshot-tested.
//! Plans are always rendered from their redacted copy: no secret reaches any output.

pub mod drift;
pub mod json;
pub mod markdown;
pub mod text;

use kongsync_diff::{Action, Change, Execution, Step, Summary};
use serde_json::Value;

/// "2 to create, 1 to update, 0 to delete".
pub fn summary_line(s: &Summary) -> String {
    format!("{} to create, {} to update, {} to delete", s.create, s.update, s.delete)
}

/// A value as one line: strings bare when simple, everything else compact JSON.
pub fn show_value(v: Option<&Value>) -> String {
    match v {
        None => "(absent)".to_string(),
        Some(Value::String(s)) if !s.is_empty() && !s.contains(char::is_whitespace) => s.clone(),
        Some(other) => other.to_string(),
    }
}

/// "a → b" for a change.
pub fn show_change(c: &Change) -> String {
    format!("{}: {} → {}", c.path, show_value(c.before.as_ref()), show_value(c.after.as_ref()))
}

/// The symbol of an action, as Terraform users read it.
pub fn symbol(a: Action) -> &'static str {
    match a {
        Action::Create => "+",
        Action::Update => "~",
        Action::Delete => "-",
    }
}

/// Why a step sends no request of its own, when it does not.
pub fn carried_by(step: &Step) -> Option<&str> {
    match &step.execution {
        Execution::WithStep { reason, .. } => Some(reason),
        Execution::Request(_) => None,
    }
}
