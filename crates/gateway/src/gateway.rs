//! Where a gateway's entities live: the base URL and the path prefix in front of every collection.
//!
//! Kong serves its collections at the root of the Admin API (`/services`), or under `/{workspace}` on
//! Kong Enterprise. Konnect serves them under a control plane, `/v2/control-planes/{id}/core-entities`
//! (or the pre-2023 `/v2/runtime-groups/{id}/core-entities`), with an optional `/{workspace}` after
//! that. A [`Gateway`] holds exactly this, and builds encoded paths from raw segments, so that a name
//! containing `/` or a space never changes which resource a request addresses.

use crate::request::{Request, Retry};
use reqwest::Url;
use std::fmt;

/// The workspace that needs no path segment.
const DEFAULT_WORKSPACE: &str = "default";

/// A gateway whose entities kongsync reads and writes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Gateway {
    /// Kong's Admin API.
    Kong { base: Url, workspace: Option<String> },
    /// One Konnect control plane.
    Konnect { base: Url, control_plane_id: String, paths: KonnectPaths, workspace: Option<String> },
}

/// Which of Konnect's two path forms a control plane is addressed with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KonnectPaths {
    /// `/v2/control-planes/{id}`: the current API.
    ControlPlanes,
    /// `/v2/runtime-groups/{id}`: the API before control planes were renamed (September 2023).
    RuntimeGroups,
}

impl KonnectPaths {
    fn segment(self) -> &'static str {
        match self {
            KonnectPaths::ControlPlanes => "control-planes",
            KonnectPaths::RuntimeGroups => "runtime-groups",
        }
    }
}

/// A Konnect address as the user gave it: the host, and possibly a control plane in its path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KonnectAddr {
    /// The API host, without the control-plane path.
    pub base: Url,
    /// The control plane id and path form, when the address named one
    /// (`https://us.api.konghq.com/v2/runtime-groups/{id}`).
    pub control_plane: Option<(String, KonnectPaths)>,
}

impl KonnectAddr {
    /// Splits an address such as `https://eu.api.konghq.com` or
    /// `https://eu.api.konghq.com/v2/control-planes/{id}[/core-entities]` into host and control plane.
    pub fn parse(url: Url) -> KonnectAddr {
        let segments: Vec<String> =
            url.path_segments().map(|s| s.filter(|x| !x.is_empty()).map(str::to_string).collect()).unwrap_or_default();
        let found = segments.windows(3).position(|w| {
            w[0] == "v2"
                && (w[1] == KonnectPaths::ControlPlanes.segment() || w[1] == KonnectPaths::RuntimeGroups.segment())
        });
        let Some(at) = found else { return KonnectAddr { base: url, control_plane: None } };
        let paths = if segments[at + 1] == KonnectPaths::RuntimeGroups.segment() {
            KonnectPaths::RuntimeGroups
        } else {
            KonnectPaths::ControlPlanes
        };
        let id = segments[at + 2].clone();
        let mut base = url;
        base.set_query(None);
        base.set_path(&format!("/{}", segments[..at].join("/")));
        KonnectAddr { base, control_plane: Some((id, paths)) }
    }
}

impl Gateway {
    /// The URL every request path is appended to.
    pub fn base(&self) -> &Url {
        match self {
            Gateway::Kong { base, .. } | Gateway::Konnect { base, .. } => base,
        }
    }

    pub fn workspace(&self) -> Option<&str> {
        match self {
            Gateway::Kong { workspace, .. } | Gateway::Konnect { workspace, .. } => workspace.as_deref(),
        }
    }

    pub fn is_konnect(&self) -> bool {
        matches!(self, Gateway::Konnect { .. })
    }

    /// The path of a collection or entity: `segments` (raw, unencoded) under the entities root.
    /// `entities(&["services", "a b", "routes"])` is `/services/a%20b/routes` on Kong.
    pub fn entities(&self, segments: &[&str]) -> String {
        let mut path = self.entities_root();
        for s in segments {
            path.push('/');
            path.push_str(&encode_segment(s));
        }
        path
    }

    /// The path of the control plane itself (`/v2/control-planes/{id}`), under which Konnect serves
    /// nodes and the expected configuration hash. `None` on Kong.
    pub fn control_plane_path(&self) -> Option<String> {
        match self {
            Gateway::Kong { .. } => None,
            Gateway::Konnect { control_plane_id, paths, .. } => {
                Some(format!("/v2/{}/{}", paths.segment(), encode_segment(control_plane_id)))
            }
        }
    }

    /// A request whose path is relative to the entities root, as a plan holds it, placed under
    /// this gateway's root (a path a retry checks included).
    pub fn place(&self, request: &Request) -> Request {
        let root = self.entities_root();
        let mut placed = request.clone();
        placed.path = format!("{root}{}", request.path);
        if let Retry::CheckBeforeRetry { check } = &mut placed.retry {
            *check = format!("{root}{check}");
        }
        placed
    }

    /// The prefix of every collection path: `""`, `/{workspace}`, or the Konnect core-entities root.
    pub fn entities_root(&self) -> String {
        let workspace = self.workspace().filter(|w| *w != DEFAULT_WORKSPACE);
        let mut root = match self.control_plane_path() {
            Some(cp) => format!("{cp}/core-entities"),
            None => String::new(),
        };
        if let Some(w) = workspace {
            root.push('/');
            root.push_str(&encode_segment(w));
        }
        root
    }
}

impl fmt::Display for Gateway {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let base = redacted_url(self.base());
        match self {
            Gateway::Kong { .. } => write!(f, "Kong at {base}")?,
            Gateway::Konnect { control_plane_id, .. } => {
                write!(f, "Konnect control plane {control_plane_id} at {base}")?
            }
        }
        match self.workspace() {
            Some(w) => write!(f, ", workspace {w}"),
            None => Ok(()),
        }
    }
}

/// A URL as it may be shown: without a user name or password.
pub fn redacted_url(url: &Url) -> String {
    let mut shown = url.clone();
    let _ = shown.set_username("");
    let _ = shown.set_password(None);
    shown.as_str().trim_end_matches('/').to_string()
}

/// Percent-encodes one path segment: everything but RFC 3986's unreserved characters.
pub fn encode_segment(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    for b in raw.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    fn kong(ws: Option<&str>) -> Gateway {
        Gateway::Kong { base: url("http://localhost:8001"), workspace: ws.map(str::to_string) }
    }

    fn konnect(paths: KonnectPaths, ws: Option<&str>) -> Gateway {
        Gateway::Konnect {
            base: url("https://eu.api.konghq.com"),
            control_plane_id: "cp1".into(),
            paths,
            workspace: ws.map(str::to_string),
        }
    }

    #[test]
    fn kong_paths_are_at_the_root_or_under_the_workspace() {
        assert_eq!(kong(None).entities(&["services"]), "/services");
        assert_eq!(kong(Some("default")).entities(&["services"]), "/services");
        assert_eq!(kong(Some("team a")).entities(&["services", "x/y", "routes"]), "/team%20a/services/x%2Fy/routes");
        assert_eq!(kong(None).control_plane_path(), None);
    }

    #[test]
    fn konnect_paths_are_under_the_control_plane() {
        let t = konnect(KonnectPaths::ControlPlanes, None);
        assert_eq!(t.entities(&["targets"]), "/v2/control-planes/cp1/core-entities/targets");
        assert_eq!(t.control_plane_path().as_deref(), Some("/v2/control-planes/cp1"));
        let t = konnect(KonnectPaths::RuntimeGroups, Some("ws"));
        assert_eq!(t.entities(&["services"]), "/v2/runtime-groups/cp1/core-entities/ws/services");
    }

    #[test]
    fn planned_requests_are_placed_under_the_entities_root() {
        let planned = Request::post("/upstreams/u/targets", serde_json::Value::Null)
            .with_retry(Retry::CheckBeforeRetry { check: "/upstreams/u/targets/t".into() });
        let placed = konnect(KonnectPaths::ControlPlanes, None).place(&planned);
        assert_eq!(placed.path, "/v2/control-planes/cp1/core-entities/upstreams/u/targets");
        assert_eq!(
            placed.retry,
            Retry::CheckBeforeRetry { check: "/v2/control-planes/cp1/core-entities/upstreams/u/targets/t".into() }
        );
        assert_eq!(kong(None).place(&planned), planned);
    }

    #[test]
    fn konnect_addresses_may_name_a_control_plane() {
        let a = KonnectAddr::parse(url("https://eu.api.konghq.com"));
        assert_eq!(a.control_plane, None);
        let a = KonnectAddr::parse(url("https://eu.api.konghq.com/v2/runtime-groups/abc/core-entities"));
        assert_eq!(a.base.as_str(), "https://eu.api.konghq.com/");
        assert_eq!(a.control_plane, Some(("abc".into(), KonnectPaths::RuntimeGroups)));
        let a = KonnectAddr::parse(url("http://127.0.0.1:9/proxy/v2/control-planes/def"));
        assert_eq!(a.base.as_str(), "http://127.0.0.1:9/proxy");
        assert_eq!(a.control_plane, Some(("def".into(), KonnectPaths::ControlPlanes)));
    }

    #[test]
    fn shown_urls_carry_no_credentials() {
        let t = Gateway::Kong { base: url("https://admin:s3cret@kong.example:8444/"), workspace: Some("w".into()) };
        assert_eq!(t.to_string(), "Kong at https://kong.example:8444, workspace w");
    }
}
