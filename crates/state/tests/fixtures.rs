//! The fixtures under `testdata/`: every valid one reads, every invalid one is refused, and the
//! messages each invalid one gets are pinned by a snapshot (file, entity, field and wording), so a
//! change in what users see is a reviewed change.

#![allow(clippy::unwrap_used)]

use kongsync_state::file::{read, FileError};
use std::path::{Path, PathBuf};

fn testdata(sub: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata").join(sub)
}

/// The environment the fixtures' templates read.
fn env(name: &str) -> Option<String> {
    match name {
        "DECK_HOST" => Some("orders.internal".into()),
        "DECK_PORT" | "KONGSYNC_PORT" => Some("8080".into()),
        "DECK_API_KEY" | "KONGSYNC_API_KEY" => Some("s3cr3t-key-value".into()),
        "DECK_ENABLED" | "DECK_ORDERS_ENABLED" => Some("true".into()),
        "DECK_ORDERS_HOST" => Some("orders.internal".into()),
        "KONGSYNC_ORDERS_PORT" => Some("8443".into()),
        "DECK_ORDERS_RATE" => Some("5".into()),
        "DECK_ORDERS_HEADERS" => Some("- x-team:orders\n- x-env:prod".into()),
        "KONGSYNC_ORDERS_BOT_KEY" => Some("bot-key-0123456789".into()),
        _ => None,
    }
}

/// Each entry of a fixture directory: a file, or a sub-directory read as one multi-file state.
fn entries(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
    out.sort();
    out
}

fn relative(p: &Path) -> String {
    let root = testdata("");
    let shown = p.strip_prefix(&root).unwrap_or(p).display().to_string();
    shown.replace('\\', "/")
}

#[test]
fn every_valid_fixture_reads() {
    let mut failures = Vec::new();
    for path in entries(&testdata("valid")) {
        if path.extension().is_some_and(|e| e == "md") {
            continue;
        }
        if let Err(FileError::Invalid(d)) = read(std::slice::from_ref(&path), &env) {
            failures.push(format!(
                "{}: {}",
                relative(&path),
                d.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ")
            ));
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

#[test]
fn every_invalid_fixture_is_refused_with_pinned_messages() {
    let dir = testdata("invalid");
    let paths = entries(&dir);
    assert!(paths.len() >= 40, "only {} invalid fixtures", paths.len());
    let mut report = String::new();
    for path in paths {
        report.push_str(&format!("## {}\n", relative(&path)));
        match read(std::slice::from_ref(&path), &env) {
            Ok(_) => panic!("{} was accepted", relative(&path)),
            Err(FileError::Invalid(diags)) => {
                assert!(!diags.is_empty());
                for d in diags {
                    // Paths in messages are as given on the command line: make them relative.
                    let text = d.to_string().replace(&format!("{}/", dir.display()), "");
                    report.push_str(&format!("{text}\n"));
                }
            }
        }
        report.push('\n');
    }
    insta::assert_snapshot!("invalid_fixtures", report);
}
