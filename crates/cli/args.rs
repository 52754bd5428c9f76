//! The command line, as clap structs. No I/O here: `settings.rs` turns these into typed settings.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(name = "kongsync", version, about = "Declarative GitOps reconciler for Kong Gateway and Kong Konnect")]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

/// Options every command shares.
#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// Kong Admin API address, or `embedded` for the built-in simulated gateway (persisted under `.kongsync/`).
    #[arg(long, global = true, env = "KONGSYNC_KONG_ADDR", default_value = "http://localhost:8001")]
    pub kong_addr: String,
    /// Extra request header `Name:Value`; repeatable.
    #[arg(long = "headers", global = true, env = "KONGSYNC_HEADERS", value_delimiter = ',')]
    pub headers: Vec<String>,
    /// Request timeout in seconds.
    #[arg(long, global = true, env = "KONGSYNC_TIMEOUT", default_value_t = 30)]
    pub timeout: u64,
    /// CA certificate (PEM) to verify the gateway's TLS certificate.
    #[arg(long, global = true, env = "KONGSYNC_CA_CERT")]
    pub ca_cert: Option<PathBuf>,
    /// Client certificate (PEM) for mutual TLS.
    #[arg(long, global = true, env = "KONGSYNC_TLS_CLIENT_CERT", requires = "tls_client_key")]
    pub tls_client_cert: Option<PathBuf>,
    /// Client private key (PEM) for mutual TLS.
    #[arg(long, global = true, env = "KONGSYNC_TLS_CLIENT_KEY", requires = "tls_client_cert")]
    pub tls_client_key: Option<PathBuf>,
    /// Server name to verify the gateway's certificate against.
    #[arg(long, global = true, env = "KONGSYNC_TLS_SERVER_NAME")]
    pub tls_server_name: Option<String>,
    /// Do not verify the gateway's TLS certificate (insecure; only when asked).
    #[arg(long, global = true, env = "KONGSYNC_TLS_SKIP_VERIFY")]
    pub tls_skip_verify: bool,
    /// Konnect API address (overrides --konnect-region).
    #[arg(long, global = true, env = "KONGSYNC_KONNECT_ADDR")]
    pub konnect_addr: Option<String>,
    /// Konnect region.
    #[arg(long, global = true, env = "KONGSYNC_KONNECT_REGION", value_enum)]
    pub konnect_region: Option<Region>,
    /// Konnect personal or system access token.
    #[arg(long, global = true, env = "KONGSYNC_KONNECT_TOKEN", hide_env_values = true)]
    pub konnect_token: Option<String>,
    /// File holding the Konnect token.
    #[arg(long, global = true, env = "KONGSYNC_KONNECT_TOKEN_FILE")]
    pub konnect_token_file: Option<PathBuf>,
    /// Konnect control plane, by name.
    #[arg(long, global = true, env = "KONGSYNC_KONNECT_CONTROL_PLANE_NAME")]
    pub konnect_control_plane_name: Option<String>,
    /// Konnect control plane, by id.
    #[arg(long, global = true, env = "KONGSYNC_KONNECT_CONTROL_PLANE_ID")]
    pub konnect_control_plane_id: Option<String>,
    /// Kong Enterprise workspace.
    #[arg(long, short = 'w', global = true, env = "KONGSYNC_WORKSPACE")]
    pub workspace: Option<String>,
    /// Manage only entities carrying all these tags; repeatable.
    #[arg(long = "select-tag", global = true, env = "KONGSYNC_SELECT_TAG", value_delimiter = ',')]
    pub select_tags: Vec<String>,
    /// Leave consumers, their credentials, plugins and groups alone.
    #[arg(long, global = true, env = "KONGSYNC_SKIP_CONSUMERS")]
    pub skip_consumers: bool,
    /// Leave CA certificates alone: neither read, written nor deleted (decK's flag of the same name).
    #[arg(long, global = true, env = "KONGSYNC_SKIP_CA_CERTIFICATES")]
    pub skip_ca_certificates: bool,
    /// Client-side request-rate limit in requests per second. Without it, kongsync paces to the
    /// budget the gateway announces (`RateLimit-*`, `X-RateLimit-*` headers); Konnect gets 10 per
    /// second until it announces one.
    #[arg(long, global = true, env = "KONGSYNC_RATE_LIMIT")]
    pub rate_limit: Option<f64>,
    /// Print only errors.
    #[arg(long, short = 'q', global = true, env = "KONGSYNC_QUIET", conflicts_with = "verbose")]
    pub quiet: bool,
    /// Print more (each request); repeat for more. Secrets are never printed.
    #[arg(long, short = 'v', global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// No colour (also with NO_COLOR set, or off a terminal).
    #[arg(long, global = true, env = "KONGSYNC_NO_COLOR")]
    pub no_color: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Region {
    Us,
    Eu,
    Au,
    Me,
    In,
    Sg,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Validate state files offline and print what they hold.
    Validate(StateArgs),
    /// Print the plan that would make the gateway match the files.
    Diff(DiffArgs),
    /// Make the gateway match the files (or execute a saved plan).
    Sync(SyncArgs),
    /// Create and update what the files hold, never delete (decK's `gateway apply`).
    Apply(ApplyArgs),
    /// Write the gateway's configuration as a decK state file.
    Dump(DumpArgs),
    /// Check that the gateway is reachable and the credentials work.
    Ping,
    /// Delete every entity in scope.
    Reset(ResetArgs),
    /// Check for drift: files against the gateway, and data planes against their control plane.
    Drift(DriftArgs),
    /// Print Kong's configuration hash: of a JSON document (exact), of the state files, or of the
    /// live gateway (both built like the control plane's export, approximately: see --live).
    Hash(HashArgs),
    /// Run the simulated Kong / Konnect gateway in the foreground. The global `--rate-limit` sets the
    /// rate above which it answers 429, and `--konnect-token` the token it accepts (default `kpat_sim`).
    Sim(SimArgs),
}

/// State files: positional, or with -s/--state.
#[derive(Debug, Args)]
pub struct StateArgs {
    /// State files or directories (`-` for standard input); default `kong.yaml`.
    #[arg(value_name = "STATE")]
    pub files: Vec<PathBuf>,
    /// State file or directory (decK's flag); repeatable.
    #[arg(long = "state", short = 's', value_name = "STATE")]
    pub state: Vec<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PlanFormat {
    Text,
    Json,
    Markdown,
}

#[derive(Debug, Args)]
pub struct DiffArgs {
    #[command(flatten)]
    pub state: StateArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = PlanFormat::Text)]
    pub format: PlanFormat,
    /// Save the plan as JSON, for `sync --plan`.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Exit 2 when there are changes (0 none, 1 error).
    #[arg(long, alias = "non-zero-exit-code")]
    pub exit_code: bool,
    /// Leave a field to another owner: KIND.PATH, e.g. `plugin.config.allow`; repeatable.
    #[arg(long = "ignore-field", value_name = "KIND.PATH")]
    pub ignore_fields: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    Text,
    Json,
}

#[derive(Debug, Args)]
pub struct SyncArgs {
    #[command(flatten)]
    pub state: StateArgs,
    /// Execute this saved plan (from `diff --out`) instead of planning from files.
    #[arg(long, value_name = "PLAN", conflicts_with_all = ["files", "state"])]
    pub plan: Option<PathBuf>,
    /// Refuse, before any write, a plan with more than N deletes.
    #[arg(long, value_name = "N")]
    pub max_deletes: Option<usize>,
    #[command(flatten)]
    pub run: RunArgs,
}

#[derive(Debug, Args)]
pub struct ApplyArgs {
    #[command(flatten)]
    pub state: StateArgs,
    #[command(flatten)]
    pub run: RunArgs,
}

/// How `sync` and `apply` carry out a plan.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// Stop after printing the plan.
    #[arg(long)]
    pub dry_run: bool,
    /// Requests in flight at most.
    #[arg(long, env = "KONGSYNC_PARALLELISM", default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..=256))]
    pub parallelism: u32,
    /// Stop starting new steps at the first failure.
    #[arg(long)]
    pub fail_fast: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ReportFormat::Text)]
    pub format: ReportFormat,
    /// Leave a field to another owner: KIND.PATH; repeatable.
    #[arg(long = "ignore-field", value_name = "KIND.PATH")]
    pub ignore_fields: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DumpFormat {
    Yaml,
    Json,
}

#[derive(Debug, Args)]
pub struct DumpArgs {
    /// Output file, `-` for standard output.
    #[arg(long = "output-file", short = 'o', default_value = "kong.yaml")]
    pub output: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value_t = DumpFormat::Yaml)]
    pub format: DumpFormat,
    /// Write ids even where a natural key identifies the entity.
    #[arg(long)]
    pub with_id: bool,
}

#[derive(Debug, Args)]
pub struct ResetArgs {
    /// Do not ask for confirmation.
    #[arg(long, short = 'f')]
    pub force: bool,
}

#[derive(Debug, Args)]
pub struct DriftArgs {
    #[command(flatten)]
    pub state: StateArgs,
    /// A data plane not seen for longer than this is stale (e.g. `300s`, `5m`, `1h`).
    #[arg(long, default_value = "5m")]
    pub stale_after: String,
    /// Output format.
    #[arg(long, value_enum, default_value_t = PlanFormat::Text)]
    pub format: PlanFormat,
    /// Leave a field to another owner: KIND.PATH; repeatable.
    #[arg(long = "ignore-field", value_name = "KIND.PATH")]
    pub ignore_fields: Vec<String>,
}

#[derive(Debug, Args)]
pub struct HashArgs {
    #[command(flatten)]
    pub state: StateArgs,
    /// Hash this JSON document as it is.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["live", "files", "state"])]
    pub json_document: Option<PathBuf>,
    /// Hash what the gateway holds, as the control plane's export (same tables, ids, foreign keys as
    /// bare ids, disabled entities left out). Approximate: the control plane's own export also holds
    /// timestamps, null fields and the workspace row, which kongsync leaves out so that a gateway and
    /// the files synced to it hash alike; so this matches `kongsync hash [STATE...]`, not a control
    /// plane's expected hash. Compare data planes with `drift`.
    #[arg(long, conflicts_with_all = ["files", "state"])]
    pub live: bool,
}

#[derive(Debug, Args)]
pub struct SimArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8001")]
    pub listen: String,
    /// Persist the store to this JSON file.
    #[arg(long)]
    pub data: Option<PathBuf>,
    /// Latency added to every request, in milliseconds.
    #[arg(long, default_value_t = 0)]
    pub latency_ms: u64,
    /// Share of writes answered with 503 (0.0 to 1.0).
    #[arg(long, default_value_t = 0.0)]
    pub error_rate: f64,
    /// Seed for injected faults.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Another Konnect control plane to serve (a `default` one always exists); repeatable.
    #[arg(long = "control-plane")]
    pub control_planes: Vec<String>,
    /// Seconds before simulated data planes pick up a new configuration.
    #[arg(long, default_value_t = 0)]
    pub data_plane_delay: u64,
    /// The Kong edition of the Admin API: `community` (Kong OSS 3.5: no consumer groups, no mTLS
    /// credentials) or `enterprise`. The Konnect API always has consumer groups.
    #[arg(long, default_value = "community")]
    pub edition: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    fn env_names(command: &clap::Command, out: &mut std::collections::BTreeSet<String>) {
        for arg in command.get_arguments() {
            if let Some(name) = arg.get_env().and_then(|e| e.to_str()) {
                out.insert(name.to_string());
            }
        }
        for sub in command.get_subcommands() {
            env_names(sub, out);
        }
    }

    /// The state files' templates refuse exactly the variables the flags read (see `OWN_SETTINGS`).
    #[test]
    fn every_variable_a_flag_reads_is_closed_to_templates() {
        let mut read = std::collections::BTreeSet::new();
        env_names(&Cli::command(), &mut read);
        let closed: std::collections::BTreeSet<String> =
            kongsync_state::file::OWN_SETTINGS.iter().map(|s| s.to_string()).collect();
        assert_eq!(read, closed);
    }
}
