//! `kongsync drift`: the scheduled check. Files against the gateway, as `diff` compares them, and,
//! where the target reports data planes, each one's `config_hash` against the hash the control plane
//! expects: Konnect's `expected-config-hash` and `nodes`, or Kong hybrid's `/clustering/data-planes`,
//! whose control plane keeps its hash to itself (kong/clustering/control_plane.lua, 3.5.0), so the
//! data planes must agree with one another (`gateway::wait::consensus`). Exit 0 when everything
//! matches, 2 on any drift (a changed entity, a lagging or a stale data plane), 1 on error.

use crate::args::{DriftArgs, GlobalArgs};
use crate::connection::{explain, Connection};
use crate::exit;
use crate::operations::{ignore_fields, plan, read_desired};
use crate::printer::Printer;
use crate::render::drift::{render, DriftReport, NodeState, NodeStatus};
use crate::settings::duration;
use anyhow::Context;
use kongsync_diff::redacted;
use kongsync_gateway::{consensus, data_planes, DataPlane};
use std::process::ExitCode;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

pub async fn run(global: &GlobalArgs, args: &DriftArgs, printer: &Printer) -> anyhow::Result<ExitCode> {
    let DriftArgs { state, stale_after, format, ignore_fields: ignored } = args;
    let stale_after = duration(stale_after).with_context(|| format!("--stale-after `{stale_after}`"))?;
    let ignore = ignore_fields(ignored)?;
    let Some(desired) = read_desired(state, printer) else { return Ok(exit::ERROR) };
    let planned = plan(global, desired, ignore, 1, printer).await?;
    let planes = expected_and_nodes(&planned.conn).await;
    planned.conn.close().await?;
    let (expected_hash, raw_nodes, notes) = planes?;
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default().as_secs();
    let nodes = raw_nodes.iter().map(|n| classify(n, expected_hash.as_deref(), now, stale_after)).collect();
    let report = DriftReport { plan: redacted(&planned.plan), expected_hash, nodes, notes };
    printer.data(&render(&report, *format, printer.color));
    Ok(if report.drifted() { exit::changes() } else { exit::OK })
}

/// The expected hash, the data planes, and notes on what could not be checked.
type Planes = (Option<String>, Vec<DataPlane>, Vec<String>);

async fn expected_and_nodes(conn: &Connection) -> anyhow::Result<Planes> {
    let planes =
        data_planes(conn.client(), conn.gateway()).await.map_err(|e| explain(e, conn.gateway().is_konnect()))?;
    if !planes.hybrid {
        return Ok((
            None,
            Vec::new(),
            vec!["the gateway is not a hybrid control plane: no data planes to check".into()],
        ));
    }
    if planes.expected_hash.is_some() || conn.gateway().is_konnect() {
        return Ok((planes.expected_hash, planes.nodes, Vec::new()));
    }
    // Kong publishes no expected hash, and its export holds rows the Admin API does not serve (the
    // workspace, the cluster id), so no hash kongsync computes can be the one data planes report: they
    // are compared with each other instead, and one that differs from the rest lags.
    let note = "Kong does not publish the hash its data planes should have: they are compared with each other, and one that differs from the most common hash is lagging";
    Ok((consensus(&planes.nodes, &Default::default()), planes.nodes, vec![note.into()]))
}

/// One node's state: stale when not seen for longer than `stale_after`, else in sync or lagging.
fn classify(node: &DataPlane, expected: Option<&str>, now: u64, stale_after: Duration) -> NodeStatus {
    let ago = node.last_seen.map(|s| now.saturating_sub(s));
    let hash = node.config_hash.clone();
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
        id: node.id.clone(),
        hostname: node.hostname.clone(),
        version: node.version.clone(),
        config_hash: hash,
        seen_secs_ago: ago,
        state,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn nodes_are_in_sync_lagging_or_stale() {
        let five_min = Duration::from_secs(300);
        let node = |hash: &str, seen: u64| DataPlane {
            id: "n".into(),
            hostname: "h".into(),
            config_hash: hash.into(),
            last_seen: Some(seen),
            ..DataPlane::default()
        };
        assert_eq!(classify(&node("a", 990), Some("a"), 1000, five_min).state, NodeState::InSync);
        assert_eq!(classify(&node("b", 990), Some("a"), 1000, five_min).state, NodeState::Lagging);
        assert_eq!(classify(&node("a", 100), Some("a"), 1000, five_min).state, NodeState::Stale);
        assert_eq!(classify(&node("a", 990), None, 1000, five_min).state, NodeState::Unknown);
    }
}
