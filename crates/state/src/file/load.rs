//! Finding and parsing state files: files, directories walked recursively (`.yaml`, `.yml`, `.json`,
//! any case, in sorted order so that the merge is deterministic) and `-` for standard input; each
//! rendered through the environment template and parsed as YAML, or as strict JSON for a `.json` file.
//!
//! Only regular files are read (a FIFO or `/dev/zero` named by mistake would block or never end), reads
//! stop at [`MAX_FILE_BYTES`], directory walks report symlink loops, and a repeated key is an error.

use super::strict::{duplicate_key, duplicate_line, too_deep, Strict, MAX_FLOW_DEPTH};
use super::template;
use super::Diagnostic;
use serde_json::Value;
use std::collections::HashSet;
use std::io::Read;
use std::path::{Path, PathBuf};

/// The largest state file read: far above a million entities' worth of YAML, far below what would
/// exhaust the machine.
pub const MAX_FILE_BYTES: u64 = 2 << 30;

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
            walk(arg, &mut HashSet::new(), &mut files, &mut errors);
            if files.len() == before {
                errors
                    .push(Diagnostic::file(&arg.display().to_string(), "directory holds no .yaml, .yml or .json file"));
            }
        } else if arg.exists() {
            match not_regular(arg) {
                None => files.push(arg.clone()),
                Some(why) => errors.push(Diagnostic::file(&arg.display().to_string(), why)),
            }
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

/// Why `path` is not read as a state file: it is not a regular file (after following symlinks).
fn not_regular(path: &Path) -> Option<&'static str> {
    match std::fs::metadata(path) {
        Ok(m) if m.is_file() => None,
        Ok(_) => Some("not a regular file (a FIFO, socket or device): state files must be regular files"),
        // An unreadable file is reported when it is read, with the system's reason.
        Err(_) => None,
    }
}

/// Walks `dir`; `ancestors` holds the real paths of the directories above it, so a symlink that leads
/// back into one of them is reported instead of followed forever.
fn walk(dir: &Path, ancestors: &mut HashSet<PathBuf>, files: &mut Vec<PathBuf>, errors: &mut Vec<Diagnostic>) {
    let real = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
    if !ancestors.insert(real.clone()) {
        let message = format!("symlink loop: this directory leads back to {}", real.display());
        return errors.push(Diagnostic::file(&dir.display().to_string(), message));
    }
    walk_entries(dir, ancestors, files, errors);
    ancestors.remove(&real);
}

fn walk_entries(dir: &Path, ancestors: &mut HashSet<PathBuf>, files: &mut Vec<PathBuf>, errors: &mut Vec<Diagnostic>) {
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
            walk(&p, ancestors, files, errors);
        } else if is_state_file(&p) {
            match not_regular(&p) {
                None => files.push(p),
                Some(why) => errors.push(Diagnostic::file(&p.display().to_string(), why)),
            }
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
    let text = read_bounded(path).map_err(|message| vec![Diagnostic::file(&name, message)])?;
    parse_text(&name, &text, lookup)
}

/// The text of `path` (`-`: standard input), refused past [`MAX_FILE_BYTES`] or when it is not UTF-8.
fn read_bounded(path: &Path) -> Result<String, String> {
    let mut bytes = Vec::new();
    let read = if path.as_os_str() == "-" {
        std::io::stdin().take(MAX_FILE_BYTES + 1).read_to_end(&mut bytes)
    } else {
        std::fs::File::open(path).and_then(|f| f.take(MAX_FILE_BYTES + 1).read_to_end(&mut bytes))
    };
    read.map_err(|e| format!("cannot read: {e}"))?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(format!("larger than {} MiB; refused", MAX_FILE_BYTES >> 20));
    }
    String::from_utf8(bytes).map_err(|e| format!("cannot read: not UTF-8 text (byte {})", e.utf8_error().valid_up_to()))
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
    if let Some(line) = too_deep(&rendered.text, MAX_FLOW_DEPTH) {
        let message = format!("nested deeper than {MAX_FLOW_DEPTH} levels of `[` and `{{`; refused");
        return Err(vec![Diagnostic { position: Some(line.to_string()), ..Diagnostic::file(name, message) }]);
    }
    if name.to_ascii_lowercase().ends_with(".json") {
        // YAML accepts what JSON does not (a trailing comma, say): a .json file is held to JSON.
        return match serde_json::from_str::<Strict>(&rendered.text) {
            Ok(Strict(content)) => Ok(Document { name: name.to_string(), content, env_values: rendered.values }),
            Err(e) => {
                let position = Some(format!("{}:{}", e.line(), e.column()));
                let message = e.to_string();
                let message = message.split(" at line ").next().unwrap_or(&message).to_string();
                Err(vec![Diagnostic { position, ..Diagnostic::file(name, format!("invalid JSON: {message}")) }])
            }
        };
    }
    // A large file is parsed in pieces on all cores where they read as the whole; anything else,
    // errors included, is parsed whole. The piece that ends a long sequence is cut again where the
    // mapping resumes, so equal cuts by size make pieces of uneven work.
    if let Some(content) = super::split::parse_in_parts(&rendered.text, kongsync_model::uneven_parts(), &yaml_value) {
        return Ok(Document { name: name.to_string(), content, env_values: rendered.values });
    }
    let content = yaml(&rendered.text).map_err(|e| {
        let e = later_document_error(&rendered.text).unwrap_or(e);
        let mut position = e.location().map(|l| format!("{}:{}", l.line(), l.column()));
        let shown = e.to_string();
        if let (Some(key), Some(l)) = (duplicate_key(&shown), e.location()) {
            if let Some(line) = duplicate_line(&rendered.text, l.line(), l.column(), key) {
                position = Some(line.to_string());
            }
        }
        // serde_yaml appends the position to its message; it is shown separately.
        let message = e.to_string();
        let message = message.split(" at line ").next().unwrap_or(&message).to_string();
        vec![Diagnostic { position, ..Diagnostic::file(name, format!("invalid YAML/JSON: {message}")) }]
    })?;
    Ok(Document { name: name.to_string(), content, env_values: rendered.values })
}

/// The value of a YAML text as a state file holds it (no repeated key).
fn yaml(text: &str) -> Result<Value, serde_yaml::Error> {
    serde_yaml::from_str::<Strict>(text).map(|s| s.0)
}

/// [`yaml`], `None` when the text does not parse: the split parse's pieces, whose errors are never
/// shown (the file is then parsed whole).
pub(super) fn yaml_value(text: &str) -> Option<Value> {
    yaml(text).ok()
}

/// serde_yaml reports a syntax error after a first well-formed document as "more than one document",
/// without a position (e.g. a file whose first line is indented, decK's issue #578); parsing the
/// documents one by one finds the real error and where it is.
fn later_document_error(text: &str) -> Option<serde_yaml::Error> {
    // A syntax error repeats for every following document: the first two are enough.
    serde_yaml::Deserializer::from_str(text)
        .take(2)
        .find_map(|doc| <Strict as serde::Deserialize>::deserialize(doc).err())
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
    fn devices_and_fifos_are_refused_before_reading() {
        let errs = collect(&[PathBuf::from("/dev/zero")]).err().unwrap_or_default();
        assert_eq!(errs.len(), 1);
        assert!(errs[0].message.contains("not a regular file"), "{}", errs[0].message);
    }

    #[cfg(unix)]
    #[test]
    fn a_symlink_loop_is_reported_as_one() {
        let dir = std::env::temp_dir().join(format!("kongsync-loop-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("sub")).ok();
        std::fs::write(dir.join("kong.yaml"), "services: []\n").ok();
        std::os::unix::fs::symlink(&dir, dir.join("sub/back")).ok();
        let errs = collect(std::slice::from_ref(&dir)).err().unwrap_or_default();
        let _ = std::fs::remove_dir_all(&dir);
        assert_eq!(errs.len(), 1, "{errs:?}");
        assert!(errs[0].message.starts_with("symlink loop"), "{}", errs[0].message);
        assert!(errs[0].file.ends_with("sub/back"), "{}", errs[0].file);
    }

    #[test]
    fn a_repeated_key_names_file_line_and_key() {
        let errs = parse_text("k.yaml", "services: []\nroutes: []\nservices:\n- name: a\n", &|_| None)
            .err()
            .unwrap_or_default();
        assert_eq!(errs.len(), 1);
        assert!(errs[0].message.contains("duplicate key `services`"), "{}", errs[0].message);
        assert_eq!(errs[0].position.as_deref().and_then(|p| p.split(':').next()), Some("3"));
        let errs = parse_text("k.json", "{\"services\": [],\n \"services\": []}", &|_| None).err().unwrap_or_default();
        assert!(errs[0].message.starts_with("invalid JSON: duplicate key `services`"), "{}", errs[0].message);
        assert_eq!(errs[0].position.as_deref().and_then(|p| p.split(':').next()), Some("2"));
    }

    #[test]
    fn deep_nesting_fails_at_once() {
        let errs = parse_text("k.yaml", &"[".repeat(200_000), &|_| None).err().unwrap_or_default();
        assert!(errs[0].message.contains("nested deeper than"), "{}", errs[0].message);
    }

    #[test]
    fn extensions_are_matched_case_insensitively() {
        assert!(is_state_file(Path::new("a/Baz.YamL")));
        assert!(is_state_file(Path::new("x.JSON")));
        assert!(!is_state_file(Path::new("foo.yaml.pdf")));
    }
}
