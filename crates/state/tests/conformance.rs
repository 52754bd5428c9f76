//! decK's own state files (the go-database-reconciler test corpus, kept outside the project in
//! `../shared/conformance/`): kongsync must read each one or refuse it with a message that names
//! the problem, never misread it silently. The outcome of every file is pinned by a snapshot; files
//! using features kongsync does not support must be refused naming the feature.

#![allow(clippy::unwrap_used)]

use kongsync_state::file::{read, FileError};
use std::path::{Path, PathBuf};

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/conformance/go-database-reconciler")
}

fn state_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(read_dir) = std::fs::read_dir(dir) else { return };
    let mut entries: Vec<PathBuf> = read_dir.filter_map(|e| e.ok().map(|e| e.path())).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            state_files(&p, out);
        } else if p.extension().and_then(|e| e.to_str()).is_some_and(|e| {
            let e = e.to_ascii_lowercase();
            e == "yaml" || e == "yml" || e == "json"
        }) {
            out.push(p);
        }
    }
}

/// Top-level keys of features outside kongsync's core, and the word its message must contain.
const UNSUPPORTED: [(&str, &str); 6] = [
    ("partials:", "partials"),
    ("filter_chains:", "filter"),
    ("rbac_roles:", "rbac"),
    ("licenses:", "license"),
    ("custom_entities:", "custom"),
    ("degraphql_routes:", "degraphql"),
];

fn env(name: &str) -> Option<String> {
    (name.starts_with("DECK_") || name.starts_with("KONGSYNC_")).then(|| "value".to_string())
}

#[test]
fn decks_own_files_are_read_or_refused_by_name() {
    let root = corpus();
    if !root.is_dir() {
        // The corpus is shared data outside the repository; a checkout without it has nothing to check.
        eprintln!("conformance corpus not found at {}; skipped", root.display());
        return;
    }
    let mut files = Vec::new();
    state_files(&root, &mut files);
    assert!(files.len() > 100, "corpus has only {} state files", files.len());
    let mut report = String::new();
    let (mut ok, mut refused) = (0, 0);
    for path in &files {
        let shown = path.strip_prefix(&root).unwrap_or(path).display().to_string();
        let text = std::fs::read_to_string(path).unwrap_or_default();
        if !text.contains("_format_version") && !text.contains("services") && !text.contains("consumers") {
            continue; // not a state file (a JSON schema, a plugin config, ...)
        }
        match read(std::slice::from_ref(path), &env) {
            Ok(state) => {
                ok += 1;
                let counts: Vec<String> = state.counts().iter().map(|(k, n)| format!("{n} {k}")).collect();
                report.push_str(&format!("ok      {shown}: {}\n", counts.join(", ")));
            }
            Err(FileError::Invalid(diags)) => {
                refused += 1;
                let first = diags
                    .first()
                    .map(|d| d.to_string().replace(&format!("{}/", root.display()), ""))
                    .unwrap_or_default();
                for (key, word) in UNSUPPORTED {
                    if text.lines().any(|l| l.starts_with(key)) {
                        let all: String = diags.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n");
                        assert!(
                            all.to_lowercase().contains(word),
                            "{shown} uses {key} but the messages do not say so:\n{all}"
                        );
                    }
                }
                report.push_str(&format!("refused {shown}: {} problems; first: {first}\n", diags.len()));
            }
        }
    }
    report.push_str(&format!("\n{ok} read, {refused} refused\n"));
    insta::assert_snapshot!("conformance", report);
}
