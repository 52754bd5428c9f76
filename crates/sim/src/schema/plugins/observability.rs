//! Metrics and tracing plugins: prometheus, zipkin and opentelemetry (`kong/plugins/<name>/schema.lua`
//! at 3.5.0).

use super::*;

/// prometheus: its custom_validator only checks nginx's `prometheus_metrics` dictionary, which a
/// Kong node always has.
pub(super) fn prometheus() -> PluginDef {
    PluginDef::new(
        "prometheus",
        13,
        protocols_all(),
        vec![
            ("per_consumer", opt_flag(false)),
            ("status_code_metrics", opt_flag(false)),
            ("latency_metrics", opt_flag(false)),
            ("bandwidth_metrics", opt_flag(false)),
            ("upstream_health_metrics", opt_flag(false)),
        ],
    )
}

const HEADER_TYPES: [&str; 9] = ["preserve", "ignore", "b3", "b3-single", "w3c", "jaeger", "ot", "aws", "gcp"];

/// zipkin `static_tags` names may not be the tags Kong sets itself
/// (`kong/plugins/zipkin/schema.lua:4-18`).
const PROTECTED_TAGS: [&str; 13] = [
    "error",
    "http.method",
    "http.path",
    "http.status_code",
    "kong.balancer.state",
    "kong.balancer.try",
    "kong.consumer",
    "kong.credential",
    "kong.node.id",
    "kong.route",
    "kong.service",
    "lc",
    "peer.hostname",
];

fn unprotected_tag(value: &Value) -> Result<(), String> {
    let s = value.as_str().unwrap_or_default();
    if PROTECTED_TAGS.contains(&s) {
        Err(format!("must not be one of: {}", PROTECTED_TAGS.join(", ")))
    } else {
        Ok(())
    }
}

/// `validate_static_tags`: no tag name twice (`kong/plugins/zipkin/schema.lua:28-41`).
fn distinct_tags(value: &Value) -> Result<(), String> {
    let mut seen = Vec::new();
    for tag in value.as_array().map(Vec::as_slice).unwrap_or_default() {
        let name = tag.get("name").and_then(Value::as_str).unwrap_or_default();
        if seen.contains(&name) {
            return Err(format!("repeated tags are not allowed: {name}"));
        }
        seen.push(name);
    }
    Ok(())
}

pub(super) fn zipkin() -> PluginDef {
    let static_tag = element_record(vec![("name", string().req().check(unprotected_tag)), ("value", string().req())]);
    PluginDef::new(
        "zipkin",
        100000,
        protocols_all(),
        vec![
            ("local_service_name", string().req().def(json!("kong"))),
            ("http_endpoint", url()),
            ("sample_ratio", number().def(json!(0.001)).between(0.0, 1.0)),
            ("default_service_name", string()),
            ("include_credential", flag(true)),
            ("traceid_byte_count", integer().req().def(json!(16)).one_of_int(&[8, 16])),
            ("header_type", string().req().def(json!("preserve")).one_of(&HEADER_TYPES)),
            ("default_header_type", string().req().def(json!("b3")).one_of(&HEADER_TYPES[2..])),
            ("tags_header", string().req().def(json!("Zipkin-Tags"))),
            ("static_tags", array(static_tag).check(distinct_tags)),
            ("http_span_name", string().req().def(json!("method")).one_of(&["method", "method_path"])),
            ("connect_timeout", timeout(2000)),
            ("send_timeout", timeout(5000)),
            ("read_timeout", timeout(5000)),
            ("http_response_header_for_traceid", string()),
            ("phase_duration_flavor", string().req().def(json!("annotations")).one_of(&["annotations", "tags"])),
            ("queue", queue()),
        ],
    )
}

/// opentelemetry: HTTP protocols only in 3.5.0 (`kong/plugins/opentelemetry/schema.lua:34`); the
/// endpoint is referenceable (not encrypted), as are header values.
pub(super) fn opentelemetry() -> PluginDef {
    PluginDef::new(
        "opentelemetry",
        14,
        protocols_http(),
        vec![
            ("endpoint", url().req().referenceable()),
            ("headers", map(string().check(v::header_name), string().referenceable()).optional()),
            ("resource_attributes", map(string().req(), string().req()).optional()),
            ("queue", queue()),
            ("batch_span_count", integer()),
            ("batch_flush_delay", integer()),
            ("connect_timeout", timeout(1000)),
            ("send_timeout", timeout(5000)),
            ("read_timeout", timeout(5000)),
            ("http_response_header_for_traceid", string()),
            ("header_type", string().def(json!("preserve")).one_of(&HEADER_TYPES)),
        ],
    )
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::super::testing::{config, create, refused};
    use serde_json::json;

    #[test]
    fn prometheus_flags_default_false() {
        // kong/plugins/prometheus/schema.lua:19-23 (3.5.0).
        let c = config("prometheus", json!({}));
        assert_eq!(c["per_consumer"], false);
        assert_eq!(c["upstream_health_metrics"], false);
    }

    #[test]
    fn zipkin_defaults_and_tags() {
        // kong/plugins/zipkin/schema.lua:50-72 (3.5.0).
        let c = config("zipkin", json!({}));
        assert_eq!(c["sample_ratio"], 0.001);
        assert_eq!(c["traceid_byte_count"], 16);
        assert_eq!(c["default_header_type"], "b3");
        assert_eq!(c["connect_timeout"], 2000);
        assert_eq!(c["http_endpoint"], json!(null));
        assert_eq!(c["queue"]["max_entries"], 10000);
        let e = refused("zipkin", json!({"static_tags": [{"name": "a", "value": "1"}, {"name": "a", "value": "2"}]}));
        assert_eq!(e["config"]["static_tags"], "repeated tags are not allowed: a");
        let e = refused("zipkin", json!({"traceid_byte_count": 4}));
        assert_eq!(e["config"]["traceid_byte_count"], "expected one of: 8, 16");
    }

    #[test]
    fn opentelemetry_is_http_only() {
        // kong/plugins/opentelemetry/schema.lua:34 (3.5.0): protocols_http.
        let e = create(json!({"name": "opentelemetry", "protocols": ["tcp"],
                              "config": {"endpoint": "http://otel.example.com"}}))
        .unwrap_err();
        assert_eq!(e["protocols"], json!(["expected one of: grpc, grpcs, http, https"]));
        // :38-54: endpoint required; timeouts 1000/5000/5000; header_type preserve.
        let c = config("opentelemetry", json!({"endpoint": "http://otel.example.com"}));
        assert_eq!(c["connect_timeout"], 1000);
        assert_eq!(c["header_type"], "preserve");
        assert_eq!(c["resource_attributes"], json!(null));
        assert_eq!(refused("opentelemetry", json!({}))["config"]["endpoint"], "required field missing");
    }
}
