//! kongsync's end-to-end tests: the built binary against the in-process simulator. One test binary;
//! each module below covers one command or one promise.

// Tests may panic on anything unexpected: that is how they fail.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[macro_use]
mod harness;

// `validate`: valid and invalid fixtures, every problem reported, exit codes.
mod validate;
// `dump`: decK layout, YAML/JSON, files 0600, select tags, determinism, paging, round trip through validate.
mod dump;
// `ping`: Kong version, Konnect control plane by name and id, embedded, unreachable and 401 errors.
mod ping;
// `hash`: JSON documents, state files and the live gateway hash the same configuration alike.
mod hash;
// CI recipes in examples/ci: every kongsync command they run is accepted, and run against the simulator.
mod recipes;
// `sync` and `diff`: minimal writes, dependency order, renames, renderings; asserted on the request log.
mod sync;
// `diff --out` then `sync --plan`: the reviewed plan runs, a stale one is refused.
mod plan_file;
// `reset`: confirmation, select tags, children first.
mod reset;
// Faults: 503s, 429s and dropped connections converge in one run; a failure skips only its dependents.
mod faults;
// The rate governor: a sync paces itself to the budget Kong or Konnect announces; few 429s, converged.
mod rate;
// `drift`: Konnect nodes and Kong hybrid data planes in sync, lagging and stale; exit codes.
mod drift;
// No phantom diffs: each case decK users report converges to an empty diff and a read-only sync.
mod phantom;
// Scope: select tags and --skip-consumers never touch what is outside them; --ignore-field.
mod scope;
// Renderings: plan text, JSON and Markdown and the sync report, as snapshots; no secret shown.
mod render;
// Interruptions: a sync killed (SIGKILL) or interrupted (SIGINT) midway converges when re-run.
mod interrupt;
// Hostile or mistaken input (repeated keys, devices, deep nesting, own settings, empty tags, usage) sends nothing.
mod input;
// The simulator's and the model's independently written Kong 3.5 schema tables agree, field by field.
mod schema_crosscheck;
// Isolation and secrecy: a scoped run never takes over another owner's entities; no secret shown.
mod isolation;
// decK's own integration fixtures, run as decK's Go tests run them; a summary by group.
mod deck_corpus;
// Kong 3.5.0's write semantics: partial target updates, upstream shorthands, nested deletes and moves, hashed secrets.
mod kong_semantics;
// Safety: deletes held back after a failure, mass-delete guards, `apply`, tamper-proof plans, verification.
mod safety;
