//! The rate governor end to end: against a gateway that announces a small budget, the way Kong's
//! rate-limiting plugin does (and Konnect's API, which it fronts), a sync given no `--rate-limit`
//! paces itself to the budget: few requests are refused, and it converges in one run.

use crate::harness::{services_with_routes, TestEnv, SIM_TOKEN};
use kongsync_sim::Faults;

/// The share of the simulator's answers that were 429, and how many answers there were.
fn refused(env: &TestEnv) -> (f64, usize) {
    let log = env.requests();
    let n = log.iter().filter(|r| r.status == 429).count();
    (n as f64 / log.len().max(1) as f64, log.len())
}

/// 50 requests a second: the sync below sends about 250, so a client that did not pace itself (32 in
/// flight, answers in a millisecond) would use up each second's budget in its first tens of
/// milliseconds and be refused most of the rest.
fn budget() -> Faults {
    Faults { rate_limit_per_second: Some(50), ..Faults::default() }
}

// kong/plugins/rate-limiting/handler.lua:147-206 (3.5.0): every answer carries the budget; past it,
// 429 with Retry-After.
#[test]
fn a_sync_paces_itself_to_the_budget_kong_announces() {
    let env = TestEnv::with_config(|c| c.faults = budget());
    env.write("kong.yaml", &services_with_routes(80));
    env.kongsync(&["sync", "kong.yaml", "--parallelism", "32"]).success();
    let (share, answers) = refused(&env);
    assert!(answers > 240, "{answers} requests: too few to use up the budget");
    assert!(share < 0.02, "{:.1}% of {answers} requests were refused", 100.0 * share);
    env.sim().clear_faults();
    env.kongsync(&["diff", "kong.yaml", "--exit-code"]).success();
}

// The same through the Konnect API, where kongsync starts at its fallback of 10 requests a second
// and paces to the budget once the first answer announces it.
#[test]
fn a_konnect_sync_paces_itself_to_the_announced_budget() {
    let env = TestEnv::with_config(|c| c.faults = budget());
    env.write("kong.yaml", &services_with_routes(80));
    let url = env.url();
    let konnect =
        ["--konnect-addr", url.as_str(), "--konnect-token", SIM_TOKEN, "--konnect-control-plane-name", "default"];
    env.kongsync(&[&["sync", "kong.yaml"][..], &konnect].concat()).success();
    let (share, answers) = refused(&env);
    assert!(answers > 240, "{answers} requests: too few to use up the budget");
    assert!(share < 0.02, "{:.1}% of {answers} requests were refused", 100.0 * share);
    env.sim().clear_faults();
    env.kongsync(&[&["diff", "kong.yaml", "--exit-code"][..], &konnect].concat()).success();
}
