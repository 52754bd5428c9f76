//! Behaviours read from Kong 3.5.0's source, one test per behaviour, each citing the file and line it
//! follows: target updates, nested paths, editions, upstream shorthands, credentials, certificates.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
use common::{sim, sim_with};
use kongsync_sim::{Edition, SimConfig};
use serde_json::json;

async fn enterprise() -> common::Sim {
    sim_with(SimConfig { edition: Edition::Enterprise, ..Default::default() }).await
}

// kong/api/routes/upstreams.lua:219-221 and :60-68 (3.5.0): PUT on a target runs update_target_cb,
// an update of the row found under the upstream: fields the body omits are kept.
#[tokio::test]
async fn target_put_is_a_partial_update() {
    let s = sim().await;
    s.put("/upstreams/up", json!({})).await;
    let (st, t) = s.post("/upstreams/up/targets", json!({"target": "10.0.0.1:80", "weight": 7, "tags": ["a"]})).await;
    assert_eq!(st, 201, "{t}");
    let id = t["id"].as_str().unwrap();
    let (st, body) = s.put(&format!("/upstreams/up/targets/{id}"), json!({"weight": 9})).await;
    assert_eq!(st, 200, "{body}");
    assert_eq!((body["weight"].clone(), body["tags"].clone()), (json!(9), json!(["a"])), "omitted tags are kept");
    assert_eq!(body["target"], "10.0.0.1:80");
    // By target name too, and a null clears a field.
    let (st, body) = s.put("/upstreams/up/targets/10.0.0.1:80", json!({"tags": null})).await;
    assert_eq!((st, body["tags"].clone(), body["weight"].clone()), (200, json!(null), json!(9)));
    s.stop().await;
}

// kong/api/routes/upstreams.lua:107-109 (3.5.0): a target absent under the upstream is
// {"message": "Not found"} on PUT, PATCH, GET and DELETE; PUT never creates one.
#[tokio::test]
async fn unknown_targets_are_404_on_every_verb() {
    let s = sim().await;
    s.put("/upstreams/up", json!({})).await;
    s.put("/upstreams/other", json!({})).await;
    let unknown = "6f1c5b7e-2d4a-4c1e-9a53-0c9a1d2b3e4f";
    for path in [format!("/upstreams/up/targets/{unknown}"), "/upstreams/up/targets/10.9.9.9:8000".to_string()] {
        assert_eq!(s.put(&path, json!({"target": "10.9.9.9"})).await, (404, json!({"message": "Not found"})));
        assert_eq!(s.patch(&path, json!({"weight": 1})).await.0, 404);
        assert_eq!(s.get(&path).await.0, 404);
        assert_eq!(s.delete(&path).await, (404, json!({"message": "Not found"})));
    }
    assert!(s.get("/upstreams/up/targets").await.1["data"].as_array().unwrap().is_empty(), "PUT created nothing");
    // A target of another upstream is not found under this one (upstreams.lua:107).
    let (_, t) = s.post("/upstreams/other/targets", json!({"target": "10.0.0.2"})).await;
    let id = t["id"].as_str().unwrap();
    assert_eq!(s.delete(&format!("/upstreams/up/targets/{id}")).await.0, 404);
    assert_eq!(s.delete(&format!("/upstreams/other/targets/{id}")).await.0, 204);
    assert_eq!(s.delete(&format!("/upstreams/other/targets/{id}")).await.0, 404, "a second delete is 404");
    s.stop().await;
}

// kong/api/endpoints.lua:510-536 (3.5.0): a nested PUT selects the parent, sets the child's reference
// to it and upserts the child by its own key, wherever it hung before: the child moves.
#[tokio::test]
async fn nested_put_upserts_and_moves_the_child() {
    let s = sim().await;
    s.put("/services/a", json!({"host": "a.internal"})).await;
    s.put("/services/b", json!({"host": "b.internal"})).await;
    let (st, r) = s.put("/services/a/routes/r1", json!({"paths": ["/r1"]})).await;
    assert_eq!(st, 200, "{r}");
    let (st, moved) = s.put("/services/b/routes/r1", json!({"paths": ["/r1"]})).await;
    assert_eq!(st, 200, "{moved}");
    assert_eq!(moved["id"], r["id"], "same row");
    let b = s.get("/services/b").await.1["id"].clone();
    assert_eq!(moved["service"]["id"], b);
    assert_eq!(s.get("/services/a/routes/r1").await.0, 404, "no longer under a");
    // Credentials move between consumers the same way.
    s.put("/consumers/alice", json!({})).await;
    s.put("/consumers/bob", json!({})).await;
    let (st, k) = s.put("/consumers/alice/key-auth/secret-1", json!({})).await;
    assert_eq!(st, 200, "{k}");
    let (st, k2) = s.put("/consumers/bob/key-auth/secret-1", json!({"tags": ["moved"]})).await;
    assert_eq!(st, 200, "{k2}");
    assert_eq!(k2["id"], k["id"]);
    assert_eq!(k2["consumer"]["id"], s.get("/consumers/bob").await.1["id"]);
    // The parent must exist (endpoints.lua:511-518).
    assert_eq!(s.put("/consumers/nobody/key-auth/secret-2", json!({})).await.0, 404);
    s.stop().await;
}

// kong/api/endpoints.lua:673-712 (3.5.0): a nested DELETE is 404 when the parent, the child, or the
// child under this parent is missing; kong/db/dao/init.lua:1294-1296: a top-level DELETE of an absent
// row succeeds (204).
#[tokio::test]
async fn nested_delete_of_absent_is_404_top_level_is_204() {
    let s = sim().await;
    s.put("/consumers/alice", json!({})).await;
    s.put("/consumers/bob", json!({})).await;
    s.put("/consumers/alice/key-auth/k-1", json!({})).await;
    assert_eq!(s.delete("/consumers/bob/key-auth/k-1").await, (404, json!({"message": "Not found"})));
    assert_eq!(s.delete("/consumers/alice/key-auth/k-1").await.0, 204);
    assert_eq!(s.delete("/consumers/alice/key-auth/k-1").await.0, 404, "retried nested delete");
    assert_eq!(s.delete("/consumers/ghost/key-auth/k-1").await.0, 404);
    assert_eq!(s.delete("/key-auths/k-1").await.0, 204, "top level: absent is 204");
    assert_eq!(s.delete("/consumers/ghost").await.0, 204);
    s.stop().await;
}

// kong/api/endpoints.lua:611-637 (3.5.0): a nested PATCH needs the child under this parent (404
// otherwise) and keeps a reference the body sets.
#[tokio::test]
async fn nested_patch_needs_the_child_under_the_parent() {
    let s = sim().await;
    s.put("/services/a", json!({"host": "a.internal"})).await;
    s.put("/services/b", json!({"host": "b.internal"})).await;
    s.put("/services/a/routes/r1", json!({"paths": ["/r1"]})).await;
    assert_eq!(s.patch("/services/b/routes/r1", json!({"paths": ["/x"]})).await.0, 404);
    let b = s.get("/services/b").await.1["id"].clone();
    let (st, r) = s.patch("/services/a/routes/r1", json!({"service": {"id": b}})).await;
    assert_eq!((st, r["service"]["id"].clone()), (200, b));
    s.stop().await;
}

// kong/api/endpoints.lua:522-562, :603-609, :683-690 (3.5.0): the referenced-entity endpoints.
#[tokio::test]
async fn referenced_entity_endpoints() {
    let s = sim().await;
    s.put("/services/a", json!({"host": "a.internal"})).await;
    s.put("/routes/r1", json!({"paths": ["/r1"], "service": {"name": "a"}})).await;
    s.put("/routes/r2", json!({"paths": ["/r2"]})).await;
    let (st, svc) = s.patch("/routes/r1/service", json!({"retries": 2})).await;
    assert_eq!((st, svc["retries"].clone(), svc["name"].clone()), (200, json!(2), json!("a")));
    assert_eq!(s.delete("/routes/r1/service").await.0, 405);
    assert_eq!(s.delete("/routes/r2/service").await.0, 404);
    assert_eq!(s.patch("/routes/r2/service", json!({"retries": 2})).await.0, 404);
    // PUT on a route without a service creates one and points the route at it.
    let (st, created) = s.put("/routes/r2/service", json!({"host": "new.internal"})).await;
    assert_eq!(st, 200, "{created}");
    assert_eq!(s.get("/routes/r2").await.1["service"]["id"], created["id"]);
    s.stop().await;
}

// kong/constants.lua:128-146 (3.5.0): consumer groups are not a core entity of Kong OSS, and
// kong/db/schema/entities/plugins.lua:16-29 has no consumer_group field; mtls-auth is not bundled
// (kong/constants.lua:1-39). Enterprise has all three.
#[tokio::test]
async fn community_has_no_consumer_groups() {
    let s = sim().await;
    assert_eq!(s.get("/consumer_groups").await.0, 404);
    assert_eq!(s.post("/consumer_groups", json!({"name": "gold"})).await.0, 404);
    s.put("/consumers/bob", json!({})).await;
    assert_eq!(s.get("/consumers/bob/consumer_groups").await.0, 404);
    assert_eq!(s.get("/consumers/bob/mtls-auth").await.0, 404);
    assert_eq!(s.get("/schemas/consumer_groups").await.0, 404);
    let (st, p) = s.post("/plugins", json!({"name": "correlation-id"})).await;
    assert_eq!(st, 201, "{p}");
    assert!(p.get("consumer_group").is_none(), "{p}");
    let (st, err) = s.post("/plugins", json!({"name": "cors", "consumer_group": null})).await;
    assert_eq!((st, err["fields"]["consumer_group"].clone()), (400, json!("unknown field")));
    let schema = s.get("/schemas/plugins").await.1;
    assert!(!schema.to_string().contains("consumer_group"));
    let (st, info, headers) = s.req_full("GET", "/", None).await;
    assert_eq!((st, info["version"].clone()), (200, json!("3.5.0")));
    assert!(info.get("edition").is_none(), "3.5.0's GET / has no edition (kong/api/routes/kong.lua:130-146)");
    assert_eq!(headers["server"], "kong/3.5.0");
    s.stop().await;
}

#[tokio::test]
async fn enterprise_has_consumer_groups_and_its_version() {
    let s = enterprise().await;
    let (st, info) = s.get("/").await;
    assert_eq!(
        (st, info["version"].clone(), info["edition"].clone()),
        (200, json!("3.5.0.0-enterprise-edition"), json!("enterprise"))
    );
    assert_eq!(s.post("/consumer_groups", json!({"name": "gold"})).await.0, 201);
    let (st, p) = s.post("/consumer_groups/gold/plugins", json!({"name": "correlation-id"})).await;
    assert_eq!(st, 201, "{p}");
    assert!(p["consumer_group"]["id"].is_string());
    s.put("/consumers/bob", json!({})).await;
    assert_eq!(s.post("/consumers/bob/mtls-auth", json!({"subject_name": "CN=bob"})).await.0, 201);
    s.stop().await;
}

// kong/db/schema/entities/upstreams.lua:302-345 via kong/db/schema/init.lua:1656-1680 (3.5.0): the
// shorthands run on every write, `algorithm` first, then `hash_on`.
#[tokio::test]
async fn upstream_shorthands_on_every_write() {
    let s = sim().await;
    let cases = [
        (json!({"algorithm": "least-connections", "hash_on": "none"}), "least-connections", "none"),
        (json!({"algorithm": "least-connections", "hash_on": "ip"}), "least-connections", "none"),
        (json!({"algorithm": "latency", "hash_on": "header", "hash_on_header": "x"}), "latency", "none"),
        (json!({"algorithm": "consistent-hashing", "hash_on": "none"}), "round-robin", "none"),
        (json!({"algorithm": "round-robin", "hash_on": "ip"}), "consistent-hashing", "ip"),
        (json!({"hash_on": "consumer"}), "consistent-hashing", "consumer"),
        (json!({"algorithm": "consistent-hashing"}), "consistent-hashing", "none"),
        (json!({"hash_on": null}), "round-robin", "none"),
    ];
    for (body, algorithm, hash_on) in cases {
        for verb in ["POST", "PUT"] {
            s.delete("/upstreams/up").await;
            let path = if verb == "POST" { "/upstreams" } else { "/upstreams/up" };
            let mut b = body.clone();
            b["name"] = json!("up");
            let (st, u) = s.req(verb, path, Some(b)).await;
            assert!(st == 200 || st == 201, "{verb} {body}: {u}");
            assert_eq!(
                (u["algorithm"].as_str(), u["hash_on"].as_str()),
                (Some(algorithm), Some(hash_on)),
                "{verb} {body}"
            );
        }
    }
    // PATCH: the same rules on the patch body, merged over the stored row.
    s.put("/upstreams/up", json!({"hash_on": "ip"})).await;
    let (_, u) = s.patch("/upstreams/up", json!({"algorithm": "least-connections"})).await;
    assert_eq!((u["algorithm"].clone(), u["hash_on"].clone()), (json!("least-connections"), json!("none")));
    let (_, u) = s.patch("/upstreams/up", json!({"hash_on": "ip"})).await;
    assert_eq!((u["algorithm"].clone(), u["hash_on"].clone()), (json!("consistent-hashing"), json!("ip")));
    let (_, u) = s.patch("/upstreams/up", json!({"algorithm": "round-robin"})).await;
    assert_eq!((u["algorithm"].clone(), u["hash_on"].clone()), (json!("round-robin"), json!("ip")), "hash_on kept");
    s.stop().await;
}

// kong/api/endpoints.lua:149-153 and kong/db/dao/init.lua:193-198 (3.5.0): key-auth's `ttl` is a DAO
// option; out of range or fractional it is 400 code 11 "invalid options" with `options`.
#[tokio::test]
async fn key_auth_ttl_out_of_range_is_invalid_options() {
    let s = sim().await;
    s.put("/consumers/bob", json!({})).await;
    for ttl in [json!(-1), json!(100_000_001), json!(1.5)] {
        let (st, body) = s.post("/consumers/bob/key-auth", json!({"ttl": ttl})).await;
        assert_eq!(st, 400, "{body}");
        assert_eq!(
            body,
            json!({"code": 11, "name": "invalid options",
                   "message": "invalid option (ttl: must be an integer between 0 and 100000000)",
                   "options": {"ttl": "must be an integer between 0 and 100000000"}})
        );
    }
    assert_eq!(s.post("/consumers/bob/key-auth", json!({"ttl": 100_000_000})).await.0, 201);
    s.stop().await;
}

// kong/db/declarative/export.lua:98-191, 259-270 and kong/clustering/control_plane.lua:98-116 (3.5.0):
// the expected hash is Kong's hash of export_config(): workspaces and the cluster_id parameter
// included, every field with its nulls and timestamps, foreign keys as bare ids, no ws_id, disabled
// services with their routes and plugins left out. The document below is written out by hand from
// those rules, with the ids and timestamps the simulator returned.
#[tokio::test]
async fn expected_hash_is_kongs_hash_of_its_export() {
    let s = sim().await;
    let (_, svc) =
        s.put("/services/00000000-0000-4000-8000-00000000000a", json!({"name": "a", "host": "a.internal"})).await;
    let (_, route) = s
        .put("/routes/00000000-0000-4000-8000-00000000000b", json!({"paths": ["/a"], "service": {"id": svc["id"]}}))
        .await;
    let (_, off) = s
        .put(
            "/services/00000000-0000-4000-8000-00000000000c",
            json!({"name": "off", "host": "off.internal", "enabled": false}),
        )
        .await;
    s.put("/routes/00000000-0000-4000-8000-00000000000d", json!({"paths": ["/off"], "service": {"id": off["id"]}}))
        .await;
    s.post("/services/off/plugins", json!({"name": "correlation-id"})).await;
    s.put("/consumers/00000000-0000-4000-8000-00000000000e", json!({"username": "bob"})).await;
    let (_, key) = s.put("/consumers/bob/key-auth/00000000-0000-4000-8000-00000000000f", json!({"key": "k"})).await;
    let ts = |v: &serde_json::Value| (v["created_at"].clone(), v["updated_at"].clone());
    let (sc, su) = ts(&svc);
    let (rc, ru) = ts(&route);
    let consumer = s.get("/consumers/bob").await.1;
    let (cc, cu) = ts(&consumer);
    let expected = json!({
        "_format_version": "3.0",
        "_transform": false,
        "workspaces": [{"id": "00000000-0000-4000-8000-000000000001", "name": "default", "comment": null,
                        "created_at": 1_700_000_000, "updated_at": 1_700_000_000, "meta": {}, "config": {}}],
        "parameters": [{"created_at": null, "key": "cluster_id", "value": "c1a57e20-0000-4000-8000-00000000c1d0"}],
        "services": [{"id": "00000000-0000-4000-8000-00000000000a", "created_at": sc, "updated_at": su, "name": "a",
                      "retries": 5, "protocol": "http", "host": "a.internal", "port": 80, "path": null,
                      "connect_timeout": 60000, "write_timeout": 60000, "read_timeout": 60000, "tags": null,
                      "client_certificate": null, "tls_verify": null, "tls_verify_depth": null,
                      "ca_certificates": null, "enabled": true}],
        "routes": [{"id": "00000000-0000-4000-8000-00000000000b", "created_at": rc, "updated_at": ru, "name": null,
                    "protocols": ["http", "https"], "https_redirect_status_code": 426, "strip_path": true,
                    "preserve_host": false, "request_buffering": true, "response_buffering": true, "tags": null,
                    "service": "00000000-0000-4000-8000-00000000000a", "methods": null, "hosts": null,
                    "paths": ["/a"], "headers": null, "regex_priority": 0, "path_handling": "v0", "snis": null,
                    "sources": null, "destinations": null}],
        "consumers": [{"id": "00000000-0000-4000-8000-00000000000e", "created_at": cc, "updated_at": cu,
                       "username": "bob", "custom_id": null, "tags": null}],
        "keyauth_credentials": [{"id": "00000000-0000-4000-8000-00000000000f", "created_at": key["created_at"],
                                 "consumer": "00000000-0000-4000-8000-00000000000e", "key": "k", "tags": null,
                                 "ttl": null}],
    });
    assert_eq!(s.handle.kong_expected_hash(), kongsync_hash::config_hash(&expected));
    s.stop().await;
}

const LEAF: &str = include_str!("fixtures/leaf.pem");
const LEAF_KEY: &str = include_str!("fixtures/leaf.key");
const CA: &str = include_str!("fixtures/ca.pem");
const CA_KEY: &str = include_str!("fixtures/ca.key");
const RSA: &str = include_str!("fixtures/rsa.pem");
const RSA_KEY: &str = include_str!("fixtures/rsa-pkcs1.key");

// kong/db/schema/entities/certificates.lua:28-73 and typedefs.lua:221-238 (3.5.0): keys must load,
// a key must be its certificate's, and the alternative certificate must be of another key type.
#[tokio::test]
async fn certificates_need_their_own_key() {
    let s = sim().await;
    let (st, e) = s.post("/certificates", json!({"cert": LEAF, "key": CA_KEY})).await;
    assert_eq!((st, e["fields"]["@entity"].clone()), (400, json!(["certificate does not match key"])), "{e}");
    let (st, e) = s
        .post(
            "/certificates",
            json!({"cert": LEAF, "key": "-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n"}),
        )
        .await;
    assert_eq!(st, 400);
    assert!(e["fields"]["key"].as_str().unwrap().starts_with("invalid key"), "{e}");
    let (st, e) = s
        .post(
            "/certificates",
            json!({"cert": "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n", "key": LEAF_KEY}),
        )
        .await;
    assert!(st == 400 && e["fields"]["cert"].as_str().unwrap().starts_with("invalid certificate"), "{e}");
    assert_eq!(
        s.post("/certificates", json!({"cert": RSA, "key": RSA_KEY, "cert_alt": LEAF, "key_alt": LEAF_KEY})).await.0,
        201
    );
    let (st, e) =
        s.post("/certificates", json!({"cert": LEAF, "key": LEAF_KEY, "cert_alt": CA, "key_alt": CA_KEY})).await;
    assert_eq!(st, 400);
    assert!(e["fields"]["@entity"][0].as_str().unwrap().contains("different type"), "{e}");
    s.stop().await;
}

// kong/db/schema/entities/ca_certificates.lua:24-79 (3.5.0): cert_digest is the hex SHA-256 of the
// DER; one certificate at a time, and it must be a CA.
#[tokio::test]
async fn ca_certificates_digest_the_der_and_must_be_cas() {
    let s = sim().await;
    let (st, ca) = s.post("/ca_certificates", json!({"cert": CA})).await;
    assert_eq!(st, 201, "{ca}");
    // `openssl x509 -in tests/fixtures/ca.pem -outform DER | sha256sum`
    assert_eq!(ca["cert_digest"], "414ec9e0b3f12a1f511caac6ec0fd75b99415543ee0e090a77b3efc3b0b39283");
    let (st, e) = s.post("/ca_certificates", json!({"cert": LEAF})).await;
    assert_eq!(st, 400);
    assert_eq!(
        e["fields"]["@entity"],
        json!(["certificate does not appear to be a CA because it is missing the \"CA\" basic constraint"])
    );
    let (st, e) = s.post("/ca_certificates", json!({"cert": format!("{CA}{LEAF}")})).await;
    assert_eq!((st, e["fields"]["@entity"].clone()), (400, json!(["please submit only one certificate at a time"])));
    s.stop().await;
}

// kong/api/routes/certificates.lua:14-40 (3.5.0): a certificate named by an unknown SNI is 404 "SNI not
// found" except on PUT, which creates it with that name among its SNIs.
#[tokio::test]
async fn certificates_by_unknown_sni() {
    let s = sim().await;
    let sni_not_found = (404, json!({"message": "SNI not found"}));
    assert_eq!(s.get("/certificates/nope.example").await, sni_not_found);
    assert_eq!(s.patch("/certificates/nope.example", json!({"tags": ["x"]})).await, sni_not_found);
    assert_eq!(s.delete("/certificates/nope.example").await, sni_not_found);
    assert_eq!(s.get("/certificates/nope.example/snis").await, sni_not_found);
    let (st, c) =
        s.put("/certificates/new.example", json!({"cert": LEAF, "key": LEAF_KEY, "snis": ["a.example"]})).await;
    assert_eq!((st, c["snis"].clone()), (200, json!(["a.example", "new.example"])), "{c}");
    assert_eq!(s.get("/certificates/new.example").await.1["id"], c["id"]);
    s.stop().await;
}

// kong/db/schema/entities/keys.lua:65-123 and typedefs.lua:631-663 (3.5.0): JWK and PEM keys.
#[tokio::test]
async fn keys_must_load() {
    let s = sim().await;
    let jwk =
        |kty: &str| json!({"kid": "k1", "jwk": json!({"kid": "k1", "kty": kty, "n": "AQAB", "e": "AQAB"}).to_string()});
    assert_eq!(s.post("/keys", jwk("RSA")).await.0, 201);
    let (st, e) =
        s.post("/keys", json!({"kid": "k2", "jwk": json!({"kid": "k2", "kty": "oct", "k": "AQAB"}).to_string()})).await;
    assert_eq!((st, e["fields"]["@entity"].clone()), (400, json!(["could not load JWK, likely not a valid key"])));
    let (st, e) = s.post("/keys", json!({"kid": "k3", "jwk": "{\"kid\": \"other\"}"})).await;
    assert_eq!((st, e["fields"]["@entity"].clone()), (400, json!(["kid in jwk.kid must be equal to keys.kid"])));
    let (st, e) = s.post("/keys", json!({"kid": "k4", "pem": {"private_key": LEAF_KEY}})).await;
    assert_eq!((st, e["fields"]["pem"].clone()), (400, json!("could not load public key")));
    let public = "-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEOWz2y39+ow11EodbZ4llHOG6+PttZdTRNZw+uVV0M+FsAn8Z+iIYqSYHkSyITRDaDoQ+O6hhKOPm/pQmN7TXMg==\n-----END PUBLIC KEY-----\n";
    assert_eq!(
        s.post("/keys", json!({"kid": "k5", "pem": {"private_key": LEAF_KEY, "public_key": public}})).await.0,
        201
    );
    s.stop().await;
}

// decK's fixture dump/007-keys-and-key_sets/konnect-jwk.yaml: Konnect re-serialises a JWK compactly,
// kid and kty first; Kong keeps the string it was given.
#[tokio::test]
async fn konnect_compacts_jwks() {
    let mut s = sim().await;
    s.token = Some("kpat_sim".into());
    let root = format!("/v2/control-planes/{}/core-entities", s.handle.default_control_plane_id());
    let given = "{\"kty\": \"RSA\", \"kid\": \"k1\", \"n\": \"AQAB\", \"e\": \"AQAB\", \"alg\": \"RS256\"}";
    let (st, k) = s.post(&format!("{root}/keys"), json!({"kid": "k1", "jwk": given})).await;
    assert_eq!(st, 201, "{k}");
    assert_eq!(k["jwk"], "{\"kid\":\"k1\",\"kty\":\"RSA\",\"alg\":\"RS256\",\"n\":\"AQAB\",\"e\":\"AQAB\"}");
    assert_eq!(s.post("/keys", json!({"kid": "k1", "jwk": given})).await.1["jwk"], given);
    s.stop().await;
}

// kong/plugins/oauth2/daos.lua:47-61 with secret.lua:198-284 (3.5.0): hash_secret stores a PBKDF2 PHC
// string in client_secret; a PATCH changing the secret must say hash_secret too.
#[tokio::test]
async fn oauth2_hash_secret_stores_a_phc_hash() {
    let s = sim().await;
    s.put("/consumers/bob", json!({})).await;
    let (st, c) = s
        .post(
            "/consumers/bob/oauth2",
            json!({"name": "app", "client_id": "cid", "client_secret": "s3cret", "hash_secret": true}),
        )
        .await;
    assert_eq!(st, 201, "{c}");
    let secret = c["client_secret"].as_str().unwrap();
    assert!(secret.starts_with("$pbkdf2-sha512$i=10000,l=32$") && !secret.contains("s3cret"), "{secret}");
    let (_, plain) = s.post("/consumers/bob/oauth2", json!({"name": "p", "client_secret": "plain"})).await;
    assert_eq!(plain["client_secret"], "plain");
    let (st, e) = s.patch("/oauth2/cid", json!({"client_secret": "new"})).await;
    assert_eq!(
        (st, e["fields"]["@entity"].clone()),
        (400, json!(["all or none of these fields must be set: 'hash_secret', 'client_secret'"]))
    );
    let (st, e) =
        s.post("/consumers/bob/oauth2", json!({"name": "x", "redirect_uris": ["https://a.example/cb#frag"]})).await;
    assert_eq!(
        (st, e["fields"]["redirect_uris"][0].clone()),
        (400, json!("fragment not allowed in 'https://a.example/cb#frag'"))
    );
    s.stop().await;
}

// kong/db/schema/entities/routes_subschemas.lua:23-44 and typedefs.lua:517-557 (3.5.0): on a stream
// route an empty `methods` is still set (the field must be null); sources need an ip or a port.
#[tokio::test]
async fn route_subschema_fields() {
    let s = sim().await;
    let (st, e) = s.post("/routes", json!({"protocols": ["tcp"], "methods": [], "destinations": [{"port": 80}]})).await;
    assert_eq!(st, 400);
    assert_eq!(
        e["fields"]["methods"],
        "cannot set 'methods' when 'protocols' is 'tcp', 'tls', 'tls_passthrough' or 'udp'"
    );
    let (st, e) = s.post("/routes", json!({"protocols": ["tcp"], "sources": [{"ip": "10.0.0.0/8"}, {}]})).await;
    assert_eq!(st, 400);
    assert_eq!(
        e["fields"]["sources"],
        json!([null, {"@entity": ["at least one of these fields must be non-empty: 'ip', 'port'"]}])
    );
    assert_eq!(s.post("/routes", json!({"protocols": ["tcp"], "sources": [{"port": 9000}]})).await.0, 201);
    s.stop().await;
}

// kong/tools/utils.lua check_hostname (3.5.0), through typedefs.host.
#[tokio::test]
async fn host_names() {
    let s = sim().await;
    assert_eq!(s.post("/services", json!({"host": "example.com."})).await.0, 201);
    let (st, e) = s.post("/services", json!({"host": "bad-.example.com"})).await;
    assert_eq!((st, e["fields"]["host"].clone()), (400, json!("invalid value: bad-.example.com")));
    s.stop().await;
}

// kong/db/dao/plugins.lua:23-80 (3.5.0): a plugin's protocols must meet its route's, or one of its
// service's routes'.
#[tokio::test]
async fn plugin_protocols_meet_the_routes() {
    let s = sim().await;
    s.put("/services/a", json!({"host": "a.internal"})).await;
    s.put("/services/a/routes/r", json!({"protocols": ["http"], "paths": ["/"]})).await;
    let (st, e) = s.post("/routes/r/plugins", json!({"name": "correlation-id", "protocols": ["https"]})).await;
    assert_eq!((st, e["fields"]["protocols"].clone()), (400, json!("must match the associated route's protocols")));
    let (st, e) = s.post("/services/a/plugins", json!({"name": "correlation-id", "protocols": ["grpc"]})).await;
    assert_eq!(
        (st, e["fields"]["protocols"].clone()),
        (400, json!("must match the protocols of at least one route pointing to this Plugin's service"))
    );
    assert_eq!(
        s.post("/routes/r/plugins", json!({"name": "correlation-id", "protocols": ["http", "grpc"]})).await.0,
        201
    );
    assert_eq!(s.post("/services/a/plugins", json!({"name": "cors"})).await.0, 201, "no protocols given: no check");
    s.stop().await;
}

// kong/db/schema/entities/vaults.lua:43-66 and kong/vaults/env/schema.lua (3.5.0).
#[tokio::test]
async fn vault_names_are_installed_vaults() {
    let s = sim().await;
    let (st, e) = s.post("/vaults", json!({"name": "aws", "prefix": "my-aws"})).await;
    assert_eq!((st, e["fields"]["name"].clone()), (400, json!("vault 'aws' is not installed")));
    let (st, v) = s.post("/vaults", json!({"name": "env", "prefix": "my-env"})).await;
    assert_eq!((st, v["config"].clone()), (201, json!({"prefix": null})));
    let (st, e) = s.post("/vaults", json!({"name": "env", "prefix": "env"})).await;
    assert_eq!((st, e["fields"]["prefix"].clone()), (400, json!("must not be one of: env")));
    let (st, e) = s.post("/vaults", json!({"name": "env", "prefix": "other", "config": {"x": 1}})).await;
    assert_eq!((st, e["fields"]["config"]["x"].clone()), (400, json!("unknown field")));
    let e = enterprise().await;
    assert_eq!(e.post("/vaults", json!({"name": "aws", "prefix": "my-aws"})).await.0, 201);
    e.stop().await;
    s.stop().await;
}

// kong/api/api_helpers.lua:240-268 (3.5.0): a body of another media type is 415; one without a
// content type is not read.
#[tokio::test]
async fn media_types() {
    let s = sim().await;
    let send = |ct: Option<&'static str>| {
        let mut r = s.client.post(format!("{}/consumers", s.base)).body("{\"username\": \"bob\"}");
        if let Some(ct) = ct {
            r = r.header("content-type", ct);
        }
        async move {
            let resp = r.send().await.unwrap();
            (resp.status().as_u16(), resp.text().await.unwrap())
        }
    };
    assert_eq!(send(Some("text/plain")).await, (415, String::new()));
    let (st, body) = send(None).await;
    assert_eq!(st, 400, "the body was not read: {body}");
    assert_eq!(send(Some("application/json; charset=utf-8")).await.0, 201);
    s.stop().await;
}

// kong/db/strategies/postgres/init.lua:488-497 and kong/api/endpoints.lua:184-194 (3.5.0).
#[tokio::test]
async fn paging_messages() {
    let s = sim().await;
    let (st, e) = s.get("/consumers?offset=@@").await;
    assert_eq!((st, e["message"].clone()), (400, json!("'@@' is not a valid offset: bad base64 encoding")));
    let (_, e) = s.get("/consumers?offset=bm90IGpzb24").await;
    assert_eq!(
        e,
        json!({"code": 7, "name": "invalid offset", "message": "'bm90IGpzb24' is not a valid offset: bad json encoding"})
    );
    let (_, e) = s.get("/consumers?size=abc").await;
    assert_eq!(e, json!({"code": 9, "name": "invalid size", "message": "size must be a number"}));
    assert_eq!(s.get("/consumers?size=2.5").await.1["message"], "size must be an integer between 1 and 1000");
    s.stop().await;
}

// Konnect's description calls PUT on a target an upsert and lists only 204 for nested deletes.
#[tokio::test]
async fn konnect_target_put_upserts() {
    let mut s = sim().await;
    s.token = Some("kpat_sim".into());
    let root = format!("/v2/control-planes/{}/core-entities", s.handle.default_control_plane_id());
    s.put(&format!("{root}/upstreams/up"), json!({})).await;
    let id = "6f1c5b7e-2d4a-4c1e-9a53-0c9a1d2b3e4f";
    let (st, t) = s.put(&format!("{root}/upstreams/up/targets/{id}"), json!({"target": "10.0.0.1:80"})).await;
    assert_eq!((st, t["failover"].clone()), (200, json!(false)), "{t}");
    assert_eq!(s.delete(&format!("{root}/upstreams/up/targets/{id}")).await.0, 204);
    assert_eq!(s.delete(&format!("{root}/upstreams/up/targets/{id}")).await.0, 204);
    let (_, u) = s.get(&format!("{root}/upstreams/up")).await;
    assert_eq!(u["sticky_sessions_cookie_path"], "/");
    s.stop().await;
}

// kong/db/schema/typedefs.lua:315-325 (3.5.0): typedefs.path declares `starts_with = "/"`, used by
// services.path (services.lua:38), upstreams.hash_on_cookie_path (upstreams.lua:193) and the
// healthchecks' http_path (upstreams.lua:139): `/schemas` shows it and a write is refused without it.
#[tokio::test]
async fn typedefs_path_starts_with_a_slash() {
    let s = sim().await;
    let (_, schema) = s.get("/schemas/services").await;
    let path = schema["fields"].as_array().unwrap().iter().find_map(|f| f.get("path")).unwrap();
    assert_eq!(path["starts_with"], "/", "{path}");
    let (st, body) = s.post("/services", json!({"host": "h", "path": "orders"})).await;
    assert_eq!((st, body["fields"]["path"].clone()), (400, json!("should start with: /")), "{body}");
    let (st, body) = s.put("/upstreams/u", json!({"hash_on_cookie_path": "x"})).await;
    assert_eq!((st, body["fields"]["hash_on_cookie_path"].clone()), (400, json!("should start with: /")), "{body}");
    let (_, schema) = s.get("/schemas/upstreams").await;
    let cookie = schema["fields"].as_array().unwrap().iter().find_map(|f| f.get("hash_on_cookie_path")).unwrap();
    assert_eq!(cookie["starts_with"], "/", "{cookie}");
    s.stop().await;
}

// kong/db/schema/entities/plugins.lua:22-25 (3.5.0): route, service and consumer default to null and
// `config` is an abstract record that is not required: a global plugin sent without a config is
// stored with null scope references and its subschema's defaults.
#[tokio::test]
async fn a_plugin_without_config_gets_its_defaults_and_null_scopes() {
    let s = sim().await;
    let (st, p) = s.post("/plugins", json!({"name": "cors"})).await;
    assert_eq!(st, 201, "{p}");
    assert_eq!(
        (p["route"].clone(), p["service"].clone(), p["consumer"].clone()),
        (json!(null), json!(null), json!(null))
    );
    assert_eq!(p["config"]["max_age"], json!(null), "{p}");
    assert_eq!(p["config"]["credentials"], json!(false), "{p}");
    let (_, schema) = s.get("/schemas/plugins").await;
    let fields = schema["fields"].as_array().unwrap();
    let route = fields.iter().find_map(|f| f.get("route")).unwrap();
    assert!(route.as_object().unwrap().contains_key("default") && route["default"].is_null(), "{route}");
    let config = fields.iter().find_map(|f| f.get("config")).unwrap();
    assert_ne!(config["required"], true, "{config}");
    s.stop().await;
}

// kong/plugins/key-auth/daos.lua:17 (3.5.0): `key` is required = false and auto: a credential sent
// without one is given a generated key, and `/schemas` does not mark it required.
#[tokio::test]
async fn a_key_auth_key_is_optional_and_generated() {
    let s = sim().await;
    s.put("/consumers/alice", json!({})).await;
    let (st, cred) = s.post("/consumers/alice/key-auth", json!({})).await;
    assert_eq!(st, 201, "{cred}");
    assert!(cred["key"].as_str().is_some_and(|k| k.len() >= 16), "{cred}");
    let (st, schema) = s.get("/schemas/keyauth_credentials").await;
    assert_eq!(st, 200, "{schema}");
    let key = schema["fields"].as_array().unwrap().iter().find_map(|f| f.get("key")).unwrap();
    assert_ne!(key["required"], true, "{key}");
    s.stop().await;
}

// kong/db/schema/init.lua:1719-1720 (3.5.0): on insert and upsert, `created_at` is the body's value,
// or now when the body has none; kong/db/strategies/postgres/init.lua:938-941: the upsert of a PUT
// then sets every column, `created_at` included, so a PUT without it moves it. An update (PATCH,
// kong/db/dao/init.lua:484-500, "update" context) never sets it: it keeps the stored one.
#[tokio::test]
async fn created_at_is_the_bodys_on_put_and_kept_on_patch() {
    let s = sim().await;
    let old = 1_600_000_000;
    let (st, svc) = s.put("/services/s1", json!({"host": "a.internal", "created_at": old})).await;
    assert_eq!((st, svc["created_at"].clone()), (200, json!(old)), "{svc}");
    let (_, svc) = s.patch("/services/s1", json!({"host": "b.internal"})).await;
    assert_eq!(svc["created_at"], json!(old), "PATCH keeps it: {svc}");
    let (_, svc) = s.put("/services/s1", json!({"host": "c.internal", "created_at": old})).await;
    assert_eq!(svc["created_at"], json!(old), "a PUT that sends it keeps it: {svc}");
    let (_, svc) = s.put("/services/s1", json!({"host": "d.internal"})).await;
    assert!(svc["created_at"].as_i64().unwrap() > old, "a PUT without it stamps now: {svc}");
    s.stop().await;
}

// kong/api/routes/kong.lua:33-46, 197-208 (3.5.0): `/schemas/plugins/validate` and
// `/schemas/:db_entity_name/validate` run `process_auto_fields(params, "insert")` then `validate`:
// 200 `{"message": "schema validation successful"}`, a 400 schema violation in kong/db/errors.lua's
// shape (code 2, `fields` by path; kong/db/errors.lua:214-259), a 404 for an unknown entity; and
// nothing is stored.
#[tokio::test]
async fn validate_endpoints_check_without_storing() {
    let s = sim().await;
    let (st, body) =
        s.post("/schemas/plugins/validate", json!({"name": "rate-limiting", "config": {"minute": 5}})).await;
    assert_eq!((st, body), (200, json!({"message": "schema validation successful"})));
    let (st, body) =
        s.post("/schemas/plugins/validate", json!({"name": "rate-limiting", "config": {"minute": 0}})).await;
    assert_eq!((st, body["code"].clone(), body["name"].clone()), (400, json!(2), json!("schema violation")), "{body}");
    assert_eq!(body["fields"]["config"]["minute"], "value must be greater than 0", "{body}");
    let (st, body) = s.post("/schemas/plugins/validate", json!({"name": "no-such-plugin"})).await;
    assert_eq!(st, 400, "{body}");
    assert_eq!(
        body["fields"]["name"], "plugin 'no-such-plugin' not enabled; add it to the 'plugins' configuration property",
        "{body}"
    );
    let (st, body) = s
        .post(
            "/schemas/targets/validate",
            json!({"target": ":::", "upstream": {"id": "6f1c5b7e-2d4a-4c1e-9a53-0c9a1d2b3e4f"}}),
        )
        .await;
    assert_eq!(st, 400, "{body}");
    assert!(body["fields"]["target"].as_str().is_some_and(|m| m.starts_with("Invalid target")), "{body}");
    let (st, body) = s.post("/schemas/nothing/validate", json!({})).await;
    assert_eq!((st, body), (404, json!({"message": "No entity named 'nothing'"})));
    // No database checks: a reference to nothing validates; and nothing was written.
    let (st, _) = s
        .post(
            "/schemas/routes/validate",
            json!({"paths": ["/x"], "service": {"id": "6f1c5b7e-2d4a-4c1e-9a53-0c9a1d2b3e4f"}}),
        )
        .await;
    assert_eq!(st, 200);
    for list in ["/plugins", "/routes", "/upstreams"] {
        let (_, body) = s.get(list).await;
        assert_eq!(body["data"], json!([]), "{list}");
    }
    s.stop().await;
}

// kong/api/routes/kong.lua:117-123, 136-142 (3.5.0): `GET /` lists every loaded plugin with its
// version and priority under `plugins.available_on_server`, and the distinct names configured in
// `enabled_in_cluster`.
#[tokio::test]
async fn node_info_lists_loaded_and_configured_plugins() {
    let s = sim().await;
    s.post("/plugins", json!({"name": "cors"})).await;
    s.post("/plugins", json!({"name": "key-auth"})).await;
    let (_, info) = s.get("/").await;
    let available = info["plugins"]["available_on_server"].as_object().unwrap();
    assert_eq!(available.len(), 37, "Kong 3.5.0 bundles 37 plugins (kong/constants.lua)");
    assert_eq!(available["key-auth"]["priority"], 1250);
    assert!(!available.contains_key("rate-limiting-advanced"), "an Enterprise plugin the simulator does not have");
    // Kong lists them in the database's order; the simulator sorts them.
    assert_eq!(info["plugins"]["enabled_in_cluster"], json!(["cors", "key-auth"]));
    s.stop().await;
}
