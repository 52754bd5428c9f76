//! The part of `diff`, `sync` and `drift` that computes a plan: read and validate the files (all of
//! them, before anything is sent), open the connection, read the live state in scope, fetch the
//! target's schemas, and plan.

use crate::args::{GlobalArgs, StateArgs};
use crate::printer::Printer;
use crate::progress::Progress;
use crate::settings::{env_lookup, state_files};
use crate::target::Connection;
use anyhow::Context;
use kongsync_diff::{Dialect, IgnoreField, Plan, PlanOptions, PlanScope};
use kongsync_model::Kind;
use kongsync_state::file::{self, FileError};
use kongsync_state::State;
use serde_json::Value;
use std::collections::BTreeSet;

/// Reads the state files; on invalid input prints every problem and returns `None`.
pub fn read_desired(args: &StateArgs, printer: &Printer) -> Option<State> {
    match file::read(&state_files(args), &env_lookup) {
        Ok(state) => Some(state),
        Err(FileError::Invalid(diags)) => {
            for d in &diags {
                printer.error(&d.to_string());
            }
            printer.error(&FileError::Invalid(diags).to_string());
            None
        }
    }
}

/// Parses every `--ignore-field`.
pub fn ignore_fields(given: &[String]) -> anyhow::Result<Vec<IgnoreField>> {
    given.iter().map(|g| IgnoreField::parse(g).map_err(anyhow::Error::from)).collect()
}

/// A computed plan, with the connection it was computed on and the live state it read.
pub struct Planned {
    pub conn: Connection,
    pub live: State,
    pub plan: Plan,
}

/// Plans `desired` against the gateway. The connection is closed on error.
pub async fn plan(
    global: &GlobalArgs,
    mut desired: State,
    ignore: Vec<IgnoreField>,
    printer: &Printer,
) -> anyhow::Result<Planned> {
    let conn = Connection::open(global, &desired.meta, printer).await?;
    match plan_on(&conn, &mut desired, ignore, printer).await {
        Ok((live, plan)) => Ok(Planned { conn, live, plan }),
        Err(e) => {
            conn.close().await?;
            Err(e)
        }
    }
}

async fn plan_on(
    conn: &Connection,
    desired: &mut State,
    ignore: Vec<IgnoreField>,
    printer: &Printer,
) -> anyhow::Result<(State, Plan)> {
    let scope = plan_scope(conn);
    stamp_select_tags(desired, &scope.select_tags);
    let progress = Progress::new(printer, "reading");
    let live = conn.read_live(&progress).await;
    progress.finish();
    let live = live?;
    let schemas = conn.schemas(&plugin_names(desired, &live)).await?;
    let options = PlanOptions { target: conn.describe(), dialect: dialect(conn), ignore };
    let plan = kongsync_diff::plan(desired, &live, &scope, &schemas, &options).context("cannot plan the changes")?;
    Ok((live, plan))
}

/// The scope the connection reads, as the plan records it.
pub fn plan_scope(conn: &Connection) -> PlanScope {
    let s = conn.scope();
    PlanScope { select_tags: s.select_tags.clone(), skip_consumers: s.skip_consumers }
}

/// The request dialect of the connection's API.
pub fn dialect(conn: &Connection) -> Dialect {
    if conn.target().is_konnect() {
        Dialect::Konnect
    } else {
        Dialect::Kong
    }
}

/// Gives every desired entity the select tags (from `--select-tag` or the files), as decK does, so
/// that what the sync creates is found by the next read.
fn stamp_select_tags(state: &mut State, tags: &[String]) {
    if tags.is_empty() {
        return;
    }
    for e in state.entities.values_mut().filter(|e| e.kind().has_tags()) {
        let list = e.fields.entry("tags").or_insert_with(|| Value::Array(Vec::new()));
        if let Value::Array(items) = list {
            for t in tags {
                if !items.iter().any(|i| i.as_str() == Some(t)) {
                    items.push(Value::String(t.clone()));
                }
            }
        }
    }
}

/// The plugins either side uses, whose schemas the target is asked for.
fn plugin_names(desired: &State, live: &State) -> Vec<String> {
    let names: BTreeSet<String> = desired
        .of_kind(Kind::Plugin)
        .chain(live.of_kind(Kind::Plugin))
        .filter_map(|p| p.str_field("name").map(str::to_string))
        .collect();
    names.into_iter().collect()
}
