//! `kongsync drift`: the scheduled check. Files against the gateway, as `diff` compares them, and,
//! where the target reports data planes, each one's `config_hash` against the hash the control plane
//! expects: Konnect's `expected-config-hash` and `nodes`, or Kong hybrid's `/clustering/data-planes`
//! with the expected hash computed from the control plane's configuration. Exit 0 when everything
//! matches, 2 on any drift (a changed entity, a lagging or a stale data plane), 1 on error.

use super::hash::export_document;
use super::planning::{ignore_fields, plan, read_desired};
use crate::args::{DriftArgs, GlobalArgs};
use crate::exit;
use crate::printer::Printer;
use crate::render::drift::{render, DriftReport, NodeState, NodeStatus};
use crate::target::Connection;
use anyhow::{anyhow, Context};
use kongsync_diff::redacted;
use kongsync_state::api::{Client, Request};
use kongsync_state::State;
use serde_json::Value;
use std::process::ExitCode;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

pub async fn run(global: &GlobalArgs, args: &DriftArgs, printer: &Printer) -> anyhow::Result<ExitCode> {
    let DriftArgs { state, stale_after, format, ignore_fields: ignored } = args;
    let stale_after = parse_duration(stale_after).with_context(|| format!("--stale-after `{stale_after}`"))?;
    let ignore = ignore_fields(ignored)?;
    let Some(desired) = read_desired(state, printer) else { return Ok(exit::ERROR) };
    let planned = plan(global, desired, ignore, 1, printer).await?;
    let planes = data_planes(&planned.conn, &planned.live).await;
    planned.conn.close().await?;
    let (expected_hash, raw_nodes, notes) = planes?;
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default().as_secs();
    let nodes = raw_nodes.iter().map(|n| classify(n, expected_hash.as_deref(), now, stale_after)).collect();
    let report = DriftReport { plan: redacted(&planned.plan, &planned.masker), expected_hash, nodes, notes };
    printer.data(&render(&report, *format, printer.color));
    Ok(if report.drifted() { exit::changes() } else { exit::OK })
}

/// The expected hash, the data planes as the API lists them, and notes on what could not be checked.
type Planes = (Option<String>, Vec<Value>, Vec<String>);

async fn data_planes(conn: &Connection, live: &State) -> anyhow::Result<Planes> {
    let client = conn.client();
    match conn.target().control_plane_path() {
        Some(cp) => {
            let expected = client.get_json(&Request::get(format!("{cp}/expected-config-hash"))).await?;
            let hash = expected.get("expected_hash").and_then(Value::as_str).map(str::to_string);
            Ok((hash, konnect_nodes(client, &cp).await?, Vec::new()))
        }
        None => {
            let listed = client.send(&Request::get("/clustering/data-planes".to_string())).await;
            let body = match listed {
                Ok(r) => r.body,
                // Kong answers 400 (404 on some versions) when it is not a hybrid control plane.
                Err(e) if matches!(e.status(), Some(400 | 404)) => {
                    return Ok((
                        None,
                        Vec::new(),
                        vec!["the gateway is not a hybrid control plane: no data planes to check".into()],
                    ))
                }
                Err(e) => return Err(e.into()),
            };
            let nodes = body.get("data").and_then(Value::as_array).cloned().unwrap_or_default();
            let scoped = !conn.scope().select_tags.is_empty() || conn.scope().skip_consumers;
            if scoped {
                let note = "the expected hash covers the whole configuration; with --select-tag or --skip-consumers it cannot be computed, so data planes are listed but not compared";
                return Ok((None, nodes, vec![note.into()]));
            }
            let hash = kongsync_hash::config_hash(&export_document(live, None));
            let note = "Kong does not publish the hash it expects: it is computed from the control plane's configuration as kongsync reads it";
            Ok((Some(hash), nodes, vec![note.into()]))
        }
    }
}

/// Every node of a Konnect control plane, following `page.next` cursors.
async fn konnect_nodes(client: &Client, cp: &str) -> anyhow::Result<Vec<Value>> {
    let mut out = Vec::new();
    let mut after: Option<String> = None;
    for _ in 0..10_000 {
        let mut req = Request::get(format!("{cp}/nodes")).with_query("page[size]", "100");
        if let Some(a) = &after {
            req = req.with_query("page[after]", a.clone());
        }
        let body = client.get_json(&req).await?;
        out.extend(body.get("items").and_then(Value::as_array).cloned().unwrap_or_default());
        let next = body.pointer("/page/next").and_then(Value::as_str).filter(|s| !s.is_empty());
        match next {
            Some(n) => after = Some(cursor(n)),
            None => return Ok(out),
        }
    }
    Err(anyhow!("the node list of {cp} did not end after 10,000 pages"))
}

/// The `page[after]` cursor in `page.next`, which may be the cursor itself or a URI carrying it.
fn cursor(next: &str) -> String {
    match next.split_once("page%5Bafter%5D=").or_else(|| next.split_once("page[after]=")) {
        Some((_, rest)) => rest.split('&').next().unwrap_or(rest).to_string(),
        None => next.to_string(),
    }
}

/// One node's state: stale when not seen for longer than `stale_after`, else in sync or lagging.
fn classify(node: &Value, expected: Option<&str>, now: u64, stale_after: Duration) -> NodeStatus {
    let text = |f: &str| node.get(f).and_then(Value::as_str).unwrap_or_default().to_string();
    let seen = node.get("last_ping").or_else(|| node.get("last_seen")).and_then(Value::as_u64);
    let ago = seen.map(|s| now.saturating_sub(s));
    let hash = text("config_hash");
    let state = if ago.is_some_and(|a| a > stale_after.as_secs()) {
        NodeState::Stale
    } else {
        match expected {
            Some(e) if e == hash => NodeState::InSync,
            Some(_) => NodeState::Lagging,
            None => NodeState::Unknown,
        }
    };
    NodeStatus {
        id: text("id"),
        hostname: text("hostname"),
        version: text("version"),
        config_hash: hash,
        seen_secs_ago: ago,
        state,
    }
}

/// `300`, `300s`, `5m`, `1h`.
fn parse_duration(text: &str) -> anyhow::Result<Duration> {
    let t = text.trim();
    let (number, unit) = t.find(|c: char| !c.is_ascii_digit()).map_or((t, "s"), |i| t.split_at(i));
    let n: u64 = number.parse().map_err(|_| anyhow!("expected a number of seconds, or a number with s, m or h"))?;
    let secs = match unit {
        "s" => n,
        "m" => n * 60,
        "h" => n * 3600,
        _ => return Err(anyhow!("unknown unit `{unit}`: use s, m or h")),
    };
    Ok(Duration::from_secs(secs))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn durations_take_seconds_minutes_and_hours() {
        assert_eq!(parse_duration("300").unwrap(), Duration::from_secs(300));
        assert_eq!(parse_duration("5m").unwrap(), Duration::from_secs(300));
        assert_eq!(parse_duration("1h").unwrap(), Duration::from_secs(3600));
        assert!(parse_duration("5d").is_err());
        assert!(parse_duration("m").is_err());
    }

    #[test]
    fn nodes_are_in_sync_lagging_or_stale() {
        let five_min = Duration::from_secs(300);
        let node = |hash: &str, seen: u64| json!({"id": "n", "hostname": "h", "config_hash": hash, "last_ping": seen});
        assert_eq!(classify(&node("a", 990), Some("a"), 1000, five_min).state, NodeState::InSync);
        assert_eq!(classify(&node("b", 990), Some("a"), 1000, five_min).state, NodeState::Lagging);
        assert_eq!(classify(&node("a", 100), Some("a"), 1000, five_min).state, NodeState::Stale);
        assert_eq!(classify(&node("a", 990), None, 1000, five_min).state, NodeState::Unknown);
    }

    #[test]
    fn cursors_come_bare_or_inside_a_uri() {
        assert_eq!(cursor("abc"), "abc");
        assert_eq!(cursor("/v2/control-planes/x/nodes?page[size]=100&page[after]=abc"), "abc");
        assert_eq!(cursor("/nodes?page%5Bafter%5D=xyz&page%5Bsize%5D=1"), "xyz");
    }
}
