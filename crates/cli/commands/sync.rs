//! `kongsync sync`: plan from the files (or take a reviewed plan with `--plan`), show it, and carry
//! it out, deletes included (within `--max-deletes`). The flow is `operations::sync`, shared with
//! `apply`.

use crate::args::{GlobalArgs, SyncArgs};
use crate::operations::{sync, Deletes, Source};
use crate::printer::Printer;
use std::process::ExitCode;

pub async fn run(global: &GlobalArgs, args: &SyncArgs, printer: &Printer) -> anyhow::Result<ExitCode> {
    let source = match &args.plan {
        Some(path) => Source::Saved(path),
        None => Source::Files(&args.state),
    };
    sync(global, source, Deletes::Allowed { max: args.max_deletes }, &args.run, printer).await
}
