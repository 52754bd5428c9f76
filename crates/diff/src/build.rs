//! From a desired [`State`] and what was [`Observed`] on the gateway to the [`Plan`]: limit both
//! sides to the scope, give the live side the parents found by look-up, pair, compare, build each
//! step's request, connect the steps into a dependency graph and order it. [`plan`] is the only
//! place a plan is made.
//!
//! The ordering rules, each an edge between two single steps:
//! - a create or update waits for the create or update of every parent it references (and of every
//!   CA certificate a service lists);
//! - a delete waits for the deletes of children that Kong would refuse to orphan, and for every
//!   update that moves a child away from it; children Kong deletes itself (plugins, credentials,
//!   targets, memberships, keys, SNIs) get no request and complete with their parent;
//! - a step that takes a unique value (a name, a plugin's scope, a username) waits for the step that
//!   frees it, so a rename that swaps names with a deleted entity works in one run;
//! - so an entity that keeps its name under a new id is a delete, then a create; what hangs on it
//!   cannot move to the new one before the old one goes, so pairing made it a replacement too: its
//!   delete goes with (or before) the old parent's, its create after the new parent's and its own
//!   delete.

use crate::canonical;
use crate::compare::{compare, Comparison, Context};
use crate::graph;
use crate::mask::Masker;
use crate::options::{Dialect, PlanOptions};
use crate::pair::{claims, pair, paired_id, replaced_id, Ids, Pair};
use crate::plan::{Action, Change, Execution, Plan, Step, Summary, PLAN_FORMAT_VERSION};
use crate::prepare::{get_path, remove_path, set_path, with_generated_kept};
use crate::request::{self, ById};
use crate::FastMap;
use kongsync_gateway::Request;
use kongsync_model::{Create, Entity, Key, Kind, OnDelete, SchemaSet, SERVER_FIELDS};
use kongsync_state::live::Observed;
use kongsync_state::{Scope, State};
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use uuid::Uuid;

/// Planning failed.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PlanError {
    /// The steps wait on each other: no order can carry them out.
    #[error("the changes depend on each other in a cycle and cannot be ordered: {}", .0.join(" -> "))]
    Cycle(Vec<String>),
    /// The files hold entities of a kind the target does not have.
    #[error("Konnect has no {kind} entities, but the files define {}", .entities.join(", "))]
    NotOnKonnect { kind: Kind, entities: Vec<String> },
    /// The files hold entities of a kind this gateway does not have (its listing answered 404), or
    /// entities that refer to one.
    #[error("this gateway has no {kind} entities (Kong's open-source edition has none; Kong Enterprise and Konnect do), but the files define or refer to them: {}", .entities.join(", "))]
    NotOnGateway { kind: Kind, entities: Vec<String> },
    /// A scoped run would create entities that exist on the gateway outside its scope (untagged or
    /// another team's): the create would overwrite and re-tag them. Each entry names the entity and
    /// the tags it holds.
    #[error("the gateway already has {}, outside this run's select tags ({}); a scoped sync does not take over what another owner manages: give these entities another name (and id), or tag them on the gateway", .entities.join("; "), .select_tags.join(", "))]
    OutsideScope { select_tags: Vec<String>, entities: Vec<String> },
}

/// A step before ordering.
struct Draft<'a> {
    action: Action,
    /// The entity as it will be (desired) or as it is (live, for a delete).
    entity: &'a Entity,
    live: Option<&'a Entity>,
    id: Uuid,
    changes: Vec<Change>,
    notes: Vec<String>,
    request: Request,
    /// Done by Kong as part of another draft.
    with: Option<(usize, String)>,
}

/// Computes the plan of `desired` against what was observed on the gateway. The desired side is
/// limited to the observed scope and given its select tags (as decK does, so that what a sync
/// creates is found by the next read); the live side is limited to the scope and given the keys of
/// the parents found by look-up, so that an entity on such a parent pairs with its file entry. The
/// live fingerprint is of the read itself, before look-ups, since that is what `sync --plan` reads
/// again.
pub fn plan(desired: &State, observed: &Observed, options: &PlanOptions) -> Result<Plan, PlanError> {
    let Observed { scope, live, schemas, known_ids, looked_up_members, foreign } = observed;
    let mut desired = scope.restrict(desired);
    let taken_over: Vec<String> = foreign
        .iter()
        .filter_map(|f| desired.get(&f.key).map(|e| (f, e)))
        .map(|(f, e)| {
            let tags = if f.tags.is_empty() { "no tags".to_string() } else { format!("tags [{}]", f.tags.join(", ")) };
            let id = f.id.map(|id| format!(" (id {id})")).unwrap_or_default();
            format!("{} {}{id} with {tags}", e.kind(), display_key(e))
        })
        .collect();
    if !taken_over.is_empty() {
        return Err(PlanError::OutsideScope { select_tags: scope.select_tags.clone(), entities: taken_over });
    }
    if !scope.select_tags.is_empty() {
        desired.to_mut().stamp_select_tags(&scope.select_tags);
    }
    let read = scope.restrict(live);
    let by_id: HashMap<(Kind, Uuid), Key> = known_ids.iter().map(|(k, id)| ((k.kind, *id), k.clone())).collect();
    let mut keyed = if by_id.is_empty() { Cow::Borrowed(&*read) } else { read.with_parents_known(&by_id) };
    for member in looked_up_members {
        keyed.to_mut().insert(member.clone());
    }
    // The fingerprints need only the two states: they are taken while the plan is made, on cores
    // pairing leaves idle. `sync --plan` compares what it reads with the live fingerprint: it is of
    // the read, before look-ups.
    std::thread::scope(|threads| {
        let live = threads.spawn(|| fingerprint(&read));
        let wanted = threads.spawn(|| fingerprint(&desired));
        let fingerprints =
            || Fingerprints { live: kongsync_model::joined(live), desired: kongsync_model::joined(wanted) };
        plan_states(&desired, &keyed, scope, schemas, known_ids, options, fingerprints)
    })
}

/// The fingerprints a plan carries: of the live state as read, and of the desired state.
struct Fingerprints {
    live: String,
    desired: String,
}

/// The fingerprint of the part of a live state a plan with this scope manages: what `sync --plan`
/// compares with the plan's `live_fingerprint`.
pub fn live_fingerprint(live: &State, scope: &Scope) -> String {
    fingerprint(&scope.restrict(live))
}

/// The plan of two states already limited to `scope`; `fingerprints` gives the fingerprints it
/// carries.
fn plan_states(
    desired: &State,
    live: &State,
    scope: &Scope,
    schemas: &SchemaSet,
    known_ids: &HashMap<Key, Uuid>,
    options: &PlanOptions,
    fingerprints: impl FnOnce() -> Fingerprints,
) -> Result<Plan, PlanError> {
    if options.dialect == Dialect::Konnect {
        // Kinds Konnect does not serve (OAuth2 credentials): writing them would fail, or vanish unread.
        for kind in Kind::ALL.into_iter().filter(|k| !k.def().on_konnect) {
            let unsupported: Vec<String> = desired.of_kind(kind).map(display_key).collect();
            if !unsupported.is_empty() {
                return Err(PlanError::NotOnKonnect { kind, entities: unsupported });
            }
        }
    }
    for &kind in &live.meta.absent_kinds {
        let needing: Vec<String> = desired
            .entities
            .values()
            .filter(|e| e.key.kind == kind || e.refs.values().any(|r| r.kind == kind))
            .map(display_key)
            .collect();
        if !needing.is_empty() {
            return Err(PlanError::NotOnGateway { kind, entities: needing });
        }
    }
    let masker = Masker::new(&desired.meta.env_values);
    let paired = pair(desired, live);
    // The generated fields of a kind (and plugin) are the same for all its entities: walk each
    // schema once, not once per entity.
    let mut generated: FastMap<(Kind, Option<&str>), Vec<Vec<String>>> = FastMap::default();
    // Only the entities that took a generated value are copied, and only they are held.
    let kept: Vec<(usize, Entity)> = paired
        .iter()
        .enumerate()
        .filter_map(|(i, p)| match p {
            Pair::Both { desired, live } => {
                let plugin = if desired.kind() == Kind::Plugin { desired.str_field("name") } else { None };
                let paths =
                    generated.entry((desired.kind(), plugin)).or_insert_with(|| schemas.generated_paths(desired));
                with_generated_kept(desired, live, paths).map(|d| (i, d))
            }
            _ => None,
        })
        .collect();
    let mut pairs: Vec<Pair<'_>> = paired;
    for (i, d) in &kept {
        if let Pair::Both { live, .. } = pairs[*i] {
            pairs[*i] = Pair::Both { desired: d, live };
        }
    }
    let ids = Ids::new(&pairs).with_known(known_ids);
    let ctx = Context { schemas, ignore: &options.ignore, ids: &ids, masker: &masker };
    let mut snis: HashMap<&Key, Vec<&Entity>> = HashMap::new();
    for sni in live.of_kind(Kind::Sni) {
        if let Some(cert) = sni.refs.get("certificate") {
            snis.entry(cert).or_default().push(sni);
        }
    }
    let requests = Requests { desired, snis: &snis, created_at: &live.meta.created_at, ids: &ids, options, schemas };
    let mut steps = Vec::new();
    let mut changed = compare_all(&pairs, &ctx).into_iter().peekable();
    for (i, p) in pairs.iter().enumerate() {
        match *p {
            Pair::Both { desired: d, live: l } => {
                if let Some((_, cmp)) = changed.next_if(|(c, _)| *c == i) {
                    steps.push((Action::Update, d, Some(l), paired_id(d, l), cmp));
                }
            }
            Pair::Replaced { desired: d, live: l } => {
                let why = |verb: &str| Comparison {
                    changes: Vec::new(),
                    notes: vec![format!(
                        "{verb}: its parent is deleted, and the one it moves to can be written only \
                         after that delete (it takes the old one's name or id)"
                    )],
                };
                steps.push((Action::Delete, l, Some(l), l.effective_id(), why("deleted to be created again")));
                steps.push((Action::Create, d, None, replaced_id(d, l), why("created again under its new parent")));
            }
            Pair::DesiredOnly(d) => steps.push((Action::Create, d, None, d.effective_id(), Comparison::default())),
            Pair::LiveOnly(l) => steps.push((Action::Delete, l, Some(l), l.effective_id(), Comparison::default())),
        }
    }
    let mut drafts: Vec<Draft<'_>> = steps
        .into_iter()
        .map(|(action, entity, live, id, cmp)| {
            let request = requests.build(action, entity, live, id);
            Draft { action, entity, live, id, changes: cmp.changes, notes: cmp.notes, request, with: None }
        })
        .collect();
    let index = Index::new(&drafts);
    let mut edges = Vec::new();
    fold_children(&mut drafts, &index, &mut edges);
    order_parents_first(&drafts, &index, &mut edges);
    order_children_first(&drafts, &ids, &mut edges);
    order_unique_values(&drafts, &mut edges);
    order_same_id(&drafts, &mut edges);
    finish(drafts, &edges, masker, scope, options, fingerprints())
}

/// Compares every paired entity, on all cores: comparing is most of a plan's work. The comparisons
/// of the pairs that changed (an update), with their pair's index, in order; an unchanged pair's
/// notes are never shown, so it is not kept.
fn compare_all(pairs: &[Pair<'_>], ctx: &Context<'_>) -> Vec<(usize, Comparison)> {
    let chunk = pairs.len().div_ceil(kongsync_model::cores()).max(1024);
    let compare_one = |(i, p): (usize, &Pair<'_>)| match *p {
        Pair::Both { desired, live } => Some((i, compare(desired, live, ctx))).filter(|(_, c)| !c.changes.is_empty()),
        Pair::Replaced { .. } | Pair::DesiredOnly(_) | Pair::LiveOnly(_) => None,
    };
    let compare_part = |(n, part): (usize, &[Pair<'_>])| -> Vec<(usize, Comparison)> {
        part.iter().enumerate().filter_map(|(i, p)| compare_one((n * chunk + i, p))).collect()
    };
    kongsync_model::on_cores(pairs.chunks(chunk).enumerate(), compare_part).into_iter().flatten().collect()
}

/// Drafts by the entity keys of each side.
struct Index<'k> {
    desired: HashMap<&'k Key, usize>,
    live: HashMap<&'k Key, usize>,
}

impl<'k> Index<'k> {
    fn new(drafts: &[Draft<'k>]) -> Index<'k> {
        let mut idx = Index { desired: HashMap::new(), live: HashMap::new() };
        for (i, d) in drafts.iter().enumerate() {
            if d.action != Action::Delete {
                idx.desired.insert(&d.entity.key, i);
            }
            if let Some(l) = d.live {
                idx.live.insert(&l.key, i);
            }
        }
        idx
    }
}

/// What each step's request is built from.
struct Requests<'a> {
    desired: &'a State,
    /// The live SNIs of each live certificate.
    snis: &'a HashMap<&'a Key, Vec<&'a Entity>>,
    /// Each live entity's `created_at`, by kind and id.
    created_at: &'a BTreeMap<Kind, BTreeMap<Uuid, Value>>,
    ids: &'a Ids<'a>,
    options: &'a PlanOptions,
    schemas: &'a SchemaSet,
}

impl Requests<'_> {
    /// The request of a step on `entity` (for a delete, the live entity; else the desired one).
    fn build(&self, action: Action, entity: &Entity, live: Option<&Entity>, id: Uuid) -> Request {
        let Requests { desired, snis, created_at, ids, options, schemas } = self;
        if action == Action::Delete {
            let refs: BTreeMap<String, Uuid> = entity.refs.iter().map(|(f, k)| (f.clone(), ids.of_live(k))).collect();
            return request::delete(&ById { kind: entity.kind(), id, refs: &refs });
        }
        let refs: BTreeMap<String, Uuid> = entity.refs.iter().map(|(f, k)| (f.clone(), ids.of_desired(k))).collect();
        let mut body = match (action, entity.kind().def().create) {
            (Action::Update, Create::PostOnKong) => whole_body(entity, schemas),
            _ => entity.fields.clone(),
        };
        // An update by PUT is an upsert, which stamps the row with the body's `created_at` or with
        // the time of the request (kong/db/schema/init.lua:1719-1720, kong/db/strategies/postgres/
        // init.lua:938-941, 3.5.0): the gateway's own is sent back, so that an update keeps it, as
        // decK's does. A target's PUT is a partial update, which keeps it anyway.
        if let (Action::Update, Create::Put, Some(l)) = (action, entity.kind().def().create, live) {
            if let Some(at) = l.id.and_then(|i| created_at.get(&entity.kind())?.get(&i)) {
                body.insert("created_at".into(), at.clone());
            }
        }
        if let Some(l) = live {
            for f in options.ignore.iter().filter(|f| f.kind == entity.kind()) {
                match get_path(&l.fields, &f.path) {
                    Some(v) => set_path(&mut body, &f.path, v.clone()),
                    None => drop(remove_path(&mut body, &f.path)),
                }
            }
        }
        if entity.kind() == Kind::Certificate {
            let kept = kept_snis(entity, live, desired, snis);
            body.insert("snis".into(), Value::Array(kept.into_iter().map(Value::String).collect()));
        }
        request::write(&ById { kind: entity.kind(), id, refs: &refs }, action, body, options.dialect)
    }
}

/// The body of an update that Kong applies as a partial one: a PUT of a target updates only the
/// fields the body carries (kong/api/routes/upstreams.lua:60-66 and :219-221, 3.5.0, which run
/// `endpoints.update_entity`), so a field the file no longer sets would keep its old value. Every
/// field of the kind's schema is therefore sent, with its default or an explicit null (a removed
/// `tags` is `null`, a weight back to its default is `100`). The kinds whose create is a POST on Kong
/// are exactly those whose PUT is an update, the same route deciding both.
fn whole_body(entity: &Entity, schemas: &SchemaSet) -> serde_json::Map<String, Value> {
    let mut body = schemas.with_defaults(entity);
    let kind = entity.kind();
    for field in &schemas.entity(kind).fields {
        let name = field.name.as_str();
        let skipped = SERVER_FIELDS.contains(&name)
            || kind.def().computed.contains(&name)
            || kind.references().iter().any(|r| r.field == name);
        if !skipped && !body.contains_key(name) {
            body.insert(name.to_string(), Value::Null);
        }
    }
    body
}

/// The SNI names a certificate's PUT lists: those it has now and keeps. Kong's PUT drops every SNI
/// it does not list, so the list must be whole; new SNIs are created by their own PUT afterwards,
/// with their own ids and tags.
fn kept_snis(
    cert: &Entity,
    live_cert: Option<&Entity>,
    desired: &State,
    snis: &HashMap<&Key, Vec<&Entity>>,
) -> Vec<String> {
    let Some(live_cert) = live_cert else { return Vec::new() };
    let mut names: Vec<String> = snis
        .get(&live_cert.key)
        .into_iter()
        .flatten()
        .filter(|s| desired.get(&s.key).is_some_and(|d| d.refs.get("certificate") == Some(&cert.key)))
        .filter_map(|s| s.str_field("name").map(str::to_string))
        .collect();
    names.sort();
    names
}

/// Whether deleting a parent through this reference field deletes the child too. SNIs are not a
/// cascade in the database, but Kong's certificate DAO deletes them before the certificate.
fn cascades(kind: Kind, field: &str) -> bool {
    (kind == Kind::Sni && field == "certificate")
        || kind.reference(field).is_some_and(|r| r.on_delete == OnDelete::Cascade)
}

/// Marks deletes that Kong carries out itself: children of a deleted parent, and SNIs a
/// certificate's PUT drops.
fn fold_children(drafts: &mut [Draft<'_>], index: &Index<'_>, edges: &mut Vec<(usize, usize)>) {
    for i in 0..drafts.len() {
        if drafts[i].action != Action::Delete {
            continue;
        }
        let child = drafts[i].entity;
        for (field, parent) in &child.refs {
            let Some(&p) = index.live.get(parent) else { continue };
            let reason = match drafts[p].action {
                Action::Delete if cascades(child.kind(), field) => {
                    format!("deleted by Kong with its {} {}", parent.kind, parent)
                }
                Action::Update if child.kind() == Kind::Sni => {
                    format!("dropped by the PUT of its certificate {parent} (its `snis` list)")
                }
                _ => continue,
            };
            drafts[i].with = Some((p, reason));
            edges.push((p, i));
            break;
        }
    }
}

/// Creates and updates wait for their parents' creates and updates.
fn order_parents_first(drafts: &[Draft<'_>], index: &Index<'_>, edges: &mut Vec<(usize, usize)>) {
    let by_id: HashMap<(Kind, Uuid), usize> = drafts
        .iter()
        .enumerate()
        .filter(|(_, d)| d.action != Action::Delete)
        .map(|(i, d)| ((d.entity.kind(), d.id), i))
        .collect();
    for (i, d) in drafts.iter().enumerate().filter(|(_, d)| d.action != Action::Delete) {
        for parent in d.entity.refs.values() {
            if let Some(&p) = index.desired.get(parent) {
                edges.push((p, i));
            }
        }
        for ca in ca_list(d.entity) {
            if let Some(&p) = by_id.get(&(Kind::CaCertificate, ca)) {
                edges.push((p, i));
            }
        }
        // An SNI moving to another certificate is first dropped by its old certificate's PUT. (From
        // a certificate that is deleted it moves first instead, or the delete would take it along.)
        if let (Kind::Sni, Some(l)) = (d.entity.kind(), d.live) {
            if let Some(&p) = l.refs.get("certificate").and_then(|c| index.live.get(c)) {
                if drafts[p].action == Action::Update {
                    edges.push((p, i));
                }
            }
        }
    }
}

/// The CA certificates a service lists by id.
fn ca_list(e: &Entity) -> Vec<Uuid> {
    match e.fields.get("ca_certificates") {
        Some(Value::Array(items)) => {
            items.iter().filter_map(Value::as_str).filter_map(|s| Uuid::parse_str(s).ok()).collect()
        }
        _ => Vec::new(),
    }
}

/// Deletes wait for their children to be deleted or moved away.
fn order_children_first(drafts: &[Draft<'_>], ids: &Ids, edges: &mut Vec<(usize, usize)>) {
    // Only children with a step of their own can need ordering: index them by the parents they hold.
    let mut by_parent: HashMap<&Key, Vec<(usize, &str)>> = HashMap::new();
    let mut by_ca: HashMap<Uuid, Vec<usize>> = HashMap::new();
    for (c, d) in drafts.iter().enumerate() {
        let Some(l) = d.live else { continue };
        for (field, parent) in &l.refs {
            by_parent.entry(parent).or_default().push((c, field.as_str()));
        }
        for ca in ca_list(l) {
            by_ca.entry(ca).or_default().push(c);
        }
    }
    for (i, d) in drafts.iter().enumerate().filter(|(_, d)| d.action == Action::Delete) {
        let by_ref = by_parent.get(&d.entity.key).into_iter().flatten().map(|(c, f)| (*c, Some(*f)));
        let listed = match d.entity.kind() {
            Kind::CaCertificate => by_ca.get(&d.id).map(Vec::as_slice).unwrap_or_default(),
            _ => &[],
        };
        for (c, field) in by_ref.chain(listed.iter().map(|c| (*c, None))) {
            match drafts[c].action {
                Action::Delete if drafts[c].with.as_ref().is_some_and(|(p, _)| *p == i) => {}
                Action::Delete => edges.push((c, i)),
                Action::Update => {
                    let moved = match field {
                        Some(f) => drafts[c].entity.refs.get(f).map(|k| ids.of_desired(k)) != Some(d.id),
                        None => !ca_list(drafts[c].entity).contains(&d.id),
                    };
                    if moved {
                        edges.push((c, i));
                    }
                }
                Action::Create => {}
            }
        }
    }
}

/// A step that takes a unique value waits for the step that frees it.
fn order_unique_values(drafts: &[Draft<'_>], edges: &mut Vec<(usize, usize)>) {
    let mut freed: HashMap<String, Vec<usize>> = HashMap::new();
    for (i, d) in drafts.iter().enumerate() {
        let Some(l) = d.live else { continue };
        let kept = if d.action == Action::Delete { Vec::new() } else { claims(d.entity) };
        for c in claims(l).into_iter().filter(|c| !kept.contains(c)) {
            freed.entry(c).or_default().push(i);
        }
    }
    for (i, d) in drafts.iter().enumerate().filter(|(_, d)| d.action != Action::Delete) {
        let had = d.live.map(claims).unwrap_or_default();
        for c in claims(d.entity).into_iter().filter(|c| !had.contains(c)) {
            for &f in freed.get(&c).into_iter().flatten() {
                edges.push((f, i));
            }
        }
    }
}

/// A delete and a create of the same id, should pairing ever leave one: the delete first, or the
/// create's entity would be deleted right after it was written.
fn order_same_id(drafts: &[Draft<'_>], edges: &mut Vec<(usize, usize)>) {
    let deletes: HashMap<(Kind, Uuid), usize> = drafts
        .iter()
        .enumerate()
        .filter(|(_, d)| d.action == Action::Delete)
        .map(|(i, d)| ((d.entity.kind(), d.id), i))
        .collect();
    for (i, d) in drafts.iter().enumerate().filter(|(_, d)| d.action == Action::Create) {
        if let Some(&del) = deletes.get(&(d.entity.kind(), d.id)) {
            edges.push((del, i));
        }
    }
}

fn finish(
    drafts: Vec<Draft<'_>>,
    edges: &[(usize, usize)],
    masker: Masker,
    scope: &Scope,
    options: &PlanOptions,
    fingerprints: Fingerprints,
) -> Result<Plan, PlanError> {
    // A key orders by kind first, and kinds are declared in plan order: ties go kind, key, action.
    let keys: Vec<(&Key, Action)> = drafts.iter().map(|d| (&d.entity.key, d.action)).collect();
    let label = |i: usize| format!("{} {} {}", drafts[i].action.verb(), drafts[i].entity.kind(), drafts[i].entity.key);
    let order = graph::order(&keys, edges).map_err(|cycle| PlanError::Cycle(cycle.into_iter().map(label).collect()))?;
    let mut position = vec![0; drafts.len()];
    for (pos, &i) in order.iter().enumerate() {
        position[i] = pos;
    }
    let mut deps: Vec<Vec<usize>> = vec![Vec::new(); drafts.len()];
    for &(a, b) in edges {
        if a != b {
            deps[b].push(position[a]);
        }
    }
    let mut slots: Vec<Option<Draft<'_>>> = drafts.into_iter().map(Some).collect();
    let mut steps = Vec::with_capacity(order.len());
    let mut summary = Summary::default();
    for (pos, &i) in order.iter().enumerate() {
        let Some(d) = slots[i].take() else { continue };
        let mut depends_on = std::mem::take(&mut deps[i]);
        depends_on.sort_unstable();
        depends_on.dedup();
        match d.action {
            Action::Create => summary.create += 1,
            Action::Update => summary.update += 1,
            Action::Delete => summary.delete += 1,
        }
        let execution = match d.with {
            Some((p, reason)) => Execution::WithStep { step: position[p], reason: masker.scrub(&reason) },
            None => Execution::Request(d.request),
        };
        steps.push(Step {
            index: pos,
            action: d.action,
            kind: d.entity.kind(),
            key: masker.scrub(&display_key(d.entity)),
            id: d.id,
            changes: d.changes,
            execution,
            depends_on,
            notes: d.notes,
        });
    }
    Ok(Plan {
        format_version: PLAN_FORMAT_VERSION,
        target: options.target.clone(),
        dialect: options.dialect,
        scope: scope.clone(),
        live_fingerprint: fingerprints.live,
        desired_fingerprint: fingerprints.desired,
        summary,
        steps,
        masker,
    })
}

/// The entity as a person names it; a credential also names its consumer.
fn display_key(e: &Entity) -> String {
    match (Kind::CREDENTIALS.contains(&e.kind()), e.refs.get("consumer")) {
        (true, Some(c)) if e.kind() != Kind::Acl => format!("{} for consumer {c}", e.key),
        _ => e.key.to_string(),
    }
}

/// The SHA-256 of a state's entities in canonical form, in key order: each entity's key, id,
/// fields (keys sorted) and references, one line per entity, streamed into the hash.
pub fn fingerprint(state: &State) -> String {
    use std::io::Write;
    let mut hasher = Sha256::new();
    let mut line: Vec<u8> = Vec::new();
    for e in state.entities.values() {
        line.clear();
        canonical::write_key(&e.key, &mut line);
        line.push(b'|');
        if let Some(id) = e.id {
            // Writing into a `Vec` cannot fail.
            let _ = write!(line, "{id}");
        }
        line.push(b'|');
        canonical::sorted_map(&e.fields, &mut line);
        for (field, parent) in &e.refs {
            line.push(b'|');
            line.extend_from_slice(field.as_bytes());
            line.push(b'=');
            canonical::write_key(parent, &mut line);
        }
        line.push(b'\n');
        hasher.update(&line);
    }
    hex::encode(hasher.finalize())
}
