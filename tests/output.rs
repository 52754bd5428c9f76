//! What reaches the terminal: `-q` leaves only errors (and for `diff` the exit code) from `diff`,
//! `sync` and `reset`; control characters in names, in gateway messages and in mistyped arguments are
//! escaped on every path to stderr, so that a terminal shows them instead of obeying them.

use crate::harness::TestEnv;
use std::io::{Read, Write};

const STATE: &str = "_format_version: \"3.0\"\nservices:\n- name: orders\n  host: orders.internal\n  routes:\n  \
                     - name: orders\n    paths: [/orders]\n";

#[test]
fn quiet_diff_says_nothing_but_its_exit_code() {
    let env = TestEnv::new();
    env.write("kong.yaml", STATE);
    let out = env.kongsync(&["diff", "kong.yaml", "-q"]);
    out.success();
    assert_eq!((out.stdout.as_str(), out.stderr.as_str()), ("", ""));
    let changes = env.kongsync(&["diff", "kong.yaml", "--quiet", "--exit-code"]);
    changes.expect_code(2);
    assert_eq!((changes.stdout.as_str(), changes.stderr.as_str()), ("", ""));
    // What was asked for by name is still written.
    let json = env.kongsync(&["diff", "kong.yaml", "-q", "--format", "json"]);
    json.success();
    let plan: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(plan["summary"]["create"], 2, "{}", json.stdout);
    assert_eq!(json.stderr, "");
}

#[test]
fn quiet_sync_and_reset_write_and_say_nothing_and_errors_still_show() {
    let env = TestEnv::new();
    env.write("kong.yaml", STATE);
    let sync = env.kongsync(&["sync", "kong.yaml", "-q"]);
    sync.success();
    assert_eq!((sync.stdout.as_str(), sync.stderr.as_str()), ("", ""));
    assert_eq!(env.writes().len(), 2, "{:?}", env.writes());

    // An error is all that is left.
    env.write("empty.yaml", "_format_version: \"3.0\"\nservices: []\n");
    let refused = env.kongsync(&["sync", "empty.yaml", "-q"]);
    refused.expect_code(1);
    assert_eq!(refused.stdout, "");
    assert!(refused.stderr.starts_with("error: refusing to sync, nothing was written"), "{}", refused.stderr);
    assert_eq!(refused.stderr.lines().count(), 1, "{}", refused.stderr);

    env.clear_requests();
    let reset = env.kongsync(&["reset", "--force", "-q"]);
    reset.success();
    assert_eq!((reset.stdout.as_str(), reset.stderr.as_str()), ("", ""));
    let deletes = env.writes();
    assert!(deletes.len() == 2 && deletes.iter().all(|w| w.starts_with("DELETE ")), "{deletes:?}");
    let (_, services) = env.request("GET", "/services", None);
    assert_eq!(services["data"].as_array().unwrap().len(), 0);
}

/// A loopback HTTP server that answers every request with `status` and `body`, for an error message
/// the simulator would never send.
fn answering(status: &str, body: &'static str) -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let status = status.to_string();
    std::thread::spawn(move || {
        for stream in listener.incoming().take(16) {
            let Ok(mut stream) = stream else { continue };
            let mut seen = Vec::new();
            let mut buf = [0u8; 1024];
            while !seen.windows(4).any(|w| w == b"\r\n\r\n") {
                match stream.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => seen.extend_from_slice(&buf[..n]),
                }
            }
            let reply = format!(
                "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = stream.write_all(reply.as_bytes());
        }
    });
    format!("http://{addr}")
}

#[test]
fn a_gateway_message_with_escape_sequences_is_shown_escaped() {
    let env = TestEnv::new();
    // The message would clear the screen and paint the rest red; JSON carries it as \u001b.
    let url = answering("403 Forbidden", r#"{"message":"denied\u001b[2J\u001b[31m all is fine\r"}"#);
    let out = env.run(&["--kong-addr", &url, "ping"], &[], None);
    out.expect_code(1);
    assert!(!out.stderr.contains('\u{1b}') && !out.stderr.contains('\r'), "raw control characters: {:?}", out.stderr);
    assert!(out.stderr.contains(r"denied\u{1b}[2J\u{1b}[31m all is fine\u{d}"), "{}", out.stderr);
}

#[test]
fn a_file_name_with_a_newline_cannot_fake_a_line() {
    let env = TestEnv::new();
    env.write("ok.yaml\nerror: everything is fine.yaml", "_format_version: \"3.0\"\nservices: [\n");
    let out = env.kongsync(&["diff", "ok.yaml\nerror: everything is fine.yaml"]);
    out.expect_code(1);
    assert!(out.stderr.contains(r"ok.yaml\u{a}error: everything is fine.yaml"), "{}", out.stderr);
    assert!(
        !out.stderr.lines().any(|l| l.starts_with("error: everything is fine")),
        "a file name faked a line: {}",
        out.stderr
    );
    assert!(env.requests().is_empty(), "nothing is sent for invalid files");
}

#[test]
fn a_usage_error_quotes_what_was_typed_escaped() {
    let env = TestEnv::new();
    // A carriage return in an argument would let the rest of the line overwrite the error.
    let out = env.run(&["sync\rall good"], &[], None);
    out.expect_code(1);
    assert!(!out.stderr.contains('\r'), "raw carriage return: {:?}", out.stderr);
    assert!(out.stderr.contains(r"unrecognized subcommand 'sync\u{d}all good'"), "{}", out.stderr);
    // Help is kongsync's own text, printed as it is, on stdout, exit 0.
    let help = env.run(&["sync", "--help"], &[], None);
    help.success();
    assert!(help.stdout.contains("--wait-timeout <DURATION>"), "{}", help.stdout);
}
