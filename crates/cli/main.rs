//! kongsync: keeps a Kong Gateway or Konnect control plane in the state described by decK files.
//!
//! This binary is the only place that knows the command line, prints, and turns errors into exit
//! codes: 0 success, 1 error, 2 changes or drift (for the commands that report them).

mod args;
mod commands;
mod connection;
mod embedded;
mod exit;
mod operations;
mod printer;
mod render;
mod reporters;
mod settings;

use clap::Parser;

/// Reading and comparing tens of thousands of JSON entities is allocation-bound; mimalloc keeps that
/// fast across threads where the system allocator contends, and large blocks grow without copies.
#[global_allocator]
static ALLOCATOR: kongsync_alloc::Allocator = kongsync_alloc::Allocator;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = match args::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return exit::usage(&e),
    };
    let printer = printer::Printer::new(&cli.global);
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            printer.error(&format!("cannot start the async runtime: {e}"));
            return exit::ERROR;
        }
    };
    match runtime.block_on(commands::run(cli, &printer)) {
        Ok(code) => code,
        Err(e) => {
            printer.report(&e);
            exit::ERROR
        }
    }
}
