//! One module per command; `run` dispatches.

mod validate;

use crate::args::{Cli, Command};
use crate::printer::Printer;
use std::process::ExitCode;

pub async fn run(cli: Cli, printer: &Printer) -> anyhow::Result<ExitCode> {
    let Cli { global, command } = cli;
    let _ = &global;
    match command {
        Command::Validate(args) => validate::run(&args, printer),
        other => anyhow::bail!("`{}` is not available in this build yet", command_name(&other)),
    }
}

fn command_name(c: &Command) -> &'static str {
    match c {
        Command::Validate(_) => "validate",
        Command::Diff(_) => "diff",
        Command::Sync(_) => "sync",
        Command::Dump(_) => "dump",
        Command::Ping => "ping",
        Command::Reset(_) => "reset",
        Command::Drift(_) => "drift",
        Command::Hash(_) => "hash",
        Command::Sim(_) => "sim",
    }
}
