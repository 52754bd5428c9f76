//! The part of `diff`, `sync` and `drift` that computes a plan: read and validate the files (all of
//! them, before anything is sent), open the connection, read the live state in scope, fetch the
//! target's schemas, and plan.

use crate::args::{GlobalArgs, StateArgs};
use crate::printer::Printer;
use crate::settings::{env_lookup, state_files};
use crate::target::{explain, Connection};
use anyhow::{bail, Context};
use kongsync_diff::{scoped_fingerprint, Dialect, IgnoreField, Masker, Plan, PlanOptions, PlanScope};
use kongsync_model::{Entity, Ident, Key, Kind};
use kongsync_state::api::paging::list_all;
use kongsync_state::api::request::{group_members, list};
use kongsync_state::api::Request;
use kongsync_state::file::{self, FileError};
use kongsync_state::State;
use serde_json::Value;
use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use uuid::Uuid;

/// Reads the state files; on invalid input prints every problem and returns `None`.
pub fn read_desired(args: &StateArgs, printer: &Printer) -> Option<State> {
    match file::read(&state_files(args), &env_lookup) {
        Ok(state) => Some(state),
        Err(FileError::Invalid(diags)) => {
            for d in &diags {
                printer.error(&d.to_string());
            }
            printer.error(&FileError::Invalid(diags).to_string());
            None
        }
    }
}

/// Parses every `--ignore-field`.
pub fn ignore_fields(given: &[String]) -> anyhow::Result<Vec<IgnoreField>> {
    given.iter().map(|g| IgnoreField::parse(g).map_err(anyhow::Error::from)).collect()
}

/// A computed plan, with the connection it was computed on and the live state it read.
pub struct Planned {
    pub conn: Connection,
    pub live: State,
    pub plan: Plan,
    /// Masks the secrets of the files (environment values) in whatever shows the plan.
    pub masker: Masker,
}

/// Plans `desired` against the gateway, on a connection that allows `parallelism` requests in flight
/// (for the sync that may follow). The connection is closed on error.
pub async fn plan(
    global: &GlobalArgs,
    mut desired: State,
    ignore: Vec<IgnoreField>,
    parallelism: usize,
    printer: &Printer,
) -> anyhow::Result<Planned> {
    let conn = Connection::open_for_writes(global, &desired.meta, printer, parallelism).await?;
    let masker = Masker::new(&desired.meta.env_values);
    match plan_on(&conn, &mut desired, ignore, printer).await {
        Ok((live, plan)) => Ok(Planned { conn, live, plan, masker }),
        Err(e) => {
            conn.close().await?;
            Err(e)
        }
    }
}

async fn plan_on(
    conn: &Connection,
    desired: &mut State,
    ignore: Vec<IgnoreField>,
    printer: &Printer,
) -> anyhow::Result<(State, Plan)> {
    let scope = plan_scope(conn);
    desired.stamp_select_tags(&scope.select_tags);
    let live = conn.read_live_shown(printer).await?;
    let schemas = conn.schemas(&plugin_names(desired, &live)).await?;
    let mut known_ids = look_up_parents(conn, desired, &live).await?;
    let by_id: HashMap<(Kind, Uuid), Key> = known_ids.iter().map(|(k, id)| ((k.kind, *id), k.clone())).collect();
    let mut keyed = if by_id.is_empty() { Cow::Borrowed(&live) } else { Cow::Owned(live.with_parents_known(&by_id)) };
    let groups = looked_up_groups(conn, desired, &known_ids, &keyed).await?;
    for member in members_of(conn, &groups, &keyed).await? {
        keyed.to_mut().insert(member);
    }
    known_ids.extend(groups);
    let options = PlanOptions { target: conn.describe(), dialect: dialect(conn), ignore, known_ids };
    let mut plan =
        kongsync_diff::plan(desired, &keyed, &scope, &schemas, &options).context("cannot plan the changes")?;
    // `sync --plan` compares what it reads with this, before any lookup: the fingerprint is of the read.
    if matches!(keyed, Cow::Owned(_)) {
        plan.live_fingerprint = scoped_fingerprint(&live, &scope);
    }
    Ok((live, plan))
}

/// Parents the files reference that neither the files nor the read hold: entities another team
/// manages (`_info.default_lookup_tags`), looked up on the gateway by name so that references carry
/// their real ids. A parent the gateway does not have either is an error, before anything is sent.
async fn look_up_parents(conn: &Connection, desired: &State, live: &State) -> anyhow::Result<HashMap<Key, Uuid>> {
    let mut wanted: Vec<&Key> = desired
        .entities
        .values()
        .flat_map(|e| e.refs.values())
        .filter(|k| desired.get(k).is_none() && live.get(k).is_none())
        .filter(|k| matches!(k.ident, Ident::Name(_) | Ident::CustomId(_)))
        .collect();
    wanted.sort();
    wanted.dedup();
    let client = conn.client();
    let target = conn.target();
    let lookups = wanted.iter().map(|key| async move {
        let request = match &key.ident {
            Ident::CustomId(c) => Request::get(target.entities(&["consumers"])).with_query("custom_id", c.clone()),
            _ => Request::get(target.entities(&[key.kind.collection(), &key.to_string()])),
        };
        let found = match client.send(&request).await {
            Ok(response) => Some(response.body),
            Err(e) if e.status() == Some(404) => None,
            Err(e) => return Err(explain(e, target.is_konnect())),
        };
        let id = found.as_ref().and_then(|body| {
            // A list (`custom_id` look-up), the entity itself, or a consumer group as Kong Enterprise and
            // Konnect serve it: wrapped with its members, `{"consumer_group": ..., "consumers": [...]}`.
            let entity = body
                .get("data")
                .and_then(|d| d.get(0))
                .or_else(|| body.get(key.kind.dao_name()))
                .or_else(|| body.get("consumer_group").filter(|_| key.kind == Kind::ConsumerGroup))
                .unwrap_or(body);
            entity.get("id").and_then(Value::as_str).and_then(|s| Uuid::parse_str(s).ok())
        });
        match id {
            Some(id) => Ok(((*key).clone(), id)),
            None => bail!("the files reference {} {key}, which neither the files nor the gateway have", key.kind),
        }
    });
    futures::future::try_join_all(lookups).await.map(|found| found.into_iter().collect())
}

/// The consumer groups of `_info.default_lookup_tags` that the read left out: those the files
/// reference (looked up by name already) and every group carrying the lookup tags, so that a
/// membership the files no longer hold is seen, and deleted.
async fn looked_up_groups(
    conn: &Connection,
    desired: &State,
    known: &HashMap<Key, Uuid>,
    live: &State,
) -> anyhow::Result<HashMap<Key, Uuid>> {
    let mut groups: HashMap<Key, Uuid> =
        known.iter().filter(|(k, _)| k.kind == Kind::ConsumerGroup).map(|(k, id)| (k.clone(), *id)).collect();
    if let Some(tags) = desired.meta.lookup_tags.get(Kind::ConsumerGroup.collection()) {
        let first = list(conn.target(), Kind::ConsumerGroup.collection(), tags);
        let listed =
            list_all(conn.client(), &first, &|_| {}).await.map_err(|e| explain(e, conn.target().is_konnect()))?;
        for g in listed {
            let id = g.get("id").and_then(Value::as_str).and_then(|s| Uuid::parse_str(s).ok());
            let name = g.get("name").and_then(Value::as_str);
            if let (Some(id), Some(name)) = (id, name) {
                let key = Key::name(Kind::ConsumerGroup, name);
                if live.get(&key).is_none() {
                    groups.insert(key, id);
                }
            }
        }
    }
    Ok(groups)
}

/// The memberships of these groups (which the read left out) for the consumers the read holds: the
/// read leaves an out-of-scope group's members out with it, so a membership the files hold would
/// otherwise be planned again on every run (decK's `Test_Sync_Consumers_Default_Lookup_Tag` syncs
/// the same file twice).
async fn members_of(conn: &Connection, groups: &HashMap<Key, Uuid>, live: &State) -> anyhow::Result<Vec<Entity>> {
    let consumers: HashMap<Uuid, &Key> =
        live.of_kind(Kind::Consumer).filter_map(|e| e.id.map(|id| (id, &e.key))).collect();
    let mut out = Vec::new();
    for (group, id) in groups {
        let first = group_members(conn.target(), &id.to_string());
        let members =
            list_all(conn.client(), &first, &|_| {}).await.map_err(|e| explain(e, conn.target().is_konnect()))?;
        for m in members {
            let member_id = m.get("id").and_then(Value::as_str).and_then(|s| Uuid::parse_str(s).ok());
            if let Some(consumer) = member_id.and_then(|c| consumers.get(&c)) {
                let refs = BTreeMap::from([
                    ("consumer_group".to_string(), group.clone()),
                    ("consumer".to_string(), (*consumer).clone()),
                ]);
                let key = Key::member(group.clone(), (*consumer).clone());
                out.push(Entity { key, id: None, fields: serde_json::Map::new(), refs });
            }
        }
    }
    Ok(out)
}

/// The scope the connection reads, as the plan records it.
pub fn plan_scope(conn: &Connection) -> PlanScope {
    let s = conn.scope();
    PlanScope { select_tags: s.select_tags.clone(), skip_consumers: s.skip_consumers }
}

/// The request dialect of the connection's API.
pub fn dialect(conn: &Connection) -> Dialect {
    if conn.target().is_konnect() {
        Dialect::Konnect
    } else {
        Dialect::Kong
    }
}

/// The plugins either side uses, whose schemas the target is asked for.
fn plugin_names(desired: &State, live: &State) -> Vec<String> {
    let names: BTreeSet<String> = desired
        .of_kind(Kind::Plugin)
        .chain(live.of_kind(Kind::Plugin))
        .filter_map(|p| p.str_field("name").map(str::to_string))
        .collect();
    names.into_iter().collect()
}
