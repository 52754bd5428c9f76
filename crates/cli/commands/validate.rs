//! `kongsync validate`: read and check the state files offline, report every problem, and print a
//! one-line summary of what they hold.

use crate::args::StateArgs;
use crate::exit;
use crate::printer::Printer;
use crate::settings::{env_lookup, state_files};
use kongsync_state::file::{self, FileError};
use std::process::ExitCode;

pub fn run(args: &StateArgs, printer: &Printer) -> anyhow::Result<ExitCode> {
    match file::read(&state_files(args), &env_lookup) {
        Ok(state) => {
            let counts: Vec<String> = state.counts().iter().map(|(k, n)| format!("{n} {k}")).collect();
            let what = if counts.is_empty() { "nothing".to_string() } else { counts.join(", ") };
            printer.status(&format!("valid: {what}"));
            Ok(exit::OK)
        }
        Err(FileError::Invalid(diags)) => {
            for d in &diags {
                printer.error(&d.to_string());
            }
            printer.error(&FileError::Invalid(diags).to_string());
            Ok(exit::ERROR)
        }
    }
}
