//! Reading a whole gateway into a [`State`]: which lists to read ([`jobs`], pure), and reading them
//! all at once ([`read_state`]).
//!
//! Every collection is listed concurrently; the client bounds how many requests are in flight.
//! Children that only exist per parent (targets of each upstream on Kong, members of each consumer
//! group) are read as soon as their parents' list is in, many parents at a time; Konnect's global
//! `/targets` list avoids the per-upstream requests altogether. The wall time of a read is therefore
//! close to its longest chain of sequential pages. Kinds the gateway may not have (consumer groups
//! and mTLS credentials on Kong OSS) are tolerated when they answer 404.

use super::convert::{self, Stripped};
use crate::{Scope, State};
use futures::stream::{self, StreamExt, TryStreamExt};
use kongsync_gateway::{list, list_all, list_all_with, list_children, ApiError, Client, Gateway, Request};
use kongsync_model::{Kind, Listing, Optional, PathShape};
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// Parents whose children are read at the same time, per parent kind: as many as the client lets
/// run at once by default. With 12, a 100k dump at 10 ms spent 5.0 s of 7.2 s reading (thousands of
/// one-page target lists queued behind each other); with 32, 3.6 s (`cargo bench --bench scale`).
const FAN_OUT: usize = kongsync_gateway::DEFAULT_MAX_IN_FLIGHT;

/// Hears how many entities the read has got so far (the CLI draws a progress line from it).
pub trait ReadProgress: Send + Sync {
    /// `count` more entities of `kind` were read.
    fn read(&self, kind: Kind, count: usize);
}

/// Hears nothing.
pub struct NoReadProgress;

impl ReadProgress for NoReadProgress {
    fn read(&self, _kind: Kind, _count: usize) {}
}

/// One list to read.
#[derive(Clone, Debug, PartialEq)]
pub struct Job {
    pub kind: Kind,
    /// The first page.
    pub request: Request,
    /// A 404 means the gateway does not have this kind: read as empty.
    pub optional: bool,
    /// The kind read under each parent of this list, once it is in (per-upstream targets,
    /// consumer-group members).
    pub children: Option<Kind>,
}

/// The lists that read everything in scope from `gateway`.
pub fn jobs(gateway: &Gateway, scope: &Scope) -> Vec<Job> {
    let konnect = gateway.is_konnect();
    let mut jobs = Vec::new();
    for kind in Kind::ALL {
        if scope.skips(kind) {
            continue;
        }
        let def = kind.def();
        // The kind read under each entity of this one, if any (per-upstream targets on Kong, members).
        let read_under_this = |child: Kind| match child.def().listing {
            Listing::Alone => None,
            Listing::PerParent(p) => (p == kind).then_some(child),
            Listing::PerParentOnKong(p) => (p == kind && !konnect).then_some(child),
        };
        let children = Kind::ALL.into_iter().find_map(read_under_this);
        let listed_alone = match def.listing {
            Listing::Alone => true,
            Listing::PerParent(_) => false,
            Listing::PerParentOnKong(_) => konnect,
        };
        // Kinds Konnect does not serve are not read there (decK does not read them there either).
        if listed_alone && (def.on_konnect || !konnect) {
            let optional = match def.optional {
                Optional::Never => false,
                Optional::OnKong => !konnect,
                Optional::Always => true,
            };
            let request = list(gateway, kind.collection(), &scope.select_tags);
            jobs.push(Job { kind, request, optional, children });
        }
    }
    jobs
}

/// Reads everything in scope from the gateway.
pub async fn read_state(
    client: &Client,
    gateway: &Gateway,
    scope: &Scope,
    progress: &dyn ReadProgress,
) -> Result<State, ApiError> {
    let jobs = jobs(gateway, scope);
    let results =
        futures::future::try_join_all(jobs.iter().map(|job| run(client, gateway, scope, job, progress))).await?;
    let mut lists: BTreeMap<Kind, Vec<Stripped>> = BTreeMap::new();
    let mut members = Vec::new();
    let mut absent = Vec::new();
    for ((kind, items, children), job) in results.into_iter().zip(&jobs) {
        lists.entry(kind).or_default().extend(items);
        match children {
            Children::None => {}
            Children::Absent => absent.extend(std::iter::once(kind).chain(job.children)),
            Children::Entities(k, items) => lists.entry(k).or_default().extend(items),
            Children::Members(m) => members.extend(m),
        }
    }
    let mut state = convert::build_stripped(lists, members, scope);
    state.meta.workspace = gateway.workspace().map(str::to_string);
    state.meta.absent_kinds = absent;
    Ok(state)
}

/// What a job read under its parents.
enum Children {
    None,
    /// The gateway has no such kind: its listing answered 404.
    Absent,
    Entities(Kind, Vec<Stripped>),
    Members(Vec<(uuid::Uuid, Map<String, Value>)>),
}

type JobResult = (Kind, Vec<Stripped>, Children);

async fn run(
    client: &Client,
    gateway: &Gateway,
    scope: &Scope,
    job: &Job,
    progress: &dyn ReadProgress,
) -> Result<JobResult, ApiError> {
    let kind = job.kind;
    // Out-of-scope entities are dropped, and the others stripped, as each page comes.
    let strip = |k: Kind| move |obj| convert::strip(k, obj, scope);
    let items = match list_all_with(client, &job.request, &strip(kind), &|n| progress.read(kind, n)).await {
        Ok(items) => items,
        Err(e) if job.optional && e.status() == Some(404) => return Ok((kind, Vec::new(), Children::Absent)),
        Err(e) => return Err(e),
    };
    let Some(child) = job.children else { return Ok((kind, items, Children::None)) };
    // Children of parents that are out of scope would be dropped anyway: do not ask for them.
    let parents: Vec<uuid::Uuid> = items.iter().filter_map(|o| o.id).collect();
    let relation = matches!(child.def().path, PathShape::Relation { .. });
    let per_parent = stream::iter(parents)
        .map(|id| async move {
            let segment = match child.def().path {
                PathShape::Nested { segment, .. } | PathShape::Relation { segment, .. } => segment,
                PathShape::TopLevel => child.collection(),
            };
            let request = list_children(gateway, kind.collection(), &id.to_string(), segment);
            let on_page = |n| progress.read(child, n);
            let found = if relation {
                // A member is the consumer as the group's list shows it: only its id is used.
                let members = list_all(client, &request, &on_page).await?;
                Found::Members(members)
            } else {
                Found::Entities(list_all_with(client, &request, &strip(child), &on_page).await?)
            };
            Ok::<_, ApiError>((id, found))
        })
        .buffer_unordered(FAN_OUT);
    let lists: Vec<(uuid::Uuid, Found)> = per_parent.try_collect().await?;
    let (mut members, mut entities) = (Vec::new(), Vec::new());
    for (parent, found) in lists {
        match found {
            Found::Members(cs) => members.extend(cs.into_iter().map(|c| (parent, c))),
            Found::Entities(items) => entities.extend(items),
        }
    }
    let children = if relation { Children::Members(members) } else { Children::Entities(child, entities) };
    Ok((kind, items, children))
}

/// The children read under one parent.
enum Found {
    Members(Vec<Map<String, Value>>),
    Entities(Vec<Stripped>),
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use kongsync_gateway::{KonnectPaths, Url};

    fn described(jobs: &[Job]) -> Vec<String> {
        jobs.iter()
            .map(|j| {
                let mut s = j.request.describe();
                if j.optional {
                    s.push_str(" (optional)");
                }
                if let Some(c) = j.children {
                    s.push_str(&format!(" then each {c}"));
                }
                s
            })
            .collect()
    }

    #[test]
    fn kong_reads_every_collection_and_targets_per_upstream() {
        let gateway = Gateway::Kong { base: Url::parse("http://localhost:8001").unwrap(), workspace: None };
        let jobs = jobs(&gateway, &Scope::default());
        assert_eq!(
            described(&jobs),
            [
                "GET /ca_certificates?size=1000",
                "GET /certificates?size=1000",
                "GET /snis?size=1000",
                "GET /vaults?size=1000",
                "GET /key-sets?size=1000",
                "GET /keys?size=1000",
                "GET /consumers?size=1000",
                "GET /consumer_groups?size=1000 (optional) then each consumer-group-consumer",
                "GET /key-auths?size=1000",
                "GET /basic-auths?size=1000",
                "GET /hmac-auths?size=1000",
                "GET /jwts?size=1000",
                "GET /acls?size=1000",
                "GET /oauth2?size=1000",
                "GET /mtls-auths?size=1000 (optional)",
                "GET /upstreams?size=1000 then each target",
                "GET /services?size=1000",
                "GET /routes?size=1000",
                "GET /plugins?size=1000",
            ]
        );
    }

    #[test]
    fn konnect_reads_targets_at_once_and_no_oauth2() {
        let gateway = Gateway::Konnect {
            base: Url::parse("https://us.api.konghq.com").unwrap(),
            control_plane_id: "cp".into(),
            paths: KonnectPaths::ControlPlanes,
            workspace: None,
        };
        let scope = Scope { select_tags: vec!["a".into(), "b".into()], skip_consumers: true, ..Scope::default() };
        let jobs = jobs(&gateway, &scope);
        assert_eq!(
            described(&jobs),
            [
                "GET /v2/control-planes/cp/core-entities/ca_certificates?size=1000&tags=a%2Cb",
                "GET /v2/control-planes/cp/core-entities/certificates?size=1000&tags=a%2Cb",
                "GET /v2/control-planes/cp/core-entities/snis?size=1000&tags=a%2Cb",
                "GET /v2/control-planes/cp/core-entities/vaults?size=1000&tags=a%2Cb",
                "GET /v2/control-planes/cp/core-entities/key-sets?size=1000&tags=a%2Cb",
                "GET /v2/control-planes/cp/core-entities/keys?size=1000&tags=a%2Cb",
                "GET /v2/control-planes/cp/core-entities/upstreams?size=1000&tags=a%2Cb",
                "GET /v2/control-planes/cp/core-entities/targets?size=1000&tags=a%2Cb",
                "GET /v2/control-planes/cp/core-entities/services?size=1000&tags=a%2Cb",
                "GET /v2/control-planes/cp/core-entities/routes?size=1000&tags=a%2Cb",
                "GET /v2/control-planes/cp/core-entities/plugins?size=1000&tags=a%2Cb",
            ]
        );
    }
}
