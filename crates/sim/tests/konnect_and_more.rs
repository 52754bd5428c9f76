//! HTTP-level tests of paging with tags, Konnect (auth, control planes, core entities, membership,
//! expected hash, nodes), data planes that lag, deterministic faults and persistence.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
use common::{sim, sim_with, T};
use kongsync_sim::{DataPlaneSpec, FaultRule, Faults, SimConfig};
use serde_json::{json, Value};
use std::time::Duration;

#[tokio::test]
async fn paging_across_2500_entities_with_tags() {
    let s = sim().await;
    for i in 0..2500 {
        let tags = if i % 2 == 0 { json!(["even", "all"]) } else { json!(["odd", "all"]) };
        let (st, _) = s.put(&format!("/consumers/user-{i}"), json!({"tags": tags})).await;
        assert_eq!(st, 200);
    }
    let walk = |query: &'static str| {
        let s = &s;
        async move {
            let mut path = format!("/consumers?{query}");
            let mut ids: Vec<String> = Vec::new();
            let mut pages = 0;
            loop {
                let (st, body) = s.get(&path).await;
                assert_eq!(st, 200, "{body}");
                pages += 1;
                ids.extend(body["data"].as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap().to_string()));
                match body["next"].as_str() {
                    Some(next) => {
                        assert!(body["offset"].is_string());
                        path = next.to_string();
                    }
                    None => {
                        assert!(body.get("offset").is_none());
                        break;
                    }
                }
            }
            (ids, pages)
        }
    };
    let (all, pages) = walk("size=1000").await;
    assert_eq!((all.len(), pages), (2500, 3));
    let mut sorted = all.clone();
    sorted.sort();
    assert_eq!(all, sorted, "lists are in id order");
    let (even, _) = walk("size=300&tags=even").await;
    assert_eq!(even.len(), 1250);
    let (both, _) = walk("tags=even,odd").await;
    assert_eq!(both.len(), 0);
    let (either, pages) = walk("tags=even/odd").await;
    assert_eq!((either.len(), pages), (2500, 25));
    assert_eq!(s.get("/consumers?size=0").await.0, 400);
    assert_eq!(s.get("/consumers?size=1001").await.0, 400);
    assert_eq!(s.get("/consumers?tags=a,b/c").await.1["code"], 11);
    assert_eq!(s.get("/consumers?offset=@@").await.1["code"], 7);
    s.stop().await;
}

#[tokio::test]
async fn konnect_auth_control_planes_and_entities() {
    let mut s = sim_with(SimConfig { control_planes: vec!["staging".into()], ..Default::default() }).await;
    let (st, body, headers) = s.req_full("GET", "/v2/control-planes", None).await;
    assert_eq!(st, 401);
    assert_eq!(headers["content-type"], "application/problem+json");
    assert_eq!(body["status"], 401);
    assert_eq!(body["title"], "Unauthorized");
    s.token = Some("kpat_sim".into());
    let (st, body) = s.get("/v2/control-planes?filter%5Bname%5D%5Beq%5D=staging").await;
    assert_eq!(st, 200);
    assert_eq!(body["data"].as_array().unwrap().len(), 1);
    assert_eq!(body["meta"]["page"]["total"], 1);
    let cp = body["data"][0]["id"].as_str().unwrap().to_string();
    assert!(body["data"][0]["config"]["control_plane_endpoint"].is_string());
    let default_id = s.handle.default_control_plane_id();
    assert_eq!(s.get(&format!("/v2/control-planes/{default_id}")).await.1["name"], "default");

    let root = format!("/v2/control-planes/{cp}/core-entities");
    let (st, svc) = s.post(&format!("{root}/services"), json!({"name": "a", "host": "h"})).await;
    assert_eq!(st, 201, "{svc}");
    // Each control plane has its own store; runtime-groups is the same store.
    assert_eq!(s.get(&format!("/v2/control-planes/{default_id}/core-entities/services/a")).await.0, 404);
    assert_eq!(s.get(&format!("/v2/runtime-groups/{cp}/core-entities/services/a")).await.1["id"], svc["id"]);
    assert_eq!(s.get("/services/a").await.0, 404, "Kong's store is separate");
    // No PATCH on Konnect.
    assert_eq!(s.patch(&format!("{root}/services/a"), json!({"retries": 1})).await.0, 405);
    let (st, body) = s.post(&format!("{root}/services"), json!({"name": "a", "host": "h"})).await;
    assert_eq!(st, 409);
    assert_eq!(body["status"], 409);
    assert!(body["invalid_parameters"].is_array());
    // Global targets list.
    s.put(&format!("{root}/upstreams/up"), json!({})).await;
    s.post(&format!("{root}/upstreams/up/targets"), json!({"target": "a.internal:80"})).await;
    let (st, body) = s.get(&format!("{root}/targets")).await;
    assert_eq!((st, body["data"].as_array().unwrap().len()), (200, 1));

    // Membership.
    s.post(&format!("{root}/consumers"), json!({"username": "bob"})).await;
    s.post(&format!("{root}/consumers"), json!({"username": "eve"})).await;
    let (st, _) = s.post(&format!("{root}/consumer_groups"), json!({"name": "gold"})).await;
    assert_eq!(st, 201);
    let (st, body) =
        s.post(&format!("{root}/consumer_groups/gold/consumers"), json!({"consumer": ["bob", "eve"]})).await;
    assert_eq!(st, 201, "{body}");
    assert_eq!(body["consumers"].as_array().unwrap().len(), 2);
    assert_eq!(s.post(&format!("{root}/consumer_groups/gold/consumers"), json!({"consumer": "bob"})).await.0, 409);
    let (_, members) = s.get(&format!("{root}/consumer_groups/gold/consumers")).await;
    assert_eq!(members["data"].as_array().unwrap().len(), 2);
    assert_eq!(s.delete(&format!("{root}/consumer_groups/gold/consumers/bob")).await.0, 204);
    let (_, group) = s.get(&format!("{root}/consumer_groups/gold")).await;
    assert_eq!(group["consumer_group"]["name"], "gold");
    assert_eq!(group["consumers"].as_array().unwrap().len(), 1);
    // Deleting the consumer removes its membership (cascade).
    assert_eq!(s.delete(&format!("{root}/consumers/eve")).await.0, 204);
    assert_eq!(s.get(&format!("{root}/consumer_groups/gold/consumers")).await.1["data"], json!([]));
    s.stop().await;
}

#[tokio::test]
async fn expected_hash_and_lagging_nodes() {
    let mut s = sim_with(SimConfig { data_plane_delay: Duration::from_millis(300), ..Default::default() }).await;
    s.token = Some("kpat_sim".into());
    let cp = s.handle.default_control_plane_id();
    let root = format!("/v2/control-planes/{cp}");
    let ids = s.handle.add_data_planes(DataPlaneSpec {
        control_plane: Some("default".into()),
        count: 3,
        ..Default::default()
    });
    assert_eq!(ids.len(), 3);
    s.handle.add_data_planes(DataPlaneSpec {
        control_plane: Some("default".into()),
        count: 1,
        lagging: true,
        ..Default::default()
    });
    let (st, h0) = s.get(&format!("{root}/expected-config-hash")).await;
    assert_eq!(st, 200);
    let h0 = h0["expected_hash"].as_str().unwrap().to_string();
    assert_eq!(h0.len(), 32);

    s.post(&format!("{root}/core-entities/services"), json!({"name": "a", "host": "h"})).await;
    let h1 = s.get(&format!("{root}/expected-config-hash")).await.1["expected_hash"].as_str().unwrap().to_string();
    assert_ne!(h0, h1);
    // Immediately after the change, every node still reports the old hash.
    let hashes = |body: &Value| -> Vec<String> {
        body["items"].as_array().unwrap().iter().map(|n| n["config_hash"].as_str().unwrap().to_string()).collect()
    };
    let (_, nodes) = s.get(&format!("{root}/nodes")).await;
    assert_eq!(nodes["page"]["total_count"], 4);
    assert!(hashes(&nodes).iter().all(|h| *h == h0));
    // After the delay, all but the lagging node report the new one. Poll with a bound, no timing assert.
    let deadline = tokio::time::Instant::now() + T;
    loop {
        let (_, nodes) = s.get(&format!("{root}/nodes")).await;
        let hs = hashes(&nodes);
        if hs.iter().filter(|h| **h == h1).count() == 3 {
            assert_eq!(hs.iter().filter(|h| **h == h0).count(), 1);
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "nodes never caught up");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Paging with page[size]/page[after].
    let (_, p1) = s.get(&format!("{root}/nodes?page%5Bsize%5D=3")).await;
    assert_eq!(p1["items"].as_array().unwrap().len(), 3);
    let next = p1["page"]["next"].as_str().unwrap().to_string();
    let (_, p2) = s.get(&format!("{root}/nodes?page%5Bsize%5D=3&page%5Bafter%5D={next}")).await;
    assert_eq!(p2["items"].as_array().unwrap().len(), 1);
    assert!(p2["page"]["next"].is_null());

    // Kong hybrid read-out.
    s.handle.add_data_planes(DataPlaneSpec { count: 2, ..Default::default() });
    let (st, dps) = s.get("/clustering/data-planes").await;
    assert_eq!(st, 200);
    assert_eq!(dps["data"].as_array().unwrap().len(), 2);
    assert_eq!(dps["data"][0]["config_hash"], s.handle.kong_expected_hash().as_str());
    s.stop().await;
}

#[tokio::test]
async fn faults_are_deterministic_and_logged() {
    let faults = Faults {
        rules: vec![
            FaultRule {
                method: Some("PUT".into()),
                path: Some("/services/*".into()),
                error_rate: 0.5,
                status: Some(502),
                ..Default::default()
            },
            FaultRule { path: Some("/consumers".into()), fail_nth: Some(2), ..Default::default() },
        ],
        ..Default::default()
    };
    let run = |seed: u64| {
        let faults = faults.clone();
        async move {
            let s = sim_with(SimConfig { seed, faults, ..Default::default() }).await;
            let mut statuses = Vec::new();
            for i in 0..30 {
                statuses.push(s.put(&format!("/services/s{i}"), json!({"host": "h"})).await.0);
            }
            let c: Vec<u16> =
                [s.get("/consumers").await.0, s.get("/consumers").await.0, s.get("/consumers").await.0].into();
            let log = s.handle.requests();
            s.stop().await;
            (statuses, c, log)
        }
    };
    let (a, c, log) = run(42).await;
    let (b, _, _) = run(42).await;
    assert_eq!(a, b, "same seed, same faults");
    assert!(a.contains(&502) && a.contains(&200));
    assert_eq!(c, vec![200, 503, 200]);
    assert_eq!(log.len(), 33);
    assert_eq!(log[0].method, "PUT");
    assert_eq!(log[0].path, "/services/s0");
    assert!(log.iter().all(|r| r.ended_ms >= r.started_ms));

    // 429 with Retry-After, dropped connections, and the control API.
    let s = common::sim().await;
    s.handle.set_faults(Faults {
        rules: vec![FaultRule { rate_429: 1.0, retry_after_s: Some(7), ..Default::default() }],
        ..Default::default()
    });
    let (st, _, headers) = s.req_full("GET", "/services", None).await;
    assert_eq!((st, headers["retry-after"].to_str().unwrap()), (429, "7"));
    s.handle
        .set_faults(Faults { rules: vec![FaultRule { drop_rate: 1.0, ..Default::default() }], ..Default::default() });
    let dropped = tokio::time::timeout(T, s.client.get(format!("{}/services", s.base)).send()).await.unwrap();
    assert!(dropped.is_err(), "the connection was closed without an answer");
    assert_eq!(s.handle.requests().last().unwrap().status, 0);
    assert_eq!(s.delete("/_sim/faults").await.0, 204);
    assert_eq!(s.get("/services").await.0, 200);
    let (st, log) = s.get("/_sim/requests").await;
    assert_eq!(st, 200);
    assert!(log.as_array().unwrap().iter().all(|r| !r["path"].as_str().unwrap().starts_with("/_sim")));
    let (st, body) = s.post("/_sim/data-planes", json!({"count": 2})).await;
    assert_eq!((st, body["ids"].as_array().unwrap().len()), (201, 2));
    s.put("/services/x", json!({"host": "h"})).await;
    assert_eq!(s.post("/_sim/reset", json!({})).await.0, 204);
    assert_eq!(s.get("/services").await.1["data"], json!([]));
    s.stop().await;
}

#[tokio::test]
async fn global_rate_limit_answers_429() {
    // One token, refilled every 2 s: ten requests cannot all pass unless they take 18 s.
    let s = sim_with(SimConfig {
        faults: Faults { rules: vec![], rate_limit: Some(0.5), ..Default::default() },
        ..Default::default()
    })
    .await;
    let mut statuses = Vec::new();
    for _ in 0..10 {
        statuses.push(s.get("/services").await.0);
    }
    assert!(statuses.contains(&429), "{statuses:?}");
    s.stop().await;
}

#[tokio::test]
async fn persistence_survives_restart() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join(".kongsync").join("sim.json");
    let config = || SimConfig { data_file: Some(file.clone()), ..Default::default() };
    let s = sim_with(config()).await;
    s.put("/services/keep", json!({"host": "h"})).await;
    let mut token = s;
    token.token = Some("kpat_sim".into());
    let cp = token.handle.default_control_plane_id();
    token.put(&format!("/v2/control-planes/{cp}/core-entities/consumers/k"), json!({})).await;
    token.stop().await;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&file).unwrap().permissions().mode() & 0o777, 0o600);
    }
    let mut s = sim_with(config()).await;
    assert_eq!(s.get("/services/keep").await.0, 200);
    s.token = Some("kpat_sim".into());
    assert_eq!(s.get(&format!("/v2/control-planes/{cp}/core-entities/consumers/k")).await.0, 200);
    s.stop().await;
}

// kong/plugins/rate-limiting/handler.lua:147-195 (3.5.0): a per-minute budget is announced on every
// answer and a refused request is 429 with Retry-After.
#[tokio::test]
async fn per_minute_budget_headers_and_429() {
    let faults = Faults { rate_limit_per_minute: Some(1), ..Default::default() };
    let s = sim_with(SimConfig { faults, ..Default::default() }).await;
    let (st, _, h) = s.req_full("GET", "/services", None).await;
    let limit = |h: &reqwest::header::HeaderMap, n: &str| h[n].to_str().unwrap().to_string();
    if st == 200 {
        assert_eq!(limit(&h, "ratelimit-limit"), "1");
        assert_eq!(limit(&h, "x-ratelimit-limit-minute"), "1");
        assert_eq!(limit(&h, "x-ratelimit-remaining-minute"), "0");
        assert!(limit(&h, "ratelimit-reset").parse::<u64>().unwrap() >= 1);
    }
    // Three more within milliseconds: at most one minute boundary falls between them.
    let mut refused = Vec::new();
    for _ in 0..3 {
        let (st, body, h) = s.req_full("GET", "/services", None).await;
        if st == 429 {
            assert_eq!(body, json!({"message": "API rate limit exceeded"}));
            assert_eq!(limit(&h, "ratelimit-remaining"), "0");
            refused.push(limit(&h, "retry-after").parse::<u64>().unwrap());
        }
    }
    assert!(!refused.is_empty() && refused.iter().all(|r| (1..=60).contains(r)), "{refused:?}");
    s.stop().await;
}
