//! HTTP-level tests of the Kong Admin API surface: create/get/put/patch/delete, defaults, unique and
//! foreign-key rules, nested paths, shorthands and Kong's error bodies.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
use common::sim;
use serde_json::json;

#[tokio::test]
async fn service_crud_defaults_and_errors() {
    let s = sim().await;
    let (st, svc) = s.post("/services", json!({"name": "orders", "host": "orders.internal"})).await;
    assert_eq!(st, 201, "{svc}");
    assert_eq!(svc["port"], 80);
    assert_eq!(svc["protocol"], "http");
    assert_eq!(svc["retries"], 5);
    assert_eq!(svc["connect_timeout"], 60000);
    assert_eq!(svc["enabled"], true);
    assert!(svc["path"].is_null());
    assert!(svc["tls_verify_depth"].is_null());
    assert!(svc["created_at"].is_i64());
    let id = svc["id"].as_str().unwrap().to_string();

    // Get by id and by name.
    assert_eq!(s.get(&format!("/services/{id}")).await.1["name"], "orders");
    assert_eq!(s.get("/services/orders").await.1["id"], id.as_str());
    let (st, body) = s.get("/services/missing").await;
    assert_eq!((st, body), (404, json!({"message": "Not found"})));

    // 409 on a duplicate name.
    let (st, body) = s.post("/services", json!({"name": "orders", "host": "x"})).await;
    assert_eq!(st, 409);
    assert_eq!(body["code"], 5);
    assert_eq!(body["name"], "unique constraint violation");
    assert_eq!(body["message"], "UNIQUE violation detected on '{name=\"orders\"}'");
    assert_eq!(body["fields"], json!({"name": "orders"}));

    // Schema violation body.
    let (st, body) = s.post("/services", json!({})).await;
    assert_eq!(st, 400);
    assert_eq!(
        body,
        json!({"code": 2, "name": "schema violation", "message": "schema violation (host: required field missing)",
               "fields": {"host": "required field missing"}})
    );

    // PATCH merges, PUT replaces with defaults.
    let (st, body) = s.patch("/services/orders", json!({"retries": 9})).await;
    assert_eq!((st, body["retries"].clone(), body["host"].clone()), (200, json!(9), json!("orders.internal")));
    let (st, body) = s.put("/services/orders", json!({"host": "new.internal"})).await;
    assert_eq!(st, 200);
    assert_eq!(body["retries"], 5, "PUT resets to defaults");
    assert_eq!(body["id"], id.as_str(), "PUT by name keeps the id");
    assert_eq!(body["name"], "orders");

    // PATCH of a missing entity: code 6.
    let (st, body) = s.patch("/services/nope", json!({"retries": 1})).await;
    assert_eq!(st, 404);
    assert_eq!(body["code"], 6);

    // DELETE twice: 204 both times.
    assert_eq!(s.delete("/services/orders").await.0, 204);
    assert_eq!(s.delete("/services/orders").await.0, 204);
    assert_eq!(s.get(&format!("/services/{id}")).await.0, 404);
    s.stop().await;
}

#[tokio::test]
async fn put_by_id_creates_and_url_shorthand() {
    let s = sim().await;
    let id = "6f1c5b7e-2d4a-4c1e-9a53-0c9a1d2b3e4f";
    let (st, body) =
        s.put(&format!("/services/{id}"), json!({"name": "a", "url": "https://api.example.com:8443/v1"})).await;
    assert_eq!(st, 200, "{body}");
    assert_eq!(body["id"], id);
    assert_eq!(body["protocol"], "https");
    assert_eq!(body["host"], "api.example.com");
    assert_eq!(body["port"], 8443);
    assert_eq!(body["path"], "/v1");
    assert!(body.get("url").is_none());
    let (_, body) = s.patch(&format!("/services/{id}"), json!({"url": "http://h.example"})).await;
    assert_eq!((body["port"].clone(), body["path"].clone()), (json!(80), json!(null)));
    s.stop().await;
}

#[tokio::test]
async fn restrict_and_cascade_deletes() {
    let s = sim().await;
    let (_, svc) = s.post("/services", json!({"name": "svc", "host": "h"})).await;
    let (st, route) = s.post("/services/svc/routes", json!({"name": "r1", "paths": ["/a"]})).await;
    assert_eq!(st, 201, "{route}");
    assert_eq!(route["service"]["id"], svc["id"]);
    assert_eq!(route["protocols"], json!(["http", "https"]));
    assert_eq!(route["strip_path"], true);
    let (st, _) = s.post("/services/svc/plugins", json!({"name": "cors"})).await;
    assert_eq!(st, 201);

    // Restrict: a route references the service.
    let (st, body) = s.delete("/services/svc").await;
    assert_eq!(st, 400);
    assert_eq!(body["code"], 4);
    assert_eq!(body["name"], "foreign key violation");
    assert_eq!(body["message"], "an existing 'routes' entity references this 'services' entity");
    assert_eq!(body["fields"], json!({"@referenced_by": "routes"}));

    // Cascade: plugins go with the service once the route is gone.
    assert_eq!(s.delete("/routes/r1").await.0, 204);
    assert_eq!(s.delete("/services/svc").await.0, 204);
    assert_eq!(s.get("/plugins").await.1["data"], json!([]));

    // Consumers cascade to credentials.
    s.post("/consumers", json!({"username": "bob"})).await;
    let (st, cred) = s.post("/consumers/bob/key-auth", json!({})).await;
    assert_eq!(st, 201);
    assert_eq!(cred["key"].as_str().unwrap().len(), 32);
    assert_eq!(s.delete("/consumers/bob").await.0, 204);
    assert_eq!(s.get("/key-auths").await.1["data"], json!([]));

    // A reference to a missing parent: code 4; by an unknown name: code 13.
    let (st, body) =
        s.post("/routes", json!({"paths": ["/x"], "service": {"id": "6f1c5b7e-2d4a-4c1e-9a53-0c9a1d2b3e4f"}})).await;
    assert_eq!((st, body["code"].clone()), (400, json!(4)));
    let (st, body) = s.post("/routes", json!({"paths": ["/x"], "service": {"name": "ghost"}})).await;
    assert_eq!((st, body["code"].clone()), (400, json!(13)));
    s.stop().await;
}

#[tokio::test]
async fn routes_checks() {
    let s = sim().await;
    let (st, body) = s.post("/routes", json!({})).await;
    assert_eq!(st, 400);
    assert_eq!(
        body["fields"]["@entity"],
        json!(["must set one of 'methods', 'hosts', 'headers', 'paths', 'snis' when 'protocols' is 'https'"])
    );
    let (st, body) = s.post("/routes", json!({"protocols": ["grpc"], "paths": ["/p"]})).await;
    assert_eq!(st, 201, "{body}");
    assert_eq!(body["strip_path"], false);
    let (st, body) = s.post("/routes", json!({"protocols": ["http", "grpc"], "paths": ["/p"]})).await;
    assert_eq!(st, 400, "{body}");
    let (st, _) = s.post("/routes", json!({"paths": ["/a/../b"]})).await;
    assert_eq!(st, 400);
    s.stop().await;
}

#[tokio::test]
async fn basic_auth_password_is_hashed() {
    use sha1::Digest;
    let s = sim().await;
    let (_, c) = s.post("/consumers", json!({"username": "alice"})).await;
    let (st, cred) = s.post("/consumers/alice/basic-auth", json!({"username": "alice", "password": "s3cret"})).await;
    assert_eq!(st, 201, "{cred}");
    let expected = hex::encode(sha1::Sha1::digest(format!("s3cret{}", c["id"].as_str().unwrap()).as_bytes()));
    assert_eq!(cred["password"], expected.as_str());
    s.stop().await;
}

#[tokio::test]
async fn plugins_scope_unique_and_unknown_names() {
    let s = sim().await;
    s.post("/services", json!({"name": "svc", "host": "h"})).await;
    let (st, p) = s.post("/plugins", json!({"name": "key-auth", "service": {"name": "svc"}})).await;
    assert_eq!(st, 201, "{p}");
    assert_eq!(p["config"]["key_names"], json!(["apikey"]));
    assert_eq!(p["protocols"], json!(["grpc", "grpcs", "http", "https"]));
    let (st, body) = s.post("/services/svc/plugins", json!({"name": "key-auth"})).await;
    assert_eq!(st, 409);
    assert_eq!(body["fields"]["name"], "key-auth");
    // Same name, other scope: fine.
    assert_eq!(s.post("/plugins", json!({"name": "key-auth"})).await.0, 201);
    let (st, body) = s.post("/plugins", json!({"name": "nope"})).await;
    assert_eq!(st, 400);
    assert_eq!(body["fields"]["name"], "plugin 'nope' not enabled; add it to the 'plugins' configuration property");
    // consumer is forced null for key-auth.
    s.post("/consumers", json!({"username": "c"})).await;
    let (st, _) = s.post("/consumers/c/plugins", json!({"name": "key-auth"})).await;
    assert_eq!(st, 400);
    // PATCH deep-merges config.
    let id = p["id"].as_str().unwrap();
    let (st, body) = s.patch(&format!("/plugins/{id}"), json!({"config": {"hide_credentials": true}})).await;
    assert_eq!(st, 200, "{body}");
    assert_eq!(body["config"]["hide_credentials"], true);
    assert_eq!(body["config"]["key_names"], json!(["apikey"]));
    s.stop().await;
}

#[tokio::test]
async fn targets_certificates_and_info() {
    let s = sim().await;
    s.post("/upstreams", json!({"name": "up"})).await;
    let (st, t) = s.post("/upstreams/up/targets", json!({"target": "10.0.0.1"})).await;
    assert_eq!(st, 201, "{t}");
    assert_eq!(t["target"], "10.0.0.1:8000");
    assert_eq!(t["weight"], 100);
    assert_eq!(s.post("/upstreams/up/targets", json!({"target": "10.0.0.1:8000"})).await.0, 409);
    assert_eq!(s.get("/targets").await.0, 404);
    let (st, t2) = s.patch("/upstreams/up/targets/10.0.0.1:8000", json!({"weight": 5})).await;
    assert_eq!((st, t2["weight"].clone()), (200, json!(5)));
    assert_eq!(s.get("/upstreams/up/targets").await.1["data"].as_array().unwrap().len(), 1);

    let cert = include_str!("fixtures/leaf.pem");
    let key = include_str!("fixtures/leaf.key");
    let (st, c) = s.post("/certificates", json!({"cert": cert, "key": key, "snis": ["b.example", "a.example"]})).await;
    assert_eq!(st, 201, "{c}");
    assert_eq!(c["snis"], json!(["a.example", "b.example"]));
    assert_eq!(s.get("/snis").await.1["data"].as_array().unwrap().len(), 2);
    let cid = c["id"].as_str().unwrap();
    let (_, c2) = s.put(&format!("/certificates/{cid}"), json!({"cert": cert, "key": key})).await;
    assert_eq!(c2["snis"], json!([]));

    let (st, info) = s.get("/").await;
    assert_eq!((st, info["version"].clone()), (200, json!("3.5.0")));
    assert_eq!(info["configuration"]["database"], "postgres");
    assert_eq!(s.get("/status").await.1["database"]["reachable"], true);
    let (st, schema) = s.get("/schemas/plugins/rate-limiting").await;
    assert_eq!(st, 200);
    assert!(schema["fields"].as_array().unwrap().iter().any(|f| f.get("config").is_some()));
    assert_eq!(s.get("/schemas/services").await.0, 200);
    assert_eq!(s.get("/schemas/nope").await.0, 404);
    s.stop().await;
}

#[test]
fn handle_is_send_and_sync() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<kongsync_sim::SimHandle>();
}

#[tokio::test]
async fn put_regenerates_auto_fields_and_nested_rules() {
    let s = sim().await;
    s.post("/consumers", json!({"username": "bob"})).await;
    let (_, k) = s.post("/consumers/bob/key-auth", json!({"key": "fixed-key"})).await;
    assert_eq!(k["key"], "fixed-key");
    let id = k["id"].as_str().unwrap();
    let (st, k2) = s.put(&format!("/consumers/bob/key-auth/{id}"), json!({})).await;
    assert_eq!(st, 200, "{k2}");
    assert_ne!(k2["key"], "fixed-key", "PUT without `key` regenerates it");
    assert_eq!(s.get("/key-auths/fixed-key").await.0, 404);

    // A nested GET of another parent's row is 404 (kong/api/endpoints.lua:466-478, 3.5.0); the
    // nested PUT that moves it is in kong_fidelity.rs.
    s.post("/services", json!({"name": "a", "host": "h"})).await;
    s.post("/services", json!({"name": "b", "host": "h"})).await;
    s.post("/services/a/routes", json!({"name": "r", "paths": ["/"]})).await;
    assert_eq!(s.get("/services/b/routes/r").await.0, 404);
    assert_eq!(s.get("/services/a/routes/r").await.0, 200);
    assert_eq!(s.get("/routes/r/service").await.1["name"], "a");

    // Kong 3.5 targets: PUT by target address updates only.
    s.post("/upstreams", json!({"name": "up"})).await;
    assert_eq!(s.put("/upstreams/up/targets/10.9.9.9:8000", json!({"target": "10.9.9.9:8000"})).await.0, 404);

    // Validation endpoint: no database checks, defaults filled.
    let (st, body) = s.post("/schemas/services/validate", json!({"host": "x"})).await;
    assert_eq!((st, body["message"].clone()), (200, json!("schema validation successful")));
    assert_eq!(s.post("/schemas/services/validate", json!({"port": "x"})).await.0, 400);

    // Bad endpoint-key values are 400 code 10; no endpoint key at all is code 1.
    assert_eq!(s.get("/services/a%20b").await.1["code"], 10);
    assert_eq!(s.get("/ca_certificates/not-a-uuid").await.1["code"], 1);
    // Malformed JSON.
    let resp = s
        .client
        .post(format!("{}/services", s.base))
        .header("content-type", "application/json")
        .body("{nope")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 400);
    assert_eq!(resp.json::<serde_json::Value>().await.unwrap(), json!({"message": "Cannot parse JSON body"}));
    s.stop().await;
}
