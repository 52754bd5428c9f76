//! The one HTTP client that sends [`Request`]s to a gateway: connection reuse (keep-alive pool),
//! TLS options, the `Authorization` header, the rate governor (see [`governor`](crate::governor):
//! pacing to the user's rate or to the budget the gateway announces, fewer requests in flight after
//! a 429, `Retry-After` honoured by every request), and retries with backoff and jitter (see [`retry`](crate::retry)) as each request's
//! [`Retry`] class allows. Every answer comes back as JSON or as one typed [`ApiError`].
//!
//! Secrets stay inside: the token and extra header values are marked sensitive (hidden from
//! `Debug`), errors carry no URL credentials and no body of the request, and the observer that the
//! CLI uses for `-v` sees only method, path, query, status and timings.

use crate::budget::{announced, Announced};
use crate::error::{ApiError, Setting, StatusError};
use crate::gateway::redacted_url;
use crate::governor::{Governor, Pacing};
use crate::request::{Method, Request, Retry};
use crate::retry::{parse_retry_after, should_retry, Failure, RetryPolicy};
use kongsync_model::Secret;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue, AUTHORIZATION, LOCATION, RETRY_AFTER, USER_AGENT};
use reqwest::Url;
use serde_json::Value;
use std::net::{SocketAddr, ToSocketAddrs};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

/// How to reach and talk to a gateway.
#[derive(Clone, Debug)]
pub struct ClientOptions {
    /// The URL request paths are appended to.
    pub base: Url,
    /// Sent as `Authorization: Bearer <token>` (Konnect).
    pub token: Option<Secret>,
    /// Extra headers on every request (`Kong-Admin-Token`, ...); values are treated as secrets.
    pub headers: Vec<(String, Secret)>,
    /// The longest a single attempt may take.
    pub timeout: Duration,
    pub tls: TlsOptions,
    pub retry: RetryPolicy,
    /// How the request rate is chosen: the user's, or the budget the gateway announces.
    pub pacing: Pacing,
    /// Requests in flight at most (fewer after 429s, for a while).
    pub max_in_flight: usize,
}

impl ClientOptions {
    /// Options with kongsync's defaults: 30 s timeout, default retries, 32 requests in flight.
    pub fn new(base: Url) -> ClientOptions {
        ClientOptions {
            base,
            token: None,
            headers: Vec::new(),
            timeout: Duration::from_secs(30),
            tls: TlsOptions::default(),
            retry: RetryPolicy::default(),
            pacing: Pacing::default(),
            max_in_flight: DEFAULT_MAX_IN_FLIGHT,
        }
    }
}

/// Attempts at most for a POST whose earlier attempt may or may not have succeeded (each attempt's
/// 429s retried within it).
const UNSURE_ATTEMPTS: u32 = 6;

/// Requests in flight at most, by default: enough for every collection's pages at once plus the
/// per-parent fan-out, few enough to be gentle with one Kong node.
pub const DEFAULT_MAX_IN_FLIGHT: usize = 32;

/// TLS settings beyond the system's defaults.
#[derive(Clone, Debug, Default)]
pub struct TlsOptions {
    /// PEM certificates to trust, besides the built-in roots.
    pub ca_cert_pem: Option<Vec<u8>>,
    /// Client certificate chain (PEM) for mutual TLS, with its key.
    pub client_cert_pem: Option<Vec<u8>>,
    pub client_key_pem: Option<Secret>,
    /// The name to verify the server's certificate against (and send as SNI), when the address is
    /// an IP or another name.
    pub server_name: Option<String>,
    /// Accept any certificate. Only when the user asks.
    pub skip_verify: bool,
}

/// One attempt, as the observer sees it: nothing secret.
#[derive(Clone, Debug)]
pub struct RequestEvent {
    /// Method, path and query.
    pub request: String,
    /// 1 for the first attempt.
    pub attempt: u32,
    /// The status, or `None` when there was no answer.
    pub status: Option<u16>,
    pub elapsed: Duration,
    /// When the attempt failed and will be retried: the wait first.
    pub retry_in: Option<Duration>,
}

/// Called after every attempt (the CLI prints these with `-v`).
pub type Observer = Arc<dyn Fn(&RequestEvent) + Send + Sync>;

/// A successful answer.
#[derive(Clone, Debug, PartialEq)]
pub struct Response {
    pub status: u16,
    /// The JSON body; `Null` when empty (204).
    pub body: Value,
}

/// A gateway client. Cheap to clone: clones share the connection pool, limits and counters.
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    http: reqwest::Client,
    /// Where requests go (with `server_name` as host when one is set).
    base: Url,
    /// The base as the user gave it, without credentials, for messages.
    shown: String,
    retry: RetryPolicy,
    governor: Governor,
    timeout: Duration,
    sent: AtomicU64,
    observer: Option<Observer>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client").field("base", &self.inner.shown).finish_non_exhaustive()
    }
}

impl Client {
    /// Builds a client; fails on unusable TLS material or header names.
    pub fn new(options: ClientOptions) -> Result<Client, ApiError> {
        Client::with_observer(options, None)
    }

    /// Builds a client whose attempts are reported to `observer`.
    pub fn with_observer(options: ClientOptions, observer: Option<Observer>) -> Result<Client, ApiError> {
        let ClientOptions { base, token, headers, timeout, tls, retry, pacing, max_in_flight } = options;
        let shown = redacted_url(&base);
        let mut builder = reqwest::Client::builder()
            .default_headers(default_headers(token.as_ref(), &headers)?)
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(10)))
            .pool_max_idle_per_host(max_in_flight.max(1))
            .pool_idle_timeout(Duration::from_secs(60))
            .tcp_nodelay(true)
            .tcp_keepalive(Duration::from_secs(30))
            // A redirect is never followed: reqwest would send the admin token to wherever the
            // Location points (an HTTPS gateway answering 307 to plain HTTP would get it in clear).
            .redirect(reqwest::redirect::Policy::none());
        let mut base = base;
        builder = apply_tls(builder, &tls, &mut base)?;
        let http = builder.build().map_err(|e| setting(Setting::Tls, e.without_url().to_string()))?;
        Ok(Client {
            inner: Arc::new(Inner {
                http,
                base,
                shown,
                retry,
                governor: Governor::new(pacing, max_in_flight),
                timeout,
                sent: AtomicU64::new(0),
                observer,
            }),
        })
    }

    /// The base URL as shown to people (no credentials).
    pub fn shown_base(&self) -> &str {
        &self.inner.shown
    }

    /// Attempts sent so far, retries included.
    pub fn requests_sent(&self) -> u64 {
        self.inner.sent.load(Ordering::Relaxed)
    }

    /// Sends a request, retrying transient failures as its [`Retry`] class allows; an error status
    /// becomes [`ApiError::Status`].
    ///
    /// A DELETE answered 404 is done: what it was sent for, the entity's absence, holds. Kong answers
    /// 404 to a nested DELETE of an absent child (kong/api/endpoints.lua:664-710, 3.5.0; top-level
    /// DELETEs answer 204), which is what a retry finds after an attempt whose answer was lost, or a
    /// sync finds after another removed the child since it read the gateway.
    pub async fn send(&self, req: &Request) -> Result<Response, ApiError> {
        let sent = match &req.retry {
            Retry::Idempotent | Retry::NotIdempotent => self.send_with_retries(req).await,
            Retry::CheckBeforeRetry { check } => self.send_unsure(req, Some(check)).await,
            Retry::ConflictIsDone => self.send_unsure(req, None).await,
        };
        match sent {
            Err(e) if req.method == Method::Delete && e.status() == Some(404) => {
                Ok(Response { status: 404, body: Value::Null })
            }
            other => other,
        }
    }

    /// Sends a POST that may have succeeded when an attempt failed. Each attempt is retried by
    /// [`Client::send_with_retries`] only when the gateway says it was not processed (429); after
    /// any other transient failure, and after a refusal of a repeated attempt (which the earlier one
    /// may have caused), `check` is asked whether the entity exists before the POST is sent again.
    /// With no `check` (a membership), a 409 means an earlier attempt went through.
    async fn send_unsure(&self, req: &Request, check: Option<&String>) -> Result<Response, ApiError> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let err = match self.send_with_retries(req).await {
                Ok(response) => return Ok(response),
                Err(e) => e,
            };
            let status = err.status();
            if check.is_none() && status == Some(409) {
                return Ok(Response { status: 409, body: Value::Null });
            }
            // What would be retried for an idempotent request, with a check first here.
            let transient = status.is_none_or(|s| should_retry(Failure::Status(s), true));
            let maybe_done = attempt > 1 && matches!(status, Some(400 | 409));
            if let Some(check) = check.filter(|_| transient || maybe_done) {
                if let Ok(found) = self.send_with_retries(&Request::get(check.clone())).await {
                    return Ok(found);
                }
            }
            if !transient || attempt >= UNSURE_ATTEMPTS {
                return Err(err);
            }
            tokio::time::sleep(self.inner.retry.backoff(attempt, rand::random::<f64>())).await;
        }
    }

    /// Sends a request, retrying the failures [`RetryPolicy`] retries for its idempotence.
    async fn send_with_retries(&self, req: &Request) -> Result<Response, ApiError> {
        let started = Instant::now();
        let url = req.url(&self.inner.base);
        let described = req.describe();
        let mut attempts = 0;
        let mut unanswered = 0;
        loop {
            attempts += 1;
            let admission = self.inner.governor.admit().await;
            let t0 = Instant::now();
            self.inner.sent.fetch_add(1, Ordering::Relaxed);
            let outcome = self.attempt(req, url.clone()).await;
            if let Ok(answer) = &outcome {
                admission.answered(answer.status, answer.announced, answer.retry_after);
            }
            drop(admission);
            let (failure, retry_after, error) = match outcome {
                Ok(Answer { status, location, .. }) if (300..400).contains(&status) => {
                    self.observe(&described, attempts, Some(status), t0, None);
                    return Err(ApiError::Redirected { request: described, status, to: redirect_target(location) });
                }
                Ok(Answer { status, body, .. }) if status < 400 => {
                    self.observe(&described, attempts, Some(status), t0, None);
                    return decode(&described, status, &body);
                }
                Ok(Answer { status, retry_after, body, .. }) => (
                    Some(Failure::Status(status)),
                    retry_after,
                    ApiError::Status(Box::new(StatusError::from_body(described.clone(), status, &body))),
                ),
                Err(e) => {
                    let (failure, error) = self.transport_error(&described, e);
                    (failure, None, error)
                }
            };
            let idempotent = req.is_idempotent();
            if error.status().is_none() {
                unanswered += 1;
            }
            let wait = failure.filter(|f| !self.inner.retry.unreachable(*f, unanswered)).and_then(|f| {
                self.inner.retry.next_wait(
                    f,
                    idempotent,
                    attempts,
                    retry_after,
                    started.elapsed(),
                    rand::random::<f64>(),
                )
            });
            self.observe(&described, attempts, error.status(), t0, wait);
            match wait {
                Some(w) => tokio::time::sleep(w).await,
                None if attempts > 1 && failure.is_some_and(|f| should_retry(f, idempotent)) => {
                    return Err(ApiError::GaveUp { request: described, attempts, last: Box::new(error) })
                }
                None => return Err(error),
            }
        }
    }

    /// Sends a request and returns the JSON body of the answer.
    pub async fn get_json(&self, req: &Request) -> Result<Value, ApiError> {
        Ok(self.send(req).await?.body)
    }

    async fn attempt(&self, req: &Request, url: Url) -> Result<Answer, reqwest::Error> {
        let mut builder = self.inner.http.request(req.method.to_reqwest(), url);
        if let Some(body) = &req.body {
            builder = builder.json(body);
        }
        let resp = builder.send().await?;
        let status = resp.status().as_u16();
        let retry_after = resp
            .headers()
            .get(RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| parse_retry_after(v, SystemTime::now()));
        let location = resp.headers().get(LOCATION).and_then(|v| v.to_str().ok()).map(str::to_string);
        let announced = announced(|name| resp.headers().get(name).and_then(|v| v.to_str().ok()));
        let body = resp.bytes().await?.to_vec();
        Ok(Answer { status, retry_after, location, announced, body })
    }

    /// Classifies a failure without an answer; `None` when asking again cannot help.
    fn transport_error(&self, request: &str, e: reqwest::Error) -> (Option<Failure>, ApiError) {
        let url = self.inner.shown.clone();
        let request = request.to_string();
        let e = e.without_url();
        if e.is_timeout() {
            (Some(Failure::Timeout), ApiError::Timeout { url, request, timeout: self.inner.timeout })
        } else if is_tls(&e) {
            // A certificate problem does not go away by asking again.
            (None, ApiError::Tls { url, request, source: e })
        } else {
            (Some(Failure::Connection), ApiError::Connect { url, request, source: e })
        }
    }

    fn observe(&self, request: &str, attempt: u32, status: Option<u16>, t0: Instant, retry_in: Option<Duration>) {
        if let Some(observer) = &self.inner.observer {
            observer(&RequestEvent { request: request.to_string(), attempt, status, elapsed: t0.elapsed(), retry_in });
        }
    }
}

/// One answer, as [`Client::send_with_retries`] needs it.
struct Answer {
    status: u16,
    retry_after: Option<Duration>,
    /// Where a redirect points.
    location: Option<String>,
    /// The budget the gateway announced, if it did.
    announced: Option<Announced>,
    body: Vec<u8>,
}

/// Where a redirect points, as it may be shown: the scheme and host of an absolute Location, never
/// its path, query or credentials.
fn redirect_target(location: Option<String>) -> String {
    match location.as_deref().map(Url::parse) {
        None => "no Location".to_string(),
        Some(Ok(url)) => match (url.host_str(), url.port()) {
            (Some(host), Some(port)) => format!("{}://{host}:{port}", url.scheme()),
            (Some(host), None) => format!("{}://{host}", url.scheme()),
            (None, _) => format!("a {} URL", url.scheme()),
        },
        Some(Err(_)) => "another path on the same host".to_string(),
    }
}

fn decode(request: &str, status: u16, body: &[u8]) -> Result<Response, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Response { status, body: Value::Null });
    }
    match serde_json::from_slice(body) {
        Ok(body) => Ok(Response { status, body }),
        Err(e) => {
            Err(ApiError::Unexpected { request: request.to_string(), problem: format!("the body is not JSON ({e})") })
        }
    }
}

fn is_tls(e: &reqwest::Error) -> bool {
    let mut source: Option<&dyn std::error::Error> = Some(e);
    while let Some(s) = source {
        let text = s.to_string().to_ascii_lowercase();
        if ["certificate", "tls", "handshake", "unknownissuer"].iter().any(|w| text.contains(w)) {
            return true;
        }
        source = s.source();
    }
    false
}

fn setting(setting: Setting, problem: impl Into<String>) -> ApiError {
    ApiError::Setting { setting, problem: problem.into() }
}

fn default_headers(token: Option<&Secret>, extra: &[(String, Secret)]) -> Result<HeaderMap, ApiError> {
    let mut map = HeaderMap::new();
    map.insert(USER_AGENT, HeaderValue::from_static(concat!("kongsync/", env!("CARGO_PKG_VERSION"))));
    let sensitive = |value: &str| -> Result<HeaderValue, ApiError> {
        let mut v = HeaderValue::from_str(value)
            .map_err(|_| setting(Setting::Headers, "a header value holds characters HTTP does not allow"))?;
        v.set_sensitive(true);
        Ok(v)
    };
    for (name, value) in extra {
        let name = HeaderName::from_bytes(name.trim().as_bytes())
            .map_err(|_| setting(Setting::Headers, format!("`{name}` is not a header name")))?;
        map.append(name, sensitive(value.expose().trim())?);
    }
    if let Some(token) = token {
        map.insert(AUTHORIZATION, sensitive(&format!("Bearer {}", token.expose()))?);
    }
    Ok(map)
}

fn apply_tls(
    mut builder: reqwest::ClientBuilder,
    tls: &TlsOptions,
    base: &mut Url,
) -> Result<reqwest::ClientBuilder, ApiError> {
    if let Some(pem) = &tls.ca_cert_pem {
        let certs = reqwest::Certificate::from_pem_bundle(pem)
            .map_err(|_| setting(Setting::CaCert, "not a PEM certificate"))?;
        if certs.is_empty() {
            return Err(setting(Setting::CaCert, "no certificate in the file"));
        }
        for c in certs {
            builder = builder.add_root_certificate(c);
        }
    }
    match (&tls.client_cert_pem, &tls.client_key_pem) {
        (Some(cert), Some(key)) => {
            let mut pem = cert.clone();
            pem.push(b'\n');
            pem.extend_from_slice(key.expose().as_bytes());
            let identity = reqwest::Identity::from_pem(&pem)
                .map_err(|_| setting(Setting::ClientCert, "the certificate and key are not a usable PEM pair"))?;
            builder = builder.identity(identity);
        }
        (None, None) => {}
        _ => return Err(setting(Setting::ClientCert, "a client certificate needs its key, and a key its certificate")),
    }
    if tls.skip_verify {
        builder = builder.danger_accept_invalid_certs(true);
    }
    if let Some(name) = &tls.server_name {
        // reqwest verifies the certificate against the URL's host: address the server by that name
        // and resolve the name to where the original address points.
        let addrs = socket_addrs(base)?;
        base.set_host(Some(name)).map_err(|_| setting(Setting::ServerName, format!("`{name}` is not a host name")))?;
        builder = builder.resolve_to_addrs(name, &addrs);
    }
    Ok(builder)
}

fn socket_addrs(url: &Url) -> Result<Vec<SocketAddr>, ApiError> {
    let host = url.host_str().ok_or_else(|| setting(Setting::Address, "no host"))?;
    let port = url.port_or_known_default().unwrap_or(443);
    let host = host.trim_start_matches('[').trim_end_matches(']');
    (host, port)
        .to_socket_addrs()
        .map(Iterator::collect)
        .map_err(|e| setting(Setting::ServerName, format!("cannot resolve {host}: {e}")))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn tokens_and_header_values_are_hidden_from_debug() {
        let map =
            default_headers(Some(&Secret::new("kpat_secret")), &[("Kong-Admin-Token".into(), Secret::new("hush"))])
                .unwrap();
        let shown = format!("{map:?}");
        assert!(!shown.contains("kpat_secret") && !shown.contains("hush"), "{shown}");
        assert_eq!(map.get(AUTHORIZATION).unwrap().to_str().unwrap(), "Bearer kpat_secret");
        assert!(map.get(USER_AGENT).is_some());
    }

    #[test]
    fn bad_headers_are_setting_errors() {
        let e = default_headers(None, &[("bad name".into(), Secret::new("v"))]).unwrap_err();
        // The CLI names the flag (`--headers`); the library names the setting.
        assert!(matches!(&e, ApiError::Setting { setting: Setting::Headers, .. }));
        assert_eq!(e.to_string(), "the extra headers: `bad name` is not a header name");
    }

    #[test]
    fn clients_show_no_credentials() {
        let opts = ClientOptions::new(Url::parse("http://u:p@127.0.0.1:1/").unwrap());
        let c = Client::new(opts).unwrap();
        assert_eq!(c.shown_base(), "http://127.0.0.1:1");
        assert!(!format!("{c:?}").contains(":p@"));
    }

    #[test]
    fn a_ca_file_that_is_not_pem_is_refused() {
        let mut opts = ClientOptions::new(Url::parse("https://127.0.0.1:1/").unwrap());
        opts.tls.ca_cert_pem = Some(b"hello".to_vec());
        assert!(matches!(Client::new(opts), Err(ApiError::Setting { setting: Setting::CaCert, .. })));
    }

    #[test]
    fn server_name_readdresses_the_base() {
        let mut base = Url::parse("https://127.0.0.1:8444/admin").unwrap();
        let tls = TlsOptions { server_name: Some("kong.internal".into()), ..TlsOptions::default() };
        let _ = apply_tls(reqwest::Client::builder(), &tls, &mut base).unwrap();
        assert_eq!(base.as_str(), "https://kong.internal:8444/admin");
    }

    /// A loopback server that answers every request with a 307 to plain HTTP, and records the
    /// requests it gets.
    async fn redirecting_server() -> (Url, Arc<std::sync::Mutex<Vec<String>>>) {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
        let log = seen.clone();
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                let mut buf = vec![0u8; 4096];
                let n = socket.read(&mut buf).await.unwrap_or(0);
                log.lock().unwrap().push(String::from_utf8_lossy(&buf[..n]).into_owned());
                let answer = format!(
                    "HTTP/1.1 307 Temporary Redirect\r\nLocation: http://u:pw@127.0.0.1:{}/elsewhere?t=1\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                    addr.port()
                );
                let _ = socket.write_all(answer.as_bytes()).await;
            }
        });
        (Url::parse(&format!("http://127.0.0.1:{}/", addr.port())).unwrap(), seen)
    }

    #[tokio::test]
    async fn redirects_are_refused_not_followed() {
        let (base, seen) = redirecting_server().await;
        let mut opts = ClientOptions::new(base.clone());
        opts.token = Some(Secret::new("kpat_token"));
        let client = Client::new(opts).unwrap();
        let err = client.send(&Request::get("/services")).await.unwrap_err();
        let port = base.port().unwrap();
        assert!(
            matches!(&err, ApiError::Redirected { status: 307, to, .. } if *to == format!("http://127.0.0.1:{port}")),
            "{err:?}"
        );
        let shown = err.to_string();
        assert!(shown.contains("307") && shown.contains("http://127.0.0.1"), "{shown}");
        assert!(!shown.contains("pw") && !shown.contains("elsewhere"), "{shown}");
        // One request reached the server, none went to the Location (which is on the same server).
        let seen = seen.lock().unwrap();
        assert_eq!(seen.len(), 1, "{seen:?}");
        assert!(!seen[0].contains("/elsewhere"), "{seen:?}");
    }

    #[test]
    fn redirect_targets_show_scheme_and_host_only() {
        assert_eq!(redirect_target(Some("http://a:b@evil.example:8080/x?y".into())), "http://evil.example:8080");
        assert_eq!(redirect_target(Some("/login".into())), "another path on the same host");
        assert_eq!(redirect_target(None), "no Location");
    }

    #[test]
    fn empty_bodies_decode_to_null() {
        assert_eq!(decode("DELETE /x", 204, b"").unwrap().body, Value::Null);
        assert!(matches!(decode("GET /x", 200, b"<html>"), Err(ApiError::Unexpected { .. })));
    }
}
