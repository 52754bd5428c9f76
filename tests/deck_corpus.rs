//! decK's own integration fixtures (`../shared/conformance/deck/tests/integration/testdata`), run the
//! way decK's Go tests (`tests/integration/*_test.go` in Kong/deck) run them, through the built binary
//! against the simulator: validate; sync, then a diff that finds nothing left to do; multi-step
//! syncs; dumps compared with decK's expected files (semantically, and counted when byte-identical);
//! the errors decK's tests expect. Every fixture file is accounted for: used by a case, refused by
//! kongsync with a message naming the feature (features outside the core), or skipped with the
//! reason (other Kong versions, Konnect-only, decK options that are not Kong's behaviour). The tables
//! are in `deck_corpus/cases.rs`; the run prints a summary by group.
//!
//! A fresh clone has no `../shared`: the test then skips with a notice (CI makes it mandatory).

use crate::harness::{run_binary, TestEnv};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

mod cases;

use cases::{Case, Step, CASES, KNOWN_FAILURES, REFUSED, SKIPPED};

/// What one case gave.
struct Outcome {
    /// `Err` holds what went wrong, for the report.
    result: Result<(), String>,
    /// Dumps compared, and how many of them were byte-identical to decK's file.
    dumps: usize,
    identical: usize,
}

/// Running one case: its fixture folder, its simulator and the environment its steps set.
struct Run<'a> {
    dir: PathBuf,
    env: TestEnv,
    vars: Vec<(String, String)>,
    values: &'a serde_json::Map<String, Value>,
    dumps: usize,
    identical: usize,
}

impl Run<'_> {
    /// An argument as the binary gets it: fixture files resolved against the case's folder.
    fn arg(&self, a: &str) -> String {
        let is_file = !a.starts_with('-') && [".yaml", ".yml", ".json"].iter().any(|x| a.ends_with(x));
        if is_file {
            self.dir.join(a).display().to_string()
        } else {
            a.to_string()
        }
    }

    /// Runs `kongsync --kong-addr <sim> ARGS` with the case's environment.
    fn kongsync(&self, args: &[&str]) -> crate::harness::Output {
        let url = self.env.url();
        let mut all = vec!["--kong-addr".to_string(), url];
        all.extend(args.iter().map(|a| self.arg(a)));
        let all: Vec<&str> = all.iter().map(String::as_str).collect();
        let vars: Vec<(&str, &str)> = self.vars.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        run_binary(self.env.dir.path(), &all, &vars, None)
    }

    fn step(&mut self, step: &Step) -> Result<(), String> {
        match step {
            Step::Env(vars) => {
                for (name, value) in *vars {
                    let value = match value.strip_prefix('@') {
                        Some(key) => {
                            self.values.get(key).and_then(Value::as_str).ok_or(format!("no {key} in values.json"))?
                        }
                        None => value,
                    };
                    self.vars.retain(|(k, _)| k != name);
                    self.vars.push((name.to_string(), value.to_string()));
                }
                Ok(())
            }
            Step::Validate(files) => {
                let args: Vec<&str> = std::iter::once("validate").chain(files.iter().copied()).collect();
                expect_code(&self.kongsync(&args), 0, &args)
            }
            Step::Sync(files) => {
                let args: Vec<&str> = std::iter::once("sync").chain(files.iter().copied()).collect();
                expect_code(&self.kongsync(&args), 0, &args)?;
                // decK's tests re-sync or diff after a sync: nothing may be left to do.
                let diff: Vec<&str> = ["diff", "--exit-code"].into_iter().chain(files.iter().copied()).collect();
                expect_code(&self.kongsync(&diff), 0, &diff)
            }
            Step::Dump(args, expected) => {
                let mut all = vec!["dump", "-o", "-"];
                all.extend_from_slice(args);
                let out = self.kongsync(&all);
                expect_code(&out, 0, &all)?;
                let text = std::fs::read_to_string(self.dir.join(expected)).map_err(|e| format!("{expected}: {e}"))?;
                self.dumps += 1;
                if out.stdout == text {
                    self.identical += 1;
                    return Ok(());
                }
                let got: Value = serde_yaml::from_str(&out.stdout).map_err(|e| format!("the dump is not YAML: {e}"))?;
                let want: Value = serde_yaml::from_str(&text).map_err(|e| format!("{expected}: {e}"))?;
                let mut differences = Vec::new();
                differ("", &want, &got, &mut differences);
                if differences.is_empty() {
                    Ok(())
                } else {
                    Err(format!("dump differs from {expected}:\n  {}", differences.join("\n  ")))
                }
            }
            Step::Runs(args) => expect_code(&self.kongsync(args), 0, args),
            Step::Fails(args, message) => {
                let out = self.kongsync(args);
                expect_code(&out, 1, args)?;
                if out.stderr.contains(message) || out.stdout.contains(message) {
                    Ok(())
                } else {
                    Err(format!("`{}` failed without {message:?}:\n{}{}", args.join(" "), out.stdout, out.stderr))
                }
            }
            Step::Shows(args, present, absent) => {
                let out = self.kongsync(args);
                if out.code == 1 {
                    return Err(format!("`{}` failed:\n{}", args.join(" "), out.stderr));
                }
                let text = format!("{}{}", out.stdout, out.stderr);
                let missing: Vec<_> = present.iter().filter(|p| !text.contains(*p)).collect();
                let shown: Vec<_> = absent.iter().filter(|p| text.contains(*p)).collect();
                if missing.is_empty() && shown.is_empty() {
                    Ok(())
                } else {
                    Err(format!("`{}`: missing {missing:?}, shown {shown:?}:\n{text}", args.join(" ")))
                }
            }
            Step::Put(path, body) => {
                let body: Value = serde_json::from_str(body).map_err(|e| format!("bad body: {e}"))?;
                let (status, answer) = self.env.request("PUT", path, Some(body));
                if status < 300 {
                    Ok(())
                } else {
                    Err(format!("PUT {path}: {status} {answer}"))
                }
            }
            Step::Refuses(args, message) => {
                self.env.clear_requests();
                self.step(&Step::Fails(args, message))?;
                let writes = self.env.writes();
                if writes.is_empty() {
                    Ok(())
                } else {
                    Err(format!("`{}` refused after writing: {writes:?}", args.join(" ")))
                }
            }
            Step::SyncKeeps(files, values) => {
                let read = |run: &Run| -> Vec<Option<Value>> {
                    values
                        .iter()
                        .map(|(path, pointer)| run.env.request("GET", path, None).1.pointer(pointer).cloned())
                        .collect()
                };
                let before = read(self);
                // Kong's timestamps have a resolution of one second.
                std::thread::sleep(std::time::Duration::from_millis(1100));
                self.step(&Step::Sync(files))?;
                let after = read(self);
                let moved: Vec<String> = values
                    .iter()
                    .zip(before.iter().zip(&after))
                    .filter(|(_, (b, a))| b != a)
                    .map(|((path, pointer), (b, a))| format!("{path} {pointer}: {b:?} -> {a:?}"))
                    .collect();
                if moved.is_empty() {
                    Ok(())
                } else {
                    Err(format!("decK keeps these: {}", moved.join("; ")))
                }
            }
            Step::All(steps) => steps.iter().try_for_each(|s| self.step(s)),
            Step::Live(path, pointer, expected) => {
                let (status, body) = self.env.request("GET", path, None);
                let want: Value = serde_json::from_str(expected).map_err(|e| format!("bad expectation: {e}"))?;
                match body.pointer(pointer) {
                    Some(got) if status == 200 && *got == want => Ok(()),
                    got => Err(format!("GET {path} {pointer}: {status} {got:?}, decK expects {want}")),
                }
            }
        }
    }
}

fn expect_code(out: &crate::harness::Output, code: i32, args: &[&str]) -> Result<(), String> {
    if out.code == code {
        Ok(())
    } else {
        Err(format!("`{}` exited {} (expected {code}):\n{}{}", args.join(" "), out.code, out.stdout, out.stderr))
    }
}

/// The paths at which `got` differs from `want`, each with both values.
fn differ(path: &str, want: &Value, got: &Value, out: &mut Vec<String>) {
    match (want, got) {
        (Value::Object(w), Value::Object(g)) => {
            let keys: BTreeSet<&String> = w.keys().chain(g.keys()).collect();
            for k in keys {
                let here = format!("{path}.{k}");
                match (w.get(k), g.get(k)) {
                    (Some(a), Some(b)) => differ(&here, a, b, out),
                    (Some(a), None) => out.push(format!("{here}: missing (decK: {})", brief(a))),
                    (None, Some(b)) => out.push(format!("{here}: extra {}", brief(b))),
                    (None, None) => {}
                }
            }
        }
        (Value::Array(w), Value::Array(g)) if w.len() == g.len() => {
            for (i, (a, b)) in w.iter().zip(g).enumerate() {
                differ(&format!("{path}[{i}]"), a, b, out);
            }
        }
        _ if want == got => {}
        _ => out.push(format!("{path}: {} (decK: {})", brief(got), brief(want))),
    }
}

/// A value short enough for a report line.
fn brief(v: &Value) -> String {
    let s = v.to_string();
    if s.chars().count() > 120 {
        format!("{}...", s.chars().take(120).collect::<String>())
    } else {
        s
    }
}

/// The simulator every case runs against: Kong 3.5.0, the version the expected files are chosen for.
/// decK's integration tests of consumer groups run against Kong Enterprise (OSS 3.5 has none), and
/// every fixture here is valid there.
fn sim_env() -> TestEnv {
    TestEnv::enterprise()
}

fn run_case(root: &Path, case: &Case, values: &serde_json::Map<String, Value>) -> Outcome {
    let mut run = Run { dir: root.join(case.dir), env: sim_env(), vars: Vec::new(), values, dumps: 0, identical: 0 };
    let mut result = Ok(());
    for (i, step) in case.steps.iter().enumerate() {
        if let Err(e) = run.step(step) {
            result = Err(format!("step {}: {e}", i + 1));
            break;
        }
    }
    Outcome { result, dumps: run.dumps, identical: run.identical }
}

/// Every fixture file, relative to the corpus root.
fn fixture_files(root: &Path) -> Vec<String> {
    fn walk(dir: &Path, root: &Path, out: &mut Vec<String>) {
        let Ok(entries) = std::fs::read_dir(dir) else { return };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(&path, root, out);
            } else if let Ok(rel) = path.strip_prefix(root) {
                out.push(rel.display().to_string());
            }
        }
    }
    let mut out = Vec::new();
    walk(root, root, &mut out);
    out.sort();
    out
}

/// The files a case reads.
fn files_of(case: &Case) -> Vec<String> {
    let mut out = Vec::new();
    let flat: Vec<&Step> = case
        .steps
        .iter()
        .flat_map(|s| match s {
            Step::All(steps) => steps.iter().collect::<Vec<_>>(),
            s => vec![s],
        })
        .collect();
    for step in flat {
        let args: Vec<&str> = match step {
            Step::Validate(a)
            | Step::Sync(a)
            | Step::Runs(a)
            | Step::Fails(a, _)
            | Step::Refuses(a, _)
            | Step::Shows(a, _, _) => a.to_vec(),
            Step::Dump(a, expected) => a.iter().copied().chain([*expected]).collect(),
            Step::SyncKeeps(a, _) => a.to_vec(),
            Step::Env(_) | Step::Live(..) | Step::Put(..) | Step::All(_) => Vec::new(),
        };
        for a in args.into_iter().filter(|a| a.ends_with(".yaml") || a.ends_with(".json")) {
            let joined = Path::new(case.dir).join(a);
            // Normalize `../` so that a case may read a sibling folder's file.
            let mut parts: Vec<&str> = Vec::new();
            for c in joined.to_str().unwrap_or_default().split('/') {
                match c {
                    ".." => {
                        parts.pop();
                    }
                    "." => {}
                    c => parts.push(c),
                }
            }
            out.push(parts.join("/"));
        }
    }
    out
}

#[test]
fn decks_fixtures_behave_as_decks_tests_expect() {
    let Some(root) = kongsync_testkit::shared("conformance/deck/tests/integration/testdata") else { return };
    let values_path = root.join("../../../values.json");
    let values: Value = serde_json::from_str(&std::fs::read_to_string(&values_path).unwrap()).unwrap();
    let values = values["values"].as_object().cloned().unwrap_or_default();

    // Every fixture file is used, refused or skipped, so a new one cannot go unnoticed.
    let mut accounted: BTreeSet<String> = CASES.iter().flat_map(files_of).collect();
    accounted.extend(REFUSED.iter().map(|r| r.file.to_string()));
    let all_files = fixture_files(&root);
    let unaccounted: Vec<&String> = all_files
        .iter()
        .filter(|f| !accounted.contains(*f) && !SKIPPED.iter().any(|s| s.files.iter().any(|p| f.starts_with(p))))
        .collect();
    assert!(unaccounted.is_empty(), "fixtures neither run, refused nor skipped: {unaccounted:#?}");
    let missing: Vec<&String> = accounted.iter().filter(|f| !root.join(f).exists()).collect();
    assert!(missing.is_empty(), "the tables name files the corpus lacks: {missing:#?}");

    #[derive(Default)]
    struct Tally {
        passed: usize,
        applicable: usize,
        expected_failures: usize,
        refused: usize,
    }
    // Skipped fixture files, by group and reason.
    let mut skipped_files: BTreeMap<String, BTreeMap<&'static str, usize>> = BTreeMap::new();
    let mut tally: BTreeMap<&str, Tally> = BTreeMap::new();
    let group = |dir: &'static str| dir.split('/').next().unwrap_or(dir);
    let mut problems = Vec::new();
    let mut failing_now = Vec::new();
    let (mut dumps, mut identical) = (0, 0);

    for case in CASES {
        let outcome = run_case(&root, case, &values);
        dumps += outcome.dumps;
        identical += outcome.identical;
        let t = tally.entry(group(case.dir)).or_default();
        t.applicable += 1;
        let known = KNOWN_FAILURES.iter().find(|(dir, go_test, _)| *dir == case.dir && *go_test == case.go_test);
        match (&outcome.result, known) {
            (Ok(()), None) => t.passed += 1,
            (Ok(()), Some((_, _, reason))) => problems.push(format!(
                "{} ({}) passes now: remove it from KNOWN_FAILURES (\"{reason}\")",
                case.dir, case.go_test
            )),
            (Err(e), Some(_)) => {
                t.expected_failures += 1;
                failing_now.push(format!(
                    "{} ({}): {}",
                    case.dir,
                    case.go_test,
                    e.lines().take(4).collect::<Vec<_>>().join(" | ")
                ));
            }
            (Err(e), None) => problems.push(format!("{} ({}): {e}", case.dir, case.go_test)),
        }
    }
    for (dir, go_test, _) in KNOWN_FAILURES {
        let listed = CASES.iter().any(|c| c.dir == *dir && c.go_test == *go_test);
        assert!(listed, "KNOWN_FAILURES names {dir} ({go_test}), which no case runs");
    }

    // Features outside the core: refused, naming the feature, before anything is sent.
    for refused in REFUSED {
        let env = sim_env();
        let file = root.join(refused.file).display().to_string();
        let out = run_binary(env.dir.path(), &["--kong-addr", &env.url(), "sync", &file], &[], None);
        let named = out.code == 1 && out.stderr.contains(refused.message);
        let untouched = env.writes().is_empty();
        if !(named && untouched) {
            problems.push(format!(
                "{} ({}): expected a refusal naming {:?} and no writes; exit {}, writes {:?}:\n{}",
                refused.file,
                refused.why,
                refused.message,
                out.code,
                env.writes(),
                out.stderr
            ));
        }
        tally.entry(group(refused.file)).or_default().refused += 1;
    }
    for file in all_files.iter().filter(|f| !accounted.contains(*f)) {
        if let Some(skipped) = SKIPPED.iter().find(|s| s.files.iter().any(|p| file.starts_with(p))) {
            let g = file.split('/').next().unwrap_or(file).to_string();
            *skipped_files.entry(g).or_default().entry(skipped.why).or_default() += 1;
        }
    }

    eprintln!("decK corpus ({}):", root.display());
    for (g, t) in &tally {
        eprintln!(
            "  {g}: {} passed / {} applicable ({} expected to fail); {} refused as outside the core",
            t.passed, t.applicable, t.expected_failures, t.refused
        );
        for (why, n) in skipped_files.get(*g).into_iter().flatten() {
            eprintln!("    skipped {n} file(s): {why}");
        }
    }
    eprintln!("  dumps: {identical} of {dumps} byte-identical to decK's expected files");
    for (dir, _, reason) in KNOWN_FAILURES {
        eprintln!("  expected to fail: {dir}: {reason}");
    }
    for failure in &failing_now {
        eprintln!("    as it fails now: {failure}");
    }
    assert!(problems.is_empty(), "{} disagreement(s) with decK:\n{}", problems.len(), problems.join("\n\n"));
}
