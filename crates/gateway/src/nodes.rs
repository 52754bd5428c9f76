//! What nodes report: Kong's version (`GET /`), and for data planes each node's configuration hash and when it was last seen, and the hash
//! their control plane expects. Konnect publishes both (`{cp}/expected-config-hash`, `{cp}/nodes`,
//! the latter paged by `page.next` cursors); a Kong hybrid control plane lists its data planes at
//! `/clustering/data-planes` but publishes no expected hash, and a Kong that is not a hybrid control
//! plane answers that list with 400 (404 on some versions).

use crate::client::Client;
use crate::error::ApiError;
use crate::gateway::Gateway;
use crate::request::{node_info, Request};
use serde_json::Value;
use std::collections::BTreeSet;

/// Node pages read at most: a listing that does not end is an error, not a hang.
const MAX_NODE_PAGES: usize = 10_000;

/// One data plane node, as its control plane lists it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DataPlane {
    pub id: String,
    pub hostname: String,
    pub version: String,
    /// The hash of the configuration the node runs.
    pub config_hash: String,
    /// When the node last reported, in seconds since the Unix epoch.
    pub last_seen: Option<u64>,
}

/// The data planes of a control plane and the hash they should all report.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DataPlanes {
    /// Whether the gateway is a control plane with data planes at all (a plain Kong is not).
    pub hybrid: bool,
    /// The hash the control plane publishes as expected (Konnect only).
    pub expected_hash: Option<String>,
    pub nodes: Vec<DataPlane>,
}

/// The version Kong reports at `GET /`, if it reports one.
pub async fn node_version(client: &Client) -> Result<Option<String>, ApiError> {
    let info = client.get_json(&node_info()).await?;
    Ok(info.get("version").and_then(Value::as_str).map(str::to_string))
}

/// The plugins the target can run, when it says: the names in `plugins.available_on_server` of
/// Kong's `GET /` (kong/api/routes/kong.lua:117-123, 3.5.0: its `loaded_plugins`). `None` on Konnect,
/// which has no such list (its validate endpoint refuses an unknown plugin instead), and when the
/// answer has no list.
pub async fn available_plugins(client: &Client, gateway: &Gateway) -> Result<Option<BTreeSet<String>>, ApiError> {
    if gateway.is_konnect() {
        return Ok(None);
    }
    Ok(plugins_on_server(&client.get_json(&node_info()).await?))
}

/// The plugin names of a `GET /` answer's `plugins.available_on_server`.
fn plugins_on_server(info: &Value) -> Option<BTreeSet<String>> {
    info.pointer("/plugins/available_on_server").and_then(Value::as_object).map(|m| m.keys().cloned().collect())
}

/// Reads the data planes of `gateway`.
pub async fn data_planes(client: &Client, gateway: &Gateway) -> Result<DataPlanes, ApiError> {
    let Some(cp) = gateway.control_plane_path() else {
        let body = match client.send(&Request::get("/clustering/data-planes")).await {
            Ok(r) => r.body,
            Err(e) if matches!(e.status(), Some(400 | 404)) => return Ok(DataPlanes::default()),
            Err(e) => return Err(e),
        };
        let nodes = body.get("data").and_then(Value::as_array).into_iter().flatten().map(parse_node).collect();
        return Ok(DataPlanes { hybrid: true, expected_hash: None, nodes });
    };
    let expected = client.get_json(&Request::get(format!("{cp}/expected-config-hash"))).await?;
    let expected_hash = expected.get("expected_hash").and_then(Value::as_str).map(str::to_string);
    Ok(DataPlanes { hybrid: true, expected_hash, nodes: konnect_nodes(client, &cp).await? })
}

/// Every node of a Konnect control plane, following `page.next` cursors.
async fn konnect_nodes(client: &Client, cp: &str) -> Result<Vec<DataPlane>, ApiError> {
    let mut out = Vec::new();
    let mut after: Option<String> = None;
    for _ in 0..MAX_NODE_PAGES {
        let mut req = Request::get(format!("{cp}/nodes")).with_query("page[size]", "100");
        if let Some(a) = &after {
            req = req.with_query("page[after]", a.clone());
        }
        let body = client.get_json(&req).await?;
        out.extend(body.get("items").and_then(Value::as_array).into_iter().flatten().map(parse_node));
        let next = body.pointer("/page/next").and_then(Value::as_str).filter(|s| !s.is_empty());
        match next {
            Some(n) => after = Some(cursor(n)),
            None => return Ok(out),
        }
    }
    Err(ApiError::Unexpected {
        request: format!("GET {cp}/nodes"),
        problem: format!("the node list did not end after {MAX_NODE_PAGES} pages"),
    })
}

/// One node of either listing (Konnect says `last_ping`, Kong `last_seen`).
fn parse_node(node: &Value) -> DataPlane {
    let text = |f: &str| node.get(f).and_then(Value::as_str).unwrap_or_default().to_string();
    DataPlane {
        id: text("id"),
        hostname: text("hostname"),
        version: text("version"),
        config_hash: text("config_hash"),
        last_seen: node.get("last_ping").or_else(|| node.get("last_seen")).and_then(Value::as_u64),
    }
}

/// The `page[after]` cursor in `page.next`, which may be the cursor itself or a URI carrying it.
fn cursor(next: &str) -> String {
    match next.split_once("page%5Bafter%5D=").or_else(|| next.split_once("page[after]=")) {
        Some((_, rest)) => rest.split('&').next().unwrap_or(rest).to_string(),
        None => next.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn available_plugins_are_the_keys_kong_reports() {
        // kong/api/routes/kong.lua:117-123, 136-139 (3.5.0)
        let info = json!({"plugins": {"available_on_server": {"acl": {"version": "3.5.0"}, "cors": {}},
                                      "enabled_in_cluster": ["acl"]}});
        let names = plugins_on_server(&info).map(|s| s.into_iter().collect::<Vec<_>>());
        assert_eq!(names, Some(vec!["acl".to_string(), "cors".to_string()]));
        assert_eq!(plugins_on_server(&json!({"version": "3.5.0"})), None);
    }

    #[test]
    fn cursors_come_bare_or_inside_a_uri() {
        assert_eq!(cursor("abc"), "abc");
        assert_eq!(cursor("/v2/control-planes/x/nodes?page[size]=100&page[after]=abc"), "abc");
        assert_eq!(cursor("/nodes?page%5Bafter%5D=xyz&page%5Bsize%5D=1"), "xyz");
    }

    #[test]
    fn nodes_report_their_hash_and_last_contact() {
        let konnect = json!({"id": "n", "hostname": "h", "version": "3.5", "config_hash": "a", "last_ping": 990});
        assert_eq!(
            parse_node(&konnect),
            DataPlane {
                id: "n".into(),
                hostname: "h".into(),
                version: "3.5".into(),
                config_hash: "a".into(),
                last_seen: Some(990)
            }
        );
        assert_eq!(parse_node(&json!({"last_seen": 5})).last_seen, Some(5));
    }
}
