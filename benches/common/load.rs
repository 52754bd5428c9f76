//! The client side of the benchmarks: a simulator in its own process (`common/sim.rs`) with a
//! client for it in this one, read and planned against through the same library calls as
//! `kongsync sync` (`state::live::observe`, then `diff::plan`), and a plan executed against it.

// Each benchmark includes this module and uses part of it.
#![allow(dead_code)]

use kongsync_apply::{execute, ExecuteOptions, NoStepProgress};
use kongsync_diff::{plan, Plan, PlanOptions};
use kongsync_gateway::{Client, ClientOptions, Gateway, Url};
use kongsync_sim::Faults;
use kongsync_state::live::{observe, read_state, NoReadProgress, Observed};
use kongsync_state::{Scope, State};
use std::time::Instant;

use crate::sim::SimProcess;

/// A running simulator, and a client for it.
pub struct Simulated {
    pub sim: SimProcess,
    pub client: Client,
    pub gateway: Gateway,
}

/// A plan carried out against the gateway.
pub struct Applied {
    pub plan: Plan,
    pub plan_seconds: f64,
    pub execute_seconds: f64,
    /// Requests sent while executing, retries included.
    pub requests: u64,
}

impl Simulated {
    /// Starts a simulator process with `faults`; the client keeps up to `max_in_flight` requests in
    /// flight, paced as kongsync paces a gateway given no `--rate-limit`.
    pub async fn start(faults: Faults, max_in_flight: usize) -> Simulated {
        let sim = SimProcess::start(&[]);
        sim.set_faults(&faults).await;
        let base = Url::parse(&sim.base_url()).expect("simulator URL");
        let mut options = ClientOptions::new(base.clone());
        options.max_in_flight = max_in_flight;
        let client = Client::new(options).expect("client");
        Simulated { sim, client, gateway: Gateway::Kong { base, workspace: None } }
    }

    /// Reads everything the gateway holds, as `kongsync dump` reads it.
    pub async fn read(&self) -> State {
        read_state(&self.client, &self.gateway, &Scope::default(), &NoReadProgress).await.expect("the gateway reads")
    }

    /// Reads what a plan of `desired` needs from the gateway, as a sync reads it: everything the
    /// gateway holds, the schemas of what is in play, and the parents only the gateway has.
    pub async fn observe(&self, desired: &State) -> Observed {
        observe(&self.client, &self.gateway, &Scope::default(), desired, &NoReadProgress)
            .await
            .expect("the gateway reads")
    }

    /// Plans `desired` against what was observed and executes the plan; panics unless every step is
    /// done.
    pub async fn apply(&self, desired: &State, observed: &Observed, parallelism: usize) -> Applied {
        let started = Instant::now();
        let plan = plan(desired, observed, &PlanOptions::default()).expect("plan");
        let plan_seconds = started.elapsed().as_secs_f64();
        let (_tx, rx) = tokio::sync::watch::channel(false);
        let sent = self.client.requests_sent();
        let started = Instant::now();
        let options = ExecuteOptions { parallelism, fail_fast: false };
        let report = execute(&plan, &self.client, &self.gateway, options, rx, &NoStepProgress).await;
        let execute_seconds = started.elapsed().as_secs_f64();
        assert!(report.succeeded(), "the sync failed: {} failed, {} skipped", report.failed, report.skipped);
        Applied { plan, plan_seconds, execute_seconds, requests: self.client.requests_sent() - sent }
    }
}
