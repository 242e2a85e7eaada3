//! `start_position`/`count` paging, as DocuSign's list endpoints do it.

use std::collections::HashMap;
use std::sync::{Arc, MutexGuard};

use axum::extract::{FromRequestParts, OriginalUri, Path, Query};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::{Map, Value, json};

use super::{account_slot, reply};
use crate::emulator::error::ApiError;
use crate::emulator::{Shared, Slot};

/// The page size when `count` is left out. DocuSign doesn't document it; a small default is
/// the stricter reading (a client that forgets `count` pays in calls, and benchmarks show it).
const DEFAULT_COUNT: usize = 20;
const MAX_COUNT: usize = 100;

/// Which slice of a list was asked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Page {
    pub start: usize,
    pub count: usize,
}

impl Page {
    /// Reads `start_position` (0 or more) and `count` (1–100); anything else is a 400.
    pub fn from_query(query: &HashMap<String, String>) -> Result<Self, ApiError> {
        let count = match query.get("count") {
            None => DEFAULT_COUNT,
            Some(text) => match text.trim().parse::<usize>() {
                Ok(count) if (1..=MAX_COUNT).contains(&count) => count,
                _ => return Err(bad_count(MAX_COUNT)),
            },
        };
        Ok(Self {
            start: start_position(query)?,
            count,
        })
    }

    /// Reads `start_position` and `count` where a `count` past `max` is cut to `max` rather
    /// than refused (`GET /envelopes`); a `count` below 1 or not a number is still a 400.
    pub fn from_query_capped(
        query: &HashMap<String, String>,
        max: usize,
    ) -> Result<Self, ApiError> {
        let count = match query.get("count") {
            None => DEFAULT_COUNT,
            Some(text) => match text.trim().parse::<u64>() {
                Ok(0) | Err(_) => return Err(bad_count(max)),
                Ok(count) => usize::try_from(count).unwrap_or(max).min(max),
            },
        };
        Ok(Self {
            start: start_position(query)?,
            count,
        })
    }

    /// The page as an account that answers at most `cap` items a page answers it: a `count`
    /// past the cap is cut to it (the answer's `nextUri` then asks for the cap).
    #[must_use]
    pub fn within(self, cap: Option<usize>) -> Self {
        Self {
            count: cap.map_or(self.count, |cap| self.count.min(cap.max(1))),
            ..self
        }
    }

    /// The part of `items` this page covers (empty past the end).
    #[must_use]
    pub fn slice<'a, T>(&self, items: &'a [T]) -> &'a [T] {
        let start = self.start.min(items.len());
        let end = self.start.saturating_add(self.count).min(items.len());
        &items[start..end]
    }

    /// A list answer: this page of `selected`, each as `record` makes it, under `field` (left
    /// out when the page is empty, as DocuSign leaves it out), with the paging fields.
    pub fn answer<T, R: Serialize>(
        &self,
        selected: &[T],
        field: &str,
        path: &str,
        query: &HashMap<String, String>,
        record: impl FnMut(&T) -> R,
    ) -> Response {
        let records: Vec<R> = self.slice(selected).iter().map(record).collect();
        let paging = self.envelope(selected.len(), records.len(), path, query);
        reply(
            StatusCode::OK,
            ListBody {
                field,
                records,
                paging,
            },
        )
    }

    /// The paging fields of a list answer, all strings as DocuSign sends them. An empty page
    /// has no `endPosition`; the last page has no `nextUri`.
    #[must_use]
    pub fn envelope(
        &self,
        total: usize,
        returned: usize,
        path: &str,
        query: &HashMap<String, String>,
    ) -> Map<String, Value> {
        let mut fields = Map::new();
        fields.insert("resultSetSize".into(), json!(returned.to_string()));
        fields.insert("totalSetSize".into(), json!(total.to_string()));
        fields.insert("startPosition".into(), json!(self.start.to_string()));
        if returned > 0 {
            fields.insert(
                "endPosition".into(),
                json!((self.start + returned - 1).to_string()),
            );
        }
        if self.start + returned < total && returned > 0 {
            fields.insert(
                "nextUri".into(),
                json!(uri(path, query, self.start + returned, self.count)),
            );
        }
        if self.start > 0 {
            let previous = self.start.saturating_sub(self.count);
            fields.insert(
                "previousUri".into(),
                json!(uri(path, query, previous, self.count)),
            );
        }
        fields
    }
}

/// A list answer's body: the page's records under `field` (left out when there are none), then
/// the paging fields. Serialised as it stands, so a page's records need no JSON tree.
struct ListBody<'a, R> {
    field: &'a str,
    records: Vec<R>,
    paging: Map<String, Value>,
}

impl<R: Serialize> Serialize for ListBody<'_, R> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        if !self.records.is_empty() {
            map.serialize_entry(self.field, &self.records)?;
        }
        for (key, value) in &self.paging {
            map.serialize_entry(key, value)?;
        }
        map.end()
    }
}

/// `start_position`: 0 or more, 0 when left out.
fn start_position(query: &HashMap<String, String>) -> Result<usize, ApiError> {
    match query.get("start_position") {
        None => Ok(0),
        Some(text) => text.trim().parse::<usize>().map_err(|_| {
            ApiError::bad_request(
                "INVALID_REQUEST_PARAMETER",
                "The request contained at least one invalid parameter. 'start_position' must be 0 or more.",
            )
        }),
    }
}

fn bad_count(max: usize) -> ApiError {
    ApiError::bad_request(
        "INVALID_REQUEST_PARAMETER",
        format!(
            "The request contained at least one invalid parameter. 'count' must be between 1 and {max}."
        ),
    )
}

/// A paged list call: the account, the page asked for, and what its answer's page links keep
/// (axum's own refusal of a bad query answers as it would from its extractor).
pub struct Listing {
    shared: Arc<Shared>,
    account_id: String,
    pub query: HashMap<String, String>,
    path: String,
    page: Page,
}

impl FromRequestParts<Arc<Shared>> for Listing {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, shared: &Arc<Shared>) -> Result<Self, Response> {
        let Path(mut params) = Path::<HashMap<String, String>>::from_request_parts(parts, shared)
            .await
            .map_err(IntoResponse::into_response)?;
        let Query(query) = Query::<HashMap<String, String>>::from_request_parts(parts, shared)
            .await
            .map_err(IntoResponse::into_response)?;
        let OriginalUri(uri) = OriginalUri::from_request_parts(parts, shared)
            .await
            .map_err(IntoResponse::into_response)?;
        let page = Page::from_query(&query)
            .map_err(IntoResponse::into_response)?
            .within(shared.config.page_cap);
        Ok(Self {
            shared: Arc::clone(shared),
            account_id: params.remove("accountId").unwrap_or_default(),
            path: uri.path().to_owned(),
            query,
            page,
        })
    }
}

impl Listing {
    pub fn shared(&self) -> &Shared {
        &self.shared
    }

    /// The account's slot, locked for this call.
    pub fn slot(&self) -> Result<MutexGuard<'_, Slot>, ApiError> {
        account_slot(&self.shared, &self.account_id)
    }

    /// This page of `selected` as the list answer (see [`Page::answer`]).
    pub fn answer<T, R: Serialize>(
        &self,
        selected: &[T],
        field: &str,
        record: impl FnMut(&T) -> R,
    ) -> Response {
        self.page
            .answer(selected, field, &self.path, &self.query, record)
    }
}

/// A page's URI, relative to `/restapi` as DocuSign writes it, keeping the other parameters.
fn uri(path: &str, query: &HashMap<String, String>, start: usize, count: usize) -> String {
    let mut pairs: Vec<(&str, String)> = query
        .iter()
        .filter(|(key, _)| key.as_str() != "start_position" && key.as_str() != "count")
        .map(|(key, value)| (key.as_str(), value.clone()))
        .collect();
    pairs.sort();
    pairs.push(("start_position", start.to_string()));
    pairs.push(("count", count.to_string()));
    let query: Vec<String> = pairs
        .iter()
        .map(|(key, value)| format!("{key}={}", encode(value)))
        .collect();
    format!(
        "{}?{}",
        path.strip_prefix("/restapi").unwrap_or(path),
        query.join("&")
    )
}

fn encode(value: &str) -> String {
    value
        .bytes()
        .map(|byte| match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b',' | b'@' => {
                char::from(byte).to_string()
            }
            _ => format!("%{byte:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn count_must_be_between_1_and_100() {
        assert!(Page::from_query(&query(&[("count", "0")])).is_err());
        assert!(Page::from_query(&query(&[("count", "101")])).is_err());
        assert!(Page::from_query(&query(&[("count", "ten")])).is_err());
        assert!(Page::from_query(&query(&[("start_position", "-1")])).is_err());
        assert_eq!(
            Page::from_query(&query(&[("count", "100"), ("start_position", "200")])),
            Ok(Page {
                start: 200,
                count: 100
            })
        );
    }

    #[test]
    fn a_capped_page_holds_the_cap_and_says_so() {
        let asked = Page {
            start: 10,
            count: 100,
        };
        assert_eq!(asked.within(None), asked);
        let page = asked.within(Some(7));
        let items: Vec<usize> = (0..30).collect();
        assert_eq!(page.slice(&items), &items[10..17]);
        let fields = page.envelope(30, 7, "/restapi/v2.1/accounts/a/users", &query(&[]));
        assert_eq!(fields["resultSetSize"], "7");
        assert_eq!(fields["totalSetSize"], "30");
        assert_eq!(fields["endPosition"], "16");
        assert_eq!(
            fields["nextUri"],
            "/v2.1/accounts/a/users?start_position=17&count=7"
        );
        let last = Page {
            start: 28,
            count: 100,
        }
        .within(Some(7));
        let fields = last.envelope(30, last.slice(&items).len(), "/u", &query(&[]));
        assert_eq!(fields["endPosition"], "29");
        assert!(fields.get("nextUri").is_none());
    }

    #[test]
    fn envelope_of_a_middle_page() {
        let page = Page {
            start: 100,
            count: 100,
        };
        let fields = page.envelope(
            250,
            100,
            "/restapi/v2.1/accounts/a/users",
            &query(&[("count", "100")]),
        );
        assert_eq!(fields["endPosition"], "199");
        assert_eq!(
            fields["nextUri"],
            "/v2.1/accounts/a/users?start_position=200&count=100"
        );
        assert_eq!(
            fields["previousUri"],
            "/v2.1/accounts/a/users?start_position=0&count=100"
        );
    }
}
