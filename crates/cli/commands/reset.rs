//! `kongsync reset`: delete every entity in scope (all of them, or those carrying the select tags),
//! children first. It asks first; without a terminal to ask on, it refuses unless `--force`.

use crate::args::{GlobalArgs, PlanFormat, ResetArgs};
use crate::connection::Connection;
use crate::exit;
use crate::operations::{dialect, run_plan, show};
use crate::printer::Printer;
use crate::render;
use anyhow::bail;
use kongsync_diff::{Plan, PlanOptions};
use kongsync_state::live::Observed;
use kongsync_state::{Meta, State};
use std::io::{BufRead, IsTerminal, Write};
use std::process::ExitCode;

pub async fn run(global: &GlobalArgs, args: &ResetArgs, printer: &Printer) -> anyhow::Result<ExitCode> {
    let ResetArgs { force } = args;
    if !*force && !std::io::stdin().is_terminal() {
        bail!("refusing to reset without a terminal to confirm on; pass --force to delete without asking");
    }
    let conn = Connection::open(global, &Meta::default(), printer).await?;
    let plan = match plan_deletes(&conn, printer).await {
        Ok(p) => p,
        Err(e) => {
            conn.close().await?;
            return Err(e);
        }
    };
    printer.human(&show(&plan, PlanFormat::Text, printer.color));
    if plan.is_empty() {
        conn.close().await?;
        return Ok(exit::OK);
    }
    if !*force && !confirm(&format!("Delete these {} entities from {}?", plan.summary.delete, plan.target))? {
        conn.close().await?;
        printer.status("reset cancelled; nothing was deleted");
        return Ok(exit::ERROR);
    }
    let report = run_plan(&conn, &plan, 10, false, printer).await;
    conn.close().await?;
    printer.human(&render::text::report(&plan, &report));
    Ok(if report.succeeded() { exit::OK } else { exit::ERROR })
}

/// The plan that deletes everything the connection's scope reads.
async fn plan_deletes(conn: &Connection, printer: &Printer) -> anyhow::Result<Plan> {
    let live = conn.read_live_shown(printer).await?;
    let options = PlanOptions { target: conn.describe(), dialect: dialect(conn), ..PlanOptions::default() };
    let empty = State { meta: live.meta.clone(), ..State::default() };
    Ok(kongsync_diff::plan(&empty, &Observed::read_only(conn.scope().clone(), live), &options)?)
}

/// Asks on the terminal; only `yes` confirms.
fn confirm(question: &str) -> anyhow::Result<bool> {
    eprint!("{question} Type `yes` to confirm: ");
    std::io::stderr().flush()?;
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer)?;
    Ok(answer.trim() == "yes")
}
