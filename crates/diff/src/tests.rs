//! Plans of small scenarios, checked as the literal list of steps a reviewer would read.

#![allow(clippy::unwrap_used)]

use crate::plan::{Execution, Plan};
use crate::{plan, PlanError, PlanOptions};
use kongsync_state::file::{build, parse_text};
use kongsync_state::live::Observed;
use kongsync_state::{Scope, State};

fn state(yaml: &str) -> State {
    let text = format!("_format_version: \"3.0\"\n{yaml}");
    let doc = parse_text("t.yaml", &text, &|_| None).unwrap();
    build(vec![doc]).unwrap()
}

fn make(desired: &str, live: &str) -> Result<Plan, PlanError> {
    plan(&state(desired), &Observed::read_only(Scope::default(), state(live)), &PlanOptions::default())
}

/// One line per step: index, action, kind, key, how, dependencies.
fn lines(plan: &Plan) -> Vec<String> {
    plan.steps
        .iter()
        .map(|s| {
            let how = match &s.execution {
                Execution::Request(r) => r.method.to_string(),
                Execution::WithStep { step, .. } => format!("with #{step}"),
            };
            format!("#{} {} {} {} [{how}] after {:?}", s.index, s.action.verb(), s.kind, s.key, s.depends_on)
        })
        .collect()
}

const S1: &str = "00000000-0000-0000-0000-000000000001";
const S2: &str = "00000000-0000-0000-0000-000000000002";
const R1: &str = "00000000-0000-0000-0000-000000000011";

#[test]
fn equal_states_give_an_empty_plan() {
    let files = "services:\n- name: s\n  url: http://h:81/p\n  routes:\n  - name: r\n    paths: [/a]\n    plugins:\n    - name: cors\n";
    let p = make(files, files).unwrap();
    assert!(p.is_empty(), "{:#?}", lines(&p));
}

#[test]
fn creates_go_parent_first() {
    let desired =
        "services:\n- name: s\n  host: h\n  routes:\n  - name: r\n    paths: [/a]\n    plugins:\n    - name: cors\n\
                   consumers:\n- username: alice\n  keyauth_credentials:\n  - key: k123456\n";
    let p = make(desired, "").unwrap();
    assert_eq!(
        lines(&p),
        [
            "#0 create consumer alice [PUT] after []",
            "#1 create key-auth <redacted> for consumer alice [PUT] after [0]",
            "#2 create service s [PUT] after []",
            "#3 create route r [PUT] after [2]",
            "#4 create plugin cors for route r [PUT] after [3]",
        ]
    );
}

#[test]
fn deletes_go_child_first_and_cascades_send_nothing() {
    let live = format!(
        "services:\n- name: s\n  id: {S1}\n  host: h\n  routes:\n  - name: r\n    id: {R1}\n    paths: [/a]\n    plugins:\n    - name: cors\n"
    );
    let p = make("", &live).unwrap();
    assert_eq!(
        lines(&p),
        [
            "#0 delete route r [DELETE] after []",
            "#1 delete service s [DELETE] after [0]",
            "#2 delete plugin cors for route r [with #0] after [0]",
        ]
    );
}

#[test]
fn a_route_moved_away_is_updated_before_its_old_service_is_deleted() {
    let live = format!(
        "services:\n- name: old\n  id: {S1}\n  host: h\n  routes:\n  - name: r\n    id: {R1}\n    paths: [/a]\n- name: new\n  id: {S2}\n  host: h\n"
    );
    let desired = "services:\n- name: new\n  host: h\n  routes:\n  - name: r\n    paths: [/a]\n";
    let p = make(desired, &live).unwrap();
    assert_eq!(lines(&p), ["#0 update route r [PUT] after []", "#1 delete service old [DELETE] after [0]"]);
    assert_eq!(p.steps[0].changes[0].path, "service");
}

#[test]
fn a_freed_name_is_taken_after_the_delete_that_frees_it() {
    // The file gives service `a` a new id: the old one must go before the new one takes its name.
    let live = format!("services:\n- name: a\n  id: {S1}\n  host: h\n");
    let desired = format!("services:\n- name: a\n  id: {S2}\n  host: h\n");
    let p = make(&desired, &live).unwrap();
    assert_eq!(lines(&p), ["#0 delete service a [DELETE] after []", "#1 create service a [PUT] after [0]"]);
}

#[test]
fn a_consumer_custom_id_moving_between_consumers_waits_for_its_release() {
    let live = format!("consumers:\n- username: a\n  id: {S1}\n  custom_id: x\n");
    let desired = "consumers:\n- username: b\n  custom_id: x\n";
    let p = make(desired, &live).unwrap();
    assert_eq!(lines(&p), ["#0 delete consumer a [DELETE] after []", "#1 create consumer b [PUT] after [0]"]);
}

#[test]
fn two_entities_swapping_names_is_a_cycle_named_in_the_error() {
    let live =
        format!("consumers:\n- username: a\n  id: {S1}\n  custom_id: x\n- username: b\n  id: {S2}\n  custom_id: y\n");
    let desired =
        format!("consumers:\n- username: a\n  id: {S1}\n  custom_id: y\n- username: b\n  id: {S2}\n  custom_id: x\n");
    let err = make(&desired, &live).unwrap_err();
    assert_eq!(err, PlanError::Cycle(vec!["update consumer a".into(), "update consumer b".into()]));
}

#[test]
fn the_same_inputs_give_the_same_plan_byte_for_byte() {
    let desired = "services:\n- name: a\n  host: h\n- name: b\n  host: h\n  routes:\n  - name: r\n    paths: [/]\n";
    let live = format!("services:\n- name: c\n  id: {S1}\n  host: h\n");
    let a = serde_json::to_string(&make(desired, &live).unwrap()).unwrap();
    let b = serde_json::to_string(&make(desired, &live).unwrap()).unwrap();
    assert_eq!(a, b);
}

#[test]
fn an_update_shows_only_the_changed_fields_and_puts_the_whole_entity() {
    let live = format!("services:\n- name: s\n  id: {S1}\n  host: h\n  retries: 5\n");
    let desired = "services:\n- name: s\n  host: h\n  retries: 6\n  tags: [t]\n";
    let p = make(desired, &live).unwrap();
    let s = &p.steps[0];
    let changes: Vec<String> =
        s.changes.iter().map(|c| format!("{}: {:?} -> {:?}", c.path, c.before, c.after)).collect();
    assert_eq!(changes, ["retries: Some(Number(5)) -> Some(Number(6))", "tags: None -> Some(Array [String(\"t\")])"]);
    let Execution::Request(r) = &s.execution else { panic!("no request") };
    assert_eq!(r.path, format!("/services/{S1}"));
    assert_eq!(r.body.as_ref().and_then(|b| b.get("host")), Some(&serde_json::json!("h")));
}

#[test]
fn oauth2_credentials_are_refused_for_konnect() {
    let desired = "consumers:\n- username: a\n  oauth2_credentials:\n  - name: app\n    client_id: cid\n    client_secret: s3cr3t-value\n    redirect_uris: [https://a.example]\n";
    let options = PlanOptions { dialect: crate::Dialect::Konnect, ..PlanOptions::default() };
    let err = plan(&state(desired), &Observed::read_only(Scope::default(), State::default()), &options);
    assert!(matches!(err, Err(PlanError::NotOnKonnect { .. })), "{err:?}");
}

#[test]
fn plan_files_of_another_version_with_an_unknown_method_edited_or_unsealed_are_refused() {
    use crate::plan::PlanFileError;
    let made = make("services:\n- name: a\n  host: h\n", "").unwrap();
    let text = made.to_json().unwrap();
    assert_eq!(Plan::from_json(&text).unwrap(), made);
    let v1 = text.replace("\"format_version\": 2", "\"format_version\": 1");
    let e = Plan::from_json(&v1).unwrap_err();
    assert!(matches!(e, PlanFileError::Format { found: 1 }), "{e:?}");
    assert_eq!(e.to_string(), "the plan has format version 1; this kongsync reads version 2");
    let typo = text.replace("\"method\": \"PUT\"", "\"method\": \"GTE\"");
    assert_ne!(typo, text);
    assert!(matches!(Plan::from_json(&typo), Err(PlanFileError::Malformed(_))));
    assert!(matches!(Plan::from_json("[]"), Err(PlanFileError::NotAPlan(_))));
    let host = text.replace("\"host\": \"h\"", "\"host\": \"evil\"");
    assert_ne!(host, text);
    assert!(matches!(Plan::from_json(&host), Err(PlanFileError::Tampered)));
    let unsealed = serde_json::to_string(&made).unwrap();
    assert!(matches!(Plan::from_json(&unsealed), Err(PlanFileError::Unsealed)));
}

#[test]
fn plans_carry_their_masker_and_show_without_it() {
    let mut desired = state("services:\n- name: a\n  host: secret-host.internal\n");
    desired.meta.env_values = vec!["secret-host".into()];
    let made =
        plan(&desired, &Observed::read_only(Scope::default(), State::default()), &PlanOptions::default()).unwrap();
    assert!(!made.masker.is_empty());
    let shown = crate::redacted(&made);
    assert!(shown.masker.is_empty(), "the values to mask are not shown with the plan");
    let text = serde_json::to_string(&shown).unwrap();
    assert!(!text.contains("secret-host") && text.contains("<redacted>.internal"), "{text}");
}

#[test]
fn a_consumer_with_a_new_id_under_its_name_is_replaced_and_its_children_follow() {
    let children =
        "  keyauth_credentials:\n  - key: k123456\n  plugins:\n  - name: rate-limiting\n    config:\n      minute: 1\n";
    let live = format!("consumers:\n- username: c1\n  id: {S1}\n{children}");
    let desired = format!("consumers:\n- username: c1\n  id: {S2}\n{children}");
    let p = make(&desired, &live).unwrap();
    assert_eq!(
        lines(&p),
        [
            "#0 delete consumer c1 [DELETE] after []",
            "#1 create consumer c1 [PUT] after [0]",
            "#2 delete key-auth <redacted> for consumer c1 [with #0] after [0]",
            "#3 create key-auth <redacted> for consumer c1 [PUT] after [1, 2]",
            "#4 delete plugin rate-limiting for consumer c1 [with #0] after [0]",
            "#5 create plugin rate-limiting for consumer c1 [PUT] after [1, 4]",
        ]
    );
    // Created again with the id it had, under the new consumer.
    let Execution::Request(r) = &p.steps[5].execution else { panic!("no request") };
    assert_eq!(r.path, format!("/plugins/{}", p.steps[4].id));
    assert_eq!(r.body.as_ref().and_then(|b| b.pointer("/consumer/id")), Some(&serde_json::json!(S2)));
    assert!(p.steps[5].notes.iter().any(|n| n.contains("created again")), "{:?}", p.steps[5].notes);
}

#[test]
fn a_service_with_a_new_id_under_its_name_takes_its_routes_along() {
    let routes = "  routes:\n  - name: r\n    paths: [/a]\n    plugins:\n    - name: cors\n";
    let live = format!("services:\n- name: s\n  id: {S1}\n  host: h\n{routes}");
    let desired = format!("services:\n- name: s\n  id: {S2}\n  host: h\n{routes}");
    let p = make(&desired, &live).unwrap();
    assert_eq!(
        lines(&p),
        [
            "#0 delete route r [DELETE] after []",
            "#1 delete service s [DELETE] after [0]",
            "#2 create service s [PUT] after [1]",
            "#3 create route r [PUT] after [0, 2]",
            "#4 delete plugin cors for route r [with #0] after [0]",
            "#5 create plugin cors for route r [PUT] after [3, 4]",
        ]
    );
}

#[test]
fn a_certificate_known_by_its_content_is_rotated_in_place_with_its_snis() {
    let cert = |pem: &str| format!("certificates:\n- cert: {pem}\n  key: k\n  snis:\n  - name: a.example\n");
    let mut live = state(&cert("old"));
    // As the gateway holds it: with an id.
    let old = live.of_kind(kongsync_model::Kind::Certificate).next().unwrap().clone();
    live.insert(kongsync_model::Entity { id: Some(uuid::Uuid::parse_str(S1).unwrap()), ..old });
    let p = plan(&state(&cert("new")), &Observed::read_only(Scope::default(), live), &PlanOptions::default()).unwrap();
    assert_eq!(lines(&p), ["#0 update certificate sha256:11507a0e2f5e [PUT] after []"]);
    let Execution::Request(r) = &p.steps[0].execution else { panic!("no request") };
    assert_eq!(r.path, format!("/certificates/{S1}"));
    assert_eq!(r.body.as_ref().and_then(|b| b.get("snis")), Some(&serde_json::json!(["a.example"])));
}

#[test]
fn an_update_sends_back_the_gateways_created_at() {
    let mut live = state(&format!("services:\n- name: s\n  id: {S1}\n  host: h\n"));
    let id = uuid::Uuid::parse_str(S1).unwrap();
    live.meta.created_at.entry(kongsync_model::Kind::Service).or_default().insert(id, serde_json::json!(1_600_000_000));
    let p = plan(
        &state("services:\n- name: s\n  host: h2\n"),
        &Observed::read_only(Scope::default(), live),
        &PlanOptions::default(),
    )
    .unwrap();
    let Execution::Request(r) = &p.steps[0].execution else { panic!("no request") };
    assert_eq!(r.body.as_ref().and_then(|b| b.get("created_at")), Some(&serde_json::json!(1_600_000_000)));
    assert!(p.steps[0].changes.iter().all(|c| c.path != "created_at"), "never a change of its own");
}
