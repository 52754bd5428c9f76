//! Exit codes, as decK and Terraform users expect them.

use crate::render::printable_lines;
use std::io::Write;
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
///
/// A usage error quotes what was typed, which may hold control characters (a carriage return that
/// would overwrite the line): it is printed plain (clap's styling left out) and escaped line by line.
/// Help and version text is kongsync's own, and printed as clap styles it.
pub fn usage(error: &clap::Error) -> ExitCode {
    if !error.use_stderr() {
        // Printing to a closed stream is not worth failing over: the exit code carries the outcome.
        let _ = error.print();
        return OK;
    }
    let text = printable_lines(&error.render().to_string());
    let mut err = std::io::stderr().lock();
    let _ = err.write_all(text.as_bytes());
    let _ = err.flush();
    ERROR
}
