//! `kongsync validate`: read and check the state files offline, report every problem, and print a
//! one-line summary of what they hold. With `--online`, plan against the gateway and have it
//! validate every create and update the plan holds, as `sync` does before its first write; what the
//! gateway already holds unchanged it has accepted before. Nothing is written.

use crate::args::{GlobalArgs, ValidateArgs};
use crate::exit;
use crate::operations::{check_with_target, plan, read_desired};
use crate::printer::Printer;
use std::process::ExitCode;

pub async fn run(global: &GlobalArgs, args: &ValidateArgs, printer: &Printer) -> anyhow::Result<ExitCode> {
    let ValidateArgs { state, online, parallelism } = args;
    let Some(state) = read_desired(state, printer) else { return Ok(exit::ERROR) };
    let counts: Vec<String> = state.counts().iter().map(|(k, n)| format!("{n} {k}")).collect();
    let what = if counts.is_empty() { "nothing".to_string() } else { counts.join(", ") };
    if !*online {
        printer.status(&format!("valid: {what}"));
        return Ok(exit::OK);
    }
    let parallelism = *parallelism as usize;
    let planned = plan(global, state, Vec::new(), parallelism, printer).await?;
    let checked = check_with_target(&planned.conn, &planned.plan, parallelism, printer).await;
    planned.conn.close().await?;
    let checked = checked?;
    printer.status(&format!("valid: {what}; the gateway accepts the {} writes a sync would send", checked.validated));
    Ok(exit::OK)
}
