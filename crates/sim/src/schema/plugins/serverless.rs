//! Serverless plugins: pre-function and post-function (one schema, `kong/plugins/pre-function/_schema.lua`),
//! aws-lambda and azure-functions (`kong/plugins/<name>/schema.lua` at 3.5.0).

use super::rules::{self, Check};
use super::*;

const PHASES: [&str; 6] = ["certificate", "rewrite", "access", "header_filter", "body_filter", "log"];

const FUNCTION_CHECKS: &[Check] = &[Check::AtLeastOneOf(&[
    "config.certificate",
    "config.rewrite",
    "config.access",
    "config.header_filter",
    "config.body_filter",
    "config.log",
])];

fn function_checks(row: &rules::Row, errors: &mut rules::Row) {
    rules::run(FUNCTION_CHECKS, row, errors);
}

/// Each phase is a list of Lua chunks, default `[]`; Kong's `loadstring` syntax check is not simulated
/// (the simulator runs no Lua).
fn functions(name: &'static str, priority: i64) -> PluginDef {
    let phases = PHASES.iter().map(|p| (*p, array(string()).req().def(json!([])))).collect();
    PluginDef::new(name, priority, protocols_all(), phases).no_consumer().check(function_checks)
}

pub(super) fn pre_function() -> PluginDef {
    functions("pre-function", 1000000)
}

pub(super) fn post_function() -> PluginDef {
    functions("post-function", -1000)
}

/// aws-lambda `proxy_url` must be an http URL (`kong/plugins/aws-lambda/schema.lua:124-136`).
fn proxy_url_scheme(row: &rules::Row) -> Result<(), String> {
    let url = rules::get(row, "config.proxy_url").and_then(Value::as_str);
    match url.and_then(|u| u.split_once("://")) {
        Some((scheme, _)) if scheme != "http" => Err("proxy_url scheme must be http".into()),
        _ => Ok(()),
    }
}

const LAMBDA_CHECKS: &[Check] =
    &[Check::MutuallyRequired(&["config.aws_key", "config.aws_secret"]), Check::Custom(proxy_url_scheme)];

fn lambda_checks(row: &rules::Row, errors: &mut rules::Row) {
    rules::run(LAMBDA_CHECKS, row, errors);
}

pub(super) fn aws_lambda() -> PluginDef {
    let secret = || string().encrypted().referenceable();
    PluginDef::new(
        "aws-lambda",
        750,
        protocols_http(),
        vec![
            ("timeout", number().req().def(json!(60000))),
            ("keepalive", number().req().def(json!(60000))),
            ("aws_key", secret()),
            ("aws_secret", secret()),
            ("aws_assume_role_arn", secret()),
            ("aws_role_session_name", string().def(json!("kong"))),
            ("aws_region", host()),
            ("function_name", string()),
            ("qualifier", string()),
            (
                "invocation_type",
                string().req().def(json!("RequestResponse")).one_of(&["RequestResponse", "Event", "DryRun"]),
            ),
            ("log_type", string().req().def(json!("Tail")).one_of(&["Tail", "None"])),
            ("host", host()),
            ("port", port().def(json!(443))),
            ("disable_https", opt_flag(false)),
            ("unhandled_status", integer().between(100.0, 999.0)),
            ("forward_request_method", opt_flag(false)),
            ("forward_request_uri", opt_flag(false)),
            ("forward_request_headers", opt_flag(false)),
            ("forward_request_body", opt_flag(false)),
            ("is_proxy_integration", opt_flag(false)),
            ("awsgateway_compatible", opt_flag(false)),
            ("proxy_url", url()),
            ("skip_large_bodies", opt_flag(true)),
            ("base64_encode_body", opt_flag(true)),
            ("aws_imds_protocol_version", string().req().def(json!("v1")).one_of(&["v1", "v2"])),
        ],
    )
    .check(lambda_checks)
}

pub(super) fn azure_functions() -> PluginDef {
    PluginDef::new(
        "azure-functions",
        749,
        protocols_all(),
        vec![
            ("timeout", number().def(json!(600000))),
            ("keepalive", number().def(json!(60000))),
            ("https", opt_flag(true)),
            ("https_verify", opt_flag(false)),
            ("apikey", string().encrypted().referenceable()),
            ("clientid", string().encrypted().referenceable()),
            ("appname", string().req()),
            ("hostdomain", string().req().def(json!("azurewebsites.net"))),
            ("routeprefix", string().def(json!("api"))),
            ("functionname", string().req()),
        ],
    )
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::super::testing::{config, create, refused};
    use serde_json::json;

    #[test]
    fn functions_need_one_phase() {
        // kong/plugins/pre-function/_schema.lua:20-29 (3.5.0): every phase defaults to [];
        // :52-61: at least one must be non-empty.
        let e = refused("pre-function", json!({}));
        assert_eq!(e["@entity"][0].as_str().map(|s| s.starts_with("at least one of these fields")), Some(true));
        let c = config("post-function", json!({"access": ["return"]}));
        assert_eq!(c["log"], json!([]));
        // :35: no consumer scope; typedefs.protocols: stream protocols allowed.
        let e = create(json!({"name": "pre-function", "config": {"access": ["x"]},
                              "consumer": {"id": "8b0f1c3e-5d5c-4a53-9d55-0a2b8e0a0c11"}}))
        .unwrap_err();
        assert_eq!(e["consumer"], "value must be null");
    }

    #[test]
    fn aws_lambda_defaults_and_checks() {
        // kong/plugins/aws-lambda/schema.lua:10-118 (3.5.0).
        let c = config("aws-lambda", json!({"function_name": "f"}));
        assert_eq!(c["timeout"], 60000);
        assert_eq!(c["port"], 443);
        assert_eq!(c["invocation_type"], "RequestResponse");
        assert_eq!(c["aws_imds_protocol_version"], "v1");
        assert_eq!(c["skip_large_bodies"], true);
        assert_eq!(c["aws_key"], json!(null));
        // :122-123: aws_key and aws_secret go together.
        let e = refused("aws-lambda", json!({"aws_key": "k"}));
        assert_eq!(e["@entity"][0], "all or none of these fields must be set: 'config.aws_key', 'config.aws_secret'");
        // :124-136: the proxy must be http.
        let e = refused("aws-lambda", json!({"proxy_url": "https://proxy.example.com"}));
        assert_eq!(e["@entity"][0], "proxy_url scheme must be http");
        // Vault references pass a referenceable field unchecked.
        config("aws-lambda", json!({"aws_key": "{vault://env/k}", "aws_secret": "{vault://env/s}"}));
    }

    #[test]
    fn azure_functions_defaults() {
        // kong/plugins/azure-functions/schema.lua:13-88 (3.5.0): appname and functionname required.
        let e = refused("azure-functions", json!({}));
        assert_eq!(e["config"]["appname"], "required field missing");
        let c = config("azure-functions", json!({"appname": "a", "functionname": "f"}));
        assert_eq!(c["timeout"], 600000);
        assert_eq!(c["hostdomain"], "azurewebsites.net");
        assert_eq!(c["routeprefix"], "api");
        assert_eq!(c["https"], true);
    }
}
