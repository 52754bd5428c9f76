//! Environment templating, decK's way: `${{ env "DECK_NAME" }}` in a state file is replaced by the
//! variable's value before the file is parsed. kongsync also accepts the `KONGSYNC_` prefix.
//!
//! Supported pipeline functions: `toBool`, `toInt`, `toFloat` (they check the value's type) and
//! `indent N`. Expressions on YAML comment lines are left as they are. Every substituted value is
//! returned so that output can mask it: values from the environment are treated as secrets.

/// The result of rendering one file.
#[derive(Debug, Default)]
pub(super) struct Rendered {
    pub text: String,
    /// The values substituted from the environment.
    pub values: Vec<String>,
}

/// A problem with one template expression.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct TemplateError {
    pub line: usize,
    pub message: String,
}

const PREFIXES: [&str; 2] = ["DECK_", "KONGSYNC_"];

/// The variables kongsync reads as its own settings. A state file may not read them: otherwise a file
/// could copy the admin token into a tag on the gateway while every output shows `<redacted>`. The CLI's
/// tests hold this list equal to the variables its flags read.
pub const OWN_SETTINGS: &[&str] = &[
    "KONGSYNC_CA_CERT",
    "KONGSYNC_HEADERS",
    "KONGSYNC_KONG_ADDR",
    "KONGSYNC_KONNECT_ADDR",
    "KONGSYNC_KONNECT_CONTROL_PLANE_ID",
    "KONGSYNC_KONNECT_CONTROL_PLANE_NAME",
    "KONGSYNC_KONNECT_REGION",
    "KONGSYNC_KONNECT_TOKEN",
    "KONGSYNC_KONNECT_TOKEN_FILE",
    "KONGSYNC_NO_COLOR",
    "KONGSYNC_PARALLELISM",
    "KONGSYNC_QUIET",
    "KONGSYNC_RATE_LIMIT",
    "KONGSYNC_SELECT_TAG",
    "KONGSYNC_SKIP_CA_CERTIFICATES",
    "KONGSYNC_SKIP_CONSUMERS",
    "KONGSYNC_TIMEOUT",
    "KONGSYNC_TLS_CLIENT_CERT",
    "KONGSYNC_TLS_CLIENT_KEY",
    "KONGSYNC_TLS_SERVER_NAME",
    "KONGSYNC_TLS_SKIP_VERIFY",
    "KONGSYNC_WORKSPACE",
];

/// Renders `text`, looking variables up with `lookup`. Every problem is reported.
pub(super) fn render(text: &str, lookup: &dyn Fn(&str) -> Option<String>) -> Result<Rendered, Vec<TemplateError>> {
    if !text.contains("${{") {
        return Ok(Rendered { text: text.to_string(), values: Vec::new() });
    }
    let mut out = Rendered { text: String::with_capacity(text.len()), values: Vec::new() };
    let mut errors = Vec::new();
    for (n, line) in text.split_inclusive('\n').enumerate() {
        if line.trim_start().starts_with('#') || !line.contains("${{") {
            out.text.push_str(line);
            continue;
        }
        let mut rest = line;
        while let Some(start) = rest.find("${{") {
            out.text.push_str(&rest[..start]);
            let after = &rest[start + 3..];
            let Some(end) = after.find("}}") else {
                errors.push(TemplateError { line: n + 1, message: "unclosed `${{`".into() });
                rest = "";
                break;
            };
            match expand(after[..end].trim(), lookup) {
                Ok(value) => {
                    out.values.push(value.clone());
                    out.text.push_str(&value);
                }
                Err(message) => errors.push(TemplateError { line: n + 1, message }),
            }
            rest = &after[end + 2..];
        }
        out.text.push_str(rest);
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

fn expand(expr: &str, lookup: &dyn Fn(&str) -> Option<String>) -> Result<String, String> {
    let mut stages = expr.split('|').map(str::trim);
    let head = stages.next().unwrap_or_default();
    let name = head
        .strip_prefix("env")
        .map(str::trim)
        .and_then(|n| n.strip_prefix('"').and_then(|n| n.strip_suffix('"')))
        .ok_or_else(|| format!("unsupported template expression `{head}`: expected `env \"DECK_NAME\"`"))?;
    if !PREFIXES.iter().any(|p| name.starts_with(p)) {
        return Err(format!("environment variable `{name}` must start with `DECK_` or `KONGSYNC_`"));
    }
    if OWN_SETTINGS.contains(&name) {
        return Err(format!(
            "environment variable `{name}` is one of kongsync's own settings and cannot be read by a state file"
        ));
    }
    let mut value = lookup(name).ok_or_else(|| format!("environment variable `{name}` is not set"))?;
    for stage in stages {
        let mut words = stage.split_whitespace();
        match (words.next(), words.next()) {
            (Some("toBool"), None) => {
                value.parse::<bool>().map_err(|_| format!("`{name}` is not a boolean"))?;
            }
            (Some("toInt"), None) => {
                value.parse::<i64>().map_err(|_| format!("`{name}` is not an integer"))?;
            }
            (Some("toFloat"), None) => {
                value.parse::<f64>().map_err(|_| format!("`{name}` is not a number"))?;
            }
            (Some("indent"), Some(n)) => {
                let n: usize = n.parse().map_err(|_| format!("`indent` takes a number, not `{n}`"))?;
                let pad = " ".repeat(n);
                value = value.lines().map(|l| format!("{pad}{l}")).collect::<Vec<_>>().join("\n");
            }
            _ => return Err(format!("unsupported template function `{stage}`")),
        }
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(name: &str) -> Option<String> {
        match name {
            "DECK_HOST" => Some("example.com".into()),
            "KONGSYNC_PORT" => Some("8080".into()),
            "DECK_CERT" => Some("a\nb".into()),
            _ => None,
        }
    }

    #[test]
    fn substitutes_and_records_values() {
        let r = render("host: ${{ env \"DECK_HOST\" }}\nport: ${{ env \"KONGSYNC_PORT\" | toInt }}\n", &env);
        let r = r.unwrap_or_default();
        assert_eq!(r.text, "host: example.com\nport: 8080\n");
        assert_eq!(r.values, ["example.com", "8080"]);
    }

    #[test]
    fn comment_lines_are_left_alone() {
        let r = render("# ${{ env \"DECK_UNSET\" }}\n", &env).unwrap_or_default();
        assert_eq!(r.text, "# ${{ env \"DECK_UNSET\" }}\n");
    }

    #[test]
    fn every_problem_is_reported() {
        let text = "a: ${{ env \"DECK_UNSET\" }}\nb: ${{ env \"HOME\" }}\nc: ${{ env \"DECK_HOST\" | toInt }}\n";
        let errors = render(text, &env).err().unwrap_or_default();
        let messages: Vec<String> = errors.iter().map(|e| format!("{}: {}", e.line, e.message)).collect();
        assert_eq!(
            messages,
            [
                "1: environment variable `DECK_UNSET` is not set",
                "2: environment variable `HOME` must start with `DECK_` or `KONGSYNC_`",
                "3: `DECK_HOST` is not an integer",
            ]
        );
    }

    #[test]
    fn kongsyncs_own_settings_are_not_readable() {
        let secret = |name: &str| (name == "KONGSYNC_KONNECT_TOKEN").then(|| "kpat_secret".to_string());
        let errors = render("tags: [${{ env \"KONGSYNC_KONNECT_TOKEN\" }}]\n", &secret).err().unwrap_or_default();
        assert_eq!(errors.len(), 1);
        assert!(errors[0].message.contains("kongsync's own settings"), "{}", errors[0].message);
        assert!(!errors[0].message.contains("kpat_secret"));
    }

    #[test]
    fn indent_pads_every_line() {
        let r = render("k: |\n${{ env \"DECK_CERT\" | indent 2 }}\n", &env).unwrap_or_default();
        assert_eq!(r.text, "k: |\n  a\n  b\n");
    }
}
