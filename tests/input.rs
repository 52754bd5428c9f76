//! Hostile or mistaken input is refused before anything reaches the gateway: repeated keys, files that
//! are not regular files, nesting that would stall the parser, templates that read kongsync's own
//! settings, empty select tags (which would unscope a run), and usage errors, which must not exit with
//! the code that means "changes" or "drift". Each asserts the simulator saw no write.

use crate::harness::TestEnv;

const SERVICE: &str = "_format_version: \"3.0\"\nservices:\n- name: orders\n  host: orders.internal\n";

#[test]
fn a_repeated_top_level_key_is_refused_with_file_line_and_key() {
    let env = TestEnv::new();
    env.put("/services/payments", serde_json::json!({"host": "payments.internal"}));
    env.clear_requests();
    // The second `services:` would win and the first list, which keeps `payments`, would be deleted.
    env.write(
        "kong.yaml",
        &format!("{SERVICE}- name: payments\n  host: payments.internal\nservices:\n- name: x\n  host: x\n"),
    );
    let out = env.kongsync(&["sync", "kong.yaml"]);
    out.expect_code(1);
    assert!(out.stderr.contains("kong.yaml:7:"), "{}", out.stderr);
    assert!(out.stderr.contains("duplicate key `services`"), "{}", out.stderr);
    assert_eq!(env.writes(), Vec::<String>::new(), "repeated key");
    assert_eq!(env.request("GET", "/services/payments", None).0, 200);
}

#[test]
fn a_repeated_field_is_refused_in_json_too() {
    let env = TestEnv::new();
    env.write(
        "kong.json",
        "{\"_format_version\": \"3.0\",\n \"services\": [{\"name\": \"a\", \"host\": \"x\",\n \"host\": \"y\"}]}",
    );
    let out = env.kongsync(&["sync", "kong.json"]);
    out.expect_code(1);
    assert!(out.stderr.contains("kong.json:3"), "{}", out.stderr);
    assert!(out.stderr.contains("duplicate key `host`"), "{}", out.stderr);
    assert_eq!(env.writes(), Vec::<String>::new(), "repeated JSON field");
}

#[test]
fn devices_are_refused_and_deep_nesting_fails_fast() {
    let env = TestEnv::new();
    let out = env.kongsync(&["sync", "/dev/zero"]);
    out.expect_code(1);
    assert!(out.stderr.contains("not a regular file"), "{}", out.stderr);
    env.write("deep.yaml", &"[".repeat(200_000));
    let out = env.kongsync(&["validate", "deep.yaml"]);
    out.expect_code(1);
    assert!(out.stderr.contains("nested deeper than"), "{}", out.stderr);
    assert_eq!(env.writes(), Vec::<String>::new(), "device or deep file");
}

#[test]
fn a_template_cannot_read_kongsyncs_own_token() {
    let env = TestEnv::new();
    let file =
        "_format_version: \"3.0\"\nservices:\n- name: s\n  host: h\n  tags: [\"${{ env \"KONGSYNC_HEADERS\" }}\"]\n";
    env.write("kong.yaml", file);
    let url = env.url();
    let out = env.run(
        &["--kong-addr", &url, "sync", "kong.yaml"],
        &[("KONGSYNC_HEADERS", "Kong-Admin-Token:s3cr3t-admin")],
        None,
    );
    out.expect_code(1);
    assert!(out.stderr.contains("kongsync's own settings"), "{}", out.stderr);
    assert!(!format!("{}{}", out.stdout, out.stderr).contains("s3cr3t-admin"));
    assert_eq!(env.writes(), Vec::<String>::new(), "template reading the admin headers");
}

#[test]
fn empty_select_tags_are_refused_not_dropped() {
    let env = TestEnv::new();
    env.put("/services/other-team", serde_json::json!({"host": "other.internal"}));
    env.clear_requests();
    env.write("kong.yaml", SERVICE);
    let url = env.url();
    for (args, vars) in [
        (vec!["--kong-addr", url.as_str(), "sync", "kong.yaml", "--select-tag", ""], vec![]),
        (vec!["--kong-addr", url.as_str(), "sync", "kong.yaml"], vec![("KONGSYNC_SELECT_TAG", "")]),
    ] {
        let out = env.run(&args, &vars, None);
        out.expect_code(1);
        assert!(out.stderr.contains("empty tag"), "{args:?} {vars:?}: {}", out.stderr);
    }
    env.write("scoped.yaml", &format!("{SERVICE}_info:\n  select_tags: [42]\n"));
    let out = env.kongsync(&["sync", "scoped.yaml"]);
    out.expect_code(1);
    assert!(out.stderr.contains("non-empty strings"), "{}", out.stderr);
    assert_eq!(env.writes(), Vec::<String>::new(), "empty select tags");
    assert_eq!(env.request("GET", "/services/other-team", None).0, 200);
}

#[test]
fn usage_errors_exit_1_never_2() {
    let env = TestEnv::new();
    for args in [&["diff", "--exit-kode"][..], &["drift", "--no-such-flag"], &["no-such-command"]] {
        let out = env.kongsync(args);
        out.expect_code(1);
        assert!(out.stderr.contains("error"), "{args:?}: {}", out.stderr);
    }
    env.kongsync(&["--help"]).expect_code(0);
}
