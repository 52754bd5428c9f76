//! `kongsync ping` through the binary: Kong's version, Konnect's control plane found by name or by
//! id (both path forms), the embedded target, and clear errors with exit code 1 for an unreachable
//! gateway, a refused token and an unknown control plane. Secrets never appear, even with `-v`.

#![allow(clippy::unwrap_used)]

use crate::harness::{TestEnv, SIM_TOKEN};

#[test]
fn kong_says_its_version() {
    let env = TestEnv::new();
    let out = env.kongsync(&["ping"]);
    out.success();
    assert_filtered!(out.stdout, @"connected to Kong at http://127.0.0.1:[PORT], version 3.5.0");
    assert!(env.requests().iter().any(|r| r.method == "GET" && r.path == "/"));
}

#[test]
fn workspaces_are_named() {
    let env = TestEnv::new();
    let out = env.kongsync(&["ping", "--workspace", "team-a"]);
    out.success();
    assert!(out.stdout.contains(", workspace team-a, version "), "{}", out.stdout);
}

#[test]
fn konnect_finds_the_control_plane_by_name() {
    let env = TestEnv::with_config(|c| c.control_planes = vec!["production".to_string()]);
    let out = env.run(
        &["ping", "--konnect-addr", &env.url(), "--konnect-control-plane-name", "production"],
        &[("KONGSYNC_KONNECT_TOKEN", SIM_TOKEN)],
        None,
    );
    out.success();
    assert_filtered!(out.stdout, @"connected to Konnect control plane production ([UUID]) at http://127.0.0.1:[PORT]");
    let lookup = env.requests().into_iter().find(|r| r.path == "/v2/control-planes").unwrap();
    assert!(lookup.query.contains("filter%5Bname%5D%5Beq%5D=production"), "{}", lookup.query);
}

#[test]
fn konnect_by_id_in_both_path_forms() {
    let env = TestEnv::new();
    let id = env.sim().default_control_plane_id();
    for form in ["control-planes", "runtime-groups"] {
        let addr = format!("{}/v2/{form}/{id}", env.url());
        let out = env.run(&["ping", "--konnect-addr", &addr, "--konnect-token", SIM_TOKEN], &[], None);
        out.success();
        assert!(out.stdout.contains(&format!("Konnect control plane default ({id})")), "{}", out.stdout);
    }
    let out = env.run(
        &["ping", "--konnect-addr", &env.url(), "--konnect-control-plane-id", &id, "--konnect-token", SIM_TOKEN],
        &[],
        None,
    );
    out.success();
}

#[test]
fn an_unknown_control_plane_is_an_error() {
    let env = TestEnv::new();
    let out = env.run(
        &["ping", "--konnect-addr", &env.url(), "--konnect-control-plane-name", "nope", "--konnect-token", SIM_TOKEN],
        &[],
        None,
    );
    out.expect_code(1);
    assert_filtered!(out.stderr, @r#"error: Konnect control plane "nope" not found"#);
}

#[test]
fn a_refused_token_is_an_error_that_does_not_show_it() {
    let env = TestEnv::new();
    let out = env.run(&["ping", "-v", "--konnect-addr", &env.url(), "--konnect-token", "kpat_wrong_secret"], &[], None);
    out.expect_code(1);
    assert!(out.stderr.contains("Konnect refused the access token"), "{}", out.stderr);
    assert!(!out.stderr.contains("kpat_wrong_secret") && !out.stdout.contains("kpat_wrong_secret"));
}

#[test]
fn verbose_output_shows_requests_but_no_secrets() {
    let env = TestEnv::new();
    let out = env.kongsync(&["-v", "--headers", "Kong-Admin-Token:hush-hush", "ping"]);
    out.success();
    assert!(out.stderr.contains("GET / -> 200"), "{}", out.stderr);
    assert!(!out.stderr.contains("hush-hush") && !out.stdout.contains("hush-hush"));
    let out = env.kongsync(&["-v", "--headers", "Kong-Admin-Token:hush-hush", "dump", "-o", "-"]);
    out.success();
    assert!(out.stderr.contains("GET /services?size=1000 -> 200"), "{}", out.stderr);
    assert!(!out.stderr.contains("hush-hush"));
}

#[test]
fn an_unreachable_gateway_is_an_error() {
    let env = TestEnv::new();
    let out = env.run(&["ping", "--kong-addr", "http://127.0.0.1:1"], &[], None);
    out.expect_code(1);
    // The causes below these lines come from the operating system and vary.
    let lines: Vec<&str> = out.stderr.lines().take(3).collect();
    assert_filtered!(lines.join("\n"), @r"
    error: the gateway is not reachable: check the address and that it is running
      caused by: GET /: gave up after 4 attempts
      caused by: cannot reach http://127.0.0.1:[PORT] (GET /)
    ");
}

#[test]
fn the_embedded_gateway_answers() {
    let env = TestEnv::new();
    let out = env.run(&["ping", "--kong-addr", "embedded"], &[], None);
    out.success();
    assert_filtered!(out.stdout, @"connected to the embedded Kong gateway (.kongsync/sim.json), version 3.5.0.0-enterprise-edition");
    assert!(env.path(".kongsync/sim.json").exists());
}
