//! The bulk writes' one shape: a list of items in the body, each done or refused on its own,
//! and an answer that lists one result per item sent.

use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Value, json};

use super::write::Write;
use super::{items, reply, text};
use crate::emulator::Shared;
use crate::emulator::account::Account;
use crate::emulator::config::{ItemErrorCodes, ItemFailureStatus};
use crate::emulator::dates::NEVER;
use crate::emulator::error::ApiError;

/// How a bulk write reads and answers: `field` lists the items in the request and the answer,
/// `success` is the status when all goes well, and `echo` is what a refused item copies.
#[derive(Clone, Copy, Debug)]
pub struct Shape {
    pub field: &'static str,
    pub success: StatusCode,
    pub echo: Echo,
}

impl Shape {
    /// A bulk create: 201 when all goes well, and a refused item answers as `echo` says.
    pub const fn creating(field: &'static str, echo: Echo) -> Self {
        Self {
            field,
            success: StatusCode::CREATED,
            echo,
        }
    }

    /// A bulk write to records named by their `id` field: 200 when all goes well, and a
    /// refused item copies its ID.
    pub const fn by_id(field: &'static str, id: &'static str) -> Self {
        Self {
            field,
            success: StatusCode::OK,
            echo: Echo::Id(id),
        }
    }
}

/// What a refused item's answer copies of the item sent, beside its `errorDetails`.
#[derive(Clone, Copy, Debug)]
pub enum Echo {
    /// The item's ID field, copied even when left out (as `""`).
    Id(&'static str),
    /// Fields copied only when they were sent.
    Sent(&'static [&'static str]),
    /// A new user: its `email` and `userName` as sent, `createdDateTime` the never value, and
    /// the `userId` and `uri` of the user already in the account it ran into, as the spec's
    /// `POST /users` example answers a refused item.
    NewUser,
}

impl Echo {
    fn refused(self, item: &Value, error: &ApiError) -> Value {
        let mut answer = json!({ "errorDetails": error.details() });
        match self {
            Self::Id(key) => answer[key] = json!(text(item, key).unwrap_or_default()),
            Self::Sent(keys) => copy_sent(&mut answer, item, keys),
            Self::NewUser => {
                copy_sent(&mut answer, item, &["email", "userName"]);
                answer["createdDateTime"] = json!(NEVER);
                if let Some(id) = &error.existing_user {
                    answer["userId"] = json!(id);
                    answer["uri"] = json!(format!("/users/{id}"));
                }
            }
        }
        answer
    }
}

fn copy_sent(answer: &mut Value, item: &Value, keys: &[&str]) {
    for key in keys {
        if let Some(value) = text(item, key) {
            answer[*key] = json!(value);
        }
    }
}

impl Write {
    /// From body to answer: `each` does one item's work on the account and gives its record,
    /// or the error a refused item answers with.
    pub fn each(
        &self,
        shape: Shape,
        mut each: impl FnMut(&mut Account, &Value) -> Result<Value, ApiError>,
    ) -> Result<Response, ApiError> {
        let mut slot = self.slot()?;
        let items = items(&self.body, shape.field)?;
        Ok(answer_each(&self.shared, shape, items, |item| {
            each(&mut slot.account, item)
        }))
    }
}

/// The answer to items already read: `each` gives one item's record or its error.
pub fn answer_each(
    shared: &Shared,
    shape: Shape,
    items: &[Value],
    mut each: impl FnMut(&Value) -> Result<Value, ApiError>,
) -> Response {
    let answers = items
        .iter()
        .map(|item| each(item).unwrap_or_else(|error| shape.echo.refused(item, &error)))
        .collect();
    bulk_reply(shared, shape.success, shape.field, answers)
}

/// The per-item codes DocuSign names somewhere (its spec, its reference, its own examples) or
/// that a generic refusal would carry; every other code the emulator gives an item is its own.
const DOCUMENTED_ITEM_CODES: [&str; 5] = [
    "USER_ALREADY_EXISTS_IN_ACCOUNT",
    "USER_LACKS_MEMBERSHIP",
    "INVALID_USERID",
    "INVALID_REQUEST_PARAMETER",
    "INVALID_REQUEST_BODY",
];

/// A bulk answer: `field` lists one result per item sent, a failed one with its own
/// `errorDetails`. The status, and the codes failed items carry, follow the emulator's
/// switches for the shapes DocuSign hasn't confirmed.
fn bulk_reply(
    shared: &Shared,
    success: StatusCode,
    field: &str,
    mut items: Vec<Value>,
) -> Response {
    if shared.config.item_error_codes == ItemErrorCodes::Generic {
        for details in items
            .iter_mut()
            .filter_map(|item| item.get_mut("errorDetails"))
        {
            let documented = details
                .get("errorCode")
                .and_then(Value::as_str)
                .is_some_and(|code| DOCUMENTED_ITEM_CODES.contains(&code));
            if !documented {
                *details = json!({
                    "errorCode": "INVALID_REQUEST_PARAMETER",
                    "message": "The request contained at least one invalid parameter.",
                });
            }
        }
    }
    let some_failed = items.iter().any(|item| item.get("errorDetails").is_some());
    let status = match shared.config.item_failure_status {
        ItemFailureStatus::BadRequest if some_failed => StatusCode::BAD_REQUEST,
        ItemFailureStatus::Success | ItemFailureStatus::BadRequest => success,
    };
    let mut body = serde_json::Map::new();
    body.insert(field.to_owned(), Value::Array(items));
    reply(status, Value::Object(body))
}
