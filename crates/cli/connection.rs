//! The gateway a command talks to, opened from the global flags (and the state files' `_konnect`,
//! `_workspace`, `_info.select_tags`): Kong's Admin API, a Konnect control plane, or the embedded
//! simulator. A [`Connection`] holds the one [`Client`] of the run and the [`Gateway`] its requests
//! address, reads the live [`State`] in the run's [`Scope`] (alone, or with the schemas and look-ups
//! a plan needs), and says what it is connected to without showing a secret. Library errors are
//! turned into messages that name the flags to check ([`explain`]).
//!
//! Opening a Konnect connection finds the control plane (by id, which also proves the token can see
//! it, or by exact name), so that every later request goes to a known id. Opening the embedded
//! target starts the simulator in-process (`embedded.rs`); [`Connection::close`] saves it and stops
//! it, so that successive commands see the same gateway.

use crate::args::GlobalArgs;
use crate::embedded::{Embedded, EMBEDDED_DIR, EMBEDDED_TOKEN};
use crate::printer::Printer;
use crate::reporters::ReadSpinner;
use crate::settings::{self, Api, ConnectionSettings, ControlPlaneChoice, Endpoint, TokenSource};
use anyhow::{anyhow, bail, Context};
use kongsync_gateway::{
    control_plane_by_id, control_plane_by_name, redacted_url, ApiError, Client, ClientOptions, ControlPlane, Gateway,
    KonnectPaths, Observer, RequestEvent, Setting, TlsOptions, Url,
};
use kongsync_model::Secret;
use kongsync_state::live::{observe, read_state, LookupError, ObserveError, Observed, ReadProgress};
use kongsync_state::{Meta, Scope, State};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// An open connection to the gateway of this run.
pub struct Connection {
    client: Client,
    gateway: Gateway,
    scope: Scope,
    /// The Konnect control plane, found when the connection was opened.
    control_plane: Option<ControlPlane>,
    embedded: Option<Embedded>,
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
        let ConnectionSettings { endpoint, api, headers, timeout, tls, pacing, workspace, scope, max_in_flight } =
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
        options.pacing = pacing;
        options.max_in_flight = max_in_flight;
        let observer = (printer.verbose > 0 && !printer.quiet).then(verbose_observer);
        let client = Client::with_observer(options, observer).map_err(|e| explain(e, false))?;
        let (gateway, control_plane) = match api {
            Api::Kong => (Gateway::Kong { base, workspace }, None),
            Api::Konnect(k) => {
                let found = match &k.control_plane {
                    ControlPlaneChoice::Id { id, .. } => control_plane_by_id(&client, id).await,
                    ControlPlaneChoice::Name(name) => control_plane_by_name(&client, name).await,
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
                    ControlPlaneChoice::Name(_) => KonnectPaths::ControlPlanes,
                };
                let gateway = Gateway::Konnect { base, control_plane_id: cp.id.clone(), paths, workspace };
                (gateway, Some(cp))
            }
        };
        Ok(Connection { client, gateway, scope, control_plane, embedded })
    }

    /// The client every request of the run goes through (shared pool, limits and retries).
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Where the entities live (base URL, workspace, control plane).
    pub fn gateway(&self) -> &Gateway {
        &self.gateway
    }

    /// What the run manages: select tags and `--skip-consumers`.
    pub fn scope(&self) -> &Scope {
        &self.scope
    }

    /// The Konnect control plane, in Konnect mode.
    pub fn control_plane(&self) -> Option<&ControlPlane> {
        self.control_plane.as_ref()
    }

    /// What the connection talks to, for people: no token, no credentials in URLs.
    /// `Kong at http://localhost:8001, workspace team-a`,
    /// `Konnect control plane prod (6f1c...) at https://eu.api.konghq.com`,
    /// `the embedded Kong gateway (.kongsync/sim.json)`.
    pub fn describe(&self) -> String {
        let workspace = self.gateway.workspace().map(|w| format!(", workspace {w}")).unwrap_or_default();
        let address = redacted_url(self.gateway.base());
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
    pub async fn read_live(&self, progress: &dyn ReadProgress) -> anyhow::Result<State> {
        let mut state =
            read_state(&self.client, &self.gateway, &self.scope, progress).await.map_err(|e| self.explain_read(e))?;
        self.stamp(&mut state);
        Ok(state)
    }

    /// [`Connection::read_live`] with a progress line on stderr (drawn only on a terminal).
    pub async fn read_live_shown(&self, printer: &Printer) -> anyhow::Result<State> {
        let spinner = ReadSpinner::new(printer, "reading");
        let read = self.read_live(&spinner).await;
        spinner.finish();
        read
    }

    /// Everything a plan of `desired` needs from the gateway (the live state in scope, the schemas,
    /// the parents only the gateway has), with a progress line while the gateway is read.
    pub async fn observe_shown(&self, desired: &State, printer: &Printer) -> anyhow::Result<Observed> {
        let spinner = ReadSpinner::new(printer, "reading");
        let observed = observe(&self.client, &self.gateway, &self.scope, desired, &spinner).await;
        spinner.finish();
        let mut observed = observed.map_err(|e| match e {
            ObserveError::Api(e) | ObserveError::Lookup(LookupError::Api(e)) => self.explain_read(e),
            e @ ObserveError::Lookup(LookupError::Missing { .. }) => anyhow::Error::new(e),
        })?;
        self.stamp(&mut observed.live);
        Ok(observed)
    }

    /// A failed read, explained. Every path of a workspace starts with its name, so a 404 there means
    /// the workspace is not there (decK's diff/001-not-existing-workspace against Kong OSS).
    fn explain_read(&self, e: ApiError) -> anyhow::Error {
        let konnect = self.gateway.is_konnect();
        let missing = (e.status() == Some(404)).then(|| self.gateway.workspace()).flatten().map(|w| match konnect {
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
    }

    /// Gives a live state the control plane's name, as a state file names it.
    fn stamp(&self, state: &mut State) {
        state.meta.konnect_control_plane = self.control_plane.as_ref().map(|cp| cp.name.clone());
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
    Arc::new(|event: &RequestEvent| {
        let status = event.status.map_or_else(|| "no answer".to_string(), |s| s.to_string());
        let attempt = if event.attempt > 1 { format!(" (attempt {})", event.attempt) } else { String::new() };
        let retry = event.retry_in.map(|w| format!(", retrying in {} ms", w.as_millis())).unwrap_or_default();
        eprintln!("{}{attempt} -> {status} in {} ms{retry}", event.request, event.elapsed.as_millis());
    })
}

/// An API error with what the user can do about it, as the first line; the error itself follows as
/// the cause. A setting the library could not use is named by its flag.
pub fn explain(e: ApiError, konnect: bool) -> anyhow::Error {
    if let ApiError::Setting { setting, problem } = &e {
        return anyhow!("`{}`: {problem}", flag(*setting));
    }
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
        (ApiError::ControlPlaneAmbiguous { .. }, _) => Some("choose one with --konnect-control-plane-id"),
        _ => None,
    };
    match hint {
        Some(h) if matches!(last, ApiError::ControlPlaneAmbiguous { .. }) => anyhow!("{e}; {h}"),
        Some(h) => anyhow::Error::new(e).context(h),
        None => anyhow::Error::new(e),
    }
}

/// The flag that gives a client setting.
fn flag(setting: Setting) -> &'static str {
    match setting {
        Setting::Address => "--kong-addr",
        Setting::Headers => "--headers",
        Setting::CaCert => "--ca-cert",
        Setting::ClientCert => "--tls-client-cert",
        Setting::ServerName => "--tls-server-name",
        Setting::Tls => "TLS",
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn settings_the_client_refuses_are_named_by_their_flags() {
        let mut options = ClientOptions::new(Url::parse("http://127.0.0.1:1/").unwrap());
        options.headers = vec![("bad name".into(), Secret::new("v"))];
        let e = explain(Client::new(options).unwrap_err(), false);
        assert_eq!(e.to_string(), "`--headers`: `bad name` is not a header name");
        let mut options = ClientOptions::new(Url::parse("https://127.0.0.1:1/").unwrap());
        options.tls.ca_cert_pem = Some(b"hello".to_vec());
        assert_eq!(
            explain(Client::new(options).unwrap_err(), false).to_string(),
            "`--ca-cert`: no certificate in the file"
        );
    }

    #[test]
    fn ambiguous_control_planes_say_how_to_choose() {
        let e = ApiError::ControlPlaneAmbiguous { name: "prod".into(), ids: vec!["a".into(), "b".into()] };
        assert_eq!(
            explain(e, true).to_string(),
            "2 Konnect control planes are named \"prod\" (a, b); choose one with --konnect-control-plane-id"
        );
    }
}
