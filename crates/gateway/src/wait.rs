//! Waiting, after a sync's writes, until every data plane runs the control plane's new configuration
//! (`sync --wait`). The data planes are polled with backoff until each reports the hash waited for,
//! or the timeout passes; the caller hears of every change of state, not of every poll.
//!
//! Which hash is waited for:
//! - **Konnect** publishes the hash its nodes should report (`{cp}/expected-config-hash`): that one.
//! - **Kong hybrid** does not: the control plane keeps the hash of the configuration it pushes in
//!   memory only (kong/clustering/control_plane.lua:143 at 3.5.0), and the Admin API serves only what
//!   the data planes report (`/clustering/data-planes`, `/clustering/status`); the hash cannot be
//!   computed either, as the export it covers holds rows the Admin API does not serve. So the rule
//!   is: every data plane reports the same hash, and, when the sync wrote anything, none of the hashes
//!   they reported before the writes (a node that lagged then must not pass for the new configuration).
//!
//! On both, when the sync wrote anything the hash waited for must differ from those before the
//! writes, so that a control plane that has not yet taken the writes in is not read as converged.
//! (Kong's hash covers the rows' `updated_at`, so a sync that reverts an earlier one still makes a
//! new hash.)
//! A node not seen for longer than `stale_after` is disconnected: it is named, and not waited for
//! (Kong keeps such rows for `cluster_data_plane_purge_delay`, 14 days by default, and a wait on them
//! could only time out).

use crate::client::Client;
use crate::error::ApiError;
use crate::gateway::Gateway;
use crate::nodes::{data_planes, DataPlane, DataPlanes};
use crate::request::Request;
use serde_json::Value;
use std::collections::{BTreeSet, HashMap};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// How long `sync --wait` waits by default: a Kong data plane reports a configuration as soon as it has
/// applied it (kong/clustering/data_plane.lua:219-245 pings at once), and pings every 30 s anyway
/// (kong/constants.lua:218), so a minute covers a push and a missed ping.
pub const DEFAULT_WAIT_TIMEOUT: Duration = Duration::from_secs(60);

/// How a wait polls and when it gives up.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WaitOptions {
    /// Give up after this long.
    pub timeout: Duration,
    /// A node not seen for longer than this is disconnected, and not waited for.
    pub stale_after: Duration,
    /// The pause after the first poll; it doubles after each poll up to `max_poll`.
    pub first_poll: Duration,
    pub max_poll: Duration,
}

impl Default for WaitOptions {
    fn default() -> Self {
        WaitOptions {
            timeout: DEFAULT_WAIT_TIMEOUT,
            stale_after: Duration::from_secs(300),
            first_poll: Duration::from_millis(250),
            max_poll: Duration::from_secs(5),
        }
    }
}

/// What the data planes ran before the writes, read by [`before_writes`]; [`Reference::unchanged`]
/// when nothing was written.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Reference {
    /// The hashes before the writes (Konnect's expected hash, or every hash Kong's data planes
    /// reported), which the hash waited for must not be.
    previous: BTreeSet<String>,
}

impl Reference {
    /// Nothing was written: the data planes need only run the current configuration.
    pub fn unchanged() -> Reference {
        Reference::default()
    }
}

/// Reads, before the writes, the hash the configuration has now.
pub async fn before_writes(client: &Client, gateway: &Gateway) -> Result<Reference, ApiError> {
    let previous = match gateway.control_plane_path() {
        Some(cp) => expected_hash(client, &cp).await?.into_iter().collect(),
        None => data_planes(client, gateway).await?.nodes.into_iter().map(|n| n.config_hash).collect(),
    };
    Ok(Reference { previous })
}

/// Where the data planes stand at one poll.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WaitStatus {
    /// The hash waited for; `None` while it is not known (Kong: no node reports a new one yet).
    pub target: Option<String>,
    /// Nodes that report `target`.
    pub converged: Vec<DataPlane>,
    /// Nodes waited for that do not (yet).
    pub waiting: Vec<DataPlane>,
    /// Nodes not seen for longer than `stale_after`: not waited for.
    pub stale: Vec<DataPlane>,
}

impl WaitStatus {
    /// Every node waited for runs the hash waited for.
    pub fn converged(&self) -> bool {
        self.target.is_some() && self.waiting.is_empty()
    }

    /// What tells one state from the next (the hash, and which nodes are where), for reporting changes
    /// only.
    fn signature(&self) -> (Option<&str>, BTreeSet<&str>, BTreeSet<&str>) {
        (self.target.as_deref(), ids(&self.converged), ids(&self.stale))
    }
}

fn ids(nodes: &[DataPlane]) -> BTreeSet<&str> {
    nodes.iter().map(|n| n.id.as_str()).collect()
}

/// How a wait ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WaitOutcome {
    /// The gateway is not a hybrid control plane: there are no data planes to wait for.
    NotHybrid,
    /// A control plane without data planes.
    NoDataPlanes,
    /// Every node waited for reports the hash waited for.
    Converged(WaitStatus),
    /// The timeout passed first; `waiting` names the nodes that did not converge.
    TimedOut(WaitStatus),
}

/// Told of each change of state while waiting (the first poll is a change).
pub trait WaitProgress {
    fn changed(&self, status: &WaitStatus);
}

/// Polls the data planes of `gateway` until each runs the configuration the control plane now holds,
/// or `options.timeout` passes. Transient failures are retried by the client; any other is returned.
pub async fn wait_for_data_planes(
    client: &Client,
    gateway: &Gateway,
    reference: &Reference,
    options: &WaitOptions,
    progress: &dyn WaitProgress,
) -> Result<WaitOutcome, ApiError> {
    let deadline = tokio::time::Instant::now() + options.timeout;
    let mut pause = options.first_poll;
    let mut last: Option<WaitStatus> = None;
    loop {
        let planes = data_planes(client, gateway).await?;
        if !planes.hybrid {
            return Ok(WaitOutcome::NotHybrid);
        }
        if planes.nodes.is_empty() {
            return Ok(WaitOutcome::NoDataPlanes);
        }
        let status = assess(&planes, reference, now_secs(), options.stale_after);
        if last.as_ref().is_none_or(|l| l.signature() != status.signature()) {
            progress.changed(&status);
        }
        if status.converged() {
            return Ok(WaitOutcome::Converged(status));
        }
        let now = tokio::time::Instant::now();
        if now >= deadline {
            return Ok(WaitOutcome::TimedOut(status));
        }
        last = Some(status);
        // The last poll falls on the deadline, so that a node converging just in time counts.
        tokio::time::sleep(pause.min(deadline - now)).await;
        pause = (pause * 2).min(options.max_poll);
    }
}

/// One poll's verdict: the hash waited for, and which nodes run it.
fn assess(planes: &DataPlanes, reference: &Reference, now: u64, stale_after: Duration) -> WaitStatus {
    let (stale, live): (Vec<DataPlane>, Vec<DataPlane>) = planes
        .nodes
        .iter()
        .cloned()
        .partition(|n| n.last_seen.is_some_and(|seen| now.saturating_sub(seen) > stale_after.as_secs()));
    let previous = &reference.previous;
    let target = match &planes.expected_hash {
        Some(expected) => Some(expected.clone()).filter(|e| !previous.contains(e)),
        None => consensus(&live, previous),
    };
    let (converged, waiting) = live.into_iter().partition(|n| target.as_deref().is_some_and(|t| t == n.config_hash));
    WaitStatus { target, converged, waiting, stale }
}

/// The hash most of `nodes` report, leaving out those in `excluding` (ties go to the most recently
/// seen, then the greater hash, so the answer is deterministic); `None` when no node reports another.
pub fn consensus(nodes: &[DataPlane], excluding: &BTreeSet<String>) -> Option<String> {
    let mut counts: HashMap<&str, (usize, u64)> = HashMap::new();
    for n in nodes.iter().filter(|n| !excluding.contains(&n.config_hash)) {
        let entry = counts.entry(n.config_hash.as_str()).or_default();
        entry.0 += 1;
        entry.1 = entry.1.max(n.last_seen.unwrap_or(0));
    }
    counts.into_iter().max_by_key(|(hash, (count, seen))| (*count, *seen, *hash)).map(|(h, _)| h.to_string())
}

/// The hash a Konnect control plane expects of its nodes.
async fn expected_hash(client: &Client, cp: &str) -> Result<Option<String>, ApiError> {
    let body = client.get_json(&Request::get(format!("{cp}/expected-config-hash"))).await?;
    Ok(body.get("expected_hash").and_then(Value::as_str).map(str::to_string))
}

fn now_secs() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default().as_secs()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(id: &str, hash: &str, seen: u64) -> DataPlane {
        DataPlane {
            id: id.into(),
            hostname: format!("{id}.local"),
            config_hash: hash.into(),
            last_seen: Some(seen),
            ..DataPlane::default()
        }
    }

    fn kong(nodes: Vec<DataPlane>) -> DataPlanes {
        DataPlanes { hybrid: true, expected_hash: None, nodes }
    }

    fn ids(nodes: &[DataPlane]) -> Vec<&str> {
        nodes.iter().map(|n| n.id.as_str()).collect()
    }

    const FIVE_MIN: Duration = Duration::from_secs(300);

    fn before(hashes: &[&str]) -> Reference {
        Reference { previous: hashes.iter().map(|h| h.to_string()).collect() }
    }

    #[test]
    fn kong_data_planes_converge_on_one_new_hash() {
        let before = before(&["old"]);
        // Nobody has the new configuration yet: nothing is known to wait for.
        let none = assess(&kong(vec![node("a", "old", 990), node("b", "old", 990)]), &before, 1000, FIVE_MIN);
        assert_eq!(none.target, None);
        assert!(!none.converged());
        // One has it: it is the hash waited for, the other is waiting.
        let half = assess(&kong(vec![node("a", "new", 995), node("b", "old", 990)]), &before, 1000, FIVE_MIN);
        assert_eq!(half.target.as_deref(), Some("new"));
        assert_eq!((ids(&half.converged), ids(&half.waiting)), (vec!["a"], vec!["b"]));
        let all = assess(&kong(vec![node("a", "new", 995), node("b", "new", 996)]), &before, 1000, FIVE_MIN);
        assert!(all.converged());
        // With nothing written, agreeing on the current hash is enough.
        let same = assess(&kong(vec![node("a", "old", 995)]), &Reference::unchanged(), 1000, FIVE_MIN);
        assert!(same.converged());
    }

    #[test]
    fn a_node_that_lagged_before_the_writes_does_not_pass_for_the_new_configuration() {
        // Before: `a` ran the current configuration, `b` an older one. After the writes `a` has the
        // new one: the tie between `new` and `older` must not go to the hash `b` kept.
        let before = before(&["current", "older"]);
        let status = assess(&kong(vec![node("a", "new", 990), node("b", "older", 990)]), &before, 1000, FIVE_MIN);
        assert_eq!(status.target.as_deref(), Some("new"));
        assert_eq!(ids(&status.waiting), ["b"]);
    }

    #[test]
    fn konnect_waits_for_the_expected_hash_once_it_moved() {
        let planes = |expected: &str| DataPlanes {
            hybrid: true,
            expected_hash: Some(expected.into()),
            nodes: vec![node("a", "old", 990)],
        };
        let before = before(&["old"]);
        // The control plane has not taken the writes in yet: the old hash is not the one waited for.
        assert!(!assess(&planes("old"), &before, 1000, FIVE_MIN).converged());
        let moved = assess(&planes("new"), &before, 1000, FIVE_MIN);
        assert_eq!((moved.target.as_deref(), ids(&moved.waiting)), (Some("new"), vec!["a"]));
        assert!(assess(&planes("old"), &Reference::unchanged(), 1000, FIVE_MIN).converged());
    }

    #[test]
    fn stale_nodes_are_named_and_not_waited_for() {
        let status = assess(
            &kong(vec![node("a", "new", 990), node("gone", "old", 100)]),
            &Reference::unchanged(),
            1000,
            FIVE_MIN,
        );
        assert!(status.converged());
        assert_eq!(ids(&status.stale), ["gone"]);
    }

    #[test]
    fn the_consensus_is_the_most_common_hash_then_the_latest_seen() {
        let nodes = [node("a", "x", 10), node("b", "y", 20), node("c", "y", 5), node("d", "z", 30)];
        assert_eq!(consensus(&nodes, &BTreeSet::new()).as_deref(), Some("y"));
        assert_eq!(consensus(&nodes, &before(&["y"]).previous).as_deref(), Some("z"));
        assert_eq!(consensus(&[], &BTreeSet::new()), None);
    }
}
