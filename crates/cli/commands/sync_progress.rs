//! The progress bar of a sync: steps finished of the total, and failures so far. Drawn on stderr
//! only on a terminal and never with `-q`.

use crate::printer::Printer;
use indicatif::{ProgressBar, ProgressStyle};
use kongsync_apply::{Progress, StepStatus};
use kongsync_diff::Step;
use std::sync::atomic::{AtomicUsize, Ordering};

pub struct SyncProgress {
    bar: Option<ProgressBar>,
    failed: AtomicUsize,
}

impl SyncProgress {
    pub fn new(printer: &Printer, total: usize) -> SyncProgress {
        let bar = (printer.interactive && !printer.quiet && total > 0).then(|| {
            let bar = ProgressBar::new(total as u64);
            let style = ProgressStyle::with_template("{bar:30} {pos}/{len} steps {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_bar());
            bar.set_style(style);
            bar
        });
        SyncProgress { bar, failed: AtomicUsize::new(0) }
    }

    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

impl Progress for SyncProgress {
    fn finished(&self, _step: &Step, status: &StepStatus) {
        let Some(bar) = &self.bar else { return };
        if matches!(status, StepStatus::Failed(_)) {
            let n = self.failed.fetch_add(1, Ordering::Relaxed) + 1;
            bar.set_message(format!("({n} failed)"));
        }
        bar.inc(1);
    }
}
