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
