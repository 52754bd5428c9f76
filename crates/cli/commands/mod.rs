//! One module per command, each a leaf: what commands share is in `crate::operations`. `run`
//! dispatches.

mod apply;
mod diff;
mod drift;
mod dump;
mod hash;
mod ping;
mod reset;
mod sim;
mod sync;
mod validate;

use crate::args::{Cli, Command};
use crate::printer::Printer;
use std::process::ExitCode;

pub async fn run(cli: Cli, printer: &Printer) -> anyhow::Result<ExitCode> {
    let Cli { global, command } = cli;
    match command {
        Command::Validate(args) => validate::run(&global, &args, printer).await,
        Command::Dump(args) => dump::run(&global, &args, printer).await,
        Command::Ping => ping::run(&global, printer).await,
        Command::Hash(args) => hash::run(&global, &args, printer).await,
        Command::Sim(args) => sim::run(&global, &args, printer).await,
        Command::Diff(args) => diff::run(&global, &args, printer).await,
        Command::Sync(args) => sync::run(&global, &args, printer).await,
        Command::Apply(args) => apply::run(&global, &args, printer).await,
        Command::Reset(args) => reset::run(&global, &args, printer).await,
        Command::Drift(args) => drift::run(&global, &args, printer).await,
    }
}
