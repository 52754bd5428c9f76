//! The drift report: entities that differ from the files, and each data plane's configuration hash
//! against the expected one. Text for logs, JSON for machines, Markdown for an issue or a chat.

use super::{markdown, summary_line, text};
use crate::args::PlanFormat;
use kongsync_diff::Plan;
use serde::Serialize;
use std::fmt::Write;

/// A data plane's state.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NodeState {
    InSync,
    /// Runs another configuration than the expected one.
    Lagging,
    /// Not seen for longer than `--stale-after`.
    Stale,
    /// No expected hash to compare with.
    Unknown,
}

#[derive(Clone, Debug, Serialize)]
pub struct NodeStatus {
    pub id: String,
    pub hostname: String,
    pub version: String,
    pub config_hash: String,
    pub seen_secs_ago: Option<u64>,
    pub state: NodeState,
}

/// Everything a drift check found.
#[derive(Clone, Debug, Serialize)]
pub struct DriftReport {
    /// The plan that would bring the gateway back to the files (redacted).
    pub plan: Plan,
    pub expected_hash: Option<String>,
    pub nodes: Vec<NodeStatus>,
    pub notes: Vec<String>,
}

impl DriftReport {
    /// Whether anything differs: an entity, or a data plane that lags or is stale.
    pub fn drifted(&self) -> bool {
        !self.plan.is_empty() || self.nodes.iter().any(|n| matches!(n.state, NodeState::Lagging | NodeState::Stale))
    }

    fn count(&self, state: NodeState) -> usize {
        self.nodes.iter().filter(|n| n.state == state).count()
    }

    fn configuration_line(&self) -> String {
        if self.plan.is_empty() {
            "matches the files".to_string()
        } else {
            summary_line(&self.plan.summary)
        }
    }

    fn node_line(&self) -> String {
        format!(
            "{} data planes: {} in sync, {} lagging, {} stale",
            self.nodes.len(),
            self.count(NodeState::InSync),
            self.count(NodeState::Lagging),
            self.count(NodeState::Stale)
        )
    }
}

/// The report in the asked format.
pub fn render(report: &DriftReport, format: PlanFormat, color: bool) -> String {
    match format {
        PlanFormat::Json => serde_json::to_string_pretty(report).unwrap_or_default(),
        PlanFormat::Text => as_text(report, color),
        PlanFormat::Markdown => as_markdown(report),
    }
}

fn seen(n: &NodeStatus) -> String {
    n.seen_secs_ago.map_or_else(|| "never seen".to_string(), |s| format!("seen {s}s ago"))
}

fn as_text(r: &DriftReport, color: bool) -> String {
    let mut out = String::new();
    let verdict = if r.drifted() { "DRIFT" } else { "in sync" };
    let _ = writeln!(out, "Drift check of {}: {verdict}", r.plan.target);
    let _ = writeln!(out, "Configuration: {}", r.configuration_line());
    let _ = writeln!(out, "{}", r.node_line());
    if let Some(h) = &r.expected_hash {
        let _ = writeln!(out, "Expected config hash: {h}");
    }
    for n in &r.nodes {
        let _ = writeln!(
            out,
            "  {:?} {} ({}, {}, hash {}, {})",
            n.state,
            n.hostname,
            n.id,
            n.version,
            n.config_hash,
            seen(n)
        );
    }
    for note in &r.notes {
        let _ = writeln!(out, "note: {note}");
    }
    if !r.plan.is_empty() {
        out.push('\n');
        out.push_str(&text::plan(&r.plan, color));
    }
    out
}

fn as_markdown(r: &DriftReport) -> String {
    let mut out = String::new();
    let verdict = if r.drifted() { "⚠️ drift" } else { "✅ in sync" };
    let _ = writeln!(out, "### kongsync drift check: {verdict}\n");
    let _ = writeln!(out, "- Target: `{}`", r.plan.target);
    let _ = writeln!(out, "- Configuration: {}", r.configuration_line());
    let _ = writeln!(out, "- {}", r.node_line());
    if let Some(h) = &r.expected_hash {
        let _ = writeln!(out, "- Expected config hash: `{h}`");
    }
    if !r.nodes.is_empty() {
        let _ = writeln!(
            out,
            "\n| data plane | id | version | config hash | last seen | state |\n| --- | --- | --- | --- | --- | --- |"
        );
        for n in &r.nodes {
            let _ = writeln!(
                out,
                "| {} | `{}` | {} | `{}` | {} | {:?} |",
                n.hostname,
                n.id,
                n.version,
                n.config_hash,
                seen(n),
                n.state
            );
        }
    }
    for note in &r.notes {
        let _ = writeln!(out, "\n> {note}");
    }
    if !r.plan.is_empty() {
        out.push('\n');
        out.push_str(&markdown::plan(&r.plan));
    }
    out
}
