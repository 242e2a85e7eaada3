//! The probe's calls: each one attempt, its answer kept as DocuSign gave it, and every
//! rate-limit header seen along the way.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::{Arc, Mutex};

use reqwest::{Method, StatusCode};
use serde_json::Value;

use crate::docusign::{Client, ClientError, Exchange, Pacing};

/// Why the probe stopped before it observed everything.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stop(pub String);

impl std::fmt::Display for Stop {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<ClientError> for Stop {
    fn from(err: ClientError) -> Self {
        Self(err.to_string())
    }
}

/// The client, and what its answers' headers said.
#[derive(Debug)]
pub struct Caller {
    pub client: Arc<Client>,
    /// The latest value of each `X-RateLimit-*` / `X-BurstLimit-*` header.
    headers: Mutex<BTreeMap<String, String>>,
}

impl Caller {
    #[must_use]
    pub fn new(client: Arc<Client>) -> Self {
        Self {
            client,
            headers: Mutex::new(BTreeMap::new()),
        }
    }

    /// One paced attempt, answered as it came.
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
    ) -> Result<Exchange, Stop> {
        self.send_with(method, path, body, Pacing::Paced).await
    }

    pub async fn send_with(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
        pacing: Pacing,
    ) -> Result<Exchange, Stop> {
        let exchange = self.client.exchange(method, path, body, pacing).await?;
        let mut headers = self
            .headers
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        for (name, value) in &exchange.rate_headers {
            headers.insert(name.clone(), value.clone());
        }
        Ok(exchange)
    }

    /// A call that must succeed for the probe to go on: its 2xx body, else why not.
    pub async fn must(
        &self,
        what: &str,
        method: Method,
        path: &str,
        body: Option<&Value>,
    ) -> Result<Value, Stop> {
        let exchange = self.send(method.clone(), path, body).await?;
        if exchange.status.is_success() {
            Ok(exchange.body)
        } else {
            Err(Stop(format!(
                "{what} failed: {method} {path} answered {}",
                described(&exchange)
            )))
        }
    }

    /// The record whose `id_field` is `id` among those a `GET` of `path` lists under `field`
    /// (none when it isn't listed); the listing must succeed.
    pub async fn find_listed(
        &self,
        what: &str,
        path: &str,
        (field, id_field): (&str, &str),
        id: &str,
    ) -> Result<Option<Value>, Stop> {
        let list = self.must(what, Method::GET, path, None).await?;
        Ok(listed(&list, field)
            .find(|record| text_at(record, id_field) == id)
            .cloned())
    }

    /// The latest rate-limit headers, by name.
    #[must_use]
    pub fn rate_headers(&self) -> BTreeMap<String, String> {
        self.headers
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }
}

/// An answer in a few words: status, and DocuSign's code and message when it gave them.
#[must_use]
pub fn described(exchange: &Exchange) -> String {
    let mut text = status_text(exchange.status);
    let code = text_at(&exchange.body, "errorCode");
    if !code.is_empty() {
        let _ = write!(text, " {code}");
    }
    let message = text_at(&exchange.body, "message");
    if !message.is_empty() {
        let _ = write!(text, ": {}", crate::excerpt::quoted(&message, 200));
    }
    text
}

fn status_text(status: StatusCode) -> String {
    status.as_u16().to_string()
}

/// A field DocuSign sends as a string (or a number), as text; empty when absent.
#[must_use]
pub fn text_at(value: &Value, key: &str) -> String {
    match value.get(key) {
        Some(Value::String(text)) => text.clone(),
        Some(Value::Number(number)) => number.to_string(),
        Some(Value::Bool(flag)) => flag.to_string(),
        _ => String::new(),
    }
}

/// The first item of the list `field` in a bulk answer.
#[must_use]
pub fn first_item<'a>(body: &'a Value, field: &str) -> Option<&'a Value> {
    listed(body, field).next()
}

/// The items of the list `field` (none when it is absent or not a list).
pub fn listed<'a>(body: &'a Value, field: &str) -> impl Iterator<Item = &'a Value> {
    body.get(field)
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
}

/// The `errorDetails.errorCode` of each item of the list `field`, in order (empty for an item
/// without one).
#[must_use]
pub fn item_codes(body: &Value, field: &str) -> Vec<String> {
    body.get(field)
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .map(|item| {
                    item.get("errorDetails")
                        .map(|details| text_at(details, "errorCode"))
                        .unwrap_or_default()
                })
                .collect()
        })
        .unwrap_or_default()
}
