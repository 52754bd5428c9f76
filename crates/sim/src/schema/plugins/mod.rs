//! Declaration tables of the 37 plugins Kong 3.5.0 bundles (`kong/constants.lua` at 3.5.0): for each one
//! its priority (served by `GET /`), the scopes it refuses (`typedefs.no_consumer`, `no_route`,
//! `no_service`), its `protocols` field and its whole `config` record with Kong's defaults, constraints
//! and entity checks, read from `kong/plugins/<name>/schema.lua`. One file per group of plugins; the
//! vocabulary they share (field builders, typedefs, the declarative entity checks in `rules`) is here.
//!
//! A subschema's records are required unless they say otherwise, as Kong's `make_records_required`
//! (`kong/db/schema/entity.lua:15`) makes them: `record()` is required by default for that reason.

mod auth;
mod logging;
mod observability;
pub mod rules;
mod security;
mod serverless;
mod traffic;
mod transform;

use super::validators as v;
use super::*;
use serde_json::json;

pub struct PluginDef {
    pub name: &'static str,
    pub priority: i64,
    pub protocols: Field,
    /// `typedefs.no_consumer`: the plugin cannot be scoped to a consumer.
    pub no_consumer: bool,
    /// `typedefs.no_route`: the plugin cannot be scoped to a route.
    pub no_route: bool,
    /// `typedefs.no_service`: the plugin cannot be scoped to a service.
    pub no_service: bool,
    pub config: Field,
    pub check: Option<EntityCheck>,
}

impl PluginDef {
    /// The generic plugin fields with this plugin's `config`, `protocols` and scope overrides.
    pub fn effective_fields(&self, base: &[(&'static str, Field)]) -> Vec<(&'static str, Field)> {
        base.iter()
            .map(|(n, f)| match *n {
                "config" => (*n, self.config.clone()),
                "protocols" => (*n, self.protocols.clone()),
                _ if self.refuses_scope(n) => (*n, f.clone().null_only()),
                _ => (*n, f.clone()),
            })
            .collect()
    }

    /// The fields the plugin's own `schema.lua` declares, in its order (scope overrides, protocols,
    /// config): what Kong serves at `GET /schemas/plugins/{name}`.
    pub fn declared_fields(&self) -> Vec<(&'static str, Field)> {
        let mut out = Vec::new();
        for (name, table) in [("consumer", "consumers"), ("service", "services"), ("route", "routes")] {
            if self.refuses_scope(name) {
                out.push((name, foreign(table).null_only()));
            }
        }
        out.push(("protocols", self.protocols.clone()));
        out.push(("config", self.config.clone()));
        out
    }

    fn refuses_scope(&self, field: &str) -> bool {
        match field {
            "consumer" => self.no_consumer,
            "route" => self.no_route,
            "service" => self.no_service,
            _ => false,
        }
    }

    fn new(name: &'static str, priority: i64, protocols: Field, config: Vec<(&'static str, Field)>) -> PluginDef {
        PluginDef {
            name,
            priority,
            protocols,
            no_consumer: false,
            no_route: false,
            no_service: false,
            config: record(config),
            check: None,
        }
    }
    fn no_consumer(mut self) -> PluginDef {
        self.no_consumer = true;
        self
    }
    fn global_only(mut self) -> PluginDef {
        self.no_consumer = true;
        self.no_route = true;
        self.no_service = true;
        self
    }
    fn check(mut self, c: EntityCheck) -> PluginDef {
        self.check = Some(c);
        self
    }
}

/// `constants.PROTOCOLS` (sorted keys of `protocols_with_subsystem`, `kong/constants.lua:70`): OSS 3.5 has
/// no `ws`/`wss`.
const ALL: &[&str] = &["grpc", "grpcs", "http", "https", "tcp", "tls", "tls_passthrough", "udp"];
/// The protocols of the `http` subsystem, sorted (`kong/db/schema/typedefs.lua:450`).
const HTTP: &[&str] = &["grpc", "grpcs", "http", "https"];

/// `typedefs.protocols_http` (`kong/db/schema/typedefs.lua:466`).
fn protocols_http() -> Field {
    set(string().one_of(HTTP)).req().def(json!(HTTP))
}
/// `typedefs.protocols` (`kong/db/schema/typedefs.lua:458`): any protocol, http ones by default.
fn protocols_all() -> Field {
    set(string().one_of(ALL)).req().def(json!(HTTP))
}
/// A required boolean with a default, the commonest plugin flag.
fn flag(default: bool) -> Field {
    boolean().req().def(json!(default))
}
/// An optional boolean with a default (no `required` in the plugin's schema).
fn opt_flag(default: bool) -> Field {
    boolean().def(json!(default))
}
fn strings() -> Field {
    array(string())
}
/// A record used as array elements: Kong's `make_records_required` (`kong/db/schema/entity.lua:15`)
/// does not reach into elements, so it is not required.
fn element_record(fields: Vec<(&'static str, Field)>) -> Field {
    record(fields).optional()
}
/// `typedefs.port` (`kong/db/schema/typedefs.lua:308`).
fn port() -> Field {
    integer().between(0.0, 65535.0)
}
/// `typedefs.host`.
fn host() -> Field {
    string().check(v::host)
}
/// `typedefs.url`.
fn url() -> Field {
    string().check(v::url)
}
/// `typedefs.sni`.
fn sni() -> Field {
    string().check(v::sni)
}
/// `typedefs.timeout` (`kong/db/schema/typedefs.lua:341`).
fn timeout(default: i64) -> Field {
    integer().between(0.0, 2147483646.0).def(json!(default))
}
/// `typedefs.lua_code` (`kong/db/schema/typedefs.lua:865`); the sandbox check of the values is not
/// simulated (the simulator runs no Lua).
fn lua_code() -> Field {
    map(string().len_min(1), string().len_min(1)).optional()
}
/// `kong/tools/queue_schema.lua` (3.5.0), `typedefs.queue`.
fn queue() -> Field {
    record(vec![
        ("max_batch_size", integer().def(json!(1)).between(1.0, 1000000.0)),
        ("max_coalescing_delay", number().def(json!(1)).between(0.0, 3600.0)),
        ("max_entries", integer().def(json!(10000)).between(1.0, 1000000.0)),
        ("max_bytes", integer()),
        ("max_retry_time", number().def(json!(60))),
        ("initial_retry_delay", number().def(json!(0.01)).between(0.001, 1000000.0)),
        ("max_retry_delay", number().def(json!(60)).between(0.001, 1000000.0)),
    ])
}

/// Every plugin of Kong 3.5.0's bundled set, in `kong/constants.lua` order.
pub fn bundled() -> Vec<PluginDef> {
    vec![
        auth::jwt(),
        security::acl(),
        transform::correlation_id(),
        security::cors(),
        auth::oauth2(),
        logging::tcp_log(),
        logging::udp_log(),
        logging::file_log(),
        logging::http_log(),
        auth::key_auth(),
        auth::hmac_auth(),
        auth::basic_auth(),
        security::ip_restriction(),
        transform::request_transformer(),
        transform::response_transformer(),
        traffic::request_size_limiting(),
        traffic::rate_limiting(),
        traffic::response_ratelimiting(),
        logging::syslog(),
        logging::loggly(),
        logging::datadog(),
        auth::ldap_auth(),
        logging::statsd(),
        security::bot_detection(),
        serverless::aws_lambda(),
        traffic::request_termination(),
        observability::prometheus(),
        traffic::proxy_cache(),
        auth::session(),
        security::acme(),
        transform::grpc_gateway(),
        transform::grpc_web(),
        serverless::pre_function(),
        serverless::post_function(),
        serverless::azure_functions(),
        observability::zipkin(),
        observability::opentelemetry(),
    ]
}

/// Test helpers shared by the group files: create a plugin through the same code path as the Admin
/// API's POST (defaults, field checks, entity checks).
#[cfg(test)]
#[allow(clippy::unwrap_used)]
pub(crate) mod testing {
    use crate::schema::Registry;
    use crate::validate::{normalize, Gen, Mode};
    use rand::rngs::StdRng;
    use rand::SeedableRng;
    use serde_json::{Map, Value};

    /// The stored row for `body` (a whole plugin object with `name`), or Kong's error map.
    pub fn create(body: Value) -> Result<Value, Value> {
        let reg = Registry::get();
        let name = body["name"].as_str().unwrap();
        let fields =
            reg.plugin_fields(crate::schema::Surface::Community, name).unwrap_or_else(|| panic!("no plugin {name}"));
        let check = reg.plugin(name).and_then(|p| p.check);
        let mut rng = StdRng::seed_from_u64(7);
        let mut gen = Gen { rng: &mut rng, now: 1_700_000_000.0 };
        let body: Map<String, Value> = body.as_object().unwrap().clone();
        normalize(fields, &body, Mode::Fill, check, &mut gen).map(Value::Object).map_err(Value::Object)
    }

    /// The stored `config` of a plugin created with `config`.
    pub fn config(name: &str, config: Value) -> Value {
        match create(serde_json::json!({"name": name, "config": config})) {
            Ok(row) => row["config"].clone(),
            Err(e) => panic!("{name}: {e}"),
        }
    }

    /// The error map of a refused plugin.
    pub fn refused(name: &str, config: Value) -> Value {
        match create(serde_json::json!({"name": name, "config": config})) {
            Ok(row) => panic!("{name}: accepted {row}"),
            Err(e) => e,
        }
    }
}
