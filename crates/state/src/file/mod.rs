//! Reading decK `_format_version: "3.0"` state files into a [`State`]: find the files, render the
//! environment template, parse, check the file-level keys, merge the files, flatten the nested forms,
//! validate every entity and resolve its references. Every problem of every file is collected and
//! reported together; nothing partial is returned.

mod diagnostic;
mod flatten;
mod load;
mod normalize;
mod resolve;
mod split;
mod strict;
mod template;
#[cfg(test)]
mod tests;

pub use diagnostic::Diagnostic;
pub use load::{collect, parse_text, Document, MAX_FILE_BYTES};
pub use resolve::is_id_only;
pub use template::OWN_SETTINGS;

use crate::layout::TOP_LEVEL;
use crate::{Meta, State};
use flatten::Raw;
use kongsync_model::Kind;
use normalize::Context;
use serde_json::{Map, Value};
use std::path::PathBuf;

/// The state files could not be read into a state.
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    /// Every problem found, each located by file, entity and field.
    #[error("{} in the state files", plural(.0.len(), "problem"))]
    Invalid(Vec<Diagnostic>),
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}

/// Top-level keys of decK files that belong to features kongsync does not manage.
const UNSUPPORTED_TOP_LEVEL: &[(&str, &str)] = &[
    ("partials", "plugin partials (Kong Enterprise)"),
    ("filter_chains", "filter chains (WebAssembly)"),
    ("rbac_roles", "RBAC roles (Kong Enterprise)"),
    ("licenses", "licenses (Kong Enterprise)"),
    ("custom_entities", "custom entities (degraphql routes, GraphQL cost decorations)"),
    ("cloned_plugins", "cloned plugin definitions"),
    ("custom_plugins", "custom plugin definitions"),
    ("service_packages", "Konnect service packages (legacy Konnect)"),
    ("ai_models", "AI models (Konnect AI Gateway)"),
];

/// Reads the state files (files, directories or `-`), resolving template variables with `env`.
pub fn read(paths: &[PathBuf], env: &dyn Fn(&str) -> Option<String>) -> Result<State, FileError> {
    let files = collect(paths).map_err(FileError::Invalid)?;
    let mut docs = Vec::new();
    let mut errors = Vec::new();
    for f in &files {
        match load::parse(f, env) {
            Ok(d) => docs.push(d),
            Err(e) => errors.extend(e),
        }
    }
    if !errors.is_empty() {
        return Err(FileError::Invalid(errors));
    }
    build(docs)
}

/// Builds a state from parsed documents.
pub fn build(docs: Vec<Document>) -> Result<State, FileError> {
    let mut errors = Vec::new();
    let names: Vec<String> = docs.iter().map(|d| d.name.clone()).collect();
    let mut meta = Meta::default();
    let mut ctx = Context::default();
    let mut lookup_kinds = Vec::new();
    let mut origins = Origins::default();
    // The documents' contents are moved into the entities, not copied: a large file is held once.
    let mut contents: Vec<(usize, Map<String, Value>)> = Vec::new();
    for (i, doc) in docs.into_iter().enumerate() {
        match doc.content {
            Value::Null => {}
            Value::Object(o) => {
                check_top_level(&doc.name, &o, &mut meta, &mut ctx, &mut lookup_kinds, &mut origins, &mut errors);
                contents.push((i, o));
            }
            other => errors.push(Diagnostic::file(
                &doc.name,
                format!("expected a mapping at the top level, found {}", flatten::type_name(&other)),
            )),
        }
        for v in doc.env_values {
            if !meta.env_values.contains(&v) {
                meta.env_values.push(v);
            }
        }
    }
    if contents.is_empty() && errors.is_empty() {
        errors
            .push(Diagnostic::file(names.first().map_or("-", String::as_str), "the state files hold no configuration"));
    }
    ctx.select_tags = meta.select_tags.clone();
    let mut raws: Vec<Raw> = Vec::new();
    for (i, content) in contents {
        flatten::flatten(i, &names[i], content, &mut raws, &mut errors);
    }
    // Each entity is normalized and validated on its own, so the raws are split over the cores; the
    // problems are kept in the raws' order.
    let chunk = raws.len().div_ceil(kongsync_model::uneven_parts()).max(4096);
    let normalized = kongsync_model::on_cores(raws.chunks_mut(chunk), |part| {
        let mut problems = Vec::new();
        let ids: Vec<_> =
            part.iter_mut().map(|r| normalize::normalize(r, &ctx, &names[r.doc], &mut problems)).collect();
        (ids, problems)
    });
    let mut ids = Vec::with_capacity(raws.len());
    for (part_ids, problems) in normalized {
        ids.extend(part_ids);
        errors.extend(problems);
    }
    let src = resolve::Sources { files: &names, lookup_kinds: &lookup_kinds };
    let entities = resolve::resolve(raws, ids, &src, &mut errors);
    if errors.is_empty() {
        Ok(State { entities, meta })
    } else {
        Err(FileError::Invalid(errors))
    }
}

/// The file that first set each run-wide setting, so that a conflict names both files.
#[derive(Default)]
struct Origins {
    workspace: String,
    konnect: String,
    select_tags: String,
}

fn check_top_level(
    file: &str,
    o: &Map<String, Value>,
    meta: &mut Meta,
    ctx: &mut Context,
    lookup_kinds: &mut Vec<Kind>,
    origins: &mut Origins,
    errors: &mut Vec<Diagnostic>,
) {
    let mut err = |m: String| errors.push(Diagnostic::file(file, m));
    match o.get("_format_version") {
        Some(Value::String(v)) if v == "3.0" => {}
        Some(v) => err(format!("`_format_version` is {v}: kongsync reads decK's format \"3.0\" (convert older files with `deck file convert`)")),
        None => err("`_format_version` is missing: kongsync reads decK's format \"3.0\"".into()),
    }
    for (k, v) in o {
        if let Some((_, feature)) = UNSUPPORTED_TOP_LEVEL.iter().find(|(n, _)| n == k) {
            err(format!("`{k}`: unsupported feature: {feature}"));
            continue;
        }
        match k.as_str() {
            "_format_version" => {}
            "_transform" if v == &Value::Bool(true) => {}
            "_transform" => err("`_transform: false` is not supported".into()),
            "_workspace" => match v.as_str() {
                Some(w) => {
                    let held = (&mut meta.workspace, &mut origins.workspace);
                    if let Some(e) = agree("`_workspace`", "one workspace per run", w, held, file) {
                        err(e);
                    }
                }
                None => err("`_workspace` must be a string".into()),
            },
            "_konnect" => {
                let name = v.get("control_plane_name").or_else(|| v.get("runtime_group_name")).and_then(Value::as_str);
                if v.get("control_plane_name").is_some() && v.get("runtime_group_name").is_some() {
                    err("`_konnect` gives both `control_plane_name` and `runtime_group_name`".into());
                }
                match name {
                    Some(n) => {
                        let held = (&mut meta.konnect_control_plane, &mut origins.konnect);
                        if let Some(e) =
                            agree("`_konnect.control_plane_name`", "one control plane per run", n, held, file)
                        {
                            err(e);
                        }
                    }
                    None => err("`_konnect` needs a `control_plane_name`".into()),
                }
            }
            "_info" => check_info(file, v, meta, ctx, lookup_kinds, origins, &mut err),
            "_plugin_configs" => match v.as_object() {
                Some(m) => {
                    for (name, cfg) in m {
                        match ctx.plugin_configs.get(name) {
                            Some(existing) if existing != cfg => {
                                err(format!("`_plugin_configs.{name}` differs from another file's"))
                            }
                            _ => {
                                ctx.plugin_configs.insert(name.clone(), cfg.clone());
                            }
                        }
                    }
                }
                None => err("`_plugin_configs` must be a mapping".into()),
            },
            _ if TOP_LEVEL.iter().any(|(n, _)| n == k) => {}
            _ => err(format!("`{k}`: unknown top-level field")),
        }
    }
}

/// A setting every file that gives it must give alike: the first file's value is kept, with where it
/// came from; a different value is the error returned, naming both files.
fn agree(
    setting: &str,
    rule: &str,
    given: &str,
    held: (&mut Option<String>, &mut String),
    file: &str,
) -> Option<String> {
    let (value, origin) = held;
    match value.as_deref() {
        None => {
            *value = Some(given.to_string());
            *origin = file.to_string();
            None
        }
        Some(v) if v == given => None,
        Some(v) => Some(format!("{setting} is \"{given}\" here but \"{v}\" in {origin}: {rule}")),
    }
}

fn check_info(
    file: &str,
    v: &Value,
    meta: &mut Meta,
    ctx: &mut Context,
    lookup_kinds: &mut Vec<Kind>,
    origins: &mut Origins,
    err: &mut dyn FnMut(String),
) {
    let Some(info) = v.as_object() else { return err("`_info` must be a mapping".into()) };
    for (k, v) in info {
        match k.as_str() {
            "select_tags" => {
                // A tag that is not a non-blank string is refused, never dropped: dropping the only one
                // would make the run unscoped, and it would then manage everything on the gateway.
                let tags: Option<Vec<String>> = v.as_array().and_then(|a| {
                    a.iter().map(|t| t.as_str().filter(|t| !t.trim().is_empty()).map(str::to_string)).collect()
                });
                match tags {
                    Some(mut t) if !t.is_empty() => {
                        t.sort();
                        t.dedup();
                        if meta.select_tags.is_empty() {
                            meta.select_tags = t;
                            origins.select_tags = file.to_string();
                        } else if meta.select_tags != t {
                            err(format!(
                                "`_info.select_tags` is {t:?} here but {:?} in {}: one set of select tags per run",
                                meta.select_tags, origins.select_tags
                            ));
                        }
                    }
                    Some(_) => {}
                    None => err("`_info.select_tags` must be a list of non-empty strings".into()),
                }
            }
            "defaults" => {
                for (kind_name, d) in v.as_object().into_iter().flatten() {
                    let kind = match kind_name.as_str() {
                        "service" => Kind::Service,
                        "route" => Kind::Route,
                        "upstream" => Kind::Upstream,
                        "target" => Kind::Target,
                        other => {
                            err(format!(
                                "`_info.defaults.{other}`: defaults exist for service, route, upstream and target only"
                            ));
                            continue;
                        }
                    };
                    let Some(d) = d.as_object() else { continue };
                    for restricted in ["id", "name", "target"] {
                        if d.contains_key(restricted) {
                            err(format!("`_info.defaults.{kind_name}.{restricted}` cannot have a default"));
                        }
                    }
                    match ctx.defaults.iter_mut().find(|(k, _)| *k == kind) {
                        Some((_, existing)) => d.iter().for_each(|(f, x)| {
                            existing.entry(f.clone()).or_insert_with(|| x.clone());
                        }),
                        None => ctx.defaults.push((kind, d.clone())),
                    }
                }
            }
            "default_lookup_tags" => {
                for (kind_name, tags) in v.as_object().into_iter().flatten() {
                    match Kind::from_name(kind_name) {
                        None if kind_name == "partials" => {
                            err("`_info.default_lookup_tags.partials`: unsupported feature: plugin partials (Kong Enterprise)".into())
                        }
                        Some(k) if tags.as_array().is_some_and(|a| !a.is_empty()) => {
                            lookup_kinds.push(k);
                            let held = meta.lookup_tags.entry(kind_name.clone()).or_default();
                            for t in tags.as_array().into_iter().flatten().filter_map(Value::as_str) {
                                // decK's fixtures write `- group-tag ` with a trailing space.
                                let t = t.trim().to_string();
                                if !held.contains(&t) {
                                    held.push(t);
                                }
                            }
                        }
                        Some(_) => err(format!("`_info.default_lookup_tags.{kind_name}` must be a non-empty list")),
                        None => err(format!("`_info.default_lookup_tags.{kind_name}`: unknown kind")),
                    }
                }
            }
            "consumer_group_policy_overrides" | "include_plugin_definitions" | "skip_hash_for_basic_auth"
                if v == &Value::Bool(false) => {}
            "consumer_group_policy_overrides" => err(
                "`_info.consumer_group_policy_overrides`: unsupported feature: legacy consumer-group policy overrides"
                    .into(),
            ),
            "include_plugin_definitions" => {
                err("`_info.include_plugin_definitions`: unsupported feature: custom plugin definitions".into())
            }
            "skip_hash_for_basic_auth" => err(
                "`_info.skip_hash_for_basic_auth`: unsupported feature: pre-hashed basic-auth passwords (Konnect only)"
                    .into(),
            ),
            other => err(format!("`_info.{other}`: unknown field")),
        }
    }
}
