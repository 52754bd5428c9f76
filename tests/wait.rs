//! `sync --wait`: after the writes, wait until every data plane runs the new configuration (Konnect's
//! expected hash; on Kong hybrid, one new hash on every data plane), with a line per change of state,
//! and exit 1 naming the nodes that did not converge in time. Kong without data planes returns at once.

use crate::harness::{TestEnv, SIM_TOKEN};
use kongsync_sim::{DataPlaneSpec, KongRole};
use serde_json::Value;

const STATE: &str = "_format_version: \"3.0\"\nservices:\n- name: orders\n  host: orders.internal\n";
const CHANGED: &str = "_format_version: \"3.0\"\nservices:\n- name: orders\n  host: orders-v2.internal\n";

/// `count` nodes of the Kong control plane (`None`) or of a Konnect one, that pick up a new
/// configuration `delay_ms` after it changed, or never when `lagging`.
fn nodes(control_plane: Option<&str>, count: usize, delay_ms: u64, lagging: bool) -> DataPlaneSpec {
    DataPlaneSpec {
        control_plane: control_plane.map(str::to_string),
        count,
        lagging,
        delay_ms: Some(delay_ms),
        ..DataPlaneSpec::default()
    }
}

fn hashes(listing: &Value, items: &str) -> Vec<String> {
    listing[items].as_array().unwrap().iter().map(|n| n["config_hash"].as_str().unwrap().to_string()).collect()
}

#[test]
fn a_kong_hybrid_sync_waits_until_every_data_plane_has_the_new_configuration() {
    let env = TestEnv::new();
    env.write("kong.yaml", STATE);
    env.kongsync(&["sync", "kong.yaml"]).success();
    // kong/clustering/data_plane.lua:219-245 (3.5.0): a node reports a configuration once it applied it;
    // these take 1.5 s to, so a sync that returned without waiting would find them on the old one.
    env.sim().add_data_planes(nodes(None, 2, 1500, false));
    let old = env.sim().kong_expected_hash();
    env.write("kong.yaml", CHANGED);
    let out = env.kongsync(&["sync", "kong.yaml", "--wait"]);
    out.success();
    let new = env.sim().kong_expected_hash();
    assert_ne!(old, new);
    let (_, listing) = env.request("GET", "/clustering/data-planes", None);
    assert_eq!(
        hashes(&listing, "data"),
        [new.clone(), new.clone()],
        "--wait returned before the data planes converged"
    );
    assert!(out.stderr.contains("waiting for data planes: "), "{}", out.stderr);
    assert!(out.stderr.contains(&format!("all 2 data planes run configuration {new}")), "{}", out.stderr);
    // A line per change of state, not per poll: at most "none yet", "1 of 2", "2 of 2".
    assert!(out.stderr.matches("waiting for data planes").count() <= 3, "{}", out.stderr);
}

#[test]
fn a_konnect_sync_waits_for_the_expected_hash_on_every_node() {
    let env = TestEnv::new();
    let url = env.url();
    let konnect = |rest: &[&str]| {
        let mut all = vec![
            "--konnect-addr",
            url.as_str(),
            "--konnect-token",
            SIM_TOKEN,
            "--konnect-control-plane-name",
            "default",
        ];
        all.extend_from_slice(rest);
        env.run(&all, &[], None)
    };
    env.write("kong.yaml", STATE);
    konnect(&["sync", "kong.yaml"]).success();
    env.sim().add_data_planes(nodes(Some("default"), 2, 1000, false));
    env.write("kong.yaml", CHANGED);
    let out = konnect(&["sync", "kong.yaml", "--wait", "--wait-timeout", "30s"]);
    out.success();
    let cp = env.sim().default_control_plane_id();
    let (_, expected) = env.request("GET", &format!("/v2/control-planes/{cp}/expected-config-hash"), None);
    let expected = expected["expected_hash"].as_str().unwrap().to_string();
    let (_, listing) = env.request("GET", &format!("/v2/control-planes/{cp}/nodes"), None);
    assert_eq!(hashes(&listing, "items"), [expected.clone(), expected.clone()]);
    assert!(out.stderr.contains(&format!("all 2 data planes run configuration {expected}")), "{}", out.stderr);
}

#[test]
fn a_data_plane_that_never_converges_is_named_when_the_wait_times_out() {
    let env = TestEnv::new();
    env.write("kong.yaml", STATE);
    env.kongsync(&["sync", "kong.yaml"]).success();
    env.sim().add_data_planes(nodes(None, 1, 0, false));
    let stuck = env.sim().add_data_planes(nodes(None, 1, 0, true));
    let old = env.sim().kong_expected_hash();
    env.write("kong.yaml", CHANGED);
    env.clear_requests();
    let out = env.kongsync(&["sync", "kong.yaml", "--wait", "--wait-timeout", "1s"]);
    out.expect_code(1);
    // The writes were made and reported; only the wait failed.
    assert_eq!(env.writes().len(), 1, "{:?}", env.writes());
    assert!(out.stdout.contains("Sync complete: 1 done, 0 failed"), "{}", out.stdout);
    let new = env.sim().kong_expected_hash();
    assert!(
        out.stderr.contains(&format!(
            "error: --wait: 1 of 2 data planes did not report configuration {new} within 1s: dp-2.sim.local ({}, reports {old})",
            stuck[0]
        )),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("(waiting for dp-2.sim.local)"), "{}", out.stderr);

    // With -q only the error is left. Before these writes the two nodes ran two different
    // configurations; the one the stuck node kept must not pass for the new one.
    env.write("kong.yaml", STATE);
    let quiet = env.kongsync(&["sync", "kong.yaml", "-q", "--wait", "--wait-timeout", "500ms"]);
    quiet.expect_code(1);
    assert_eq!(quiet.stdout, "");
    let lines: Vec<&str> = quiet.stderr.lines().collect();
    assert_eq!(lines.len(), 1, "{}", quiet.stderr);
    let newest = env.sim().kong_expected_hash();
    let expected =
        format!("error: --wait: 1 of 2 data planes did not report configuration {newest} within 500ms: dp-2");
    assert!(lines[0].starts_with(&expected), "{}", quiet.stderr);
    assert!(lines[0].contains(&stuck[0]), "{}", quiet.stderr);
}

#[test]
fn a_traditional_kong_has_no_data_planes_to_wait_for() {
    let env = TestEnv::with_config(|c| c.kong_role = KongRole::Traditional);
    // kong/api/routes/clustering.lua:15-19 (3.5.0): a node that is not a control plane answers 400.
    assert_eq!(env.request("GET", "/clustering/data-planes", None).0, 400);
    env.write("kong.yaml", STATE);
    let out = env.kongsync(&["sync", "kong.yaml", "--wait"]);
    out.success();
    assert!(out.stderr.contains("--wait: the gateway is not a hybrid control plane"), "{}", out.stderr);
    // Nothing to sync, still nothing to wait for; a dry run waits for nothing either.
    env.kongsync(&["sync", "kong.yaml", "--wait"]).success();
    let dry = env.kongsync(&["sync", "kong.yaml", "--wait", "--dry-run"]);
    dry.success();
    assert!(dry.stderr.contains("a dry run writes nothing"), "{}", dry.stderr);
    // --wait-timeout means nothing without --wait, and is refused (a usage error: exit 1).
    env.kongsync(&["sync", "kong.yaml", "--wait-timeout", "5s"]).expect_code(1);
}
