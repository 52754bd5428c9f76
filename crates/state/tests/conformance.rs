//! decK's own state files (the go-database-reconciler test corpus, kept outside the project in
//! `../shared/conformance/`): kongsync must read each one or refuse it with a message that names
//! the problem, never misread it silently. The outcome of every file is pinned by a snapshot; files
//! using features kongsync does not support must be refused naming the feature.

#![allow(clippy::unwrap_used)]

use kongsync_state::file::{read, FileError};
use std::path::{Path, PathBuf};

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
    // The corpus is shared data outside the repository; a fresh clone skips (CI requires it).
    let Some(root) = kongsync_testkit::shared("conformance/go-database-reconciler") else { return };
    let mut files = Vec::new();
    state_files(&root, &mut files);
    assert!(files.len() > 100, "corpus has only {} state files", files.len());
    let mut report = String::new();
    let (mut ok, mut refused, mut unsupported) = (0, 0, 0);
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
                let all_text: String = diags.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n");
                if all_text.contains("unsupported") || all_text.contains("_format_version") {
                    unsupported += 1;
                } else {
                    refused += 1;
                }
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
    let summary =
        format!("{ok} read, {refused} refused as invalid, {unsupported} refused as unsupported (features or formats)");
    println!("{summary}");
    report.push_str(&format!("\n{summary}\n"));
    insta::assert_snapshot!("conformance", report);
}

/// decK's render fixtures: an input and the canonical file decK renders from it (static defaults
/// filled). Both must read into the same entities, with the same references, and every field the
/// input gives must have the value decK's rendering has.
#[test]
fn render_fixtures_read_into_the_entities_deck_renders() {
    let Some(root) = kongsync_testkit::shared(
        "conformance/go-database-reconciler/tests/integration/testdata/render/deterministic-sort",
    ) else {
        return;
    };
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&root).unwrap().map(|e| e.unwrap().path()).collect();
    dirs.sort();
    assert!(dirs.len() >= 6, "{dirs:?}");
    for dir in dirs {
        let input = match read(&[dir.join("input.yaml")], &env) {
            Ok(state) => state,
            // A deliberate difference: decK renders ids such as `svc-1` offline, but Kong refuses an
            // id that is not a UUID, so kongsync refuses the file before anything is sent.
            Err(FileError::Invalid(diags)) => {
                assert!(
                    diags.iter().all(|d| d.field.as_deref() == Some("id") && d.message == "expected a valid UUID"),
                    "{}: {diags:?}",
                    dir.display()
                );
                println!("{}: refused: ids that are not UUIDs", dir.display());
                continue;
            }
        };
        let expected = read(&[dir.join("expected.yaml")], &env).unwrap_or_else(|e| panic!("{}: {e:?}", dir.display()));
        let keys: Vec<_> = input.entities.keys().collect();
        let expected_keys: Vec<_> = expected.entities.keys().collect();
        assert_eq!(keys, expected_keys, "{}", dir.display());
        for (key, e) in &input.entities {
            let x = &expected.entities[key];
            assert_eq!(e.refs, x.refs, "{}: {key}", dir.display());
            for (field, value) in &e.fields {
                let rendered = x.fields.get(field);
                let same_set = matches!((value, rendered), (serde_json::Value::Array(a), Some(serde_json::Value::Array(b)))
                    if a.len() == b.len() && a.iter().all(|v| b.contains(v)));
                assert!(
                    rendered == Some(value) || same_set,
                    "{}: {key}: field `{field}`: {value} vs {rendered:?}",
                    dir.display()
                );
            }
        }
        println!(
            "{}: {} entities as decK renders them",
            dir.file_name().unwrap_or_default().to_string_lossy(),
            input.len()
        );
    }
}
