//! Fetching the target's own schemas, once each, so that defaults come from the gateway kongsync
//! talks to rather than from the Kong release it was built with.
//!
//! Kong serves `GET /schemas/{dao name}` and `GET /schemas/plugins/{name}`. Konnect serves only the
//! plugin schemas in Kong's shape (its entity schemas are JSON Schema documents at another path), so
//! there the built-in Kong 3.5 entity schemas are used. A 404 (an unknown plugin, an older gateway)
//! falls back to the built-in schema as well; any other failure is an error, since guessing defaults
//! would produce spurious changes.

use crate::State;
use futures::stream::{self, StreamExt, TryStreamExt};
use kongsync_gateway::{entity_schema, plugin_schema, ApiError, Client, Gateway, Request};
use kongsync_model::{Kind, Schema, SchemaSet};
use std::collections::BTreeSet;

/// Schema requests in flight at once.
const CONCURRENCY: usize = 8;

/// Which schema a request fetches.
enum Wanted {
    Entity(Kind),
    Plugin(String),
}

/// Fetches the entity schemas (on Kong) and the schemas of these plugins.
pub async fn fetch_schemas(client: &Client, gateway: &Gateway, plugins: &[String]) -> Result<SchemaSet, ApiError> {
    let mut wanted: Vec<(Wanted, Request)> = Vec::new();
    if !gateway.is_konnect() {
        for kind in Kind::ALL.into_iter().filter(|k| k.def().has_schema) {
            wanted.push((Wanted::Entity(kind), entity_schema(gateway, kind)));
        }
    }
    let mut names: Vec<&String> = plugins.iter().collect();
    names.sort();
    names.dedup();
    for name in names {
        wanted.push((Wanted::Plugin(name.clone()), plugin_schema(gateway, name)));
    }
    let fetched: Vec<(Wanted, Option<Schema>)> = stream::iter(wanted)
        .map(|(what, request)| async move { Ok::<_, ApiError>((what, fetch_one(client, &request).await?)) })
        .buffer_unordered(CONCURRENCY)
        .try_collect()
        .await?;
    let mut set = if gateway.is_konnect() { SchemaSet::builtin_konnect() } else { SchemaSet::builtin() };
    for (what, schema) in fetched {
        match (what, schema) {
            (_, None) => {}
            (Wanted::Entity(kind), Some(s)) => {
                set.entities.insert(kind, s);
            }
            (Wanted::Plugin(name), Some(s)) => {
                set.plugins.insert(name, s);
            }
        }
    }
    Ok(set)
}

/// One schema; `None` when the target does not have it.
async fn fetch_one(client: &Client, request: &Request) -> Result<Option<Schema>, ApiError> {
    let body = match client.get_json(request).await {
        Ok(body) => body,
        Err(e) if e.status() == Some(404) => return Ok(None),
        Err(e) => return Err(e),
    };
    Schema::from_kong_json(&body)
        .map(Some)
        .map_err(|e| ApiError::Unexpected { request: request.describe(), problem: e.to_string() })
}

/// The plugins either side uses, whose schemas the gateway is asked for.
pub fn plugin_names(desired: &State, live: &State) -> Vec<String> {
    let names: BTreeSet<String> = desired
        .of_kind(Kind::Plugin)
        .chain(live.of_kind(Kind::Plugin))
        .filter_map(|p| p.str_field("name").map(str::to_string))
        .collect();
    names.into_iter().collect()
}
