//! `kongsync sync`: plan from the files (or take a reviewed plan with `--plan`), show it, and carry
//! it out. A saved plan runs only if the live state in its scope is still the one it was computed
//! from. Ctrl-C stops new steps from starting, lets those in flight finish, and reports.

use super::diff::show;
use super::planning::{dialect, ignore_fields, plan, plan_scope, read_desired};
use super::sync_progress::SyncProgress;
use crate::args::{GlobalArgs, PlanFormat, ReportFormat, SyncArgs};
use crate::exit;
use crate::printer::Printer;
use crate::render;
use crate::target::Connection;
use anyhow::{bail, Context};
use kongsync_apply::{check, check_format, execute, ExecuteOptions};
use kongsync_diff::{redacted, scoped_fingerprint, Masker, Plan};
use kongsync_state::Meta;
use std::path::Path;
use std::process::ExitCode;
use tokio::sync::watch;

pub async fn run(global: &GlobalArgs, args: &SyncArgs, printer: &Printer) -> anyhow::Result<ExitCode> {
    let SyncArgs { state, plan: saved, dry_run, parallelism, fail_fast, format, ignore_fields: ignored } = args;
    let ignore = ignore_fields(ignored)?;
    let (conn, plan, masker) = match saved {
        Some(path) => {
            let (conn, plan) = open_saved(global, path, *parallelism as usize, printer).await?;
            (conn, plan, Masker::default())
        }
        None => {
            let Some(desired) = read_desired(state, printer) else { return Ok(exit::ERROR) };
            let planned = plan(global, desired, ignore, *parallelism as usize, printer).await?;
            (planned.conn, planned.plan, planned.masker)
        }
    };
    let shown = redacted(&plan, &masker);
    if *format == ReportFormat::Text {
        printer.data(&show(&shown, PlanFormat::Text, printer.color));
    }
    if *dry_run || plan.is_empty() {
        conn.close().await?;
        if *format == ReportFormat::Json {
            printer.data(&show(&shown, PlanFormat::Json, false));
        }
        return Ok(exit::OK);
    }
    let report = run_plan(&conn, &plan, *parallelism as usize, *fail_fast, printer).await;
    conn.close().await?;
    match format {
        ReportFormat::Text => printer.data(&render::text::report(&plan, &report)),
        ReportFormat::Json => printer.data(&render::json::report(&plan, &report)),
    }
    Ok(if report.succeeded() { exit::OK } else { exit::ERROR })
}

/// Executes a plan with a progress bar, stopping new steps on Ctrl-C.
pub async fn run_plan(
    conn: &Connection,
    plan: &Plan,
    parallelism: usize,
    fail_fast: bool,
    printer: &Printer,
) -> kongsync_apply::Report {
    let (stop_tx, stop_rx) = watch::channel(false);
    let interrupt = tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            let _ = stop_tx.send(true);
        }
    });
    let progress = SyncProgress::new(printer, plan.steps.len());
    let options = ExecuteOptions { parallelism, fail_fast };
    let report = execute(plan, conn.client(), conn.target(), options, stop_rx, &progress).await;
    progress.finish();
    interrupt.abort();
    report
}

/// Reads a saved plan and opens its target, refusing a plan that is stale or for another target.
async fn open_saved(
    global: &GlobalArgs,
    path: &Path,
    parallelism: usize,
    printer: &Printer,
) -> anyhow::Result<(Connection, Plan)> {
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read the plan {}", path.display()))?;
    let plan: Plan = serde_json::from_str(&text)
        .with_context(|| format!("{} is not a kongsync plan (from `kongsync diff --out`)", path.display()))?;
    check_format(&plan).with_context(|| format!("cannot run the plan {}", path.display()))?;
    if plan.scope.skip_consumers && !global.skip_consumers {
        bail!("the plan {} was computed with --skip-consumers; run it with the same flag", path.display());
    }
    let meta = Meta { select_tags: plan.scope.select_tags.clone(), ..Meta::default() };
    let conn = Connection::open_for_writes(global, &meta, printer, parallelism).await?;
    let checked = async {
        if plan_scope(&conn) != plan.scope || dialect(&conn) != plan.dialect {
            bail!("the plan {} was computed for another scope or API than this run's flags give", path.display());
        }
        let live = conn.read_live_shown(printer).await;
        let fingerprint = scoped_fingerprint(&live?, &plan.scope);
        check(&plan, &conn.describe(), &fingerprint).with_context(|| format!("refusing the plan {}", path.display()))
    }
    .await;
    match checked {
        Ok(()) => Ok((conn, plan)),
        Err(e) => {
            conn.close().await?;
            Err(e)
        }
    }
}
