//! HTTP requests as plain values, built by pure functions: method, path, query, body, and how a
//! failed attempt may be retried. The one [`Client`](crate::Client) sends them; everything about
//! *what* is asked of the gateway is decided here and tested with `assert_eq!`, without a network.
//!
//! The same type is what a plan carries for each step (serialized in the plan file), so a request is
//! data end to end: the method is an enum, and a plan file naming a method kongsync does not send is
//! refused when it is read, never sent as something else.

use crate::gateway::{encode_segment, Gateway};
use kongsync_model::Kind;
use reqwest::Url;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::fmt;

/// Entities per page: the largest page Kong and Konnect serve.
pub const PAGE_SIZE: usize = 1000;

/// Kong refuses a `tags` filter with more tags than this; beyond it, filtering happens client-side.
pub const MAX_TAG_FILTER: usize = 5;

/// The HTTP methods kongsync sends. Serialized upper-case (`"PUT"`); any other name is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Method {
    Get,
    Post,
    Put,
    Patch,
    Delete,
}

impl Method {
    /// The method's name on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Patch => "PATCH",
            Method::Delete => "DELETE",
        }
    }

    pub(crate) fn to_reqwest(self) -> reqwest::Method {
        match self {
            Method::Get => reqwest::Method::GET,
            Method::Post => reqwest::Method::POST,
            Method::Put => reqwest::Method::PUT,
            Method::Patch => reqwest::Method::PATCH,
            Method::Delete => reqwest::Method::DELETE,
        }
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What may be done after an attempt whose outcome is unknown (no answer, a 5xx) or refused for
/// now (429). The planner chooses it for each step; the client follows it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "class")]
pub enum Retry {
    /// Sending twice has the effect of sending once (GET, PUT, DELETE by id): every transient
    /// failure is retried.
    #[default]
    Idempotent,
    /// A repetition could do the work twice: only a 429, which says the request was not processed,
    /// is retried.
    NotIdempotent,
    /// A create the API only offers as POST (a Kong target): after a failure that leaves its fate
    /// unknown, and after a refusal of a repeated attempt (400, 409), `GET check` (a path relative to
    /// the same root as the request's) tells whether the first attempt succeeded; if it did, the
    /// request is done, else it is sent again.
    CheckBeforeRetry { check: String },
    /// A POST that answers 409 once an earlier attempt went through (a consumer-group membership):
    /// 409 counts as done, and transient failures are retried.
    ConflictIsDone,
}

impl Retry {
    fn is_idempotent(&self) -> bool {
        *self == Retry::Idempotent
    }
}

/// One request, ready to send.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Request {
    pub method: Method,
    /// The path under the base URL, already percent-encoded (see [`Gateway::entities`]). In a plan,
    /// relative to the gateway's entities root (see [`Gateway::place`]).
    pub path: String,
    /// Query parameters, raw (encoded when sent).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub query: Vec<(String, String)>,
    /// A JSON body.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<Value>,
    /// How a failed attempt may be retried.
    #[serde(default, skip_serializing_if = "Retry::is_idempotent")]
    pub retry: Retry,
}

impl Request {
    /// A request without query or body; POST and PATCH are [`Retry::NotIdempotent`], the others
    /// [`Retry::Idempotent`].
    pub fn new(method: Method, path: impl Into<String>) -> Request {
        let retry = match method {
            Method::Post | Method::Patch => Retry::NotIdempotent,
            Method::Get | Method::Put | Method::Delete => Retry::Idempotent,
        };
        Request { method, path: path.into(), query: Vec::new(), body: None, retry }
    }

    pub fn get(path: impl Into<String>) -> Request {
        Request::new(Method::Get, path)
    }

    pub fn put(path: impl Into<String>, body: Value) -> Request {
        Request { body: Some(body), ..Request::new(Method::Put, path) }
    }

    pub fn post(path: impl Into<String>, body: Value) -> Request {
        Request { body: Some(body), ..Request::new(Method::Post, path) }
    }

    pub fn delete(path: impl Into<String>) -> Request {
        Request::new(Method::Delete, path)
    }

    /// Sets a query parameter, replacing any with the same name.
    pub fn with_query(mut self, name: &str, value: impl Into<String>) -> Request {
        self.query.retain(|(n, _)| n != name);
        self.query.push((name.to_string(), value.into()));
        self
    }

    /// The same request with another retry class.
    pub fn with_retry(mut self, retry: Retry) -> Request {
        self.retry = retry;
        self
    }

    /// Whether sending the request twice has the same effect as sending it once, so that it may be
    /// retried after a failure that leaves its fate unknown.
    pub fn is_idempotent(&self) -> bool {
        self.retry.is_idempotent()
    }

    /// The full URL under `base` (whose own path, if any, is kept as a prefix).
    pub fn url(&self, base: &Url) -> Url {
        let mut url = base.clone();
        let prefix = base.path().trim_end_matches('/');
        url.set_path(&format!("{prefix}{}", self.path));
        url.set_query(None);
        if !self.query.is_empty() {
            url.query_pairs_mut().extend_pairs(self.query.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        }
        url
    }

    /// The request as shown in logs: method, path and query. Headers and bodies are never shown.
    pub fn describe(&self) -> String {
        // Every request describes itself once per send: a write has no query, and needs no URL parsed.
        if self.query.is_empty() {
            return format!("{} {}", self.method, self.path);
        }
        // Any valid base does: only the encoded query is taken from it.
        let query = Url::parse("http://localhost/").ok().and_then(|base| self.url(&base).query().map(str::to_string));
        match query {
            Some(q) => format!("{} {}?{q}", self.method, self.path),
            None => format!("{} {}", self.method, self.path),
        }
    }
}

/// The first page of a top-level collection, filtered by tags (all of them) where the API can.
pub fn list(target: &Gateway, collection: &str, tags: &[String]) -> Request {
    let req = Request::get(target.entities(&[collection])).with_query("size", PAGE_SIZE.to_string());
    if tags.is_empty() || tags.len() > MAX_TAG_FILTER {
        req
    } else {
        req.with_query("tags", tags.join(","))
    }
}

/// The first page of a collection nested under one parent (`/upstreams/{id}/targets`). Kong ignores
/// tag filters there, so none is sent.
pub fn list_children(target: &Gateway, parent: &str, parent_id: &str, child: &str) -> Request {
    Request::get(target.entities(&[parent, parent_id, child])).with_query("size", PAGE_SIZE.to_string())
}

/// The next page of a list, from the `offset` the previous page returned.
pub fn next_page(first: &Request, offset: &str) -> Request {
    first.clone().with_query("offset", offset)
}

/// The members of a consumer group.
pub fn group_members(target: &Gateway, group_id: &str) -> Request {
    list_children(target, Kind::ConsumerGroup.collection(), group_id, "consumers")
}

/// Kong's node information (`GET /`): version, configuration.
pub fn node_info() -> Request {
    Request::get("/")
}

/// Konnect control planes with exactly this name, one page (numbered from 1).
pub fn control_planes_named(name: &str, page: u32) -> Request {
    Request::get("/v2/control-planes")
        .with_query("filter[name][eq]", name)
        .with_query("page[size]", "100")
        .with_query("page[number]", page.to_string())
}

/// One Konnect control plane, by id.
pub fn control_plane(id: &str) -> Request {
    Request::get(format!("/v2/control-planes/{}", encode_segment(id)))
}

/// The target's schema of an entity kind (`/schemas/{dao name}`).
pub fn entity_schema(target: &Gateway, kind: Kind) -> Request {
    Request::get(target.entities(&["schemas", kind.dao_name()]))
}

/// The target's schema of a plugin (`/schemas/plugins/{name}`).
pub fn plugin_schema(target: &Gateway, name: &str) -> Request {
    Request::get(target.entities(&["schemas", "plugins", name]))
}

/// Asks the target whether it would accept `body` as an entity of this kind, without writing it:
/// `POST /schemas/{dao name}/validate` (for plugins `/schemas/plugins/validate`), on Kong
/// (kong/api/routes/kong.lua:204-216, 3.5.0) and on Konnect's core entities. Nothing is stored, so
/// it is retried like a read.
pub fn validate_entity(target: &Gateway, kind: Kind, body: Value) -> Request {
    Request::post(target.entities(&["schemas", kind.dao_name(), "validate"]), body).with_retry(Retry::Idempotent)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::gateway::KonnectPaths;

    fn kong() -> Gateway {
        Gateway::Kong { base: Url::parse("http://localhost:8001").unwrap(), workspace: None }
    }

    fn konnect() -> Gateway {
        Gateway::Konnect {
            base: Url::parse("https://us.api.konghq.com").unwrap(),
            control_plane_id: "cp".into(),
            paths: KonnectPaths::ControlPlanes,
            workspace: None,
        }
    }

    #[test]
    fn lists_ask_for_the_largest_page_and_all_tags() {
        let tags = vec!["a".to_string(), "b".to_string()];
        let req = list(&kong(), "services", &tags);
        assert_eq!(
            req,
            Request {
                method: Method::Get,
                path: "/services".into(),
                query: vec![("size".into(), "1000".into()), ("tags".into(), "a,b".into())],
                body: None,
                retry: Retry::Idempotent,
            }
        );
        assert_eq!(req.describe(), "GET /services?size=1000&tags=a%2Cb");
        let six: Vec<String> = (0..6).map(|i| i.to_string()).collect();
        assert_eq!(list(&kong(), "services", &six).query, vec![("size".into(), "1000".into())]);
    }

    #[test]
    fn next_pages_carry_the_offset_once() {
        let first = list(&konnect(), "targets", &[]);
        let second = next_page(&next_page(&first, "x"), "y+/=");
        assert_eq!(second.path, "/v2/control-planes/cp/core-entities/targets");
        assert_eq!(second.query, vec![("size".into(), "1000".into()), ("offset".into(), "y+/=".into())]);
        assert_eq!(second.url(konnect().base()).query(), Some("size=1000&offset=y%2B%2F%3D"));
    }

    #[test]
    fn nested_lists_send_no_tags() {
        let req = group_members(&kong(), "6a1b");
        assert_eq!(req.describe(), "GET /consumer_groups/6a1b/consumers?size=1000");
    }

    #[test]
    fn requests_without_a_query_describe_as_method_and_path() {
        assert_eq!(Request::put("/services/a%2Fb", Value::Null).describe(), "PUT /services/a%2Fb");
        assert_eq!(Request::delete("/services/x").with_query("q", "1").describe(), "DELETE /services/x?q=1");
    }

    #[test]
    fn control_plane_lookup_filters_by_exact_name() {
        let req = control_planes_named("prod & co", 1);
        assert_eq!(
            req.url(&Url::parse("https://eu.api.konghq.com").unwrap()).as_str(),
            "https://eu.api.konghq.com/v2/control-planes?filter%5Bname%5D%5Beq%5D=prod+%26+co&page%5Bsize%5D=100&page%5Bnumber%5D=1"
        );
        assert_eq!(control_plane("a/b").path, "/v2/control-planes/a%2Fb");
    }

    #[test]
    fn urls_keep_the_base_path_and_the_encoding() {
        let base = Url::parse("https://proxy.example/kong-admin/").unwrap();
        let req = Request::get(Gateway::Kong { base: base.clone(), workspace: None }.entities(&["services", "a b"]));
        assert_eq!(req.url(&base).as_str(), "https://proxy.example/kong-admin/services/a%20b");
        assert_eq!(node_info().url(&base).as_str(), "https://proxy.example/kong-admin/");
    }

    #[test]
    fn schemas_use_dao_names() {
        assert_eq!(entity_schema(&kong(), Kind::KeySet).path, "/schemas/key_sets");
        assert_eq!(
            plugin_schema(&konnect(), "key-auth").path,
            "/v2/control-planes/cp/core-entities/schemas/plugins/key-auth"
        );
    }

    #[test]
    fn validation_posts_the_body_to_the_schema_and_retries_like_a_read() {
        // kong/api/routes/kong.lua:204-216 (3.5.0): `/schemas/plugins/validate` and `/schemas/:name/validate`.
        let body = serde_json::json!({"name": "key-auth"});
        let req = validate_entity(&kong(), Kind::Plugin, body.clone());
        assert_eq!((req.method, req.path.as_str()), (Method::Post, "/schemas/plugins/validate"));
        assert_eq!(req.body, Some(body));
        assert_eq!(req.retry, Retry::Idempotent);
        assert_eq!(
            validate_entity(&konnect(), Kind::KeyAuth, Value::Null).path,
            "/v2/control-planes/cp/core-entities/schemas/keyauth_credentials/validate"
        );
    }

    #[test]
    fn only_posts_and_patches_are_not_idempotent() {
        assert!(Request::put("/x", Value::Null).is_idempotent());
        assert!(Request::delete("/x").is_idempotent());
        assert!(!Request::post("/x", Value::Null).is_idempotent());
    }

    #[test]
    fn plan_files_name_methods_and_refuse_unknown_ones() {
        let req = Request::put("/services/a", serde_json::json!({"host": "h"}));
        let text = serde_json::to_string(&req).unwrap();
        assert_eq!(text, r#"{"method":"PUT","path":"/services/a","body":{"host":"h"}}"#);
        assert_eq!(serde_json::from_str::<Request>(&text).unwrap(), req);
        let typo = r#"{"method":"PTU","path":"/services/a"}"#;
        let e = serde_json::from_str::<Request>(typo).unwrap_err().to_string();
        assert!(e.contains("unknown variant `PTU`"), "{e}");
        let post = Request::post("/upstreams/u/targets", serde_json::json!({"target": "a:80"}))
            .with_retry(Retry::CheckBeforeRetry { check: "/upstreams/u/targets/t".into() });
        let text = serde_json::to_string(&post).unwrap();
        assert!(
            text.ends_with(r#""retry":{"class":"check_before_retry","check":"/upstreams/u/targets/t"}}"#),
            "{text}"
        );
        assert_eq!(serde_json::from_str::<Request>(&text).unwrap(), post);
    }
}
