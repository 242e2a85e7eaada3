//! `GET /envelopes` (Envelopes: listStatusChanges), as far as an activity report reads it: the
//! envelopes a user created, by the time their status changed, with DocuSign's paging.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use axum::Extension;
use axum::extract::{OriginalUri, Path, Query, State};
use axum::response::Response;
use jiff::Timestamp;
use serde_json::{Value, json};

use super::paging::Page;
use super::users::invalid_user_id;
use super::{Caller, account_slot};
use crate::emulator::Shared;
use crate::emulator::account::{Account, Envelope, EnvelopeStatus, User};
use crate::emulator::dates;
use crate::emulator::error::ApiError;

/// The most envelopes one call answers: DocuSign's limit since January 2024. A larger `count`
/// is cut to it, not refused.
const MAX_COUNT: usize = 1_000;

fn invalid(message: impl Into<String>) -> ApiError {
    ApiError::bad_request(
        "INVALID_REQUEST_PARAMETER",
        format!(
            "The request contained at least one invalid parameter. {}",
            message.into()
        ),
    )
}

/// Which of an envelope's times `from_date`/`to_date` bound: the spec's "effective status
/// qualifier" of each `from_to_status`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Qualifier {
    StatusChanged,
    Created,
    Sent,
    Completed,
    Voided,
    /// `timedout`: "always return zero results".
    Nothing,
}

/// A `from_to_status`: the time it bounds, and the current statuses it can find (a `status`
/// filter with none of them finds nothing, as DocuSign answers without looking).
fn qualifier(text: Option<&String>) -> Result<(Qualifier, &'static [EnvelopeStatus]), ApiError> {
    use EnvelopeStatus::{
        Completed, Created, Declined, Deleted, Delivered, Processing, Sent, Signed, TimedOut,
        Voided,
    };
    const ANY: &[EnvelopeStatus] = &EnvelopeStatus::ALL;
    const FROM_SENT: &[EnvelopeStatus] = &[
        Sent, Delivered, Signed, Completed, Declined, Voided, Deleted,
    ];
    let Some(text) = text.map(|text| text.trim().to_ascii_lowercase()) else {
        return Ok((Qualifier::StatusChanged, ANY));
    };
    Ok(match text.as_str() {
        "" | "changed" | "any" => (Qualifier::StatusChanged, ANY),
        "created" => (Qualifier::Created, ANY),
        "sent" => (Qualifier::Sent, FROM_SENT),
        "delivered" => (
            Qualifier::StatusChanged,
            &[Delivered, Signed, Completed, Declined, Voided, Deleted],
        ),
        "signed" => (
            Qualifier::StatusChanged,
            &[Signed, Completed, Declined, Voided, Deleted],
        ),
        "completed" => (
            Qualifier::Completed,
            &[Completed, Declined, Voided, Deleted],
        ),
        "declined" => (Qualifier::StatusChanged, &[Declined, Voided, Deleted]),
        "timedout" => (Qualifier::Nothing, &[Voided, Deleted]),
        "voided" => (Qualifier::Voided, &[Voided, Deleted]),
        "deleted" => (Qualifier::StatusChanged, &[Deleted]),
        "processing" => (Qualifier::StatusChanged, &[Processing, TimedOut, Created]),
        _ => {
            return Err(invalid(format!(
                "'{text}' is not a valid value for 'from_to_status'."
            )));
        }
    })
}

/// The `status` filter: none for `any` or when left out.
fn statuses(query: &HashMap<String, String>) -> Result<Option<Vec<EnvelopeStatus>>, ApiError> {
    let Some(list) = query.get("status") else {
        return Ok(None);
    };
    let mut wanted = Vec::new();
    for part in list
        .split(',')
        .map(str::trim)
        .filter(|part| !part.is_empty())
    {
        if part.eq_ignore_ascii_case("any") {
            return Ok(None);
        }
        wanted.push(
            EnvelopeStatus::from_wire(part)
                .ok_or_else(|| invalid(format!("'{part}' is not a valid envelope status.")))?,
        );
    }
    Ok((!wanted.is_empty()).then_some(wanted))
}

fn date(query: &HashMap<String, String>, key: &str) -> Result<Option<Timestamp>, ApiError> {
    query
        .get(key)
        .filter(|text| !text.trim().is_empty())
        .map(|text| {
            dates::parse_request(text)
                .ok_or_else(|| invalid(format!("'{key}' is not a valid DateTime: '{text}'.")))
        })
        .transpose()
}

/// A comma-separated list, blanks left out.
fn ids(query: &HashMap<String, String>, key: &str) -> Option<HashSet<String>> {
    query.get(key).map(|list| {
        list.split(',')
            .map(|id| id.trim().to_ascii_lowercase())
            .filter(|id| !id.is_empty())
            .collect()
    })
}

/// Whose envelopes the call lists: the caller's, unless `user_id` (when honoured) or
/// `user_name` + `email` name another user, which only an administrator may.
fn senders(
    shared: &Shared,
    account: &Account,
    caller: &Caller,
    query: &HashMap<String, String>,
) -> Result<Vec<String>, ApiError> {
    let mut named: Vec<&User> = Vec::new();
    if shared.config.envelopes_by_user_id
        && let Some(id) = query.get("user_id").filter(|id| !id.trim().is_empty())
    {
        named.push(account.user(id).ok_or_else(invalid_user_id)?);
    }
    match (query.get("user_name"), query.get("email")) {
        (None, None) => {}
        (Some(name), Some(email)) => {
            let user = account
                .users
                .iter()
                .find(|user| {
                    crate::email::same(&user.email, email.trim())
                        && user.user_name.eq_ignore_ascii_case(name.trim())
                })
                .ok_or_else(|| {
                    invalid("'user_name' and 'email' must refer to an existing account user.")
                })?;
            named.push(user);
        }
        _ => {
            return Err(invalid("'user_name' and 'email' must be given together."));
        }
    }
    if named.is_empty() {
        return Ok(vec![caller.user_id.clone()]);
    }
    if named
        .iter()
        .any(|user| !user.id.eq_ignore_ascii_case(&caller.user_id))
        && !caller.is_admin
    {
        return Err(super::lacks_permissions());
    }
    Ok(named.into_iter().map(|user| user.id.clone()).collect())
}

pub async fn list(
    State(shared): State<Arc<Shared>>,
    Path(params): Path<HashMap<String, String>>,
    Query(query): Query<HashMap<String, String>>,
    OriginalUri(uri): OriginalUri,
    Extension(caller): Extension<Caller>,
) -> Result<Response, ApiError> {
    let page = Page::from_query_capped(&query, MAX_COUNT)?.within(shared.config.page_cap);
    let from = date(&query, "from_date")?;
    let envelope_ids = ids(&query, "envelope_ids");
    let transaction_ids = ids(&query, "transaction_ids");
    if from.is_none() && envelope_ids.is_none() && transaction_ids.is_none() {
        return Err(invalid(
            "Query parameter 'from_date' must be set to a valid DateTime, or 'envelope_ids' or 'transaction_ids' must be specified.",
        ));
    }
    let to = date(&query, "to_date")?.unwrap_or_else(Timestamp::now);
    let (qualifier, possible) = qualifier(query.get("from_to_status"))?;
    let wanted = statuses(&query)?;
    let user_filter = query
        .get("user_filter")
        .map(|filter| filter.trim().to_ascii_lowercase());
    if !matches!(
        user_filter.as_deref(),
        None | Some("" | "sender" | "recipient" | "recipient_only")
    ) {
        return Err(invalid(
            "'user_filter' must be sender, recipient or recipient_only.",
        ));
    }
    let account_id = params.get("accountId").map_or("", String::as_str);
    let slot = account_slot(&shared, account_id)?;
    let account = &slot.account;
    let senders = senders(&shared, account, &caller, &query)?;
    // The spec: a `status` none of whose values the qualifier can find answers an empty list.
    let hopeless = wanted
        .as_ref()
        .is_some_and(|wanted| !wanted.iter().any(|status| possible.contains(status)))
        // The emulator keeps no recipients or transaction IDs: nothing is found by them.
        || matches!(user_filter.as_deref(), Some("recipient" | "recipient_only"))
        || (transaction_ids.is_some() && envelope_ids.is_none() && from.is_none());
    let mut selected: Vec<&Envelope> = if hopeless {
        Vec::new()
    } else {
        account
            .envelopes
            .iter()
            .filter(|envelope| {
                senders
                    .iter()
                    .all(|sender| envelope.sender_id.eq_ignore_ascii_case(sender))
            })
            .filter(|envelope| {
                envelope_ids
                    .as_ref()
                    .is_none_or(|ids| ids.contains(&envelope.id.to_ascii_lowercase()))
            })
            .filter(|envelope| {
                wanted
                    .as_ref()
                    .is_none_or(|wanted| wanted.contains(&envelope.status))
            })
            .filter(|envelope| {
                from.is_none_or(|from| {
                    timestamp(envelope, qualifier).is_some_and(|at| from <= at && at <= to)
                })
            })
            .collect()
    };
    let descending = query
        .get("order")
        .is_some_and(|order| order.trim().eq_ignore_ascii_case("desc"));
    let key = |envelope: &&Envelope| match query.get("order_by").map(|by| by.trim()) {
        Some("created") => envelope.created.clone(),
        Some("sent") => envelope.sent.clone().unwrap_or_default(),
        _ => envelope.status_changed.clone(),
    };
    selected.sort_by_key(key);
    if descending {
        selected.reverse();
    }
    Ok(
        page.answer(&selected, "envelopes", uri.path(), &query, |envelope| {
            envelope_json(account, envelope)
        }),
    )
}

/// The time of `envelope` the qualifier bounds, when it has one.
fn timestamp(envelope: &Envelope, qualifier: Qualifier) -> Option<Timestamp> {
    match qualifier {
        Qualifier::StatusChanged => dates::parse(&envelope.status_changed),
        Qualifier::Created => dates::parse(&envelope.created),
        Qualifier::Sent => envelope.sent.as_deref().and_then(dates::parse),
        Qualifier::Completed => last_change_into(envelope, EnvelopeStatus::Completed),
        Qualifier::Voided => last_change_into(envelope, EnvelopeStatus::Voided),
        Qualifier::Nothing => None,
    }
}

/// When `envelope` came to `status`, if that is where it stands: the emulator keeps no
/// history, so an envelope that has moved on has no such time.
fn last_change_into(envelope: &Envelope, status: EnvelopeStatus) -> Option<Timestamp> {
    (envelope.status == status)
        .then(|| dates::parse(&envelope.status_changed))
        .flatten()
}

/// An envelope as the list answers it (the `envelope` definition, the fields an activity
/// report reads), every value a string.
fn envelope_json(account: &Account, envelope: &Envelope) -> Value {
    let sender = account.user(&envelope.sender_id);
    let mut record = json!({
        "envelopeId": envelope.id,
        "status": envelope.status.wire_name(),
        "emailSubject": envelope.subject,
        "envelopeUri": format!("/envelopes/{}", envelope.id),
        "createdDateTime": envelope.created,
        "lastModifiedDateTime": envelope.status_changed,
        "statusChangedDateTime": envelope.status_changed,
        "sender": {
            "userName": sender.map_or("", |user| user.user_name.as_str()),
            "userId": envelope.sender_id,
            "accountId": account.account_id,
            "email": sender.map_or("", |user| user.email.as_str()),
        },
    });
    let Some(fields) = record.as_object_mut() else {
        return record;
    };
    if let Some(sent) = &envelope.sent {
        fields.insert("sentDateTime".to_owned(), json!(sent));
        fields.insert("initialSentDateTime".to_owned(), json!(sent));
    }
    let closed = match envelope.status {
        EnvelopeStatus::Completed => Some("completedDateTime"),
        EnvelopeStatus::Declined => Some("declinedDateTime"),
        EnvelopeStatus::Voided => Some("voidedDateTime"),
        _ => None,
    };
    if let Some(key) = closed {
        fields.insert(key.to_owned(), json!(envelope.status_changed));
    }
    record
}
