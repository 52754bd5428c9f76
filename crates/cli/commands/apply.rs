//! `kongsync apply`: like `sync` from files, but never deletes (decK's `gateway apply`): the plan's
//! deletes, and the steps that need one first, are left out and named.

use crate::args::{ApplyArgs, GlobalArgs};
use crate::operations::{sync, Deletes, Source};
use crate::printer::Printer;
use std::process::ExitCode;

pub async fn run(global: &GlobalArgs, args: &ApplyArgs, printer: &Printer) -> anyhow::Result<ExitCode> {
    sync(global, Source::Files(&args.state), Deletes::Never, &args.run, printer).await
}
