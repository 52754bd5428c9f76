//! `kongsync sim`: the simulated Kong Admin API and Konnect control-plane API in the foreground, for
//! trying kongsync (and other Kong tools) without a gateway, with injected latency, errors and a rate
//! limit. Runs until interrupted.

use crate::args::{GlobalArgs, SimArgs};
use crate::exit;
use crate::printer::Printer;
use anyhow::{anyhow, Context};
use kongsync_sim::{FaultRule, Faults};
use std::process::ExitCode;
use std::time::Duration;

pub async fn run(global: &GlobalArgs, args: &SimArgs, printer: &Printer) -> anyhow::Result<ExitCode> {
    let config = config(global, args)?;
    printer.status(&format!("simulated Kong Admin API and Konnect API on http://{}", args.listen));
    kongsync_sim::serve_forever(config).await.context("the simulator stopped")?;
    Ok(exit::OK)
}

/// The simulator's configuration from the flags.
fn config(global: &GlobalArgs, args: &SimArgs) -> anyhow::Result<kongsync_sim::SimConfig> {
    let SimArgs { listen, data, latency_ms, error_rate, seed, control_planes, data_plane_delay, edition } = args;
    if !(0.0..=1.0).contains(error_rate) {
        return Err(anyhow!("--error-rate must be between 0.0 and 1.0"));
    }
    let defaults = kongsync_sim::SimConfig::default();
    Ok(kongsync_sim::SimConfig {
        listen: listen.parse().map_err(|e| anyhow!("--listen: `{listen}` is not an address ({e})"))?,
        data_file: data.clone(),
        konnect_token: global.konnect_token.clone().unwrap_or(defaults.konnect_token),
        control_planes: control_planes.clone(),
        seed: *seed,
        faults: faults(*latency_ms, *error_rate, global.rate_limit),
        data_plane_delay: Duration::from_secs(*data_plane_delay),
        edition: edition.parse().map_err(|e| anyhow!("--edition: {e}"))?,
    })
}

/// The faults the flags ask for. The simulator applies the first rule that matches, so writes get
/// their own rules (latency and errors) before the rule for everything else (latency only).
fn faults(latency_ms: u64, error_rate: f64, rate_limit: Option<f64>) -> Faults {
    let latency = (latency_ms > 0).then_some((latency_ms, latency_ms));
    let mut rules = Vec::new();
    if error_rate > 0.0 {
        for method in ["POST", "PUT", "PATCH", "DELETE"] {
            rules.push(FaultRule {
                method: Some(method.to_string()),
                latency_ms: latency,
                error_rate,
                ..FaultRule::default()
            });
        }
    }
    if latency.is_some() {
        rules.push(FaultRule { latency_ms: latency, ..FaultRule::default() });
    }
    Faults { rules, rate_limit, ..Faults::default() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_hit_writes_and_latency_everything() {
        let f = faults(10, 0.5, Some(20.0));
        assert_eq!(f.rules.len(), 5);
        assert!(f.rules[..4].iter().all(|r| r.error_rate == 0.5 && r.latency_ms == Some((10, 10))));
        assert_eq!(f.rules[4].method, None);
        assert_eq!(f.rules[4].error_rate, 0.0);
        assert_eq!(f.rate_limit, Some(20.0));
        assert_eq!(faults(0, 0.0, None), Faults::default());
    }
}
