//! The gateway side of the benchmarks: a simulator in-process with a client for it, and a plan
//! executed against it.

// Each benchmark includes this module and uses part of it.
#![allow(dead_code)]

use kongsync_apply::{execute, ExecuteOptions, Quiet};
use kongsync_diff::{plan, Plan, PlanOptions, PlanScope};
use kongsync_model::SchemaSet;
use kongsync_sim::{SimConfig, SimHandle};
use kongsync_state::api::{read_state, Client, ClientOptions, Scope, Silent, Target};
use kongsync_state::State;
use std::time::Instant;

/// A running simulator, and a client for it.
pub struct Gateway {
    pub sim: SimHandle,
    pub client: Client,
    pub target: Target,
}

/// A plan carried out against the gateway.
pub struct Applied {
    pub plan: Plan,
    pub plan_seconds: f64,
    pub execute_seconds: f64,
    /// Requests sent while executing, retries included.
    pub requests: u64,
}

impl Gateway {
    /// Starts a simulator; the client keeps up to `max_in_flight` requests in flight, under
    /// `rate_limit` requests per second if given.
    pub async fn start(config: SimConfig, max_in_flight: usize, rate_limit: Option<f64>) -> Gateway {
        let sim = kongsync_sim::start(config).await.expect("simulator starts");
        let base = reqwest::Url::parse(&sim.base_url()).expect("simulator URL");
        let mut options = ClientOptions::new(base.clone());
        options.max_in_flight = max_in_flight;
        options.rate_limit = rate_limit;
        let client = Client::new(options).expect("client");
        Gateway { sim, client, target: Target::Kong { base, workspace: None } }
    }

    /// Reads everything the gateway holds.
    pub async fn read(&self) -> State {
        read_state(&self.client, &self.target, &Scope::default(), &Silent).await.expect("the gateway reads")
    }

    /// Plans `desired` against `live` and executes the plan; panics unless every step is done.
    pub async fn apply(&self, desired: &State, live: &State, parallelism: usize) -> Applied {
        let started = Instant::now();
        let plan =
            plan(desired, live, &PlanScope::default(), &SchemaSet::builtin(), &PlanOptions::default()).expect("plan");
        let plan_seconds = started.elapsed().as_secs_f64();
        let (_tx, rx) = tokio::sync::watch::channel(false);
        let sent = self.client.requests_sent();
        let started = Instant::now();
        let options = ExecuteOptions { parallelism, fail_fast: false };
        let report = execute(&plan, &self.client, &self.target, options, rx, &Quiet).await;
        let execute_seconds = started.elapsed().as_secs_f64();
        assert!(report.succeeded(), "the sync failed: {} failed, {} skipped", report.failed, report.skipped);
        Applied { plan, plan_seconds, execute_seconds, requests: self.client.requests_sent() - sent }
    }
}
