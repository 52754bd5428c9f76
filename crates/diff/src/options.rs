//! What a plan is computed for: the target it will run against, the API dialect that decides a few
//! request forms, and the fields left to another owner.

use kongsync_model::Kind;
use serde::{Deserialize, Serialize};

/// The API the plan's requests are written for. Kong 3.5 and Konnect differ in how a target is
/// created: Kong's `PUT /upstreams/{u}/targets/{t}` only updates, so a new target is a `POST` with
/// its id; Konnect accepts the `PUT`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Dialect {
    #[default]
    Kong,
    Konnect,
}

/// A field owned by someone else (`--ignore-field plugin.config.allow`): never compared, and on an
/// update the gateway's value is sent back unchanged.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IgnoreField {
    pub kind: Kind,
    /// The field path inside the entity, dot-separated (`config.allow`).
    pub path: Vec<String>,
}

/// A field to ignore that cannot be (malformed, or one that identifies the entity).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("cannot ignore `{given}`: {problem}")]
pub struct IgnoreFieldError {
    pub given: String,
    pub problem: String,
}

impl IgnoreField {
    /// Parses `KIND.PATH`, the kind in decK's spelling (`plugin`, `service`, `key-auth`, ...).
    pub fn parse(text: &str) -> Result<IgnoreField, IgnoreFieldError> {
        let fail = |problem: &str| IgnoreFieldError { given: text.to_string(), problem: problem.to_string() };
        let (kind, path) = text.split_once('.').ok_or_else(|| fail("expected KIND.PATH, e.g. plugin.config.allow"))?;
        let kind = Kind::from_name(kind).ok_or_else(|| fail("unknown entity kind"))?;
        let path: Vec<String> = path.split('.').map(str::to_string).collect();
        if path.iter().any(String::is_empty) {
            return Err(fail("empty path segment"));
        }
        let first = path[0].as_str();
        let identifies = matches!(first, "id" | "name" | "username")
            || kind.identity_fields().any(|f| f == first)
            || kind.reference(first).is_some();
        if identifies {
            return Err(fail("an identifying field cannot be ignored"));
        }
        Ok(IgnoreField { kind, path })
    }
}

/// Everything a plan needs besides the two states.
#[derive(Clone, Debug, Default)]
pub struct PlanOptions {
    /// The target, as shown to people and recorded in the plan (no secrets).
    pub target: String,
    pub dialect: Dialect,
    pub ignore: Vec<IgnoreField>,
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn ignore_fields_parse_kind_and_path() {
        let f = IgnoreField::parse("plugin.config.allow").unwrap();
        assert_eq!(f, IgnoreField { kind: Kind::Plugin, path: vec!["config".into(), "allow".into()] });
        assert!(IgnoreField::parse("plugin").is_err());
        assert!(IgnoreField::parse("gizmo.x").is_err());
        assert!(IgnoreField::parse("service.name").is_err());
        assert!(IgnoreField::parse("route.a..b").is_err());
    }

    #[test]
    fn fields_that_identify_an_entity_cannot_be_ignored() {
        for identity in ["key-auth.key", "consumer.custom_id", "vault.prefix", "target.target", "acl-group.group"] {
            let e = IgnoreField::parse(identity).unwrap_err();
            assert_eq!(e.problem, "an identifying field cannot be ignored", "{identity}");
        }
        assert!(IgnoreField::parse("key-auth.consumer").is_err(), "a reference identifies a credential's owner");
        assert!(IgnoreField::parse("key-auth.ttl").is_ok());
    }
}
