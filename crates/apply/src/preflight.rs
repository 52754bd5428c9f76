//! Before the first write, the target is asked whether it would accept every write of the plan:
//! each create and update body goes to its validate endpoint (`POST /schemas/{entity}/validate`,
//! `/schemas/plugins/validate`; Kong 3.5.0 `kong/api/routes/kong.lua:33-46, 204-216`, Konnect's
//! core entities alike), and on Kong every plugin must be one the node has loaded (`GET /`,
//! `plugins.available_on_server`). Every refusal is collected, so that one run reports them all;
//! a single refusal, or a question the target could not answer, means no write is sent.
//!
//! The validate endpoints check what Kong's schema checks (types, ranges, custom validators, entity
//! checks, a plugin's configuration), not what needs the database (unique names, references to
//! entities not yet written), which the plan's order takes care of.

use futures::stream::{self, StreamExt};
use kongsync_diff::{Action, Execution, Plan, Step};
use kongsync_gateway::{available_plugins, validate_entity, ApiError, Client, Gateway};
use kongsync_model::Kind;
use serde::Serialize;
use serde_json::Value;

/// How to ask.
#[derive(Clone, Copy, Debug)]
pub struct PreflightOptions {
    /// Validate requests in flight at once (the run's parallelism).
    pub parallelism: usize,
}

/// What the target said about one of the plan's writes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Refusal {
    /// The step's index in the plan.
    pub step: usize,
    pub kind: Kind,
    /// The entity, as the plan names it.
    pub key: String,
    /// Every problem the target named; a field of `""` is about the entity as a whole.
    pub problems: Vec<Problem>,
}

/// One problem with one field.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// The dotted field path (`config.minute`, `hosts[0]`), or `""` for the whole entity.
    pub field: String,
    pub message: String,
}

/// What the preflight checked.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Checked {
    /// Bodies the target validated.
    pub validated: usize,
    /// Whether the target's list of loaded plugins was read (Kong; Konnect has none).
    pub plugins_listed: bool,
}

/// Why the plan may not run.
#[derive(Debug, thiserror::Error)]
pub enum PreflightError {
    /// The target refuses these writes; nothing was sent but reads and validations.
    #[error("the target refuses {} of the plan's writes", .0.len())]
    Refused(Vec<Refusal>),
    /// The target could not be asked, so whether it accepts the plan is not known.
    #[error("cannot validate the plan's writes with the target")]
    Unanswered(#[source] ApiError),
}

/// Asks the target about every create and update of `plan`; `Ok` only when it accepts them all.
pub async fn preflight(
    plan: &Plan,
    client: &Client,
    gateway: &Gateway,
    options: PreflightOptions,
) -> Result<Checked, PreflightError> {
    let writes: Vec<(&Step, Value)> = plan.steps.iter().filter_map(|s| validate_body(s).map(|b| (s, b))).collect();
    let mut refusals = Vec::new();
    let mut checked = Checked::default();
    let mut to_ask = Vec::new();
    let plugins = if writes.iter().any(|(s, _)| s.kind == Kind::Plugin) {
        available_plugins(client, gateway).await.map_err(PreflightError::Unanswered)?
    } else {
        None
    };
    checked.plugins_listed = plugins.is_some();
    for (step, body) in writes {
        let name = body.get("name").and_then(Value::as_str).filter(|_| step.kind == Kind::Plugin);
        match (name, &plugins) {
            (Some(name), Some(available)) if !available.contains(name) => {
                refusals.push(refusal(step, vec![not_available(name)]));
            }
            _ => to_ask.push((step, body)),
        }
    }
    let answers: Vec<(&Step, Result<(), Vec<Problem>>)> = stream::iter(to_ask)
        .map(|(step, body)| async move {
            let answer = client.send(&validate_entity(gateway, step.kind, body)).await;
            (step, answer)
        })
        .buffer_unordered(options.parallelism.max(1))
        .map(|(step, answer)| answer.map_or_else(|e| problems(e).map(|p| (step, Err(p))), |_| Ok((step, Ok(())))))
        .collect::<Vec<Result<_, ApiError>>>()
        .await
        .into_iter()
        .collect::<Result<_, _>>()
        .map_err(PreflightError::Unanswered)?;
    for (step, answer) in answers {
        checked.validated += 1;
        if let Err(p) = answer {
            refusals.push(refusal(step, p));
        }
    }
    if refusals.is_empty() {
        return Ok(checked);
    }
    refusals.sort_by_key(|r| r.step);
    Err(PreflightError::Refused(refusals))
}

/// The body to validate for a step: that of a create or update request, for a kind the target has
/// a schema of. A certificate's `snis` is the certificate endpoint's shorthand, not a field of its
/// schema (kong/api/routes/certificates.lua, 3.5.0), and its SNIs are validated as their own steps.
fn validate_body(step: &Step) -> Option<Value> {
    let (Action::Create | Action::Update, Execution::Request(req)) = (step.action, &step.execution) else {
        return None;
    };
    if !step.kind.def().has_schema {
        return None;
    }
    let mut body = req.body.clone()?;
    if let (Kind::Certificate, Value::Object(o)) = (step.kind, &mut body) {
        o.remove("snis");
    }
    Some(body)
}

/// A plugin the node has not loaded: the message Kong gives at the write
/// (kong/db/schema/entities/plugins.lua, 3.5.0), and where kongsync looked.
fn not_available(name: &str) -> Problem {
    Problem {
        field: "name".into(),
        message: format!(
            "plugin '{name}' not enabled; add it to the 'plugins' configuration property \
             (the target's `GET /` does not list it in `plugins.available_on_server`)"
        ),
    }
}

/// The problems of a refused body: a 400's field errors (kong/db/errors.lua's schema violation),
/// or the whole message (a 404 for a kind the target does not have). Any other failure is an
/// unanswered question.
fn problems(e: ApiError) -> Result<Vec<Problem>, ApiError> {
    match e.as_status() {
        Some(s) if matches!(s.status, 400 | 404) => {
            let fields: Vec<Problem> = s
                .fields
                .iter()
                .map(|p| Problem { field: entity_check_field(&p.field), message: p.message.clone() })
                .collect();
            Ok(if fields.is_empty() {
                vec![Problem { field: String::new(), message: s.message.clone() }]
            } else {
                fields
            })
        }
        _ => Err(e),
    }
}

/// Kong files the problems of an entity check under `@entity` (of the entity, or of a record such
/// as a plugin's `config`): they are the record's own.
fn entity_check_field(field: &str) -> String {
    match field {
        "@entity" => String::new(),
        f => f.strip_suffix(".@entity").unwrap_or(f).to_string(),
    }
}

fn refusal(step: &Step, problems: Vec<Problem>) -> Refusal {
    Refusal { step: step.index, kind: step.kind, key: step.key.clone(), problems }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kongsync_gateway::{Request, StatusError};
    use serde_json::json;

    fn step(action: Action, kind: Kind, request: Request) -> Step {
        Step {
            index: 3,
            action,
            kind,
            key: "k".into(),
            id: Default::default(),
            changes: Vec::new(),
            execution: Execution::Request(request),
            depends_on: Vec::new(),
            notes: Vec::new(),
        }
    }

    #[test]
    fn creates_and_updates_are_validated_deletes_and_memberships_are_not() {
        let cert = step(
            Action::Create,
            Kind::Certificate,
            Request::put("/certificates/x", json!({"cert": "c", "snis": ["a"]})),
        );
        assert_eq!(validate_body(&cert), Some(json!({"cert": "c"})), "snis is the endpoint's shorthand");
        let update = step(Action::Update, Kind::Service, Request::put("/services/x", json!({"host": "h"})));
        assert_eq!(validate_body(&update), Some(json!({"host": "h"})));
        assert_eq!(validate_body(&step(Action::Delete, Kind::Service, Request::delete("/services/x"))), None);
        let member =
            step(Action::Create, Kind::ConsumerGroupMember, Request::post("/consumer_groups/g/consumers", json!({})));
        assert_eq!(validate_body(&member), None, "Kong serves no schema of a membership");
    }

    #[test]
    fn a_schema_violation_gives_its_fields_and_a_404_its_message() {
        // kong/db/errors.lua:214-259 (3.5.0): `fields` by path, `@entity` for the entity's checks.
        let body = r#"{"code":2,"name":"schema violation","message":"2 schema violations","fields":{"@entity":["x"],"config":{"minute":"value must be greater than 0"}}}"#;
        let e = ApiError::Status(Box::new(StatusError::from_body(
            "POST /schemas/plugins/validate".into(),
            400,
            body.as_bytes(),
        )));
        let got = problems(e).ok().unwrap_or_default();
        assert_eq!(
            got,
            [
                Problem { field: String::new(), message: "x".into() },
                Problem { field: "config.minute".into(), message: "value must be greater than 0".into() },
            ]
        );
        let e = ApiError::Status(Box::new(StatusError::from_body(
            "POST /schemas/x/validate".into(),
            404,
            br#"{"message":"No entity named 'x'"}"#,
        )));
        assert_eq!(
            problems(e).ok().unwrap_or_default(),
            [Problem { field: String::new(), message: "No entity named 'x'".into() }]
        );
        let e = ApiError::Status(Box::new(StatusError::from_body("POST /schemas/x/validate".into(), 500, b"oops")));
        assert!(problems(e).is_err(), "a server error leaves the question open");
    }
}
