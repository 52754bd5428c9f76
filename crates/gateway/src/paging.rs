//! Reading a whole list page by page: `size=1000`, then the `offset` each page returns, until a page
//! comes without one. Kong and Konnect share this shape (`{"data": [...], "offset": "..."}`); the
//! member list of consumer groups before Kong 3.5 used `consumers` instead of `data`.
//!
//! Pages of one list are necessarily sequential (each offset comes from the page before); lists of
//! different collections run concurrently (kongsync-state's live read).

use crate::client::Client;
use crate::error::ApiError;
use crate::request::{next_page, Request};
use serde_json::{Map, Value};

/// One page of a list.
#[derive(Clone, Debug, PartialEq)]
pub struct Page {
    pub data: Vec<Map<String, Value>>,
    /// Where the next page starts; `None` on the last page.
    pub offset: Option<String>,
}

/// Reads a page from an answer's body.
pub fn parse_page(request: &str, body: Value) -> Result<Page, ApiError> {
    let unexpected =
        |problem: &str| ApiError::Unexpected { request: request.to_string(), problem: problem.to_string() };
    let Value::Object(mut body) = body else { return Err(unexpected("a list answer is not a JSON object")) };
    let items = match body.remove("data").or_else(|| body.remove("consumers")) {
        Some(Value::Array(items)) => items,
        // Kong encodes an empty list as `{}` in a few places (an empty Lua table).
        Some(Value::Object(o)) if o.is_empty() => Vec::new(),
        Some(Value::Null) => Vec::new(),
        _ => return Err(unexpected("a list answer has no `data` array")),
    };
    let mut data = Vec::with_capacity(items.len());
    for item in items {
        match item {
            Value::Object(o) => data.push(o),
            _ => return Err(unexpected("an element of `data` is not an object")),
        }
    }
    let offset = match body.remove("offset") {
        Some(Value::String(s)) if !s.is_empty() => Some(s),
        _ => None,
    };
    Ok(Page { data, offset })
}

/// Reads every page of the list that `first` starts; `on_page` is told each page's size.
pub async fn list_all(
    client: &Client,
    first: &Request,
    on_page: &(dyn Fn(usize) + Sync),
) -> Result<Vec<Map<String, Value>>, ApiError> {
    list_all_with(client, first, &Some, on_page).await
}

/// Reads every page of the list that `first` starts, keeping what `each` makes of each element as
/// its page comes (a reader that keeps less than the whole object never holds every page whole);
/// `on_page` is told each page's size.
pub async fn list_all_with<T>(
    client: &Client,
    first: &Request,
    each: &(dyn Fn(Map<String, Value>) -> Option<T> + Sync),
    on_page: &(dyn Fn(usize) + Sync),
) -> Result<Vec<T>, ApiError> {
    let mut all = Vec::new();
    let mut request = first.clone();
    loop {
        let body = client.get_json(&request).await?;
        let page = parse_page(&request.describe(), body)?;
        on_page(page.data.len());
        all.extend(page.data.into_iter().filter_map(each));
        match page.offset {
            // A server that returns the offset it was given would make this loop forever.
            Some(offset) if request.query.iter().any(|(k, v)| k == "offset" && *v == offset) => {
                return Err(ApiError::Unexpected {
                    request: request.describe(),
                    problem: "the offset did not advance".into(),
                });
            }
            Some(offset) => request = next_page(first, &offset),
            None => return Ok(all),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn pages_carry_data_and_offset() {
        let page =
            parse_page("GET /x", json!({"data": [{"id": "a"}], "offset": "b2Zm", "next": "/x?offset=b2Zm"})).unwrap();
        assert_eq!(page.data.len(), 1);
        assert_eq!(page.offset.as_deref(), Some("b2Zm"));
        let last = parse_page("GET /x", json!({"data": [], "next": null})).unwrap();
        assert_eq!(last, Page { data: vec![], offset: None });
    }

    #[test]
    fn old_member_lists_and_empty_tables_are_read() {
        let page = parse_page("GET /g", json!({"consumers": [{"id": "c"}]})).unwrap();
        assert_eq!(page.data.len(), 1);
        assert!(parse_page("GET /g", json!({"data": {}})).unwrap().data.is_empty());
    }

    #[test]
    fn other_shapes_are_errors() {
        let e = parse_page("GET /x", json!([1, 2])).unwrap_err();
        assert_eq!(e.to_string(), "GET /x: unexpected answer: a list answer is not a JSON object");
        assert!(parse_page("GET /x", json!({"data": [1]})).is_err());
        assert!(parse_page("GET /x", json!({"items": []})).is_err());
    }
}
