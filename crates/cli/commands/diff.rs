//! `kongsync diff`: the plan that `sync` would carry out, as text, JSON or Markdown, optionally saved
//! for `sync --plan` (mode 0600: the requests hold the credentials they write). With `--exit-code`
//! the exit code says whether anything would change: 0 nothing, 2 changes, 1 error.

use crate::args::{DiffArgs, GlobalArgs, PlanFormat};
use crate::exit;
use crate::operations::{ignore_fields, plan, read_desired, show};
use crate::printer::Printer;
use kongsync_state::dump::write_private;
use std::process::ExitCode;

pub async fn run(global: &GlobalArgs, args: &DiffArgs, printer: &Printer) -> anyhow::Result<ExitCode> {
    let DiffArgs { state, format, out, exit_code, ignore_fields: ignored } = args;
    let ignore = ignore_fields(ignored)?;
    let Some(desired) = read_desired(state, printer) else { return Ok(exit::ERROR) };
    let planned = plan(global, desired, ignore, 1, printer).await?;
    planned.conn.close().await?;
    let plan = planned.plan;
    printer.detail(&format!(
        "live fingerprint {}, desired fingerprint {}",
        plan.live_fingerprint, plan.desired_fingerprint
    ));
    if let Some(path) = out {
        write_private(path, plan.to_json()?.as_bytes())?;
        printer.status(&format!("plan saved to {}", path.display()));
    }
    // The text plan is for people (silent with -q); JSON and Markdown were asked for by name.
    let shown = show(&plan, *format, printer.color);
    match format {
        PlanFormat::Text => printer.human(&shown),
        PlanFormat::Json | PlanFormat::Markdown => printer.data(&shown),
    }
    Ok(if *exit_code && !plan.is_empty() { exit::changes() } else { exit::OK })
}
