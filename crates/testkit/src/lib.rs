//! Where tests find the data that lives beside the checkout in `../shared` (decK's fixture corpus, the
//! API descriptions) rather than in the project.
//!
//! A user's fresh clone has no `../shared`, and the README's test command must still pass there, so a
//! test that needs it asks [`shared`] and skips when it gets `None`. CI sets [`REQUIRE_VAR`], which
//! turns a missing folder into a failure: the data is there, so a test that silently skipped would
//! prove nothing.

use std::path::{Path, PathBuf};

/// Set (to anything but empty or `0`) to make a missing `../shared` a test failure instead of a skip.
pub const REQUIRE_VAR: &str = "KONGSYNC_REQUIRE_SHARED";

/// The folder `relative` inside `../shared`, or `None` (after a one-line notice on stderr) when it is
/// absent and [`REQUIRE_VAR`] is not set.
///
/// # Panics
/// When the folder is absent and [`REQUIRE_VAR`] is set: the run promised the data would be there.
pub fn shared(relative: &str) -> Option<PathBuf> {
    let path = shared_root().join(relative);
    if path.exists() {
        return Some(path);
    }
    let required = std::env::var(REQUIRE_VAR).is_ok_and(|v| !v.is_empty() && v != "0");
    assert!(!required, "{} is missing, and {REQUIRE_VAR} says the shared data must be present", path.display());
    eprintln!("skipped: {} is absent (a fresh clone has no ../shared)", path.display());
    None
}

/// `../shared` seen from the workspace root: this crate sits at `crates/testkit`.
fn shared_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_absent_folder_is_none_unless_required() {
        // The variable may be set by CI for the whole run, so only the unrequired case is asserted here.
        if std::env::var(REQUIRE_VAR).is_ok_and(|v| !v.is_empty() && v != "0") {
            let outcome = std::panic::catch_unwind(|| shared("no/such/folder/here"));
            assert!(outcome.is_err(), "a required absent folder must fail");
        } else {
            assert_eq!(shared("no/such/folder/here"), None);
        }
    }

    #[test]
    fn the_root_is_beside_the_checkout() {
        let root = shared_root();
        assert!(root.ends_with("../../../shared"), "{}", root.display());
    }
}
