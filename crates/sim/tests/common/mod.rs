//! Shared helpers for the simulator's HTTP tests: start a simulator on an ephemeral loopback port and
//! send JSON requests with a timeout on every await, so a bug fails fast instead of hanging.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use kongsync_sim::{start, SimConfig, SimHandle};
use serde_json::Value;
use std::time::Duration;

pub const T: Duration = Duration::from_secs(20);

pub struct Sim {
    pub handle: SimHandle,
    pub client: reqwest::Client,
    pub base: String,
    pub token: Option<String>,
}

pub async fn sim() -> Sim {
    sim_with(SimConfig::default()).await
}

pub async fn sim_with(config: SimConfig) -> Sim {
    let handle = tokio::time::timeout(T, start(config)).await.expect("start timed out").expect("start failed");
    let base = handle.base_url();
    Sim { handle, client: reqwest::Client::new(), base, token: None }
}

impl Sim {
    pub async fn req(&self, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
        let (s, v, _) = self.req_full(method, path, body).await;
        (s, v)
    }

    pub async fn req_full(
        &self,
        method: &str,
        path: &str,
        body: Option<Value>,
    ) -> (u16, Value, reqwest::header::HeaderMap) {
        let m = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut rb = self.client.request(m, format!("{}{}", self.base, path));
        if let Some(t) = &self.token {
            rb = rb.bearer_auth(t);
        }
        if let Some(b) = body {
            rb = rb.json(&b);
        }
        let resp = tokio::time::timeout(T, rb.send()).await.expect("request timed out").expect("request failed");
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let bytes = tokio::time::timeout(T, resp.bytes()).await.expect("body timed out").expect("body failed");
        let v = if bytes.is_empty() { Value::Null } else { serde_json::from_slice(&bytes).unwrap_or(Value::Null) };
        (status, v, headers)
    }

    pub async fn get(&self, path: &str) -> (u16, Value) {
        self.req("GET", path, None).await
    }
    pub async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        self.req("POST", path, Some(body)).await
    }
    pub async fn put(&self, path: &str, body: Value) -> (u16, Value) {
        self.req("PUT", path, Some(body)).await
    }
    pub async fn patch(&self, path: &str, body: Value) -> (u16, Value) {
        self.req("PATCH", path, Some(body)).await
    }
    pub async fn delete(&self, path: &str) -> (u16, Value) {
        self.req("DELETE", path, None).await
    }

    pub async fn stop(self) {
        tokio::time::timeout(T, self.handle.shutdown()).await.expect("shutdown timed out").expect("shutdown failed");
    }
}
