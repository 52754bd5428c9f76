//! The renderings a person or a script reads, pinned by snapshots: the plan of one small scenario in
//! text, JSON and Markdown, and the sync report in text and JSON. The scenario has a create, an update
//! of a nested plugin setting, a delete, a delete Kong cascades, a key-auth key and a value templated
//! from the environment; no output may show either secret. Ports, uuids and times are filtered, and
//! so are the sha256 fingerprints, which cover ids the simulator chose.

use crate::harness::{Output, TestEnv, FILTERS};

/// The gateway before: a service whose route has a rate limit, a service and a consumer to delete.
const BEFORE: &str = r#"_format_version: "3.0"
services:
- name: billing
  host: billing.internal
  routes:
  - name: billing-r
    paths: [/billing]
    plugins:
    - name: rate-limiting
      config: {minute: 10, policy: local}
- name: legacy
  host: legacy.internal
consumers:
- username: old
  keyauth_credentials:
  - key: old-key-0001
"#;

/// The files: the rate limit changes, `legacy` and `old` go (and with `old`, Kong deletes its key),
/// and a service with a templated secret header and a consumer with a key arrive.
const AFTER: &str = r#"_format_version: "3.0"
services:
- name: billing
  host: billing.internal
  routes:
  - name: billing-r
    paths: [/billing]
    plugins:
    - name: rate-limiting
      config: {minute: 20, policy: local}
- name: orders
  host: orders.internal
  plugins:
  - name: request-transformer
    config:
      add:
        headers: ["authorization:Bearer ${{ env "DECK_UPSTREAM_TOKEN" }}"]
consumers:
- username: alice
  keyauth_credentials:
  - key: alice-secret-key-0001
"#;

/// The secrets of the scenario, none of which may reach any output.
const SECRETS: [&str; 3] = ["tok-s3cr3t-value", "alice-secret-key-0001", "old-key-0001"];

/// Asserts an inline snapshot with the harness filters plus one for sha256 fingerprints.
macro_rules! assert_rendered {
    ($value:expr, @$snapshot:literal) => {{
        let mut filters = FILTERS.to_vec();
        filters.push((r"\b[0-9a-f]{64}\b", "[SHA256]"));
        // An update sends back the gateway's creation time.
        filters.push((r#""created_at": \d+"#, r#""created_at": [TIMESTAMP]"#));
        insta::with_settings!({ filters => filters, prepend_module_to_snapshot => false }, {
            insta::assert_snapshot!($value, @$snapshot);
        })
    }};
}

/// A simulator holding `BEFORE`, with `AFTER` written as `kong.yaml`.
fn scenario() -> TestEnv {
    let env = TestEnv::new();
    env.write("kong.yaml", BEFORE);
    env.kongsync(&["sync", "kong.yaml"]).success();
    env.write("kong.yaml", AFTER);
    env
}

/// Runs `kongsync --kong-addr <sim> ARGS` with the templated variable set, and checks that no secret
/// is in the output.
fn run(env: &TestEnv, args: &[&str]) -> Output {
    let url = env.url();
    let mut all = vec!["--kong-addr", url.as_str()];
    all.extend_from_slice(args);
    let out = env.run(&all, &[("DECK_UPSTREAM_TOKEN", "tok-s3cr3t-value")], None);
    for secret in SECRETS {
        assert!(!out.stdout.contains(secret) && !out.stderr.contains(secret), "`{secret}` leaked: {out:?}");
    }
    out
}

#[test]
fn diff_text() {
    let env = scenario();
    let out = run(&env, &["diff", "kong.yaml"]);
    out.success();
    assert_rendered!(out.stdout, @r#"
    Plan for Kong at http://127.0.0.1:[PORT]: 4 to create, 1 to update, 3 to delete

    + create consumer alice
    - delete consumer old
    + create key-auth …0001 for consumer alice
    - delete key-auth …0001 for consumer old  (deleted by Kong with its consumer old)
    - delete service legacy
    + create service orders
    ~ update plugin rate-limiting for route billing-r
        - config.minute: 10
        + config.minute: 20
    + create plugin request-transformer for service orders

    Summary: 4 to create, 1 to update, 3 to delete
    "#);
}

#[test]
fn diff_json() {
    let env = scenario();
    let out = run(&env, &["diff", "kong.yaml", "--format", "json"]);
    out.success();
    assert_rendered!(out.stdout, @r#"
    {
      "format_version": 2,
      "target": "Kong at http://127.0.0.1:[PORT]",
      "dialect": "kong",
      "scope": {
        "select_tags": [],
        "skip_consumers": false,
        "skip_ca_certificates": false
      },
      "live_fingerprint": "[SHA256]",
      "desired_fingerprint": "[SHA256]",
      "summary": {
        "create": 4,
        "update": 1,
        "delete": 3
      },
      "steps": [
        {
          "index": 0,
          "action": "create",
          "kind": "consumer",
          "key": "alice",
          "id": "[UUID]",
          "execution": {
            "by": "request",
            "method": "PUT",
            "path": "/consumers/[UUID]",
            "body": {
              "username": "alice"
            }
          }
        },
        {
          "index": 1,
          "action": "delete",
          "kind": "consumer",
          "key": "old",
          "id": "[UUID]",
          "execution": {
            "by": "request",
            "method": "DELETE",
            "path": "/consumers/[UUID]"
          }
        },
        {
          "index": 2,
          "action": "create",
          "kind": "key-auth",
          "key": "…0001 for consumer alice",
          "id": "[UUID]",
          "execution": {
            "by": "request",
            "method": "PUT",
            "path": "/consumers/[UUID]/key-auth/[UUID]",
            "body": {
              "consumer": {
                "id": "[UUID]"
              },
              "key": "<redacted>"
            }
          },
          "depends_on": [
            0
          ]
        },
        {
          "index": 3,
          "action": "delete",
          "kind": "key-auth",
          "key": "…0001 for consumer old",
          "id": "[UUID]",
          "execution": {
            "by": "with_step",
            "step": 1,
            "reason": "deleted by Kong with its consumer old"
          },
          "depends_on": [
            1
          ]
        },
        {
          "index": 4,
          "action": "delete",
          "kind": "service",
          "key": "legacy",
          "id": "[UUID]",
          "execution": {
            "by": "request",
            "method": "DELETE",
            "path": "/services/[UUID]"
          }
        },
        {
          "index": 5,
          "action": "create",
          "kind": "service",
          "key": "orders",
          "id": "[UUID]",
          "execution": {
            "by": "request",
            "method": "PUT",
            "path": "/services/[UUID]",
            "body": {
              "host": "orders.internal",
              "name": "orders"
            }
          }
        },
        {
          "index": 6,
          "action": "update",
          "kind": "plugin",
          "key": "rate-limiting for route billing-r",
          "id": "[UUID]",
          "changes": [
            {
              "path": "config.minute",
              "before": 10,
              "after": 20
            }
          ],
          "execution": {
            "by": "request",
            "method": "PUT",
            "path": "/plugins/[UUID]",
            "body": {
              "config": {
                "minute": 20,
                "policy": "local"
              },
              "created_at": [TIMESTAMP],
              "name": "rate-limiting",
              "route": {
                "id": "[UUID]"
              }
            }
          }
        },
        {
          "index": 7,
          "action": "create",
          "kind": "plugin",
          "key": "request-transformer for service orders",
          "id": "[UUID]",
          "execution": {
            "by": "request",
            "method": "PUT",
            "path": "/plugins/[UUID]",
            "body": {
              "config": {
                "add": {
                  "headers": [
                    "authorization:Bearer <redacted>"
                  ]
                }
              },
              "name": "request-transformer",
              "service": {
                "id": "[UUID]"
              }
            }
          },
          "depends_on": [
            5
          ]
        }
      ]
    }
    "#);
}

#[test]
fn diff_markdown() {
    let env = scenario();
    let out = run(&env, &["diff", "kong.yaml", "--format", "markdown"]);
    out.success();
    assert_rendered!(out.stdout, @r#"
    ### kongsync plan: 4 to create, 1 to update, 3 to delete

    Target: `Kong at http://127.0.0.1:[PORT]`

    | kind | create | update | delete |
    | --- | ---: | ---: | ---: |
    | consumer | 1 | 0 | 1 |
    | key-auth | 1 | 0 | 1 |
    | service | 1 | 0 | 1 |
    | plugin | 1 | 1 | 0 |

    <details><summary>consumer: 2 changes</summary>

    ```diff
    + create consumer alice
    - delete consumer old
    ```

    </details>

    <details><summary>key-auth: 2 changes</summary>

    ```diff
    + create key-auth …0001 for consumer alice
    - delete key-auth …0001 for consumer old  (deleted by Kong with its consumer old)
    ```

    </details>

    <details><summary>service: 2 changes</summary>

    ```diff
    - delete service legacy
    + create service orders
    ```

    </details>

    <details><summary>plugin: 2 changes</summary>

    ```diff
    ~ update plugin rate-limiting for route billing-r
    - config.minute: 10
    + config.minute: 20
    + create plugin request-transformer for service orders
    ```

    </details>
    "#);
}

#[test]
fn sync_report_text() {
    let env = scenario();
    let out = run(&env, &["sync", "kong.yaml"]);
    out.success();
    assert_rendered!(out.stdout, @r#"
    Plan for Kong at http://127.0.0.1:[PORT]: 4 to create, 1 to update, 3 to delete

    + create consumer alice
    - delete consumer old
    + create key-auth …0001 for consumer alice
    - delete key-auth …0001 for consumer old  (deleted by Kong with its consumer old)
    - delete service legacy
    + create service orders
    ~ update plugin rate-limiting for route billing-r
        - config.minute: 10
        + config.minute: 20
    + create plugin request-transformer for service orders

    Summary: 4 to create, 1 to update, 3 to delete
    Sync complete: 8 done, 0 failed, 0 skipped, 0 not started (7 requests)
    "#);
    run(&env, &["diff", "kong.yaml", "--exit-code"]).success();
}

#[test]
fn sync_report_json() {
    let env = scenario();
    let out = run(&env, &["sync", "kong.yaml", "--format", "json"]);
    out.success();
    assert_rendered!(out.stdout, @r#"
    {
      "target": "Kong at http://127.0.0.1:[PORT]",
      "summary": {
        "create": 4,
        "update": 1,
        "delete": 3
      },
      "done": 8,
      "failed": 0,
      "skipped": 0,
      "not_started": 0,
      "requests": 7,
      "steps": [
        {
          "index": 0,
          "action": "create",
          "kind": "consumer",
          "key": "alice",
          "status": "done"
        },
        {
          "index": 1,
          "action": "delete",
          "kind": "consumer",
          "key": "old",
          "status": "done"
        },
        {
          "index": 2,
          "action": "create",
          "kind": "key-auth",
          "key": "…0001 for consumer alice",
          "status": "done"
        },
        {
          "index": 3,
          "action": "delete",
          "kind": "key-auth",
          "key": "…0001 for consumer old",
          "status": "done"
        },
        {
          "index": 4,
          "action": "delete",
          "kind": "service",
          "key": "legacy",
          "status": "done"
        },
        {
          "index": 5,
          "action": "create",
          "kind": "service",
          "key": "orders",
          "status": "done"
        },
        {
          "index": 6,
          "action": "update",
          "kind": "plugin",
          "key": "rate-limiting for route billing-r",
          "status": "done"
        },
        {
          "index": 7,
          "action": "create",
          "kind": "plugin",
          "key": "request-transformer for service orders",
          "status": "done"
        }
      ]
    }
    "#);
}

#[test]
fn the_same_inputs_render_the_same_bytes() {
    let env = scenario();
    for format in ["text", "json", "markdown"] {
        let first = run(&env, &["diff", "kong.yaml", "--format", format]).stdout.clone();
        let second = run(&env, &["diff", "kong.yaml", "--format", format]).stdout.clone();
        assert_eq!(first, second, "{format} differs between two runs");
    }
}

#[test]
fn short_environment_values_never_corrupt_ids_or_other_values() {
    // decK's Test_Diff_Masking_ShortValues_NoCorruption (diff/009-mask-short-values): values of `5` and
    // `example.com` mask the fields they fill, not a digit of a uuid or part of `old-example.com`.
    let env = TestEnv::new();
    let id = "b35b3ec2-fa1c-4f6c-825e-c38141562c76";
    env.put(&format!("/services/{id}"), serde_json::json!({"name": "svc", "host": "old-example.com", "retries": 3}));
    env.write(
        "kong.yaml",
        &format!("_format_version: \"3.0\"\nservices:\n- name: svc\n  id: {id}\n  host: ${{{{ env \"DECK_HOST\" }}}}\n  retries: ${{{{ env \"DECK_RETRIES\" }}}}\n  port: 8080\n"),
    );
    let url = env.url();
    let vars = [("DECK_HOST", "example.com"), ("DECK_RETRIES", "5")];
    let text = env.run(&["--kong-addr", &url, "diff", "kong.yaml"], &vars, None);
    let json = env.run(&["--kong-addr", &url, "diff", "kong.yaml", "--format", "json"], &vars, None);
    for out in [&text, &json] {
        assert!(!out.stdout.contains("example.com") && !out.stdout.contains("old-<redacted>"), "{}", out.stdout);
    }
    assert!(json.stdout.contains(id), "{}", json.stdout);
    // Both sides of a field filled from the environment are masked, as a secret's are.
    assert!(text.stdout.contains("host: <redacted>") && text.stdout.contains("retries: <redacted>"), "{}", text.stdout);
    let plan: serde_json::Value = serde_json::from_str(&json.stdout).expect("the JSON plan stays JSON");
    assert!(plan.is_object());
}
