//! A problem found in the state files, located as precisely as the input allows: the file, the line
//! and column for syntax errors, the entity (kind and key, or its place in the file) and the field.

use serde::Serialize;
use std::fmt;

/// One problem in the input.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    /// The file, as the user named it (`-` for standard input).
    pub file: String,
    /// `line:column` for syntax errors.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub position: Option<String>,
    /// The entity: `route orders`, or where it stands when it has no key (`services[2].routes[0]`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entity: Option<String>,
    /// The field path within the entity.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    pub message: String,
}

impl Diagnostic {
    /// A problem with the file as a whole.
    pub fn file(file: &str, message: impl Into<String>) -> Diagnostic {
        Diagnostic { file: file.to_string(), position: None, entity: None, field: None, message: message.into() }
    }

    pub fn at_entity(mut self, entity: impl Into<String>) -> Diagnostic {
        self.entity = Some(entity.into());
        self
    }

    pub fn at_field(mut self, field: impl Into<String>) -> Diagnostic {
        self.field = Some(field.into());
        self
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if let Some(p) = &self.position {
            write!(f, ":{p}")?;
        }
        if let Some(e) = &self.entity {
            write!(f, ": {e}")?;
        }
        if let Some(field) = &self.field {
            write!(f, ": field `{field}`")?;
        }
        write!(f, ": {}", self.message)
    }
}
