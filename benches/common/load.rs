//! Loading a generated state into an in-process simulator, for benchmarks that need a full gateway.

use kongsync_apply::{execute, ExecuteOptions, Quiet};
use kongsync_diff::{plan, PlanOptions, PlanScope};
use kongsync_model::SchemaSet;
use kongsync_sim::{SimConfig, SimHandle};
use kongsync_state::api::{Client, ClientOptions, Target};
use kongsync_state::State;

/// A simulator holding `desired`, with a client and target for it.
pub struct Loaded {
    pub sim: SimHandle,
    pub client: Client,
    pub target: Target,
    /// Seconds the load (a sync from empty) took.
    pub seconds: f64,
}

/// Starts a simulator and syncs `desired` into it.
pub async fn load(desired: &State) -> Loaded {
    let sim = kongsync_sim::start(SimConfig::default()).await.expect("simulator starts");
    let base = reqwest::Url::parse(&sim.base_url()).expect("simulator URL");
    let client = Client::new(ClientOptions::new(base.clone())).expect("client");
    let target = Target::Kong { base, workspace: None };
    let started = std::time::Instant::now();
    let load = plan(desired, &State::default(), &PlanScope::default(), &SchemaSet::builtin(), &PlanOptions::default())
        .expect("plan");
    let (_tx, rx) = tokio::sync::watch::channel(false);
    let options = ExecuteOptions { parallelism: 32, fail_fast: false };
    let report = execute(&load, &client, &target, options, rx, &Quiet).await;
    assert!(report.succeeded(), "loading the simulator failed: {} failed", report.failed);
    Loaded { sim, client, target, seconds: started.elapsed().as_secs_f64() }
}
