//! `drift`: files against the gateway, and data planes' config hashes against the expected one, on
//! Konnect and on Kong hybrid; exit 0 in sync, 2 on drift.

use crate::harness::{TestEnv, SIM_TOKEN};
use kongsync_sim::DataPlaneSpec;

const STATE: &str = "_format_version: \"3.0\"\nservices:\n- name: orders\n  host: orders.internal\n";

fn konnect_args<'a>(env: &'a TestEnv, url: &'a str, rest: &[&'a str]) -> Vec<&'a str> {
    let _ = env;
    let mut all = vec!["--konnect-addr", url, "--konnect-token", SIM_TOKEN, "--konnect-control-plane-name", "default"];
    all.extend_from_slice(rest);
    all
}

fn planes(control_plane: Option<&str>, count: usize, lagging: bool, ago: u64) -> DataPlaneSpec {
    DataPlaneSpec {
        control_plane: control_plane.map(str::to_string),
        count,
        lagging,
        last_seen_secs_ago: ago,
        version: "3.5.0".into(),
        delay_ms: None,
    }
}

#[test]
fn konnect_nodes_in_sync_lagging_and_stale() {
    let env = TestEnv::new();
    let url = env.url();
    env.write("kong.yaml", STATE);
    env.run(&konnect_args(&env, &url, &["sync", "kong.yaml"]), &[], None).success();
    env.sim().add_data_planes(planes(Some("default"), 2, false, 5));
    let ok = env.run(&konnect_args(&env, &url, &["drift", "kong.yaml"]), &[], None);
    ok.success();
    assert!(ok.stdout.contains("2 data planes: 2 in sync, 0 lagging, 0 stale"), "{}", ok.stdout);

    // A lagging node keeps the configuration it had; the others follow the next change.
    env.sim().add_data_planes(planes(Some("default"), 1, true, 5));
    env.sim().add_data_planes(planes(Some("default"), 1, false, 3600));
    env.write("kong.yaml", &STATE.replace("orders.internal", "orders-v2.internal"));
    env.run(&konnect_args(&env, &url, &["sync", "kong.yaml"]), &[], None).success();
    let drift = env.run(&konnect_args(&env, &url, &["drift", "kong.yaml", "--format", "json"]), &[], None);
    drift.expect_code(2);
    let report: serde_json::Value = serde_json::from_str(&drift.stdout).unwrap();
    let states: Vec<&str> = report["nodes"].as_array().unwrap().iter().filter_map(|n| n["state"].as_str()).collect();
    assert_eq!(states.iter().filter(|s| **s == "lagging").count(), 1, "{states:?}");
    assert_eq!(states.iter().filter(|s| **s == "stale").count(), 1, "{states:?}");
    let md = env.run(&konnect_args(&env, &url, &["drift", "kong.yaml", "--format", "markdown"]), &[], None);
    md.expect_code(2);
    assert!(md.stdout.starts_with("### kongsync drift check: ⚠️ drift"), "{}", md.stdout);
}

#[test]
fn a_changed_entity_is_drift_and_kong_hybrid_data_planes_are_checked() {
    let env = TestEnv::new();
    env.write("kong.yaml", STATE);
    env.kongsync(&["sync", "kong.yaml"]).success();
    env.sim().add_data_planes(planes(None, 2, false, 1));
    let ok = env.kongsync(&["drift", "kong.yaml"]);
    ok.success();
    assert!(ok.stdout.contains("2 in sync"), "{}", ok.stdout);
    env.put("/services/orders", serde_json::json!({"host": "elsewhere.internal"}));
    let drift = env.kongsync(&["drift", "kong.yaml"]);
    drift.expect_code(2);
    assert!(drift.stdout.contains("0 to create, 1 to update, 0 to delete"), "{}", drift.stdout);
}

/// Kong publishes no expected hash (kong/api/routes/clustering.lua at 3.5.0 serves only the data planes
/// list), and the hash data planes report covers rows the Admin API does not serve: a data plane that
/// kept an older configuration is found by differing from the others.
#[test]
fn a_kong_hybrid_data_plane_that_kept_an_old_configuration_lags() {
    let env = TestEnv::new();
    env.write("kong.yaml", STATE);
    env.kongsync(&["sync", "kong.yaml"]).success();
    env.sim().add_data_planes(planes(None, 2, false, 1));
    env.sim().add_data_planes(planes(None, 1, true, 1));
    env.write("kong.yaml", &STATE.replace("orders.internal", "orders-v2.internal"));
    env.kongsync(&["sync", "kong.yaml"]).success();
    let drift = env.kongsync(&["drift", "kong.yaml", "--format", "json"]);
    drift.expect_code(2);
    let report: serde_json::Value = serde_json::from_str(&drift.stdout).unwrap();
    let states: Vec<&str> = report["nodes"].as_array().unwrap().iter().filter_map(|n| n["state"].as_str()).collect();
    assert_eq!(states.iter().filter(|s| **s == "lagging").count(), 1, "{states:?}");
    assert_eq!(states.iter().filter(|s| **s == "in_sync").count(), 2, "{states:?}");
}
