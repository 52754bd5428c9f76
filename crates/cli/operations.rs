//! The few library calls the commands are made of, shared between them so that no command imports
//! another: read the files (every problem printed before anything is sent), plan against the
//! gateway, carry out a plan, read a saved plan, show a plan; and the whole flow of `sync` and
//! `apply`: plan (or read a saved plan), guard the deletes, have the target validate the writes,
//! execute, verify, and wait for the data planes (`--wait`).

use crate::args::{GlobalArgs, PlanFormat, ReportFormat, RunArgs, StateArgs};
use crate::connection::{explain, Connection};
use crate::exit;
use crate::printer::Printer;
use crate::render;
use crate::reporters::{StepBar, WaitLines};
use crate::settings::{duration, env_lookup, state_files};
use anyhow::{anyhow, bail, Context};
use kongsync_apply::{
    check, execute, guard, preflight, without_deletes, Checked, DeleteGuard, ExecuteOptions, GuardError,
    PreflightError, PreflightOptions, Report,
};
use kongsync_diff::{live_fingerprint, message_masker, Dialect, IgnoreField, Plan, PlanOptions};
use kongsync_gateway::{before_writes, wait_for_data_planes, Reference, WaitOptions, WaitOutcome};
use kongsync_state::file::{self, FileError};
use kongsync_state::{Meta, Scope, State};
use std::collections::BTreeSet;
use std::path::Path;
use std::process::ExitCode;
use tokio::sync::watch;
use uuid::Uuid;

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
    /// The files' state the plan was computed from (to verify the sync against).
    pub desired: State,
    /// The ids of the entities the gateway held in scope when the plan was computed.
    pub live_in_scope: BTreeSet<Uuid>,
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
        anyhow::Ok((plan, ids_in_scope(&observed.live, &observed.scope)))
    }
    .await;
    match planned {
        Ok((plan, live_in_scope)) => Ok(Planned { conn, plan, desired, live_in_scope }),
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

/// What a sync carries out.
#[derive(Clone, Copy)]
pub enum Source<'a> {
    /// Plan from these files.
    Files(&'a StateArgs),
    /// A plan saved by `diff --out`.
    Saved(&'a Path),
}

/// What a sync may delete.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Deletes {
    /// Deletes run, at most `max` of them (`--max-deletes`).
    Allowed { max: Option<usize> },
    /// No delete runs (`apply`).
    Never,
}

/// `sync` and `apply`: plan or read the plan, show it, refuse it if its deletes look like a mistake,
/// carry it out, report, and check that the gateway now matches the files.
pub async fn sync(
    global: &GlobalArgs,
    source: Source<'_>,
    deletes: Deletes,
    run: &RunArgs,
    printer: &Printer,
) -> anyhow::Result<ExitCode> {
    let RunArgs { dry_run, parallelism, fail_fast, format, ignore_fields: ignored, wait, wait_timeout } = run;
    let parallelism = *parallelism as usize;
    let ignore = ignore_fields(ignored)?;
    let wait = match wait {
        true => Some(WaitOptions {
            timeout: duration(wait_timeout).with_context(|| format!("--wait-timeout `{wait_timeout}`"))?,
            ..WaitOptions::default()
        }),
        false => None,
    };
    let (conn, plan, desired, live_in_scope) = match source {
        Source::Saved(path) => {
            let (conn, plan, live_in_scope) = open_saved(global, path, parallelism, printer).await?;
            (conn, plan, None, live_in_scope)
        }
        Source::Files(state) => {
            let Some(desired) = read_desired(state, printer) else { return Ok(exit::ERROR) };
            let planned = plan(global, desired, ignore.clone(), parallelism, printer).await?;
            (planned.conn, planned.plan, Some(planned.desired), planned.live_in_scope)
        }
    };
    let (plan, max_deletes) = match deletes {
        Deletes::Allowed { max } => (plan, max),
        Deletes::Never => {
            let (kept, left_out) = without_deletes(&plan);
            for step in &left_out {
                printer.status(&format!(
                    "left out (apply never deletes): {} {} {}",
                    step.action.verb(),
                    step.kind,
                    step.key
                ));
            }
            (kept, None)
        }
    };
    if *format == ReportFormat::Text {
        printer.human(&show(&plan, PlanFormat::Text, printer.color));
    }
    if let Err(e) = guard(&plan, &DeleteGuard { max_deletes, live_in_scope }) {
        conn.close().await?;
        return Err(refusal(e));
    }
    if *dry_run || plan.is_empty() {
        if *format == ReportFormat::Json {
            printer.data(&show(&plan, PlanFormat::Json, false));
        }
        // Nothing to write, but the data planes may still be catching up with an earlier sync.
        let waited = match &wait {
            Some(_) if *dry_run => {
                printer.status("--wait: a dry run writes nothing, so there is nothing to wait for");
                Ok(())
            }
            Some(options) => wait_for_planes(&conn, &Reference::unchanged(), options, printer).await,
            None => Ok(()),
        };
        conn.close().await?;
        return waited.map(|()| exit::OK);
    }
    if let Err(e) = check_with_target(&conn, &plan, parallelism, printer).await {
        conn.close().await?;
        return Err(e.context("refusing to sync, nothing was written"));
    }
    // What the data planes run before the writes, which the configuration they are waited for must differ from.
    let reference = match &wait {
        Some(_) => match before_writes(conn.client(), conn.gateway()).await {
            Ok(r) => Some(r),
            Err(e) => {
                let e = explain(e, conn.gateway().is_konnect()).context("--wait: cannot read the data planes");
                conn.close().await?;
                return Err(e);
            }
        },
        None => None,
    };
    let report = run_plan(&conn, &plan, parallelism, *fail_fast, printer).await;
    let verified = match (&desired, report.succeeded()) {
        (Some(desired), true) => verify(&conn, desired, ignore, deletes, printer).await,
        _ => Ok(()),
    };
    match format {
        ReportFormat::Text => printer.human(&render::text::report(&plan, &report)),
        ReportFormat::Json => printer.data(&render::json::report(&plan, &report)),
    }
    // Only a sync that took effect is worth waiting for.
    let waited = match (&wait, &reference, report.succeeded() && verified.is_ok()) {
        (Some(options), Some(reference), true) => wait_for_planes(&conn, reference, options, printer).await,
        _ => Ok(()),
    };
    conn.close().await?;
    verified?;
    waited?;
    Ok(if report.succeeded() { exit::OK } else { exit::ERROR })
}

/// `--wait`: polls the data planes until each runs the configuration the control plane now holds,
/// with a status line at each change; an error naming the nodes that did not converge in time.
async fn wait_for_planes(
    conn: &Connection,
    reference: &Reference,
    options: &WaitOptions,
    printer: &Printer,
) -> anyhow::Result<()> {
    let progress = WaitLines::new(printer);
    let outcome = wait_for_data_planes(conn.client(), conn.gateway(), reference, options, &progress)
        .await
        .map_err(|e| explain(e, conn.gateway().is_konnect()))
        .context("--wait: cannot read the data planes")?;
    match outcome {
        WaitOutcome::NotHybrid => {
            printer.status("--wait: the gateway is not a hybrid control plane; there are no data planes to wait for")
        }
        WaitOutcome::NoDataPlanes => {
            printer.status("--wait: the control plane has no data planes; nothing to wait for")
        }
        WaitOutcome::Converged(status) => printer.status(&format!(
            "all {} data planes run configuration {}",
            status.converged.len(),
            status.target.as_deref().unwrap_or_default()
        )),
        WaitOutcome::TimedOut(status) => {
            let nodes: Vec<String> = status
                .waiting
                .iter()
                .map(|n| format!("{} ({}, reports {})", n.hostname, n.id, n.config_hash))
                .collect();
            let what = match &status.target {
                Some(hash) => format!("configuration {hash}"),
                None => "a new configuration".to_string(),
            };
            bail!(
                "--wait: {} of {} data planes did not report {what} within {}: {}",
                status.waiting.len(),
                status.waiting.len() + status.converged.len(),
                humantime(options.timeout),
                nodes.join(", ")
            );
        }
    }
    Ok(())
}

/// `60s`, `1.5s`, `500ms`.
fn humantime(d: std::time::Duration) -> String {
    if d.subsec_millis() == 0 {
        format!("{}s", d.as_secs())
    } else if d.as_secs() == 0 {
        format!("{}ms", d.as_millis())
    } else {
        format!("{}s", d.as_secs_f64())
    }
}

/// Asks the target to validate every create and update of the plan before the first write; prints
/// each refusal (entity, field, the target's words, masked) and fails if there is any.
pub async fn check_with_target(
    conn: &Connection,
    plan: &Plan,
    parallelism: usize,
    printer: &Printer,
) -> anyhow::Result<Checked> {
    let options = PreflightOptions { parallelism };
    match preflight(plan, conn.client(), conn.gateway(), options).await {
        Ok(checked) => Ok(checked),
        Err(PreflightError::Refused(refusals)) => {
            let masker = message_masker(plan);
            for r in &refusals {
                for p in &r.problems {
                    let text = match p.field.as_str() {
                        "" => format!("{} {}: {}", r.kind, r.key, p.message),
                        field => format!("{} {}: field `{field}`: {}", r.kind, r.key, p.message),
                    };
                    printer.error(&masker.scrub(&text));
                }
            }
            Err(PreflightError::Refused(refusals).into())
        }
        Err(e) => Err(e.into()),
    }
}

/// A refused plan, with what to do instead.
fn refusal(e: GuardError) -> anyhow::Error {
    let hint = match e {
        GuardError::DeletesEverything { .. } => {
            "if the gateway is to be emptied, `kongsync reset` does that; otherwise check the state files given"
        }
        GuardError::TooManyDeletes { .. } => "review the plan with `kongsync diff`, then raise --max-deletes",
    };
    anyhow!("refusing to sync, nothing was written: {e}; {hint}")
}

/// Re-reads the gateway after a sync and plans again: anything left to do was written by someone
/// else in between (another run, a person), and the sync has not taken effect. It reads the whole
/// scope again, as the plan did: a sync costs two reads of the gateway.
async fn verify(
    conn: &Connection,
    desired: &State,
    ignore: Vec<IgnoreField>,
    deletes: Deletes,
    printer: &Printer,
) -> anyhow::Result<()> {
    let observed =
        conn.observe_shown(desired, printer).await.context("cannot re-read the gateway to verify the sync")?;
    let options = PlanOptions { target: conn.describe(), dialect: dialect(conn), ignore };
    let left = kongsync_diff::plan(desired, &observed, &options).context("cannot verify the sync")?;
    // What `apply` leaves on purpose is no difference.
    let left = if deletes == Deletes::Never { without_deletes(&left).0 } else { left };
    if left.is_empty() {
        return Ok(());
    }
    printer.error_detail(&show(&left, PlanFormat::Text, false));
    bail!(
        "the gateway does not match the files after the sync: {} change(s) remain (above); \
         something else wrote to the gateway during the run",
        left.steps.len()
    )
}

/// The ids of the live entities in `scope`.
fn ids_in_scope(live: &State, scope: &Scope) -> BTreeSet<Uuid> {
    scope.restrict(live).entities.values().filter_map(|e| e.id).collect()
}

/// Reads a saved plan and opens its target, refusing a plan that is stale or for another target.
/// Returns the connection, the plan and how many entities the gateway holds in the plan's scope.
async fn open_saved(
    global: &GlobalArgs,
    path: &Path,
    parallelism: usize,
    printer: &Printer,
) -> anyhow::Result<(Connection, Plan, BTreeSet<Uuid>)> {
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
        let live = conn.read_live_shown(printer).await?;
        let fingerprint = live_fingerprint(&live, &plan.scope);
        check(&plan, &conn.describe(), &fingerprint)
            .with_context(|| format!("refusing the plan {}", path.display()))?;
        anyhow::Ok(ids_in_scope(&live, &plan.scope))
    }
    .await;
    match checked {
        Ok(live_in_scope) => Ok((conn, plan, live_in_scope)),
        Err(e) => {
            conn.close().await?;
            Err(e)
        }
    }
}
