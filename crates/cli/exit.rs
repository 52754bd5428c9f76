//! Exit codes, as decK and Terraform users expect them.

use std::process::ExitCode;

/// Success, and for `diff --exit-code`/`drift`: nothing differs.
pub const OK: ExitCode = ExitCode::SUCCESS;
/// Any error.
pub const ERROR: ExitCode = ExitCode::FAILURE;

/// Changes or drift found (`diff --exit-code`, `drift`).
pub fn changes() -> ExitCode {
    ExitCode::from(2)
}

/// Prints clap's answer to the command line and exits: 0 for `--help` and `--version`, and 1, never
/// clap's own 2, for a usage error, because 2 means "changes" to `diff --exit-code` and "drift" to
/// `drift`, and a scheduled job with a typo must not report drift.
pub fn usage(error: &clap::Error) -> ExitCode {
    // Printing to a closed stream is not worth failing over: the exit code carries the outcome.
    let _ = error.print();
    if error.use_stderr() {
        ERROR
    } else {
        OK
    }
}
