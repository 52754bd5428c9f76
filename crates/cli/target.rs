//! The gateway a command talks to, opened from the global flags (and the state files' `_konnect`,
//! `_workspace`, `_info.select_tags`): Kong's Admin API, a Konnect control plane, or the embedded
//! simulator. A [`Connection`] holds the one [`Client`] of the run and the [`Target`] its requests
//! address, reads the live [`State`] in the run's [`Scope`], fetches the target's schemas, and says
//! what it is connected to without showing a secret.
//!
//! Opening a Konnect connection finds the control plane (by id, which also proves the token can see
//! it, or by exact name), so that every later request goes to a known id. Opening the embedded
//! target starts the simulator in-process on a loopback port, persisted in `.kongsync/sim.json`
//! (mode 0600: it holds credentials); [`Connection::close`] saves it and stops it, so that
//! successive commands see the same gateway.

use crate::args::GlobalArgs;
use crate::printer::Printer;
use crate::progress::Progress;
use crate::settings::{self, Api, ConnectionSettings, ControlPlaneChoice, Endpoint, TokenSource};
use anyhow::{anyhow, bail, Context};
use kongsync_model::{SchemaSet, Secret};
use kongsync_state::api::{
    fetch_schemas, konnect, read_state, ApiError, Client, ClientOptions, ControlPlane, Observer, Reporter, Scope,
    Target, TlsOptions,
};
use kongsync_state::{Meta, State};
use reqwest::Url;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Where the embedded gateway keeps its data, relative to the working directory.
pub const EMBEDDED_DIR: &str = ".kongsync";
/// The embedded gateway's store, inside [`EMBEDDED_DIR`].
pub const EMBEDDED_FILE: &str = "sim.json";
/// The Konnect token the embedded gateway accepts when the user gives none (the simulator's default).
pub const EMBEDDED_TOKEN: &str = "kpat_sim";

/// An open connection to the gateway of this run.
pub struct Connection {
    client: Client,
    target: Target,
    scope: Scope,
    /// The Konnect control plane, found when the connection was opened.
    control_plane: Option<ControlPlane>,
    embedded: Option<Embedded>,
}

/// The in-process simulator behind `--kong-addr embedded`.
struct Embedded {
    sim: kongsync_sim::SimHandle,
    data_file: PathBuf,
}

impl Connection {
    /// Opens the connection the global flags describe; `file` is the state files' metadata
    /// (`Meta::default()` for commands that read no files).
    pub async fn open(global: &GlobalArgs, file: &Meta, printer: &Printer) -> anyhow::Result<Connection> {
        let settings = settings::connection(global, file)?;
        Connection::from_settings(settings, printer).await
    }

    /// Opens the connection for a sync that keeps up to `parallelism` requests in flight.
    pub async fn open_for_writes(
        global: &GlobalArgs,
        file: &Meta,
        printer: &Printer,
        parallelism: usize,
    ) -> anyhow::Result<Connection> {
        let mut settings = settings::connection(global, file)?;
        settings.max_in_flight = settings.max_in_flight.max(parallelism);
        Connection::from_settings(settings, printer).await
    }

    /// Opens a connection from resolved settings.
    pub async fn from_settings(settings: ConnectionSettings, printer: &Printer) -> anyhow::Result<Connection> {
        let ConnectionSettings { endpoint, api, headers, timeout, tls, rate_limit, workspace, scope, max_in_flight } =
            settings;
        let (embedded, base) = match endpoint {
            Endpoint::Url(url) => (None, url),
            Endpoint::Embedded => {
                let token = match &api {
                    Api::Konnect(k) => match &k.token {
                        Some(t) => Some(read_token(t)?),
                        None => None,
                    },
                    Api::Kong => None,
                };
                let embedded = Embedded::start(Path::new(EMBEDDED_DIR), token.as_ref()).await?;
                let base = Url::parse(&embedded.sim.base_url())
                    .map_err(|e| anyhow!("the embedded gateway's address is not a URL: {e}"))?;
                (Some(embedded), base)
            }
        };
        let token = match &api {
            Api::Kong => None,
            Api::Konnect(k) => match (&k.token, &embedded) {
                (Some(t), _) => Some(read_token(t)?),
                (None, Some(_)) => Some(Secret::new(EMBEDDED_TOKEN)),
                (None, None) => bail!(
                    "Konnect needs an access token: --konnect-token, --konnect-token-file or KONGSYNC_KONNECT_TOKEN"
                ),
            },
        };
        let mut options = ClientOptions::new(base.clone());
        options.token = token;
        options.headers = headers;
        options.timeout = timeout;
        options.tls = read_tls(&tls)?;
        options.rate_limit = rate_limit;
        options.max_in_flight = max_in_flight;
        let observer = (printer.verbose > 0 && !printer.quiet).then(verbose_observer);
        let client = Client::with_observer(options, observer)?;
        let (target, control_plane) = match api {
            Api::Kong => (Target::Kong { base, workspace }, None),
            Api::Konnect(k) => {
                let found = match &k.control_plane {
                    ControlPlaneChoice::Id { id, .. } => konnect::find_by_id(&client, id).await,
                    ControlPlaneChoice::Name(name) => konnect::find_by_name(&client, name).await,
                };
                let cp = found.map_err(|e| explain(e, true))?;
                if let Some(name) = k.file_name.as_deref().filter(|n| *n != cp.name) {
                    bail!(
                        "the state files are for control plane \"{name}\", but control plane {} is \"{}\"",
                        cp.id,
                        cp.name
                    );
                }
                let paths = match &k.control_plane {
                    ControlPlaneChoice::Id { paths, .. } => *paths,
                    ControlPlaneChoice::Name(_) => kongsync_state::api::KonnectPaths::ControlPlanes,
                };
                let target = Target::Konnect { base, control_plane_id: cp.id.clone(), paths, workspace };
                (target, Some(cp))
            }
        };
        Ok(Connection { client, target, scope, control_plane, embedded })
    }

    /// The client every request of the run goes through (shared pool, limits and retries).
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Where the entities live (base URL, workspace, control plane).
    pub fn target(&self) -> &Target {
        &self.target
    }

    /// What the run manages: select tags and `--skip-consumers`.
    pub fn scope(&self) -> &Scope {
        &self.scope
    }

    /// The Konnect control plane, in Konnect mode.
    pub fn control_plane(&self) -> Option<&ControlPlane> {
        self.control_plane.as_ref()
    }

    /// The simulator behind `--kong-addr embedded`, when that is the target (drift reads its data
    /// planes).
    #[allow(dead_code)]
    pub fn embedded(&self) -> Option<&kongsync_sim::SimHandle> {
        self.embedded.as_ref().map(|e| &e.sim)
    }

    /// What the connection talks to, for people: no token, no credentials in URLs.
    /// `Kong at http://localhost:8001, workspace team-a`,
    /// `Konnect control plane prod (6f1c...) at https://eu.api.konghq.com`,
    /// `the embedded Kong gateway (.kongsync/sim.json)`.
    pub fn describe(&self) -> String {
        let workspace = self.target.workspace().map(|w| format!(", workspace {w}")).unwrap_or_default();
        let address = kongsync_state::api::target::redacted_url(self.target.base());
        match (&self.control_plane, &self.embedded) {
            (Some(cp), None) => format!("Konnect control plane {} ({}) at {address}{workspace}", cp.name, cp.id),
            (Some(cp), Some(e)) => format!(
                "Konnect control plane {} ({}) of the embedded gateway ({}){workspace}",
                cp.name,
                cp.id,
                e.data_file.display()
            ),
            (None, Some(e)) => format!("the embedded Kong gateway ({}){workspace}", e.data_file.display()),
            (None, None) => format!("Kong at {address}{workspace}"),
        }
    }

    /// Reads everything in scope from the gateway, as the same `State` the files produce, with the
    /// run's workspace and control plane in its metadata (so that a dump writes them).
    pub async fn read_live(&self, reporter: &dyn Reporter) -> anyhow::Result<State> {
        let mut state = read_state(&self.client, &self.target, &self.scope, reporter).await.map_err(|e| {
            // Every path of a workspace starts with its name, so a 404 on the first list means the
            // workspace is not there (decK's diff/001-not-existing-workspace against Kong OSS).
            let konnect = self.target.is_konnect();
            let missing = (e.status() == Some(404)).then(|| self.target.workspace()).flatten().map(|w| match konnect {
                true => format!("workspace `{w}` not found in this control plane"),
                false => format!(
                    "workspace `{w}` not found: Kong OSS has no workspaces (drop `_workspace` or --workspace); \
                     on Kong Enterprise, create the workspace first"
                ),
            });
            let explained = explain(e, konnect);
            match missing {
                Some(m) => explained.context(m),
                None => explained,
            }
        })?;
        state.meta.konnect_control_plane = self.control_plane.as_ref().map(|cp| cp.name.clone());
        Ok(state)
    }

    /// [`Connection::read_live`] with a progress line on stderr (drawn only on a terminal).
    pub async fn read_live_shown(&self, printer: &Printer) -> anyhow::Result<State> {
        let progress = Progress::new(printer, "reading");
        let read = self.read_live(&progress).await;
        progress.finish();
        read
    }

    /// The target's schemas (its entity schemas on Kong, and these plugins'), over the built-in ones.
    pub async fn schemas(&self, plugins: &[String]) -> anyhow::Result<SchemaSet> {
        fetch_schemas(&self.client, &self.target, plugins).await.map_err(|e| explain(e, self.target.is_konnect()))
    }

    /// Ends the connection: the embedded gateway is saved (mode 0600) and stopped. Call it on every
    /// path, errors included, so that an embedded sync that half failed keeps what it did.
    pub async fn close(self) -> anyhow::Result<()> {
        match self.embedded {
            Some(e) => e.stop().await,
            None => Ok(()),
        }
    }
}

impl Embedded {
    /// Starts the simulator on a loopback port with its store in `dir`.
    async fn start(dir: &Path, token: Option<&Secret>) -> anyhow::Result<Embedded> {
        create_private_dir(dir)?;
        let data_file = dir.join(EMBEDDED_FILE);
        if data_file.exists() {
            make_private(&data_file)?;
        }
        let mut config = kongsync_sim::SimConfig {
            listen: std::net::SocketAddr::from(([127, 0, 0, 1], 0)),
            data_file: Some(data_file.clone()),
            ..kongsync_sim::SimConfig::default()
        };
        if let Some(t) = token {
            config.konnect_token = t.expose().to_string();
        }
        let sim = kongsync_sim::start(config)
            .await
            .with_context(|| format!("cannot start the embedded gateway (store {})", data_file.display()))?;
        Ok(Embedded { sim, data_file })
    }

    /// Stops the simulator, which saves its store on the way out.
    async fn stop(self) -> anyhow::Result<()> {
        let Embedded { sim, data_file } = self;
        sim.shutdown().await.with_context(|| format!("cannot save the embedded gateway to {}", data_file.display()))?;
        make_private(&data_file)
    }
}

/// Creates the directory (owner-only on Unix) if it is missing.
fn create_private_dir(dir: &Path) -> anyhow::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir).with_context(|| format!("cannot create {}", dir.display()))
}

/// Makes a file readable by its owner only: the store holds credentials and private keys.
fn make_private(path: &Path) -> anyhow::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
            .with_context(|| format!("cannot restrict {} to its owner", path.display()))?;
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

/// The Konnect token: the value given, or the first line of the token file.
fn read_token(source: &TokenSource) -> anyhow::Result<Secret> {
    match source {
        TokenSource::Value(s) => Ok(s.clone()),
        TokenSource::File(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("--konnect-token-file: cannot read {}", path.display()))?;
            let token = text.trim();
            if token.is_empty() {
                bail!("--konnect-token-file: {} is empty", path.display());
            }
            Ok(Secret::new(token))
        }
    }
}

/// Reads the TLS files the flags name.
fn read_tls(tls: &settings::TlsSettings) -> anyhow::Result<TlsOptions> {
    let read = |flag: &str, path: &Option<PathBuf>| -> anyhow::Result<Option<Vec<u8>>> {
        path.as_ref()
            .map(|p| std::fs::read(p).with_context(|| format!("{flag}: cannot read {}", p.display())))
            .transpose()
    };
    let key = read("--tls-client-key", &tls.client_key)?
        .map(|k| String::from_utf8(k).map_err(|_| anyhow!("--tls-client-key: the key is not PEM text")))
        .transpose()?;
    Ok(TlsOptions {
        ca_cert_pem: read("--ca-cert", &tls.ca_cert)?,
        client_cert_pem: read("--tls-client-cert", &tls.client_cert)?,
        client_key_pem: key.map(Secret::new),
        server_name: tls.server_name.clone(),
        skip_verify: tls.skip_verify,
    })
}

/// Prints each attempt with `-v`: method, path, query, status and time; never a header or a body.
fn verbose_observer() -> Observer {
    Arc::new(|event: &kongsync_state::api::RequestEvent| {
        let status = event.status.map_or_else(|| "no answer".to_string(), |s| s.to_string());
        let attempt = if event.attempt > 1 { format!(" (attempt {})", event.attempt) } else { String::new() };
        let retry = event.retry_in.map(|w| format!(", retrying in {} ms", w.as_millis())).unwrap_or_default();
        eprintln!("{}{attempt} -> {status} in {} ms{retry}", event.request, event.elapsed.as_millis());
    })
}

/// An API error with what the user can do about it, as the first line; the error itself follows as
/// the cause.
pub fn explain(e: ApiError, konnect: bool) -> anyhow::Error {
    let mut last = &e;
    while let ApiError::GaveUp { last: inner, .. } = last {
        last = inner;
    }
    let hint = match (last, e.status()) {
        (_, Some(401)) if konnect => Some("Konnect refused the access token (HTTP 401): check --konnect-token"),
        (_, Some(401)) => Some("the gateway asks for credentials (HTTP 401): pass them with --headers"),
        (_, Some(403)) => Some("the credentials are not allowed to do this (HTTP 403)"),
        (ApiError::Connect { .. }, _) => Some("the gateway is not reachable: check the address and that it is running"),
        (ApiError::Tls { .. }, _) => {
            Some("the TLS handshake failed: check --ca-cert, --tls-server-name or the client certificate")
        }
        _ => None,
    };
    match hint {
        Some(h) => anyhow::Error::new(e).context(h),
        None => anyhow::Error::new(e),
    }
}
