//! Kong's list endpoints (`kong-schemas.md` §6): `size` 1..1000 (default 100), keyset paging with an
//! opaque `offset` (base64, standard alphabet without padding, of the JSON array of the last row's
//! primary key), `next` (null on the last page), tag filters (`a,b` = all, `a/b` = any, at most 5),
//! ordered by id; nested lists ignore `tags`. Targets under an upstream are newest first with a
//! numeric offset.

use crate::errors::{ApiError, ApiResult};
use crate::hooks;
use crate::ops::Scope;
use crate::schema::EntityDef;
use crate::store::Store;
use base64::Engine;
use serde_json::{json, Value};
use std::ops::Bound;
use uuid::Uuid;

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD_NO_PAD;

#[derive(Debug, Clone, PartialEq)]
pub enum TagFilter {
    All(Vec<String>),
    Any(Vec<String>),
}

impl TagFilter {
    pub fn matches(&self, row: &Value) -> bool {
        let tags: Vec<&str> = row
            .get("tags")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        match self {
            TagFilter::All(want) => want.iter().all(|t| tags.contains(&t.as_str())),
            TagFilter::Any(want) => want.iter().any(|t| tags.contains(&t.as_str())),
        }
    }
}

pub fn parse_tags(raw: &str) -> ApiResult<TagFilter> {
    let syntax = || ApiError::invalid_tags("invalid filter syntax");
    if raw.is_empty() || (raw.contains(',') && raw.contains('/')) {
        return Err(syntax());
    }
    let (parts, all): (Vec<&str>, bool) =
        if raw.contains('/') { (raw.split('/').collect(), false) } else { (raw.split(',').collect(), true) };
    if parts.len() > 5 {
        return Err(ApiError::invalid_tags("cannot query more than 5 tags"));
    }
    if parts.iter().any(|p| p.is_empty()) {
        return Err(syntax());
    }
    let tags = parts.into_iter().map(str::to_string).collect();
    Ok(if all { TagFilter::All(tags) } else { TagFilter::Any(tags) })
}

/// The list parameters common to every collection.
#[derive(Debug, Default, Clone)]
pub struct ListParams {
    pub size: usize,
    pub size_given: bool,
    pub offset: Option<String>,
    pub tags: Option<TagFilter>,
    pub tags_raw: Option<String>,
}

pub fn params(query: &[(String, String)]) -> ApiResult<ListParams> {
    let first = |k: &str| query.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    let mut p = ListParams { size: 100, ..Default::default() };
    // kong/api/endpoints.lua:184-194 and kong/db/dao/init.lua:57-65 (3.5.0).
    if let Some(s) = first("size") {
        let n: f64 = s.trim().parse().map_err(|_| ApiError::invalid_size("size must be a number"))?;
        if n.fract() != 0.0 || !(1.0..=1000.0).contains(&n) {
            return Err(ApiError::invalid_size("size must be an integer between 1 and 1000"));
        }
        p.size = n as usize;
        p.size_given = true;
    }
    p.offset = first("offset");
    if let Some(t) = first("tags") {
        p.tags = Some(parse_tags(&t)?);
        p.tags_raw = Some(t);
    }
    Ok(p)
}

pub fn encode_offset(id: &Uuid) -> String {
    B64.encode(json!([id.to_string()]).to_string())
}

/// Decodes an offset token produced by `encode_offset` (code 7 otherwise).
pub fn decode_offset_pub(token: &str) -> ApiResult<Uuid> {
    decode_offset(token)
}

/// kong/db/strategies/postgres/init.lua:488-497 (3.5.0): base64 first, then JSON, each with its message.
fn decode_offset(token: &str) -> ApiResult<Uuid> {
    let bytes =
        B64.decode(token.trim_end_matches('=')).map_err(|_| ApiError::invalid_offset(token, "bad base64 encoding"))?;
    let bad_json = || ApiError::invalid_offset(token, "bad json encoding");
    let v: Value = serde_json::from_slice(&bytes).map_err(|_| bad_json())?;
    v.get(0).and_then(Value::as_str).and_then(|s| Uuid::parse_str(s).ok()).ok_or_else(bad_json)
}

fn escape(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
}

/// A page of rows in id order. `base` is the path `next` points at; `nested` drops `size`/`tags` from
/// `next` and ignores the tag filter, as Kong does for foreign-key pages.
pub fn page(
    store: &Store,
    def: &EntityDef,
    scope: Option<Scope>,
    p: &ListParams,
    base: &str,
    extra: Option<&dyn Fn(&Value) -> bool>,
) -> ApiResult<Value> {
    let after = p.offset.as_deref().map(decode_offset).transpose()?;
    let lower = after.map_or(Bound::Unbounded, Bound::Excluded);
    let coll = store.coll(def.name);
    let nested = scope.is_some();
    let tags = if nested { None } else { p.tags.as_ref() };
    let keep = |row: &Value| tags.is_none_or(|t| t.matches(row)) && extra.is_none_or(|f| f(row));
    let mut picked: Vec<(&Uuid, &Value)> = Vec::with_capacity(p.size + 1);
    match scope {
        Some(s) => {
            if let Some(ids) = coll.children_set(s.field, &s.parent) {
                for id in ids.range((lower, Bound::Unbounded)) {
                    if let Some(row) = coll.get(id).filter(|r| keep(r)) {
                        picked.push((id, row));
                        if picked.len() > p.size {
                            break;
                        }
                    }
                }
            }
        }
        None => {
            for (id, row) in coll.rows.range((lower, Bound::Unbounded)) {
                if keep(row) {
                    picked.push((id, row));
                    if picked.len() > p.size {
                        break;
                    }
                }
            }
        }
    }
    let more = picked.len() > p.size;
    picked.truncate(p.size);
    let data: Vec<Value> = picked.iter().map(|(_, r)| hooks::view(store, def, r)).collect();
    Ok(shape(data, more.then(|| picked.last().map(|(id, _)| encode_offset(id))).flatten(), p, base, nested))
}

/// `{"data": [...], "next": ..., "offset": ...}` with `offset` only when there is a next page.
pub fn shape(data: Vec<Value>, offset: Option<String>, p: &ListParams, base: &str, nested: bool) -> Value {
    match offset {
        Some(tok) => {
            let mut next = format!("{base}?offset={}", escape(&tok));
            if !nested {
                if p.size_given {
                    next.push_str(&format!("&size={}", p.size));
                }
                if let Some(t) = &p.tags_raw {
                    next.push_str(&format!("&tags={}", escape(t)));
                }
            }
            paged(data, Value::String(next), Some(tok))
        }
        None => paged(data, Value::Null, None),
    }
}

/// The page object, the rows moved in: `json!` would serialize them into a copy.
fn paged(data: Vec<Value>, next: Value, offset: Option<String>) -> Value {
    let mut page = serde_json::Map::new();
    page.insert("data".into(), Value::Array(data));
    page.insert("next".into(), next);
    if let Some(tok) = offset {
        page.insert("offset".into(), Value::String(tok));
    }
    Value::Object(page)
}

/// `/upstreams/{u}/targets`: newest first (created_at, then id, reversed), numeric offsets.
pub fn targets_page(store: &Store, def: &EntityDef, upstream: Uuid, p: &ListParams, base: &str) -> ApiResult<Value> {
    let coll = store.coll(def.name);
    let mut rows: Vec<&Value> = coll.children("upstream", &upstream).iter().filter_map(|id| coll.get(id)).collect();
    rows.sort_by(|a, b| {
        let ca = a.get("created_at").and_then(Value::as_f64).unwrap_or_default();
        let cb = b.get("created_at").and_then(Value::as_f64).unwrap_or_default();
        let ia = a.get("id").and_then(Value::as_str).unwrap_or_default();
        let ib = b.get("id").and_then(Value::as_str).unwrap_or_default();
        (cb, ib).partial_cmp(&(ca, ia)).unwrap_or(std::cmp::Ordering::Equal)
    });
    let start: usize = match &p.offset {
        Some(o) => o.parse().map_err(|_| ApiError::invalid_offset(o, "bad base64 encoding"))?,
        None => 0,
    };
    let end = (start + p.size).min(rows.len());
    let data: Vec<Value> = rows.get(start..end).unwrap_or_default().iter().map(|r| (*r).clone()).collect();
    let offset = (end < rows.len()).then(|| end.to_string());
    Ok(shape(data, offset, p, base, true))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn tag_grammar() {
        assert_eq!(parse_tags("a,b").unwrap(), TagFilter::All(vec!["a".into(), "b".into()]));
        assert_eq!(parse_tags("a/b").unwrap(), TagFilter::Any(vec!["a".into(), "b".into()]));
        assert!(parse_tags("a,b/c").is_err());
        assert!(parse_tags("a,b,c,d,e,f").is_err());
        let id = Uuid::new_v4();
        assert_eq!(decode_offset(&encode_offset(&id)).unwrap(), id);
        assert!(decode_offset("!!").is_err());
    }
}
