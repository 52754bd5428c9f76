//! Finding a Konnect control plane: by exact name through the public listing
//! (`GET /v2/control-planes?filter[name][eq]=...`), or by id. No match and several matches are
//! distinct errors, so that a name shared by two control planes never picks one at random.

use crate::client::Client;
use crate::error::ApiError;
use crate::request::{control_plane, control_planes_named};
use serde_json::Value;

/// A control plane, as much as kongsync needs of it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ControlPlane {
    pub id: String,
    pub name: String,
}

/// The control plane with exactly this name.
pub async fn control_plane_by_name(client: &Client, name: &str) -> Result<ControlPlane, ApiError> {
    let mut matches = Vec::new();
    let mut seen = 0u64;
    for page in 1.. {
        let request = control_planes_named(name, page);
        let body = client.get_json(&request).await?;
        let (items, total) = parse_listing(&request.describe(), &body)?;
        seen += items.len() as u64;
        let empty = items.is_empty();
        // The filter is exact already; checking again costs nothing and guards against a server
        // that ignores it.
        matches.extend(items.into_iter().filter(|cp| cp.name == name));
        if empty || total.is_none_or(|t| seen >= t) {
            break;
        }
    }
    match matches.len() {
        0 => Err(ApiError::ControlPlaneNotFound { which: format!("\"{name}\"") }),
        1 => Ok(matches.remove(0)),
        _ => Err(ApiError::ControlPlaneAmbiguous {
            name: name.to_string(),
            ids: matches.into_iter().map(|cp| cp.id).collect(),
        }),
    }
}

/// The control plane with this id (which also proves the token can see it).
pub async fn control_plane_by_id(client: &Client, id: &str) -> Result<ControlPlane, ApiError> {
    let request = control_plane(id);
    match client.get_json(&request).await {
        Ok(body) => parse_one(&body).ok_or_else(|| ApiError::Unexpected {
            request: request.describe(),
            problem: "a control plane without `id` and `name`".into(),
        }),
        Err(e) if e.status() == Some(404) => Err(ApiError::ControlPlaneNotFound { which: format!("with id {id}") }),
        Err(e) => Err(e),
    }
}

/// Reads a listing page: the control planes and `meta.page.total`.
fn parse_listing(request: &str, body: &Value) -> Result<(Vec<ControlPlane>, Option<u64>), ApiError> {
    let data = body.get("data").and_then(Value::as_array).ok_or_else(|| ApiError::Unexpected {
        request: request.to_string(),
        problem: "a control-plane listing without a `data` array".into(),
    })?;
    let total = body.pointer("/meta/page/total").and_then(Value::as_u64);
    Ok((data.iter().filter_map(parse_one).collect(), total))
}

fn parse_one(v: &Value) -> Option<ControlPlane> {
    // `GET /v2/control-planes/{id}` answers with the object itself; some versions wrap it in `item`.
    let v = v.get("item").unwrap_or(v);
    Some(ControlPlane { id: v.get("id")?.as_str()?.to_string(), name: v.get("name")?.as_str()?.to_string() })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn listings_give_control_planes_and_total() {
        let body = json!({"data": [{"id": "1", "name": "prod", "config": {}}, {"name": "no id"}], "meta": {"page": {"number": 1, "size": 100, "total": 2}}});
        let (cps, total) = parse_listing("GET /v2/control-planes", &body).unwrap();
        assert_eq!(cps, [ControlPlane { id: "1".into(), name: "prod".into() }]);
        assert_eq!(total, Some(2));
        assert!(parse_listing("GET /v2/control-planes", &json!({"items": []})).is_err());
    }

    #[test]
    fn single_control_planes_may_be_wrapped() {
        assert_eq!(
            parse_one(&json!({"item": {"id": "a", "name": "b"}})),
            Some(ControlPlane { id: "a".into(), name: "b".into() })
        );
    }
}
