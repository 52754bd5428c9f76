//! Carrying out a plan: every step's request exactly as the plan wrote it, placed under the
//! gateway's entities root and handed to the gateway client, each as soon as the steps it depends on
//! are done, at most `parallelism` at once. How a failed request is retried is the request's own
//! retry class, chosen by the planner and followed by the client: nothing is decided here.

use crate::walk::{walk, Outcome, WalkOptions};
use kongsync_diff::{Action, Execution, Plan, Step};
use kongsync_gateway::{ApiError, Client, Gateway, Request};
use serde::Serialize;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

/// How to execute.
#[derive(Clone, Copy, Debug)]
pub struct ExecuteOptions {
    pub parallelism: usize,
    pub fail_fast: bool,
}

/// Why a step failed, kept as data for the report.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct StepFailure {
    /// The whole message: the request, the status, Kong's message and field errors.
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
}

impl From<&ApiError> for StepFailure {
    fn from(e: &ApiError) -> StepFailure {
        let mut message = e.to_string();
        let mut source = std::error::Error::source(e);
        while let Some(s) = source {
            message.push_str(": ");
            message.push_str(&s.to_string());
            source = s.source();
        }
        StepFailure { message, status: e.status() }
    }
}

/// What became of one step.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "status")]
pub enum StepStatus {
    Done,
    Failed(StepFailure),
    /// Not run because the step `root` failed.
    Skipped {
        root: usize,
    },
    /// Not run because the run was stopped (fail-fast or Ctrl-C).
    NotStarted,
    /// A delete (or a step waiting for one) not run because a create or update failed: deletes run
    /// only once every other write succeeded.
    HeldBack,
}

/// The outcome of a run.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Report {
    pub done: usize,
    pub failed: usize,
    pub skipped: usize,
    pub not_started: usize,
    /// Deletes, and the steps waiting for them, held back by a failure.
    pub held_back: usize,
    /// Requests sent, retries included.
    pub requests: u64,
    /// Each step's status, in plan order.
    pub steps: Vec<StepStatus>,
}

impl Report {
    pub fn succeeded(&self) -> bool {
        self.failed == 0 && self.skipped == 0 && self.not_started == 0 && self.held_back == 0
    }
}

/// Told about each step as it finishes (the CLI's progress bar).
pub trait StepProgress: Send + Sync {
    fn finished(&self, step: &Step, status: &StepStatus);
}

/// Hears nothing.
pub struct NoStepProgress;

impl StepProgress for NoStepProgress {
    fn finished(&self, _: &Step, _: &StepStatus) {}
}

/// Executes the plan against `gateway` through `client`. `stop` turning true stops new steps from
/// starting; those in flight finish.
///
/// The walk runs as a task of its own on the runtime, each step's request as another, so that the
/// bookkeeping that refills a freed slot, and the encoding and decoding of every request, run on the
/// runtime's worker threads next to the connections' tasks, rather than all on whichever thread
/// awaits this future (`block_on`'s, for the CLI): on a busy machine each hop to that one thread
/// waited for it to be scheduled, and its single core's share bounded the request rate. Progress
/// comes back over a channel, off the path from one request to the next.
pub async fn execute(
    plan: &Plan,
    client: &Client,
    gateway: &Gateway,
    options: ExecuteOptions,
    stop: watch::Receiver<bool>,
    progress: &dyn StepProgress,
) -> Report {
    let sent_before = client.requests_sent();
    let deps: Vec<Vec<usize>> = plan.steps.iter().map(|s| s.depends_on.clone()).collect();
    // Deletes are the writes that cannot be undone: they run last, and not at all after a failure.
    let gated: Vec<bool> = plan.steps.iter().map(|s| s.action == Action::Delete).collect();
    let walk_options = WalkOptions { parallelism: options.parallelism, fail_fast: options.fail_fast };
    // Each step's request, placed under the gateway's root; `None` for a step Kong does with the one
    // it depends on (done by the time it is ready).
    let requests: Arc<Vec<Option<Request>>> = Arc::new(
        plan.steps
            .iter()
            .map(|s| match &s.execution {
                Execution::Request(planned) => Some(gateway.place(planned)),
                Execution::WithStep { .. } => None,
            })
            .collect(),
    );
    let (finished, mut heard) = mpsc::unbounded_channel::<(usize, StepStatus)>();
    let sender = client.clone();
    let walking = Spawned(tokio::spawn(async move {
        walk(
            &deps,
            &gated,
            walk_options,
            stop,
            |i| {
                let (client, requests) = (sender.clone(), requests.clone());
                Spawned(tokio::spawn(async move { run_step(&client, requests.get(i).and_then(Option::as_ref)).await }))
            },
            // The receiver lives until the walk is over; a send cannot fail before.
            |i, outcome: &Outcome<StepFailure>| {
                let _ = finished.send((i, status(outcome)));
            },
        )
        .await
    }));
    while let Some((i, status)) = heard.recv().await {
        if let Some(step) = plan.steps.get(i) {
            progress.finished(step, &status);
        }
    }
    let outcomes = walking.await;
    let steps: Vec<StepStatus> = outcomes.iter().map(status).collect();
    let count = |f: fn(&StepStatus) -> bool| steps.iter().filter(|s| f(s)).count();
    Report {
        done: count(|s| matches!(s, StepStatus::Done)),
        failed: count(|s| matches!(s, StepStatus::Failed(_))),
        skipped: count(|s| matches!(s, StepStatus::Skipped { .. })),
        not_started: count(|s| matches!(s, StepStatus::NotStarted)),
        held_back: count(|s| matches!(s, StepStatus::HeldBack)),
        requests: client.requests_sent().saturating_sub(sent_before),
        steps,
    }
}

/// A spawned task, awaited like the future it runs: its panic is resumed in the awaiting task, and
/// dropping it aborts the task, so that dropping `execute` (or the walk) stops what it started, as
/// it did when they ran inside it.
struct Spawned<T>(JoinHandle<T>);

impl<T> Future for Spawned<T> {
    type Output = T;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        match Pin::new(&mut self.0).poll(cx) {
            Poll::Ready(Ok(value)) => Poll::Ready(value),
            Poll::Ready(Err(e)) => match e.try_into_panic() {
                Ok(panic) => std::panic::resume_unwind(panic),
                // Only an abort cancels it, and only `drop` aborts, after which it is never polled.
                Err(_) => Poll::Pending,
            },
            Poll::Pending => Poll::Pending,
        }
    }
}

impl<T> Drop for Spawned<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

fn status(o: &Outcome<StepFailure>) -> StepStatus {
    match o {
        Outcome::Done => StepStatus::Done,
        Outcome::Failed(f) => StepStatus::Failed(f.clone()),
        Outcome::Skipped { root } => StepStatus::Skipped { root: *root },
        Outcome::NotStarted => StepStatus::NotStarted,
        Outcome::HeldBack => StepStatus::HeldBack,
    }
}

async fn run_step(client: &Client, request: Option<&Request>) -> Result<(), StepFailure> {
    match request {
        Some(request) => client.send(request).await.map(drop).map_err(|e| StepFailure::from(&e)),
        // Kong does it with the step this one depends on, which is done by now.
        None => Ok(()),
    }
}
