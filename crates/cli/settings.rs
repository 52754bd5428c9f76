//! Turning the command line and the environment into typed settings for the libraries.

use crate::args::StateArgs;
use std::path::PathBuf;

/// The state files to read: positional arguments and `-s` together, `kong.yaml` when none.
pub fn state_files(args: &StateArgs) -> Vec<PathBuf> {
    let StateArgs { files, state } = args;
    let all: Vec<PathBuf> = files.iter().chain(state).cloned().collect();
    if all.is_empty() {
        vec![PathBuf::from("kong.yaml")]
    } else {
        all
    }
}

/// Environment lookup for state-file templates.
pub fn env_lookup(name: &str) -> Option<String> {
    std::env::var(name).ok()
}
