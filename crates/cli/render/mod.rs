//! Rendering plans, sync reports and drift reports for people (text), machines (JSON) and pull
//! requests or chat (Markdown). Pure functions from values to strings, so each is snapshot-tested.
//! Plans are always rendered from their redacted copy: no secret reaches any output.

pub mod drift;
pub mod json;
pub mod markdown;
pub mod text;

use kongsync_diff::{Action, Change, Execution, Step, Summary};
use serde_json::Value;
use std::borrow::Cow;

/// Text from the files or the gateway, made safe for a terminal: every control character (an ANSI
/// escape, a carriage return that would overwrite the line, a newline that would fake one) is
/// written as its escape (`\u{1b}`), so what is shown is what is there.
pub fn printable(text: &str) -> Cow<'_, str> {
    if !text.chars().any(char::is_control) {
        return Cow::Borrowed(text);
    }
    Cow::Owned(
        text.chars().map(|c| if c.is_control() { c.escape_unicode().to_string() } else { c.to_string() }).collect(),
    )
}

/// [`printable`], line by line: a text of several lines whose line breaks are its own (clap's usage
/// messages) keeps them, and every other control character is escaped.
pub fn printable_lines(text: &str) -> String {
    text.split('\n').map(printable).collect::<Vec<_>>().join("\n")
}

/// "2 to create, 1 to update, 0 to delete".
pub fn summary_line(s: &Summary) -> String {
    format!("{} to create, {} to update, {} to delete", s.create, s.update, s.delete)
}

/// A value as one line: strings bare when simple, everything else compact JSON.
pub fn show_value(v: Option<&Value>) -> String {
    match v {
        None => "(absent)".to_string(),
        // JSON escapes control characters, so a string holding one is shown quoted.
        Some(Value::String(s)) if !s.is_empty() && !s.contains(|c: char| c.is_whitespace() || c.is_control()) => {
            s.clone()
        }
        Some(other) => other.to_string(),
    }
}

/// The changed fields of a step as a unified diff (made with `similar`): each field as `path: value`
/// lines before and after, values of several lines (lists, records) pretty-printed so that only the
/// lines that differ are marked. Lines start with `-`, `+` or a space.
pub fn field_diff(changes: &[Change]) -> Vec<String> {
    let side = |pick: fn(&Change) -> Option<&Value>| {
        let mut text = String::new();
        for c in changes {
            if let Some(v) = pick(c) {
                let shown = match v {
                    Value::Array(_) | Value::Object(_) => serde_json::to_string_pretty(v).unwrap_or_default(),
                    other => show_value(Some(other)),
                };
                for (i, line) in shown.lines().enumerate() {
                    if i == 0 {
                        text.push_str(&format!("{}: {line}\n", printable(&c.path)));
                    } else {
                        text.push_str(&format!("  {line}\n"));
                    }
                }
            }
        }
        text
    };
    let before = side(|c| c.before.as_ref());
    let after = side(|c| c.after.as_ref());
    let diff = similar::TextDiff::from_lines(&before, &after);
    diff.iter_all_changes()
        .map(|change| {
            let sign = match change.tag() {
                similar::ChangeTag::Delete => '-',
                similar::ChangeTag::Insert => '+',
                similar::ChangeTag::Equal => ' ',
            };
            format!("{sign} {}", change.value().trim_end_matches('\n'))
        })
        .collect()
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn control_characters_never_reach_a_terminal() {
        assert_eq!(printable("orders"), "orders");
        assert_eq!(printable("a\u{1b}[2Jb\rc\nd"), "a\\u{1b}[2Jb\\u{d}c\\u{a}d");
        assert_eq!(printable_lines("a\rb\nc\u{7}"), "a\\u{d}b\nc\\u{7}");
        // A value with an escape is shown as JSON, which escapes it.
        assert_eq!(show_value(Some(&json!("x\u{1b}[31m"))), "\"x\\u001b[31m\"");
        assert_eq!(show_value(Some(&json!("plain"))), "plain");
    }
}
