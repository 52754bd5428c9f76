//! `kongsync validate`: read and check the state files offline, report every problem, and print a
//! one-line summary of what they hold.

use crate::args::StateArgs;
use crate::exit;
use crate::operations::read_desired;
use crate::printer::Printer;
use std::process::ExitCode;

pub fn run(args: &StateArgs, printer: &Printer) -> anyhow::Result<ExitCode> {
    let Some(state) = read_desired(args, printer) else { return Ok(exit::ERROR) };
    let counts: Vec<String> = state.counts().iter().map(|(k, n)| format!("{n} {k}")).collect();
    let what = if counts.is_empty() { "nothing".to_string() } else { counts.join(", ") };
    printer.status(&format!("valid: {what}"));
    Ok(exit::OK)
}
