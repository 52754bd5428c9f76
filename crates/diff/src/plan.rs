//! The plan: a versioned, serializable artifact. Everything `sync` does is readable from it: each
//! step's action, entity, changed fields, the exact request, and the steps it waits for.

use crate::mask::Masker;
use crate::options::Dialect;
use kongsync_gateway::Request;
use kongsync_model::Kind;
use kongsync_state::Scope;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

/// The version of the plan format this build writes and accepts. Version 2: each request is the
/// gateway's `Request` (a method kongsync sends, and a retry class), and the plan carries its masker.
pub const PLAN_FORMAT_VERSION: u32 = 2;

/// A computed plan.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    pub format_version: u32,
    /// The target the plan was computed against (address, workspace or control plane; no secrets).
    pub target: String,
    pub dialect: Dialect,
    /// What the plan manages: only these entities were read and may be changed.
    pub scope: Scope,
    /// SHA-256 of the canonical live state in scope the plan was computed from.
    pub live_fingerprint: String,
    /// SHA-256 of the canonical desired state.
    pub desired_fingerprint: String,
    pub summary: Summary,
    pub steps: Vec<Step>,
    /// Masks the secrets of the files the plan was made from (their environment values) wherever the
    /// plan is shown, also when it is run later from its file. Left out of a redacted plan.
    #[serde(default, skip_serializing_if = "Masker::is_empty")]
    pub masker: Masker,
}

/// Counts of steps by action.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    pub create: usize,
    pub update: usize,
    pub delete: usize,
}

impl Summary {
    /// The counts of these steps.
    pub fn of<'a>(steps: impl IntoIterator<Item = &'a Step>) -> Summary {
        let mut summary = Summary::default();
        for step in steps {
            match step.action {
                Action::Create => summary.create += 1,
                Action::Update => summary.update += 1,
                Action::Delete => summary.delete += 1,
            }
        }
        summary
    }

    pub fn total(&self) -> usize {
        self.create + self.update + self.delete
    }
}

/// What a step does to its entity.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Create,
    Update,
    Delete,
}

impl Action {
    pub fn verb(self) -> &'static str {
        match self {
            Action::Create => "create",
            Action::Update => "update",
            Action::Delete => "delete",
        }
    }
}

/// One step of the plan.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Step {
    /// The step's position in the plan (its index in `steps`).
    pub index: usize,
    pub action: Action,
    pub kind: Kind,
    /// The entity as a person names it (secrets in keys masked).
    pub key: String,
    /// The entity's id after the step (for a delete: the id deleted).
    pub id: Uuid,
    /// The fields that change, with values before and after (secrets masked). Empty for a delete.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub changes: Vec<Change>,
    /// How the step is carried out.
    pub execution: Execution,
    /// Indices of the steps that must be done first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub depends_on: Vec<usize>,
    /// What a reviewer should know (a password that cannot be compared, ...).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

/// How a step is carried out: its own request, or by Kong as part of another step.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "by")]
pub enum Execution {
    /// The step sends this request; its path is relative to the gateway's entities root
    /// (`/services/{id}`).
    Request(Request),
    /// Kong does it as part of another step (children deleted with their parent, SNIs dropped by
    /// their certificate's PUT): no request is sent.
    WithStep { step: usize, reason: String },
}

/// One changed field.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Change {
    /// Dot-separated path (`config.minute`); a reference field names the parent (`service`).
    pub path: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<Value>,
}

impl Plan {
    /// Whether the plan changes nothing.
    pub fn is_empty(&self) -> bool {
        self.steps.is_empty()
    }

    /// The steps that send a request.
    pub fn requests(&self) -> impl Iterator<Item = (&Step, &Request)> {
        self.steps.iter().filter_map(|s| match &s.execution {
            Execution::Request(r) => Some((s, r)),
            Execution::WithStep { .. } => None,
        })
    }
}

/// A plan file that cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum PlanFileError {
    /// Not JSON, or not a plan (a `format_version` missing or not a number).
    #[error("not a kongsync plan (from `kongsync diff --out`)")]
    NotAPlan(#[source] serde_json::Error),
    /// A plan of another format version.
    #[error("the plan has format version {found}; this kongsync reads version {PLAN_FORMAT_VERSION}")]
    Format { found: u64 },
    /// A plan of this version that does not hold together (an unknown method, a missing field).
    #[error("the plan is malformed")]
    Malformed(#[source] serde_json::Error),
    /// The plan's content is not the one its seal was computed over: a step, a request body, a
    /// dependency or the target was changed, added or removed after `diff --out` wrote it.
    #[error(
        "the plan was changed after it was computed (its seal does not match its steps and requests); \
         compute a new plan with `kongsync diff --out`"
    )]
    Tampered,
    /// The plan file has no seal.
    #[error("the plan has no seal; write plans with `kongsync diff --out`")]
    Unsealed,
}

/// Just enough of a plan file to know its version and its seal.
#[derive(Deserialize)]
struct Versioned {
    format_version: u64,
    #[serde(default)]
    seal: Option<String>,
}

/// A plan as written to a file: the plan and its seal.
#[derive(Serialize)]
struct Sealed<'a> {
    #[serde(flatten)]
    plan: &'a Plan,
    seal: String,
}

impl Plan {
    /// Reads a plan file's text: its format version first, so that a plan of another version is
    /// refused as such rather than half-read, then the whole plan.
    /// Then the seal: a plan runs only as it was computed.
    pub fn from_json(text: &str) -> Result<Plan, PlanFileError> {
        let Versioned { format_version, seal } = serde_json::from_str(text).map_err(PlanFileError::NotAPlan)?;
        if format_version != u64::from(PLAN_FORMAT_VERSION) {
            return Err(PlanFileError::Format { found: format_version });
        }
        let plan: Plan = serde_json::from_str(text).map_err(PlanFileError::Malformed)?;
        match seal {
            None => Err(PlanFileError::Unsealed),
            Some(seal) if seal == plan.seal() => Ok(plan),
            Some(_) => Err(PlanFileError::Tampered),
        }
    }

    /// The plan file's text: the plan and its seal.
    pub fn to_json(&self) -> Result<String, serde_json::Error> {
        serde_json::to_string_pretty(&Sealed { plan: self, seal: self.seal() })
    }

    /// SHA-256 over the canonical JSON of the whole plan (target, scope, fingerprints, every step
    /// with its request and dependencies). Re-serializing the typed plan makes it canonical: the
    /// same plan re-indented, or with a body's keys reordered (JSON objects hold their keys sorted),
    /// has the same seal. It is not keyed: it stops an edited or hand-merged plan from running, not
    /// someone who recomputes it.
    pub fn seal(&self) -> String {
        use sha2::{Digest, Sha256};
        // Serializing plain data into a Vec cannot fail; an empty seal would never match anyway.
        let bytes = serde_json::to_vec(self).unwrap_or_default();
        hex::encode(Sha256::digest(&bytes))
    }
}
