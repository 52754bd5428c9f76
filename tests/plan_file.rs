//! The pre-merge flow: `diff --out plan.json` saves the plan reviewed in a pull request, and
//! `sync --plan plan.json` runs exactly it, refusing it when the gateway moved in between.

use crate::harness::TestEnv;

const STATE: &str = "_format_version: \"3.0\"\nservices:\n- name: orders\n  host: orders.internal\n\
                     consumers:\n- username: bob\n  basicauth_credentials:\n  - username: bob\n    password: hunter2-secret\n";

#[test]
fn a_saved_plan_runs_and_converges() {
    let env = TestEnv::new();
    env.write("kong.yaml", STATE);
    env.kongsync(&["diff", "kong.yaml", "--out", "plan.json"]).success();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(env.path("plan.json")).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "the plan holds credentials");
    }
    let out = env.kongsync(&["sync", "--plan", "plan.json"]);
    out.success();
    assert!(!out.stdout.contains("hunter2-secret") && !out.stderr.contains("hunter2-secret"));
    // A basic-auth password is stored hashed: the next diff must still see no change.
    env.kongsync(&["diff", "kong.yaml", "--exit-code"]).success();
}

#[test]
fn a_stale_plan_is_refused() {
    let env = TestEnv::new();
    env.write("kong.yaml", STATE);
    env.kongsync(&["diff", "kong.yaml", "--out", "plan.json"]).success();
    env.put("/services/billing", serde_json::json!({"host": "billing.internal"}));
    env.clear_requests();
    let out = env.kongsync(&["sync", "--plan", "plan.json"]);
    out.expect_code(1);
    assert!(out.stderr.contains("stale"), "{}", out.stderr);
    assert_eq!(env.writes(), Vec::<String>::new(), "a refused plan must not write");
}

#[test]
fn a_plan_of_an_unknown_format_version_is_refused() {
    let env = TestEnv::new();
    env.write("kong.yaml", STATE);
    env.kongsync(&["diff", "kong.yaml", "--out", "plan.json"]).success();
    let current = format!("\"format_version\": {}", kongsync_diff::PLAN_FORMAT_VERSION);
    let text = env.read("plan.json").replace(&current, "\"format_version\": 99");
    env.write("plan.json", &text);
    let out = env.kongsync(&["sync", "--plan", "plan.json"]);
    out.expect_code(1);
    assert!(out.stderr.contains("format version 99"), "{}", out.stderr);
}

#[test]
fn a_plan_of_format_version_1_is_refused_with_its_version() {
    let env = TestEnv::new();
    env.write("kong.yaml", STATE);
    env.kongsync(&["diff", "kong.yaml", "--out", "plan.json"]).success();
    let current = format!("\"format_version\": {}", kongsync_diff::PLAN_FORMAT_VERSION);
    let text = env.read("plan.json").replace(&current, "\"format_version\": 1");
    env.write("plan.json", &text);
    env.clear_requests();
    let out = env.kongsync(&["sync", "--plan", "plan.json"]);
    out.expect_code(1);
    assert!(out.stderr.contains("the plan has format version 1; this kongsync reads version 2"), "{}", out.stderr);
    assert_eq!(env.requests().len(), 0, "a plan of another version is refused before anything is sent");
}

#[test]
fn a_plan_file_with_an_unknown_method_is_refused_before_anything_is_sent() {
    let env = TestEnv::new();
    env.write("kong.yaml", STATE);
    env.kongsync(&["diff", "kong.yaml", "--out", "plan.json"]).success();
    let text = env.read("plan.json").replacen("\"method\": \"PUT\"", "\"method\": \"PTU\"", 1);
    env.write("plan.json", &text);
    env.clear_requests();
    let out = env.kongsync(&["sync", "--plan", "plan.json"]);
    out.expect_code(1);
    assert!(out.stderr.contains("unknown variant `PTU`"), "{}", out.stderr);
    assert_eq!(env.requests().len(), 0, "a malformed plan must not send a GET, or anything");
}

#[test]
fn a_saved_plan_is_shown_with_the_files_environment_values_masked() {
    let env = TestEnv::new();
    let state = "_format_version: \"3.0\"\nservices:\n- name: orders\n  host: orders.internal\n  \
                 tags: [\"team-${{ env \"DECK_TEAM_SECRET\" }}\"]\n";
    env.write("kong.yaml", state);
    let url = env.url();
    let diff = ["--kong-addr", url.as_str(), "diff", "kong.yaml", "--out", "plan.json"];
    env.run(&diff, &[("DECK_TEAM_SECRET", "s3cr3t-team")], None).success();
    assert!(env.read("plan.json").contains("s3cr3t-team"), "the plan file holds what it will send");
    let out = env.kongsync(&["sync", "--plan", "plan.json", "--dry-run", "--format", "json"]);
    out.success();
    assert!(!out.stdout.contains("s3cr3t-team") && !out.stderr.contains("s3cr3t-team"), "{}", out.stdout);
    assert!(out.stdout.contains("team-<redacted>"), "{}", out.stdout);
}
