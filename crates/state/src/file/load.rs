//! Finding and parsing state files: files, directories walked recursively (`.yaml`, `.yml`, `.json`,
//! any case, in sorted order so that the merge is deterministic) and `-` for standard input; each
//! rendered through the environment template and parsed as YAML (JSON is YAML too).

use super::template;
use super::Diagnostic;
use serde_json::Value;
use std::io::Read;
use std::path::{Path, PathBuf};

/// One parsed file.
#[derive(Debug)]
pub struct Document {
    /// The name shown in messages.
    pub name: String,
    pub content: Value,
    /// Values substituted from the environment.
    pub env_values: Vec<String>,
}

/// Expands the arguments into the list of files to read, in order.
pub fn collect(args: &[PathBuf]) -> Result<Vec<PathBuf>, Vec<Diagnostic>> {
    let mut files = Vec::new();
    let mut errors = Vec::new();
    for arg in args {
        if arg.as_os_str() == "-" {
            files.push(arg.clone());
        } else if arg.is_dir() {
            let before = files.len();
            walk(arg, &mut files, &mut errors);
            if files.len() == before {
                errors
                    .push(Diagnostic::file(&arg.display().to_string(), "directory holds no .yaml, .yml or .json file"));
            }
        } else if arg.exists() {
            files.push(arg.clone());
        } else {
            errors.push(Diagnostic::file(&arg.display().to_string(), "no such file or directory"));
        }
    }
    if errors.is_empty() {
        Ok(files)
    } else {
        Err(errors)
    }
}

fn walk(dir: &Path, files: &mut Vec<PathBuf>, errors: &mut Vec<Diagnostic>) {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) => {
            return errors.push(Diagnostic::file(&dir.display().to_string(), format!("cannot read directory: {e}")))
        }
    };
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for p in paths {
        if p.is_dir() {
            walk(&p, files, errors);
        } else if is_state_file(&p) {
            files.push(p);
        }
    }
}

fn is_state_file(p: &Path) -> bool {
    let ext = p.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase);
    matches!(ext.as_deref(), Some("yaml" | "yml" | "json"))
}

/// Reads, renders and parses one file; `lookup` resolves environment variables.
pub(super) fn parse(path: &Path, lookup: &dyn Fn(&str) -> Option<String>) -> Result<Document, Vec<Diagnostic>> {
    let name = path.display().to_string();
    let mut text = String::new();
    let read = if path.as_os_str() == "-" {
        std::io::stdin().read_to_string(&mut text).map(|_| ())
    } else {
        std::fs::read_to_string(path).map(|t| text = t)
    };
    if let Err(e) = read {
        return Err(vec![Diagnostic::file(&name, format!("cannot read: {e}"))]);
    }
    parse_text(&name, &text, lookup)
}

/// Renders and parses the text of one file.
pub fn parse_text(
    name: &str,
    text: &str,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<Document, Vec<Diagnostic>> {
    let rendered = template::render(text, lookup).map_err(|errors| {
        errors
            .into_iter()
            .map(|e| Diagnostic { position: Some(format!("{}", e.line)), ..Diagnostic::file(name, e.message) })
            .collect::<Vec<_>>()
    })?;
    if rendered.text.trim().is_empty() {
        return Ok(Document { name: name.to_string(), content: Value::Null, env_values: rendered.values });
    }
    if name.to_ascii_lowercase().ends_with(".json") {
        // YAML accepts what JSON does not (a trailing comma, say): a .json file is held to JSON.
        if let Err(e) = serde_json::from_str::<serde::de::IgnoredAny>(&rendered.text) {
            let position = Some(format!("{}:{}", e.line(), e.column()));
            let message = e.to_string();
            let message = message.split(" at line ").next().unwrap_or(&message).to_string();
            return Err(vec![Diagnostic { position, ..Diagnostic::file(name, format!("invalid JSON: {message}")) }]);
        }
    }
    let content: Value = serde_yaml::from_str(&rendered.text).map_err(|e| {
        let e = later_document_error(&rendered.text).unwrap_or(e);
        let position = e.location().map(|l| format!("{}:{}", l.line(), l.column()));
        // serde_yaml appends the position to its message; it is shown separately.
        let message = e.to_string();
        let message = message.split(" at line ").next().unwrap_or(&message).to_string();
        vec![Diagnostic { position, ..Diagnostic::file(name, format!("invalid YAML/JSON: {message}")) }]
    })?;
    Ok(Document { name: name.to_string(), content, env_values: rendered.values })
}

/// serde_yaml reports a syntax error after a first well-formed document as "more than one document",
/// without a position (e.g. a file whose first line is indented, decK's issue #578); parsing the
/// documents one by one finds the real error and where it is.
fn later_document_error(text: &str) -> Option<serde_yaml::Error> {
    // A syntax error repeats for every following document: the first two are enough.
    serde_yaml::Deserializer::from_str(text)
        .take(2)
        .find_map(|doc| <Value as serde::Deserialize>::deserialize(doc).err())
        .filter(|e| e.location().is_some())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn syntax_errors_carry_line_and_column() {
        let errs = parse_text("k.yaml", "services:\n  - name: a\n   host: b\n", &|_| None).err().unwrap_or_default();
        assert_eq!(errs.len(), 1);
        assert_eq!(errs[0].position.as_deref(), Some("3:4"));
        assert!(errs[0].message.starts_with("invalid YAML/JSON"), "{}", errs[0].message);
    }

    #[test]
    fn an_error_after_a_first_document_is_located() {
        let errs =
            parse_text("k.yaml", " _info:\n  select_tags: [a]\nservices: []\n", &|_| None).err().unwrap_or_default();
        assert_eq!(errs.len(), 1);
        assert_eq!(errs[0].position.as_deref(), Some("3:1"));
        assert!(errs[0].message.contains("document start"), "{}", errs[0].message);
    }

    #[test]
    fn extensions_are_matched_case_insensitively() {
        assert!(is_state_file(Path::new("a/Baz.YamL")));
        assert!(is_state_file(Path::new("x.JSON")));
        assert!(!is_state_file(Path::new("foo.yaml.pdf")));
    }
}
