//! Every implementation of the libraries' progress traits: a spinner line while the gateway is read
//! ([`ReadSpinner`], with the entities read so far per kind) and a bar while a plan is carried out
//! ([`StepBar`], steps finished of the total and failures so far). On stderr, drawn only on a
//! terminal and never with `-q`, so tests, pipes and CI logs get none.

use crate::printer::Printer;
use indicatif::{ProgressBar, ProgressStyle};
use kongsync_apply::{StepProgress, StepStatus};
use kongsync_diff::Step;
use kongsync_model::Kind;
use kongsync_state::live::ReadProgress;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Duration;

/// A [`ReadProgress`] that draws a spinner, or does nothing off a terminal.
pub struct ReadSpinner {
    bar: Option<ProgressBar>,
    counts: Mutex<BTreeMap<Kind, usize>>,
}

impl ReadSpinner {
    /// A progress line headed `what` ("reading"), when the printer allows one.
    pub fn new(printer: &Printer, what: &str) -> ReadSpinner {
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
        ReadSpinner { bar, counts: Mutex::new(BTreeMap::new()) }
    }

    /// Removes the line, leaving the terminal as it was.
    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

impl ReadProgress for ReadSpinner {
    fn read(&self, kind: Kind, count: usize) {
        let Some(bar) = &self.bar else { return };
        // A poisoned lock only means another reporter call panicked; the counts are still usable.
        let mut counts = self.counts.lock().unwrap_or_else(|p| p.into_inner());
        *counts.entry(kind).or_default() += count;
        bar.set_message(summary(&counts));
    }
}

impl Drop for ReadSpinner {
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

/// A [`StepProgress`] that draws a bar of the steps of a sync, or does nothing off a terminal.
pub struct StepBar {
    bar: Option<ProgressBar>,
    failed: AtomicUsize,
}

impl StepBar {
    pub fn new(printer: &Printer, total: usize) -> StepBar {
        let bar = (printer.interactive && !printer.quiet && total > 0).then(|| {
            let bar = ProgressBar::new(total as u64);
            let style = ProgressStyle::with_template("{bar:30} {pos}/{len} steps {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_bar());
            bar.set_style(style);
            bar
        });
        StepBar { bar, failed: AtomicUsize::new(0) }
    }

    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

impl StepProgress for StepBar {
    fn finished(&self, _step: &Step, status: &StepStatus) {
        let Some(bar) = &self.bar else { return };
        if matches!(status, StepStatus::Failed(_)) {
            let n = self.failed.fetch_add(1, Ordering::Relaxed) + 1;
            bar.set_message(format!("({n} failed)"));
        }
        bar.inc(1);
    }
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
