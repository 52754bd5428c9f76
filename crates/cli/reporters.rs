//! Every implementation of the libraries' progress traits: a spinner line while the gateway is read
//! ([`ReadSpinner`], with the entities read so far per kind) and a bar while a plan is carried out
//! ([`StepBar`], steps finished of the total and failures so far). On stderr, drawn only on a
//! terminal and never with `-q`, so tests, pipes and CI logs get none. And [`WaitLines`], a line per
//! change of state while `sync --wait` polls the data planes (on every stderr, as CI logs want to
//! see a wait; not with `-q`).

use crate::printer::Printer;
use indicatif::{ProgressBar, ProgressStyle};
use kongsync_apply::{StepProgress, StepStatus};
use kongsync_diff::Step;
use kongsync_gateway::{DataPlane, WaitProgress, WaitStatus};
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

/// A [`WaitProgress`] that prints one status line each time the data planes' state changes.
pub struct WaitLines<'a> {
    printer: &'a Printer,
}

impl<'a> WaitLines<'a> {
    pub fn new(printer: &'a Printer) -> WaitLines<'a> {
        WaitLines { printer }
    }
}

impl WaitProgress for WaitLines<'_> {
    fn changed(&self, status: &WaitStatus) {
        self.printer.status(&wait_line(status));
    }
}

/// `waiting for data planes: 1 of 2 run configuration abc (waiting for dp-2.sim.local)`.
fn wait_line(status: &WaitStatus) -> String {
    let names = |nodes: &[DataPlane]| nodes.iter().map(|n| n.hostname.as_str()).collect::<Vec<_>>().join(", ");
    let total = status.converged.len() + status.waiting.len();
    let mut line = match &status.target {
        Some(hash) => {
            format!("waiting for data planes: {} of {total} run configuration {hash}", status.converged.len())
        }
        None => format!("waiting for data planes: none of {total} reports a new configuration yet"),
    };
    if status.target.is_some() && !status.waiting.is_empty() {
        line.push_str(&format!(" (waiting for {})", names(&status.waiting)));
    }
    if !status.stale.is_empty() {
        line.push_str(&format!("; not seen lately, not waited for: {}", names(&status.stale)));
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wait_lines_say_who_is_waited_for() {
        let node = |name: &str| DataPlane { hostname: name.into(), ..DataPlane::default() };
        let status = WaitStatus {
            target: Some("abc".into()),
            converged: vec![node("dp-1")],
            waiting: vec![node("dp-2")],
            stale: vec![node("dp-9")],
        };
        assert_eq!(
            wait_line(&status),
            "waiting for data planes: 1 of 2 run configuration abc (waiting for dp-2); not seen lately, not waited for: dp-9"
        );
        let unknown = WaitStatus { target: None, converged: vec![], waiting: vec![node("dp-1")], stale: vec![] };
        assert_eq!(wait_line(&unknown), "waiting for data planes: none of 1 reports a new configuration yet");
    }

    #[test]
    fn summaries_count_per_kind_in_kind_order() {
        let counts = BTreeMap::from([(Kind::Route, 2), (Kind::Service, 3), (Kind::Plugin, 0)]);
        assert_eq!(summary(&counts), "5 entities: 3 service, 2 route");
    }
}
