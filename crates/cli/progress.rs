//! Progress on stderr while the gateway is read: one spinner line with the entities read so far,
//! per kind. Drawn only on a terminal and never with `-q`, so tests, pipes and CI logs get none.

use crate::printer::Printer;
use indicatif::{ProgressBar, ProgressStyle};
use kongsync_model::Kind;
use kongsync_state::api::Reporter;
use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Duration;

/// A [`Reporter`] that draws a spinner, or does nothing off a terminal.
pub struct Progress {
    bar: Option<ProgressBar>,
    counts: Mutex<BTreeMap<Kind, usize>>,
}

impl Progress {
    /// A progress line headed `what` ("reading"), when the printer allows one.
    pub fn new(printer: &Printer, what: &str) -> Progress {
        let bar = (printer.interactive && !printer.quiet).then(|| {
            let bar = ProgressBar::new_spinner();
            bar.set_style(ProgressStyle::with_template("{spinner} {prefix} {msg}").unwrap_or_else(|_| {
                // The template is a constant; should it ever be refused, the default style still works.
                ProgressStyle::default_spinner()
            }));
            bar.set_prefix(what.to_string());
            bar.enable_steady_tick(Duration::from_millis(120));
            bar
        });
        Progress { bar, counts: Mutex::new(BTreeMap::new()) }
    }

    /// Removes the line, leaving the terminal as it was.
    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

impl Reporter for Progress {
    fn read(&self, kind: Kind, count: usize) {
        let Some(bar) = &self.bar else { return };
        // A poisoned lock only means another reporter call panicked; the counts are still usable.
        let mut counts = self.counts.lock().unwrap_or_else(|p| p.into_inner());
        *counts.entry(kind).or_default() += count;
        bar.set_message(summary(&counts));
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.finish();
    }
}

/// `1234 entities: 1000 service, 234 route`.
fn summary(counts: &BTreeMap<Kind, usize>) -> String {
    let total: usize = counts.values().sum();
    let parts: Vec<String> = counts.iter().filter(|(_, n)| **n > 0).map(|(k, n)| format!("{n} {k}")).collect();
    format!("{total} entities: {}", parts.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summaries_count_per_kind_in_kind_order() {
        let counts = BTreeMap::from([(Kind::Route, 2), (Kind::Service, 3), (Kind::Plugin, 0)]);
        assert_eq!(summary(&counts), "5 entities: 3 service, 2 route");
    }
}
