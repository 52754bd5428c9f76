//! The few library calls the commands are made of, shared between them so that no command imports
//! another: read the files (every problem printed before anything is sent), plan against the
//! gateway, carry out a plan, read a saved plan, show a plan.

use crate::args::{GlobalArgs, PlanFormat, StateArgs};
use crate::connection::Connection;
use crate::printer::Printer;
use crate::render;
use crate::reporters::StepBar;
use crate::settings::{env_lookup, state_files};
use anyhow::Context;
use kongsync_apply::{execute, ExecuteOptions, Report};
use kongsync_diff::{Dialect, IgnoreField, Plan, PlanOptions};
use kongsync_state::file::{self, FileError};
use kongsync_state::State;
use std::path::Path;
use tokio::sync::watch;

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
    given.iter().map(|g| IgnoreField::parse(g).context("--ignore-field")).collect()
}

/// A computed plan, with the connection it was computed on.
pub struct Planned {
    pub conn: Connection,
    pub plan: Plan,
}

/// Plans `desired` against the gateway, on a connection that allows `parallelism` requests in flight
/// (for the sync that may follow). The connection is closed on error.
pub async fn plan(
    global: &GlobalArgs,
    desired: State,
    ignore: Vec<IgnoreField>,
    parallelism: usize,
    printer: &Printer,
) -> anyhow::Result<Planned> {
    let conn = Connection::open_for_writes(global, &desired.meta, printer, parallelism).await?;
    let planned = async {
        let observed = conn.observe_shown(&desired, printer).await?;
        let options = PlanOptions { target: conn.describe(), dialect: dialect(&conn), ignore };
        let plan = kongsync_diff::plan(&desired, &observed, &options).context("cannot plan the changes")?;
        anyhow::Ok(plan)
    }
    .await;
    match planned {
        Ok(plan) => Ok(Planned { conn, plan }),
        Err(e) => {
            conn.close().await?;
            Err(e)
        }
    }
}

/// The request dialect of the connection's API.
pub fn dialect(conn: &Connection) -> Dialect {
    if conn.gateway().is_konnect() {
        Dialect::Konnect
    } else {
        Dialect::Kong
    }
}

/// Reads a plan saved by `diff --out`; a plan of another format version is refused.
pub fn read_plan(path: &Path) -> anyhow::Result<Plan> {
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read the plan {}", path.display()))?;
    Plan::from_json(&text).with_context(|| format!("cannot run the plan {}", path.display()))
}

/// Executes a plan with a progress bar, stopping new steps on Ctrl-C.
pub async fn run_plan(
    conn: &Connection,
    plan: &Plan,
    parallelism: usize,
    fail_fast: bool,
    printer: &Printer,
) -> Report {
    let (stop_tx, stop_rx) = watch::channel(false);
    let interrupt = tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            let _ = stop_tx.send(true);
        }
    });
    let bar = StepBar::new(printer, plan.steps.len());
    let options = ExecuteOptions { parallelism, fail_fast };
    let report = execute(plan, conn.client(), conn.gateway(), options, stop_rx, &bar).await;
    bar.finish();
    interrupt.abort();
    report
}

/// A plan in the asked format, redacted.
pub fn show(plan: &Plan, format: PlanFormat, color: bool) -> String {
    let plan = kongsync_diff::redacted(plan);
    match format {
        PlanFormat::Text => render::text::plan(&plan, color),
        PlanFormat::Json => render::json::plan(&plan),
        PlanFormat::Markdown => render::markdown::plan(&plan),
    }
}
