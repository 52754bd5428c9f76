//! `reset`: deletes everything in scope, children first, and never without confirmation.

use crate::harness::TestEnv;

const STATE: &str = "_format_version: \"3.0\"\nservices:\n- name: a\n  host: a.internal\n  tags: [team-a]\n  routes:\n  \
                     - name: ra\n    paths: [/a]\n    tags: [team-a]\n- name: b\n  host: b.internal\n  tags: [team-b]\n";

#[test]
fn reset_refuses_without_a_terminal_or_force() {
    let env = TestEnv::new();
    env.write("kong.yaml", STATE);
    env.kongsync(&["sync", "kong.yaml"]).success();
    env.clear_requests();
    let out = env.kongsync(&["reset"]);
    out.expect_code(1);
    assert!(out.stderr.contains("--force"), "{}", out.stderr);
    assert!(env.requests().is_empty(), "nothing may be read or sent before confirmation");
}

#[test]
fn reset_with_select_tags_deletes_only_those_entities() {
    let env = TestEnv::new();
    env.write("kong.yaml", STATE);
    env.kongsync(&["sync", "kong.yaml"]).success();
    env.kongsync(&["reset", "--force", "--select-tag", "team-a"]).success();
    let (_, services) = env.request("GET", "/services", None);
    let names: Vec<&str> = services["data"].as_array().unwrap().iter().filter_map(|s| s["name"].as_str()).collect();
    assert_eq!(names, ["b"]);
    let (_, routes) = env.request("GET", "/routes", None);
    assert_eq!(routes["data"].as_array().unwrap().len(), 0);
    env.kongsync(&["reset", "--force"]).success();
    let (_, services) = env.request("GET", "/services", None);
    assert_eq!(services["data"].as_array().unwrap().len(), 0);
}
