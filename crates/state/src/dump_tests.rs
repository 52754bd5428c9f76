//! Tests of the dump writer: the decK layout, determinism, and that reading a dump back gives the
//! state it was written from.

#![allow(clippy::unwrap_used)]

use super::*;
use crate::live::{build, Fetched};
use crate::Scope;
use serde_json::json;

const SVC: &str = "10000000-0000-0000-0000-000000000001";
const ROUTE: &str = "20000000-0000-0000-0000-000000000001";
const BARE_ROUTE: &str = "20000000-0000-0000-0000-000000000002";
const CONSUMER: &str = "30000000-0000-0000-0000-000000000001";
const GROUP: &str = "40000000-0000-0000-0000-000000000001";
const CERT: &str = "50000000-0000-0000-0000-000000000001";
const UPSTREAM: &str = "60000000-0000-0000-0000-000000000001";
const GONE: &str = "99999999-0000-0000-0000-000000000001";

fn live(items: Vec<(Kind, Value)>, members: Vec<(&str, &str)>, scope: &Scope) -> State {
    let mut f = Fetched::default();
    for (k, v) in items {
        f.lists.entry(k).or_default().push(v.as_object().unwrap().clone());
    }
    for (g, c) in members {
        f.members.push((uuid::Uuid::parse_str(g).unwrap(), json!({ "id": c }).as_object().unwrap().clone()));
    }
    build(f, scope)
}

fn gateway() -> State {
    live(
        vec![
            (
                Kind::Service,
                json!({"id": SVC, "name": "orders", "host": "orders.internal", "port": 80, "protocol": "http", "path": null, "client_certificate": {"id": CERT}}),
            ),
            (
                Kind::Route,
                json!({"id": ROUTE, "name": "orders-api", "service": {"id": SVC}, "paths": ["/orders"], "strip_path": true}),
            ),
            (Kind::Route, json!({"id": BARE_ROUTE, "service": null, "hosts": ["bare.example"]})),
            (
                Kind::Plugin,
                json!({"id": "70000000-0000-0000-0000-000000000001", "name": "cors", "route": {"id": ROUTE}, "config": {"origins": ["*"], "credentials": false}}),
            ),
            (
                Kind::Plugin,
                json!({"id": "70000000-0000-0000-0000-000000000002", "name": "rate-limiting", "service": {"id": SVC}, "consumer": {"id": CONSUMER}, "config": {"minute": 5}}),
            ),
            (Kind::Plugin, json!({"id": "70000000-0000-0000-0000-000000000003", "name": "prometheus", "config": {}})),
            (
                Kind::Plugin,
                json!({"id": "70000000-0000-0000-0000-000000000004", "name": "key-auth", "service": {"id": GONE}, "config": {}}),
            ),
            (Kind::Consumer, json!({"id": CONSUMER, "username": "alice", "custom_id": null})),
            (
                Kind::KeyAuth,
                json!({"id": "80000000-0000-0000-0000-000000000002", "key": "zz-key", "consumer": {"id": CONSUMER}}),
            ),
            (
                Kind::KeyAuth,
                json!({"id": "80000000-0000-0000-0000-000000000001", "key": "aa-key", "consumer": {"id": CONSUMER}}),
            ),
            (Kind::ConsumerGroup, json!({"id": GROUP, "name": "gold"})),
            (Kind::Certificate, json!({"id": CERT, "cert": "CERT", "key": "KEY", "snis": ["b.example", "a.example"]})),
            (
                Kind::Sni,
                json!({"id": "90000000-0000-0000-0000-000000000001", "name": "b.example", "certificate": {"id": CERT}}),
            ),
            (
                Kind::Sni,
                json!({"id": "90000000-0000-0000-0000-000000000002", "name": "a.example", "certificate": {"id": CERT}}),
            ),
            (Kind::Upstream, json!({"id": UPSTREAM, "name": "backend"})),
            (
                Kind::Target,
                json!({"id": "a0000000-0000-0000-0000-000000000001", "target": "10.0.0.1:8000", "weight": 100, "upstream": {"id": UPSTREAM}}),
            ),
        ],
        vec![(GROUP, CONSUMER)],
        &Scope::default(),
    )
}

#[test]
fn the_layout_is_decks() {
    let dump = to_document(&gateway(), &DumpOptions::default());
    assert!(dump.unplaced.is_empty());
    let yaml = to_yaml(&dump.document).unwrap();
    // decK's writer: every key sorted (sections too), sequences in a mapping not indented.
    let expected = r#"_format_version: "3.0"
certificates:
- cert: CERT
  id: 50000000-0000-0000-0000-000000000001
  key: KEY
  snis:
  - name: a.example
  - name: b.example
consumer_groups:
- name: gold
consumers:
- groups:
  - name: gold
  keyauth_credentials:
  - key: aa-key
  - key: zz-key
  username: alice
plugins:
- config: {}
  name: key-auth
  service: 99999999-0000-0000-0000-000000000001
- config: {}
  name: prometheus
- config:
    minute: 5
  consumer: alice
  name: rate-limiting
  service: orders
routes:
- hosts:
  - bare.example
  id: 20000000-0000-0000-0000-000000000002
services:
- client_certificate:
    id: 50000000-0000-0000-0000-000000000001
  host: orders.internal
  name: orders
  port: 80
  protocol: http
  routes:
  - name: orders-api
    paths:
    - /orders
    plugins:
    - config:
        credentials: false
        origins:
        - '*'
      name: cors
    strip_path: true
upstreams:
- name: backend
  targets:
  - target: 10.0.0.1:8000
    weight: 100
"#;
    assert_eq!(yaml, expected);
}

#[test]
fn ids_are_written_on_request() {
    let dump = to_document(&gateway(), &DumpOptions { with_id: true });
    let services = dump.document.get("services").unwrap();
    assert_eq!(services[0]["id"], json!(SVC));
    assert_eq!(services[0]["routes"][0]["id"], json!(ROUTE));
    assert_eq!(
        dump.document["consumers"][0]["keyauth_credentials"][0]["id"],
        json!("80000000-0000-0000-0000-000000000001")
    );
}

/// The gateway's state with a workspace, a control plane and select tags.
fn gateway_with_meta() -> State {
    let mut state = gateway();
    state.meta.workspace = Some("team".into());
    state.meta.konnect_control_plane = Some("prod".into());
    state.meta.select_tags = vec!["a".into()];
    state
}

#[test]
fn meta_is_written_first() {
    let state = gateway_with_meta();
    let doc = to_document(&state, &DumpOptions::default()).document;
    assert_eq!(doc["_konnect"], json!({"control_plane_name": "prod"}));
    // decK writes `_info.defaults` even when empty (dump/001-entities-with-tags/expected.yaml).
    assert_eq!(doc["_info"], json!({"defaults": {}, "select_tags": ["a"]}));
    let yaml = to_yaml(&doc).unwrap();
    let top: Vec<&str> = yaml.lines().filter(|l| !l.starts_with([' ', '-'])).take(4).collect();
    assert_eq!(top, ["_format_version: \"3.0\"", "_info:", "_konnect:", "_workspace: team"]);
}

#[test]
fn references_carry_their_ids_with_id() {
    // decK's dump --with-id writes both the id and the name of a key's set and of a consumer's groups
    // (dump/007-keys-and-key_sets, sync/028-consumer-group-consumers-custom_id).
    let state = live(
        vec![
            (Kind::Consumer, json!({"id": CONSUMER, "username": "alice"})),
            (Kind::ConsumerGroup, json!({"id": GROUP, "name": "gold"})),
            (Kind::KeySet, json!({"id": "a0000000-0000-0000-0000-000000000001", "name": "bar"})),
            (
                Kind::Key,
                json!({"id": "a0000000-0000-0000-0000-000000000002", "name": "k", "kid": "k",
                    "set": {"id": "a0000000-0000-0000-0000-000000000001"}}),
            ),
        ],
        vec![(GROUP, CONSUMER)],
        &Scope::default(),
    );
    let with_id = to_document(&state, &DumpOptions { with_id: true }).document;
    assert_eq!(with_id["keys"][0]["set"], json!({"id": "a0000000-0000-0000-0000-000000000001", "name": "bar"}));
    assert_eq!(with_id["consumers"][0]["groups"], json!([{"id": GROUP, "name": "gold"}]));
    let without = to_document(&state, &DumpOptions::default()).document;
    assert_eq!(without["keys"][0]["set"], json!({"name": "bar"}));
    assert_eq!(without["consumers"][0]["groups"], json!([{"name": "gold"}]));
}

#[test]
fn children_without_a_place_are_reported() {
    let state = live(
        vec![(
            Kind::KeyAuth,
            json!({"id": "80000000-0000-0000-0000-000000000001", "key": "k", "consumer": {"id": CONSUMER}}),
        )],
        vec![],
        &Scope::default(),
    );
    let dump = to_document(&state, &DumpOptions::default());
    assert_eq!(dump.unplaced.len(), 1);
    assert_eq!(dump.document, json!({"_format_version": "3.0"}));
}

#[test]
fn reading_a_dump_back_gives_the_same_state() {
    let state = gateway();
    let yaml = to_yaml(&to_document(&state, &DumpOptions::default()).document).unwrap();
    let doc = crate::file::parse_text("dump.yaml", &yaml, &|_| None).unwrap();
    let back = crate::file::build(vec![doc]);
    let back = match back {
        Ok(s) => s,
        Err(crate::file::FileError::Invalid(d)) => {
            panic!("{}", d.iter().map(|d| d.to_string()).collect::<Vec<_>>().join("\n"))
        }
    };
    // Everything but ids, which a dump leaves out where a natural key identifies the entity.
    type Content = (Key, Map<String, Value>, kongsync_model::Refs);
    let strip = |s: &State| -> Vec<Content> {
        s.entities.values().map(|e| (e.key.clone(), e.fields.clone(), e.refs.clone())).collect()
    };
    assert_eq!(strip(&back), strip(&state));
}

#[test]
fn output_is_deterministic() {
    let a = to_json(&to_document(&gateway(), &DumpOptions::default()).document).unwrap();
    let b = to_json(&to_document(&gateway(), &DumpOptions::default()).document).unwrap();
    assert_eq!(a, b);
    assert!(a.starts_with("{\n  \"_format_version\": \"3.0\""));
}

#[test]
fn files_are_written_privately_and_whole() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("kong.yaml");
    std::fs::write(&path, "old").unwrap();
    write_private(&path, b"new").unwrap();
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "new");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
    }
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1, "no temporary file left behind");
}

#[test]
fn yaml_written_as_it_goes_is_the_documents() {
    for state in [gateway(), gateway_with_meta()] {
        for options in [DumpOptions::default(), DumpOptions { with_id: true }] {
            let dump = to_document(&state, &options);
            let mut written = Vec::new();
            let unplaced = write_yaml(&state, &options, &mut written).unwrap();
            assert_eq!(String::from_utf8(written).unwrap(), to_yaml(&dump.document).unwrap());
            assert_eq!(unplaced, dump.unplaced);
        }
    }
}

#[test]
fn yaml_written_in_parts_on_several_cores_is_the_same_text() {
    // Items that end with a plain scalar or a list beside items that end with a literal block (a
    // PEM key written last), in parts from one entity up: every seam between two parts must read
    // as the one emitter wrote it.
    let mut items = Vec::new();
    for i in 0..23u32 {
        let id = format!("5{i:07}-0000-0000-0000-000000000001");
        let mut cert = json!({"id": id, "cert": format!("-----BEGIN {i}-----\nAAA\n-----END-----\n"), "key": format!("KEY {i}\nBBB")});
        if i % 3 == 0 {
            cert["tags"] = json!([format!("t{i}")]);
        }
        items.push((Kind::Certificate, cert));
        let svc = format!("1{i:07}-0000-0000-0000-000000000001");
        items.push((Kind::Service, json!({"id": svc, "name": format!("s{i}"), "host": "h", "path": format!("/a{i}")})));
    }
    let state = live(items, Vec::new(), &Scope::default());
    let options = DumpOptions::default();
    let expected = to_yaml(&to_document(&state, &options).document).unwrap();
    assert!(expected.contains("BBB\n- cert: |"), "no item ends with a block here:\n{expected}");
    for (part, renderers) in [(1, 1), (1, 2), (2, 3), (3, 2), (5, 4), (7, 8), (1_000, 2)] {
        let mut written = Vec::new();
        write_yaml_split(&state, &options, &mut written, Split { part, renderers }).unwrap();
        assert_eq!(String::from_utf8(written).unwrap(), expected, "parts of {part} over {renderers} threads");
    }
}

#[test]
fn a_write_that_fails_while_parts_are_rendered_elsewhere_is_an_error_not_a_hang() {
    struct Refusing;
    impl Write for Refusing {
        fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
            Err(std::io::Error::other("disk full"))
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let services: Vec<(Kind, Value)> = (0..3_000u32)
        .map(|i| {
            let id = format!("1{i:07}-0000-0000-0000-000000000001");
            (Kind::Service, json!({"id": id, "name": format!("service-{i}"), "host": "orders.internal", "port": 8080}))
        })
        .collect();
    let state = live(services, Vec::new(), &Scope::default());
    let err = write_yaml_split(&state, &DumpOptions::default(), &mut Refusing, Split { part: 10, renderers: 3 });
    assert_eq!(err.map_err(|e| e.to_string()).err().as_deref(), Some("disk full"));
}
