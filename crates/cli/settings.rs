//! Turning the command line and the environment into typed settings for the libraries.

use crate::args::{GlobalArgs, Region, StateArgs};
use anyhow::{anyhow, bail};
use kongsync_gateway::{KonnectAddr, KonnectPaths, Pacing, Url, DEFAULT_MAX_IN_FLIGHT};
use kongsync_model::Secret;
use kongsync_state::{Meta, Scope};
use std::path::PathBuf;
use std::time::Duration;

/// The state files to read: positional arguments and `-s` together, `kong.yaml` when none.
pub fn state_files(args: &StateArgs) -> Vec<PathBuf> {
    let StateArgs { files, state } = args;
    let all: Vec<PathBuf> = files.iter().chain(state).cloned().collect();
    if all.is_empty() {
        vec![PathBuf::from("kong.yaml")]
    } else {
        all
    }
}

/// Environment lookup for state-file templates.
pub fn env_lookup(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

/// Where and how to connect, resolved from the global flags (and their `KONGSYNC_*` variables) and
/// the state files' `_konnect`, `_workspace` and `_info.select_tags`. Pure: files named here (the
/// token file, TLS material) are read when the connection is opened (`connection.rs`).
#[derive(Clone, Debug, PartialEq)]
pub struct ConnectionSettings {
    pub endpoint: Endpoint,
    pub api: Api,
    /// Extra headers, values secret.
    pub headers: Vec<(String, Secret)>,
    pub timeout: Duration,
    pub tls: TlsSettings,
    /// The user's `--rate-limit`, or the budget the gateway announces; Konnect falls back to
    /// [`KONNECT_RATE_LIMIT`] until it announces one.
    pub pacing: Pacing,
    pub workspace: Option<String>,
    pub scope: Scope,
    /// Requests in flight at most (a sync's `--parallelism` raises it).
    pub max_in_flight: usize,
}

/// Where the gateway is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Endpoint {
    /// A gateway at this address (Kong's Admin API, or the Konnect API host).
    Url(Url),
    /// The in-process simulator, persisted under `.kongsync/`.
    Embedded,
}

/// Which API the gateway is spoken to with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Api {
    Kong,
    Konnect(KonnectSettings),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KonnectSettings {
    pub token: Option<TokenSource>,
    pub control_plane: ControlPlaneChoice,
    /// A name the state files give with `_konnect`, which a control plane chosen by id must match.
    pub file_name: Option<String>,
}

/// Where the Konnect token comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TokenSource {
    /// `--konnect-token` or `KONGSYNC_KONNECT_TOKEN`.
    Value(Secret),
    /// `--konnect-token-file`.
    File(PathBuf),
}

/// Which control plane the entities live in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ControlPlaneChoice {
    /// By id, from `--konnect-control-plane-id` or the path of `--konnect-addr`.
    Id { id: String, paths: KonnectPaths },
    /// By exact name, from `--konnect-control-plane-name` or `_konnect` (default `default`).
    Name(String),
}

/// TLS files and options, as given.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TlsSettings {
    pub ca_cert: Option<PathBuf>,
    pub client_cert: Option<PathBuf>,
    pub client_key: Option<PathBuf>,
    pub server_name: Option<String>,
    pub skip_verify: bool,
}

/// `--kong-addr`'s default: leaving it alone lets Konnect flags choose Konnect mode.
pub const DEFAULT_KONG_ADDR: &str = "http://localhost:8001";
/// The `--kong-addr` value that starts the in-process simulator.
pub const EMBEDDED: &str = "embedded";
/// Konnect's API when neither `--konnect-addr` nor `--konnect-region` is given (decK's default too).
pub const DEFAULT_KONNECT_REGION: Region = Region::Us;
/// Requests per second against Konnect until its answers announce a budget (they do, in
/// `X-RateLimit-*` headers), unless `--rate-limit` says otherwise: it stays clear of the 429s large
/// reads have met (konnect.md section 7).
pub const KONNECT_RATE_LIMIT: f64 = 10.0;
/// The control plane decK and kongsync use when none is named.
pub const DEFAULT_CONTROL_PLANE: &str = "default";

/// Resolves the connection. `file` is the state files' metadata (`Meta::default()` for commands
/// that read no files).
pub fn connection(global: &GlobalArgs, file: &Meta) -> anyhow::Result<ConnectionSettings> {
    // Destructured whole, so that a new global flag does not compile until it is handled here.
    let GlobalArgs {
        kong_addr,
        headers,
        timeout,
        ca_cert,
        tls_client_cert,
        tls_client_key,
        tls_server_name,
        tls_skip_verify,
        konnect_addr,
        konnect_region,
        konnect_token,
        konnect_token_file,
        konnect_control_plane_name,
        konnect_control_plane_id,
        workspace,
        select_tags,
        skip_consumers,
        skip_ca_certificates,
        rate_limit,
        // Output flags belong to the printer.
        quiet: _,
        verbose: _,
        no_color: _,
    } = global;
    let token = match (konnect_token.as_deref().filter(|t| !t.is_empty()), konnect_token_file) {
        (Some(_), Some(_)) => bail!("give the Konnect token once: --konnect-token or --konnect-token-file, not both"),
        (Some(t), None) => Some(TokenSource::Value(Secret::new(t.trim()))),
        (None, Some(f)) => Some(TokenSource::File(f.clone())),
        (None, None) => None,
    };
    let embedded = kong_addr.trim() == EMBEDDED;
    let konnect = konnect_mode(&ModeInputs {
        file_names_control_plane: file.konnect_control_plane.is_some(),
        kong_addr_given: kong_addr.trim() != DEFAULT_KONG_ADDR,
        token_given: token.is_some(),
        konnect_flags_given: konnect_addr.is_some()
            || konnect_region.is_some()
            || konnect_control_plane_name.is_some()
            || konnect_control_plane_id.is_some(),
    });
    let endpoint = if embedded {
        Endpoint::Embedded
    } else if konnect {
        let addr = match (konnect_addr, konnect_region) {
            (Some(a), _) => parse_url("--konnect-addr", a)?,
            (None, region) => region_url(region.unwrap_or(DEFAULT_KONNECT_REGION))?,
        };
        Endpoint::Url(addr)
    } else {
        Endpoint::Url(parse_url("--kong-addr", kong_addr)?)
    };
    let (endpoint, api) = if konnect {
        let (in_addr, endpoint) = match endpoint {
            Endpoint::Url(url) => {
                let parsed = KonnectAddr::parse(url);
                (parsed.control_plane, Endpoint::Url(parsed.base))
            }
            Endpoint::Embedded => (None, Endpoint::Embedded),
        };
        let control_plane = control_plane(
            in_addr,
            konnect_control_plane_id.as_deref(),
            konnect_control_plane_name.as_deref(),
            file.konnect_control_plane.as_deref(),
        )?;
        let file_name = file.konnect_control_plane.clone();
        (endpoint, Api::Konnect(KonnectSettings { token, control_plane, file_name }))
    } else {
        (endpoint, Api::Kong)
    };
    let pacing = match (rate_limit, &api) {
        (Some(r), _) => Pacing::Fixed(*r),
        (None, Api::Konnect(_)) if !embedded => Pacing::Announced { fallback: Some(KONNECT_RATE_LIMIT) },
        (None, _) => Pacing::Announced { fallback: None },
    };
    Ok(ConnectionSettings {
        endpoint,
        api,
        headers: parse_headers(headers)?,
        timeout: Duration::from_secs(*timeout),
        tls: TlsSettings {
            ca_cert: ca_cert.clone(),
            client_cert: tls_client_cert.clone(),
            client_key: tls_client_key.clone(),
            server_name: tls_server_name.clone(),
            skip_verify: *tls_skip_verify,
        },
        pacing,
        workspace: one_workspace(workspace.as_deref(), file.workspace.as_deref())?,
        scope: Scope {
            skip_ca_certificates: *skip_ca_certificates,
            ..scope(select_tags, std::env::var_os(SELECT_TAG_VAR).is_some(), &file.select_tags, *skip_consumers)?
        },
        max_in_flight: DEFAULT_MAX_IN_FLIGHT,
    })
}

/// What decides between Kong and Konnect mode.
#[derive(Clone, Copy, Debug)]
pub struct ModeInputs {
    /// A state file has `_konnect`.
    pub file_names_control_plane: bool,
    /// `--kong-addr` is not its default (`embedded` included).
    pub kong_addr_given: bool,
    pub token_given: bool,
    /// `--konnect-addr`, `--konnect-region` or a control-plane flag.
    pub konnect_flags_given: bool,
}

/// Konnect mode, decided as decK decides it (konnect.md section 3.2), in this order: a state file
/// with `_konnect` means Konnect; else an explicit `--kong-addr` means Kong; else a token or any
/// Konnect flag means Konnect; else Kong. (decK looks at `--konnect-addr` only; a region or a
/// control plane asked for on the command line says Konnect just as clearly.)
pub fn konnect_mode(i: &ModeInputs) -> bool {
    if i.file_names_control_plane {
        true
    } else if i.kong_addr_given {
        false
    } else {
        i.token_given || i.konnect_flags_given
    }
}

/// The control plane to use. An id in the address, an id flag, a name flag and the files' name may
/// be combined only where they cannot disagree; the files' name is checked against a control plane
/// chosen by id once it is found.
fn control_plane(
    in_addr: Option<(String, KonnectPaths)>,
    id_flag: Option<&str>,
    name_flag: Option<&str>,
    file_name: Option<&str>,
) -> anyhow::Result<ControlPlaneChoice> {
    if let (Some(flag), Some(file)) = (name_flag, file_name) {
        if flag != file {
            bail!("--konnect-control-plane-name is \"{flag}\" but the state files name \"{file}\" with `_konnect`");
        }
    }
    if id_flag.is_some() && name_flag.is_some() {
        bail!("choose the control plane once: --konnect-control-plane-id or --konnect-control-plane-name");
    }
    match (in_addr, id_flag) {
        (Some((id, _)), Some(flag)) if id != flag => {
            bail!("--konnect-addr names control plane {id} but --konnect-control-plane-id is {flag}")
        }
        (Some(_), Some(_)) | (Some(_), None) if name_flag.is_some() => {
            bail!("--konnect-addr names a control plane by id: drop --konnect-control-plane-name")
        }
        (Some((id, paths)), _) => Ok(ControlPlaneChoice::Id { id, paths }),
        (None, Some(id)) => Ok(ControlPlaneChoice::Id { id: id.to_string(), paths: KonnectPaths::ControlPlanes }),
        (None, None) => {
            Ok(ControlPlaneChoice::Name(name_flag.or(file_name).unwrap_or(DEFAULT_CONTROL_PLANE).to_string()))
        }
    }
}

fn region_url(region: Region) -> anyhow::Result<Url> {
    let name = match region {
        Region::Us => "us",
        Region::Eu => "eu",
        Region::Au => "au",
        Region::Me => "me",
        Region::In => "in",
        Region::Sg => "sg",
    };
    parse_url("--konnect-region", &format!("https://{name}.api.konghq.com"))
}

fn parse_url(flag: &str, text: &str) -> anyhow::Result<Url> {
    let url = Url::parse(text.trim()).map_err(|e| anyhow!("{flag}: `{text}` is not a URL ({e})"))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        bail!("{flag}: `{text}` is not an http:// or https:// address");
    }
    Ok(url)
}

/// `Name:Value` pairs; the value is kept secret (it is often a token).
fn parse_headers(raw: &[String]) -> anyhow::Result<Vec<(String, Secret)>> {
    raw.iter()
        .filter(|h| !h.trim().is_empty())
        .map(|h| match h.split_once(':') {
            Some((name, value)) if !name.trim().is_empty() => Ok((name.trim().to_string(), Secret::new(value.trim()))),
            // The value is not shown: it may be a token given without its name.
            _ => Err(anyhow!("--headers: a header is not of the form `Name:Value`")),
        })
        .collect()
}

fn one_workspace(flag: Option<&str>, file: Option<&str>) -> anyhow::Result<Option<String>> {
    match (flag, file) {
        (Some(f), Some(s)) if f != s => {
            bail!("--workspace is \"{f}\" but the state files say `_workspace: {s}`: one workspace per run")
        }
        (Some(w), _) | (None, Some(w)) => Ok(Some(w.to_string())),
        (None, None) => Ok(None),
    }
}

/// The variable `--select-tag` reads.
const SELECT_TAG_VAR: &str = "KONGSYNC_SELECT_TAG";

/// The select tags of the run: from `--select-tag` or `_info.select_tags`, which must agree when both
/// are given (as sets), so that the files and the command line never manage different scopes.
///
/// An empty or blank tag is refused, never dropped: dropping it would turn a scoped run into one that
/// manages (and deletes) everything on the gateway. clap reads an empty variable as no value at all, so
/// `env_set` says whether the variable was set even when `flag` came back empty.
fn scope(flag: &[String], env_set: bool, file: &[String], skip_consumers: bool) -> anyhow::Result<Scope> {
    if flag.iter().any(|t| t.trim().is_empty()) || (flag.is_empty() && env_set) {
        bail!("--select-tag (or {SELECT_TAG_VAR}) names an empty tag: a run is scoped by non-empty tags, or not at all")
    }
    let mut from_flag: Vec<String> = flag.iter().map(|t| t.trim().to_string()).collect();
    from_flag.sort();
    from_flag.dedup();
    let mut from_file = file.to_vec();
    from_file.sort();
    from_file.dedup();
    let select_tags = match (from_flag.is_empty(), from_file.is_empty()) {
        (false, false) if from_flag != from_file => bail!(
            "--select-tag gives {from_flag:?} but the state files' `_info.select_tags` are {from_file:?}: give one set"
        ),
        (false, _) => from_flag,
        (true, _) => from_file,
    };
    Ok(Scope { select_tags, skip_consumers, ..Scope::default() })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::args::Cli;
    use clap::Parser;

    fn settings(args: &[&str], file: &Meta) -> anyhow::Result<ConnectionSettings> {
        let mut all = vec!["kongsync"];
        all.extend_from_slice(args);
        all.push("ping");
        connection(&Cli::try_parse_from(all).unwrap().global, file)
    }

    fn konnect_file(name: &str) -> Meta {
        Meta { konnect_control_plane: Some(name.into()), ..Meta::default() }
    }

    #[test]
    fn mode_follows_decks_order() {
        let m = |file, kong, token, flags| {
            konnect_mode(&ModeInputs {
                file_names_control_plane: file,
                kong_addr_given: kong,
                token_given: token,
                konnect_flags_given: flags,
            })
        };
        assert!(m(true, true, false, false), "a file's _konnect wins");
        assert!(!m(false, true, true, true), "then an explicit --kong-addr");
        assert!(m(false, false, true, false));
        assert!(m(false, false, false, true));
        assert!(!m(false, false, false, false));
    }

    #[test]
    fn kong_by_default() {
        let s = settings(&[], &Meta::default()).unwrap();
        assert_eq!(s.endpoint, Endpoint::Url(Url::parse(DEFAULT_KONG_ADDR).unwrap()));
        assert_eq!(s.api, Api::Kong);
        assert_eq!(s.pacing, Pacing::Announced { fallback: None });
        assert_eq!(s.timeout, Duration::from_secs(30));
    }

    #[test]
    fn a_token_means_konnect_in_the_us_with_the_default_control_plane() {
        let s = settings(&["--konnect-token", "kpat_x"], &Meta::default()).unwrap();
        assert_eq!(s.endpoint, Endpoint::Url(Url::parse("https://us.api.konghq.com").unwrap()));
        let Api::Konnect(k) = s.api else { panic!("not konnect") };
        assert_eq!(k.token, Some(TokenSource::Value(Secret::new("kpat_x"))));
        assert_eq!(k.control_plane, ControlPlaneChoice::Name("default".into()));
        assert_eq!(s.pacing, Pacing::Announced { fallback: Some(KONNECT_RATE_LIMIT) });
    }

    #[test]
    fn addresses_may_carry_the_control_plane() {
        let s = settings(&["--konnect-addr", "http://127.0.0.1:9/v2/runtime-groups/abc"], &Meta::default()).unwrap();
        assert_eq!(s.endpoint, Endpoint::Url(Url::parse("http://127.0.0.1:9/").unwrap()));
        let Api::Konnect(k) = s.api else { panic!("not konnect") };
        assert_eq!(k.control_plane, ControlPlaneChoice::Id { id: "abc".into(), paths: KonnectPaths::RuntimeGroups });
        let e = settings(
            &["--konnect-addr", "http://127.0.0.1:9/v2/control-planes/abc", "--konnect-control-plane-id", "def"],
            &Meta::default(),
        )
        .unwrap_err();
        assert!(e.to_string().contains("abc") && e.to_string().contains("def"), "{e}");
    }

    #[test]
    fn files_with_konnect_choose_konnect_and_the_name_must_agree() {
        let s = settings(&["--konnect-region", "eu"], &konnect_file("prod")).unwrap();
        let Api::Konnect(k) = s.api else { panic!("not konnect") };
        assert_eq!(k.control_plane, ControlPlaneChoice::Name("prod".into()));
        assert_eq!(s.endpoint, Endpoint::Url(Url::parse("https://eu.api.konghq.com").unwrap()));
        let e = settings(&["--konnect-control-plane-name", "staging"], &konnect_file("prod")).unwrap_err();
        assert!(e.to_string().contains("staging") && e.to_string().contains("prod"), "{e}");
    }

    #[test]
    fn embedded_speaks_kong_or_konnect_and_is_not_throttled() {
        let s = settings(&["--kong-addr", "embedded", "--konnect-token", "t"], &Meta::default()).unwrap();
        assert_eq!((s.endpoint, s.api), (Endpoint::Embedded, Api::Kong));
        let s = settings(&["--kong-addr", "embedded"], &konnect_file("default")).unwrap();
        assert_eq!(s.endpoint, Endpoint::Embedded);
        assert!(matches!(s.api, Api::Konnect(_)));
        assert_eq!(s.pacing, Pacing::Announced { fallback: None });
    }

    #[test]
    fn tokens_come_once_and_headers_need_names() {
        assert!(settings(&["--konnect-token", "a", "--konnect-token-file", "f"], &Meta::default()).is_err());
        let s = settings(&["--headers", "Kong-Admin-Token: s3cret,X-A:b"], &Meta::default()).unwrap();
        assert_eq!(
            s.headers,
            vec![("Kong-Admin-Token".to_string(), Secret::new("s3cret")), ("X-A".to_string(), Secret::new("b"))]
        );
        let e = settings(&["--headers", "s3cret"], &Meta::default()).unwrap_err();
        assert!(!e.to_string().contains("s3cret"), "{e}");
    }

    #[test]
    fn bad_addresses_are_named() {
        let e = settings(&["--kong-addr", "localhost:8001"], &Meta::default()).unwrap_err();
        assert!(e.to_string().starts_with("--kong-addr"), "{e}");
    }

    #[test]
    fn workspaces_and_select_tags_must_agree_with_the_files() {
        let file = Meta { workspace: Some("a".into()), select_tags: vec!["x".into()], ..Meta::default() };
        let s = settings(&["--select-tag", "x"], &file).unwrap();
        assert_eq!(s.workspace.as_deref(), Some("a"));
        assert_eq!(s.scope.select_tags, ["x"]);
        assert!(settings(&["--workspace", "b"], &file).is_err());
        assert!(settings(&["--select-tag", "y"], &file).is_err());
        let s = settings(&["--select-tag", "b,a", "--skip-consumers"], &Meta::default()).unwrap();
        assert_eq!(
            s.scope,
            Scope { select_tags: vec!["a".into(), "b".into()], skip_consumers: true, ..Scope::default() }
        );
    }

    #[test]
    fn empty_select_tags_are_refused_not_dropped() {
        for given in [&["--select-tag", ""][..], &["--select-tag", "  "], &["--select-tag", "a,"]] {
            let e = settings(given, &Meta::default()).unwrap_err();
            assert!(e.to_string().contains("empty tag"), "{given:?}: {e}");
        }
        assert!(scope(&[], true, &[], false).is_err(), "an empty KONGSYNC_SELECT_TAG is refused");
        assert_eq!(scope(&[], false, &[], false).unwrap().select_tags, Vec::<String>::new());
    }
}
