//! `kongsync sync`: plan from the files (or take a reviewed plan with `--plan`), show it, and carry
//! it out. A saved plan runs only if the live state in its scope is still the one it was computed
//! from. Ctrl-C stops new steps from starting, lets those in flight finish, and reports.

use crate::args::{GlobalArgs, PlanFormat, ReportFormat, SyncArgs};
use crate::connection::Connection;
use crate::exit;
use crate::operations::{dialect, ignore_fields, plan, read_desired, read_plan, run_plan, show};
use crate::printer::Printer;
use crate::render;
use anyhow::{bail, Context};
use kongsync_apply::check;
use kongsync_diff::{live_fingerprint, Plan};
use kongsync_state::Meta;
use std::path::Path;
use std::process::ExitCode;

pub async fn run(global: &GlobalArgs, args: &SyncArgs, printer: &Printer) -> anyhow::Result<ExitCode> {
    let SyncArgs { state, plan: saved, dry_run, parallelism, fail_fast, format, ignore_fields: ignored } = args;
    let ignore = ignore_fields(ignored)?;
    let (conn, plan) = match saved {
        Some(path) => open_saved(global, path, *parallelism as usize, printer).await?,
        None => {
            let Some(desired) = read_desired(state, printer) else { return Ok(exit::ERROR) };
            let planned = plan(global, desired, ignore, *parallelism as usize, printer).await?;
            (planned.conn, planned.plan)
        }
    };
    if *format == ReportFormat::Text {
        printer.data(&show(&plan, PlanFormat::Text, printer.color));
    }
    if *dry_run || plan.is_empty() {
        conn.close().await?;
        if *format == ReportFormat::Json {
            printer.data(&show(&plan, PlanFormat::Json, false));
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

/// Reads a saved plan and opens its target, refusing a plan that is stale or for another target.
async fn open_saved(
    global: &GlobalArgs,
    path: &Path,
    parallelism: usize,
    printer: &Printer,
) -> anyhow::Result<(Connection, Plan)> {
    let plan = read_plan(path)?;
    if plan.scope.skip_consumers && !global.skip_consumers {
        bail!("the plan {} was computed with --skip-consumers; run it with the same flag", path.display());
    }
    if plan.scope.skip_ca_certificates && !global.skip_ca_certificates {
        bail!("the plan {} was computed with --skip-ca-certificates; run it with the same flag", path.display());
    }
    let meta = Meta { select_tags: plan.scope.select_tags.clone(), ..Meta::default() };
    let conn = Connection::open_for_writes(global, &meta, printer, parallelism).await?;
    let checked = async {
        if *conn.scope() != plan.scope || dialect(&conn) != plan.dialect {
            bail!("the plan {} was computed for another scope or API than this run's flags give", path.display());
        }
        let live = conn.read_live_shown(printer).await;
        let fingerprint = live_fingerprint(&live?, &plan.scope);
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
