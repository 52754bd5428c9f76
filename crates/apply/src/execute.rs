//! Carrying out a plan: every step's request exactly as the plan wrote it, each as soon as the steps
//! it depends on are done, at most `parallelism` at once. Transient failures are retried by the
//! client (every PUT and DELETE is idempotent). The two creates the API only offers as POST (a Kong
//! target, a consumer-group membership) are retried here, after checking that the earlier attempt
//! did not in fact succeed, so that a retry never makes a duplicate.

use crate::walk::{walk, Outcome, WalkOptions};
use kongsync_diff::{Action, Execution, Plan, PlannedRequest, Step};
use kongsync_model::Kind;
use kongsync_state::api::retry::{should_retry, Failure};
use kongsync_state::api::{ApiError, Client, Request, RetryPolicy, Target};
use reqwest::Method;
use serde::Serialize;
use tokio::sync::watch;

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
}

/// The outcome of a run.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Report {
    pub done: usize,
    pub failed: usize,
    pub skipped: usize,
    pub not_started: usize,
    /// Requests sent, retries included.
    pub requests: u64,
    /// Each step's status, in plan order.
    pub steps: Vec<StepStatus>,
}

impl Report {
    pub fn succeeded(&self) -> bool {
        self.failed == 0 && self.skipped == 0 && self.not_started == 0
    }
}

/// Told about each finished step (progress bars).
pub trait Progress: Send + Sync {
    fn finished(&self, step: &Step, status: &StepStatus);
}

/// Reports nothing.
pub struct Quiet;

impl Progress for Quiet {
    fn finished(&self, _: &Step, _: &StepStatus) {}
}

/// Executes the plan against `target` through `client`. `stop` turning true stops new steps from
/// starting; those in flight finish.
pub async fn execute(
    plan: &Plan,
    client: &Client,
    target: &Target,
    options: ExecuteOptions,
    stop: watch::Receiver<bool>,
    progress: &dyn Progress,
) -> Report {
    let sent_before = client.requests_sent();
    let deps: Vec<Vec<usize>> = plan.steps.iter().map(|s| s.depends_on.clone()).collect();
    let root = target.entities_root();
    let walk_options = WalkOptions { parallelism: options.parallelism, fail_fast: options.fail_fast };
    let outcomes = walk(
        &deps,
        walk_options,
        stop,
        |i| run_step(client, &root, &plan.steps[i]),
        |i, outcome: &Outcome<StepFailure>| {
            if let Some(step) = plan.steps.get(i) {
                progress.finished(step, &status(outcome));
            }
        },
    )
    .await;
    let steps: Vec<StepStatus> = outcomes.iter().map(status).collect();
    let count = |f: fn(&StepStatus) -> bool| steps.iter().filter(|s| f(s)).count();
    Report {
        done: count(|s| matches!(s, StepStatus::Done)),
        failed: count(|s| matches!(s, StepStatus::Failed(_))),
        skipped: count(|s| matches!(s, StepStatus::Skipped { .. })),
        not_started: count(|s| matches!(s, StepStatus::NotStarted)),
        requests: client.requests_sent().saturating_sub(sent_before),
        steps,
    }
}

fn status(o: &Outcome<StepFailure>) -> StepStatus {
    match o {
        Outcome::Done => StepStatus::Done,
        Outcome::Failed(f) => StepStatus::Failed(f.clone()),
        Outcome::Skipped { root } => StepStatus::Skipped { root: *root },
        Outcome::NotStarted => StepStatus::NotStarted,
    }
}

async fn run_step(client: &Client, root: &str, step: &Step) -> Result<(), StepFailure> {
    let planned = match &step.execution {
        Execution::Request(r) => r,
        // Kong does it with the step this one depends on, which is done by now.
        Execution::WithStep { .. } => return Ok(()),
    };
    let request = to_request(root, planned);
    if request.method != Method::POST {
        return client.send(&request).await.map(drop).map_err(|e| StepFailure::from(&e));
    }
    send_post(client, root, step, planned, &request).await
}

/// The plan's request under the target's entity root.
pub fn to_request(root: &str, planned: &PlannedRequest) -> Request {
    let method = Method::from_bytes(planned.method.as_bytes()).unwrap_or(Method::GET);
    Request { method, path: format!("{root}{}", planned.path), query: Vec::new(), body: planned.body.clone() }
}

/// Attempts for a POST whose earlier attempt may or may not have succeeded.
const POST_ATTEMPTS: u32 = 6;

/// Sends a create that only exists as POST. After a failure that leaves the outcome unknown, it asks
/// the gateway whether the entity exists before trying again; a membership that already exists
/// (409) is what the step wanted.
async fn send_post(
    client: &Client,
    root: &str,
    step: &Step,
    planned: &PlannedRequest,
    request: &Request,
) -> Result<(), StepFailure> {
    let mut attempt = 0;
    loop {
        attempt += 1;
        let err = match client.send(request).await {
            Ok(_) => return Ok(()),
            Err(e) => e,
        };
        let status = err.status();
        if step.kind == Kind::ConsumerGroupMember && status == Some(409) {
            return Ok(());
        }
        // What the client retries for an idempotent request, with a check first (below) here.
        let transient = status.is_none_or(|s| should_retry(Failure::Status(s), true));
        let maybe_done = attempt > 1 && matches!(status, Some(400 | 409));
        if (transient || maybe_done) && step.action == Action::Create && step.kind == Kind::Target {
            let check = Request::get(format!("{root}{}/{}", planned.path, step.id));
            if client.send(&check).await.is_ok() {
                return Ok(());
            }
        }
        if !transient || attempt >= POST_ATTEMPTS {
            return Err(StepFailure::from(&err));
        }
        tokio::time::sleep(RetryPolicy::default().backoff(attempt, rand::random::<f64>())).await;
    }
}
