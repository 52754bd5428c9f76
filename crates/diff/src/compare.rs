//! What changes between the two sides of a paired entity: its fields (compared in their prepared
//! form), its references (compared as the ids they will point to), and the fields Kong transforms
//! on write, which have rules of their own.

use crate::agree::agree;
use crate::mask::{join, Masker};
use crate::merge::by_name;
use crate::options::IgnoreField;
use crate::pair::Ids;
use crate::phc;
use crate::plan::Change;
use crate::prepare::{comparable, Side};
use kongsync_model::{Entity, Kind, SchemaSet};
use serde_json::{Map, Value};
use sha1::{Digest, Sha1};

/// The differences of one pair.
#[derive(Debug, Default)]
pub(crate) struct Comparison {
    pub changes: Vec<Change>,
    pub notes: Vec<String>,
}

/// What the comparison needs besides the pair.
pub(crate) struct Context<'a> {
    pub schemas: &'a SchemaSet,
    pub ignore: &'a [IgnoreField],
    pub ids: &'a Ids<'a>,
    pub masker: &'a Masker,
}

/// Compares a desired entity with its live counterpart.
pub(crate) fn compare<'a>(desired: &'a Entity, live: &'a Entity, ctx: &Context<'_>) -> Comparison {
    let kind = desired.kind();
    let mut out = Comparison::default();
    if !agree(desired, live, ctx.schemas, ctx.ignore) {
        let mut before = comparable(live, Side::Live, ctx.schemas, ctx.ignore);
        let mut after = comparable(desired, Side::Desired, ctx.schemas, ctx.ignore);
        if kind == Kind::Oauth2 && live.str_field("client_secret").is_some_and(phc::is_phc) {
            before.remove("client_secret");
            after.remove("client_secret");
            compare_hashed_secret(desired, live, &mut out);
        }
        diff_maps(kind, "", &before, &after, ctx.masker, &mut out.changes);
    }
    let refs = |e: &'a Entity| e.refs.iter().map(|(f, k)| (f.as_str(), k));
    for (field, d, l) in by_name(refs(desired), refs(live)) {
        let same = match (d, l) {
            (Some(d), Some(l)) => ctx.ids.same_target(d, l),
            (None, None) => true,
            _ => false,
        };
        if !same {
            out.changes.push(Change {
                path: field.to_string(),
                before: l.map(|k| Value::String(ctx.masker.scrub(&k.to_string()))),
                after: d.map(|k| Value::String(ctx.masker.scrub(&k.to_string()))),
            });
        }
    }
    if kind == Kind::BasicAuth {
        compare_password(desired, live, ctx, &mut out);
    }
    out.changes.sort_by(|a, b| a.path.cmp(&b.path));
    out
}

/// Kong stores a basic-auth password as the SHA-1 of the password followed by the consumer's id, so
/// the file's password is hashed the same way and compared with what Kong holds.
fn compare_password(desired: &Entity, live: &Entity, ctx: &Context<'_>, out: &mut Comparison) {
    let wanted = desired.str_field("password").unwrap_or_default();
    let held = live.str_field("password").unwrap_or_default();
    let consumer = desired.refs.get("consumer").map(|k| ctx.ids.of_desired(k));
    let is_hash = held.len() == 40 && held.bytes().all(|b| b.is_ascii_hexdigit());
    if !is_hash {
        out.notes
            .push("the gateway does not show this password in a form kongsync can compare; it is not checked".into());
        return;
    }
    let hashed = consumer.map(|c| hex::encode(Sha1::digest(format!("{wanted}{c}").as_bytes())));
    if hashed.as_deref() != Some(held) && wanted != held {
        let shown = Value::String(kongsync_model::secret::REDACTED.to_string());
        out.changes.push(Change { path: "password".into(), before: Some(shown.clone()), after: Some(shown) });
    }
}

/// Kong stores an oauth2 `client_secret` with `hash_secret: true` as a PBKDF2 string
/// (kong/plugins/oauth2/daos.lua:47-61, secret.lua:198-284, 3.5.0), so the file's secret is checked
/// against it. A stored string kongsync cannot check is not reported as a change (it would be on
/// every run), but noted.
fn compare_hashed_secret(desired: &Entity, live: &Entity, out: &mut Comparison) {
    let wanted = desired.str_field("client_secret").unwrap_or_default();
    let held = live.str_field("client_secret").unwrap_or_default();
    match phc::verify(wanted, held) {
        phc::Verdict::Matches => {}
        phc::Verdict::Differs => {
            let shown = Value::String(kongsync_model::secret::REDACTED.to_string());
            out.changes.push(Change { path: "client_secret".into(), before: Some(shown.clone()), after: Some(shown) });
        }
        phc::Verdict::Unreadable => out.notes.push(
            "the gateway holds this client_secret hashed in a form kongsync cannot check; it is not compared".into(),
        ),
    }
}

/// Records every difference between two objects, descending into objects present on both sides.
pub(crate) fn diff_maps<'a>(
    kind: Kind,
    path: &str,
    before: &'a Map<String, Value>,
    after: &'a Map<String, Value>,
    masker: &Masker,
    out: &mut Vec<Change>,
) {
    // Most pairs are equal: one comparison of the whole objects (in any key order, as the walk below
    // compares them) finds that without a path or a key set made.
    if before == after {
        return;
    }
    let fields = |m: &'a Map<String, Value>| m.iter().map(|(k, v)| (k.as_str(), v));
    for (k, b, a) in by_name(fields(before), fields(after)) {
        match (b, a) {
            (Some(Value::Object(b)), Some(Value::Object(a))) => diff_maps(kind, &join(path, k), b, a, masker, out),
            (b, a) if b != a => {
                let here = join(path, k);
                let (before, after) = masker.show_change(kind, &here, b, a);
                out.push(Change { path: here, before, after })
            }
            _ => {}
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::pair::{pair, Ids};
    use kongsync_model::Key;
    use kongsync_state::State;
    use serde_json::json;
    use uuid::Uuid;

    fn entity(key: Key, id: Option<u128>, fields: Value, refs: &[(&str, Key)]) -> Entity {
        Entity {
            key,
            id: id.map(Uuid::from_u128),
            fields: fields.as_object().unwrap().clone(),
            refs: refs.iter().map(|(f, k)| (f.to_string(), k.clone())).collect(),
        }
    }

    fn run(desired: Vec<Entity>, live: Vec<Entity>, target: &Key) -> Comparison {
        let mut d = State::default();
        desired.into_iter().for_each(|e| drop(d.insert(e)));
        let mut l = State::default();
        live.into_iter().for_each(|e| drop(l.insert(e)));
        let pairs = pair(&d, &l);
        let ids = Ids::new(&pairs);
        let schemas = SchemaSet::builtin();
        let masker = Masker::default();
        let ctx = Context { schemas: &schemas, ignore: &[], ids: &ids, masker: &masker };
        compare(d.get(target).unwrap(), l.get(target).unwrap(), &ctx)
    }

    #[test]
    fn a_hashed_basic_auth_password_equals_the_file_password() {
        let consumer = Key::name(Kind::Consumer, "alice");
        let cid = Uuid::from_u128(5);
        let hashed = hex::encode(Sha1::digest(format!("pw{cid}").as_bytes()));
        let key = Key::name(Kind::BasicAuth, "alice-basic");
        let c = |id| entity(consumer.clone(), id, json!({"username": "alice"}), &[]);
        let cred = |pw: &str, id| {
            entity(
                key.clone(),
                id,
                json!({"username": "alice-basic", "password": pw}),
                &[("consumer", consumer.clone())],
            )
        };
        let same = run(vec![c(None), cred("pw", None)], vec![c(Some(5)), cred(&hashed, Some(6))], &key);
        assert!(same.changes.is_empty(), "{:?}", same.changes);
        let changed = run(vec![c(None), cred("new", None)], vec![c(Some(5)), cred(&hashed, Some(6))], &key);
        assert_eq!(changed.changes.len(), 1);
        assert_eq!(changed.changes[0].after, Some(json!("<redacted>")));
    }

    #[test]
    fn references_compare_by_the_id_they_resolve_to() {
        let s = Key::name(Kind::Service, "s");
        let t = Key::name(Kind::Service, "t");
        let r = Key::name(Kind::Route, "r");
        let route =
            |svc: &Key| entity(r.clone(), None, json!({"name": "r", "paths": ["/"]}), &[("service", svc.clone())]);
        let svc = |k: &Key, id| entity(k.clone(), id, json!({"name": k.to_string(), "host": "h"}), &[]);
        let moved =
            run(vec![svc(&s, None), svc(&t, None), route(&t)], vec![svc(&s, Some(1)), svc(&t, Some(2)), route(&s)], &r);
        assert_eq!(
            moved.changes,
            [Change { path: "service".into(), before: Some(json!("s")), after: Some(json!("t")) }]
        );
    }
}
