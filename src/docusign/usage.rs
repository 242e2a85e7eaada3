//! Reading what the seats report needs beyond the snapshot: the account's plan figures (one
//! call) and, for each user the free signals left idle, whether they created an envelope lately
//! (one call a user, the only per-user call the tool makes, so the caller caps how many).

use std::collections::HashMap;
use std::sync::Arc;

use jiff::Timestamp;
use oauth2::url::form_urlencoded;
use tokio::task::JoinSet;

use super::client::Client;
use super::error::ClientError;
use super::wire::{AccountRecord, EnvelopePage, Text, text};
use crate::email;
use crate::model::usage::{AccountFigures, Envelopes, Quantity, UserUsage, When};

/// The account's plan, seat and billing-period figures: `GET /accounts/{accountId}`.
pub async fn account_figures(client: &Client) -> Result<AccountFigures, ClientError> {
    let record: AccountRecord = client.get("").await?;
    let said = |field: Option<&Text>| Some(text(field)).filter(|text| !text.trim().is_empty());
    let when = |field: Option<&Text>| field.and_then(|field| When::read(&field.0));
    let quantity = |field: Option<&Text>| field.and_then(|field| Quantity::read(&field.0));
    Ok(AccountFigures {
        account_name: said(record.account_name.as_ref()),
        plan_name: said(record.plan_name.as_ref()),
        plan_start: when(record.plan_start_date.as_ref()),
        plan_end: when(record.plan_end_date.as_ref()),
        seats_allowed: quantity(record.seats_allowed.as_ref()),
        seats_in_use: quantity(record.seats_in_use.as_ref()),
        billing_period_start: when(record.billing_period_start_date.as_ref()),
        billing_period_end: when(record.billing_period_end_date.as_ref()),
        envelopes_allowed: quantity(record.billing_period_envelopes_allowed.as_ref()),
        envelopes_sent: quantity(record.billing_period_envelopes_sent.as_ref()),
    })
}

/// For each user, whether they created an envelope since `since`: one call each,
/// `GET /envelopes?from_date=…&from_to_status=created&user_id=…&user_name=…&email=…&count=1`,
/// side by side (the client paces them). The user is named both ways: the spec documents
/// `user_id`, DocuSign's reference says it is not implemented, and `user_name` with `email`
/// is the documented filter by sender; an answer naming another sender is not believed. A call
/// that fails makes that user's answer inconclusive, not the run.
pub async fn envelopes_since(
    client: &Arc<Client>,
    users: &[&UserUsage],
    since: Timestamp,
) -> HashMap<String, Envelopes> {
    let mut calls = JoinSet::new();
    for user in users {
        let client = Arc::clone(client);
        let (user_id, email) = (user.user_id.clone(), user.email.clone());
        let path = envelopes_path(user, since);
        calls.spawn(async move {
            let answer = match client.get::<EnvelopePage>(&path).await {
                Ok(page) => read_page(page, &user_id, &email),
                Err(err) => Envelopes::Inconclusive(format!("the call failed: {err}")),
            };
            (user_id, answer)
        });
    }
    let mut answers = HashMap::new();
    while let Some(joined) = calls.join_next().await {
        if let Ok((user_id, answer)) = joined {
            answers.insert(user_id, answer);
        }
    }
    answers
}

/// The envelope-list path for one user's envelopes created since `since`.
fn envelopes_path(user: &UserUsage, since: Timestamp) -> String {
    let query = form_urlencoded::Serializer::new(String::new())
        .append_pair(
            "from_date",
            &since.strftime("%Y-%m-%dT%H:%M:%SZ").to_string(),
        )
        .append_pair("from_to_status", "created")
        .append_pair("user_id", &user.user_id)
        .append_pair("user_name", &user.user_name)
        .append_pair("email", &user.email)
        .append_pair("count", "1")
        .finish();
    format!("/envelopes?{query}")
}

/// One user's page: empty is none; an envelope sent by someone else makes it inconclusive.
fn read_page(page: EnvelopePage, user_id: &str, user_email: &str) -> Envelopes {
    let Some(first) = page.envelopes.unwrap_or_default().into_iter().next() else {
        let counted = page
            .paging
            .total_set_size
            .as_ref()
            .or(page.paging.result_set_size.as_ref())
            .and_then(Text::as_count)
            .unwrap_or(0);
        return if counted == 0 {
            Envelopes::None
        } else {
            Envelopes::Inconclusive(format!(
                "DocuSign counted {counted} envelope(s) but listed none"
            ))
        };
    };
    if let Some(sender) = &first.sender {
        let id = text(sender.user_id.as_ref());
        let address = text(sender.email.as_ref());
        let same_id = !id.is_empty() && id.eq_ignore_ascii_case(user_id);
        let same_email = !address.is_empty() && email::same(&address, user_email);
        let unnamed = id.is_empty() && address.is_empty();
        if !(same_id || same_email || unnamed) {
            return Envelopes::Inconclusive(
                "DocuSign answered another sender's envelope for this user".to_owned(),
            );
        }
    }
    let at = first
        .created_date_time
        .as_ref()
        .or(first.sent_date_time.as_ref())
        .and_then(|field| When::read(&field.0));
    Envelopes::Created { at }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(json: &str) -> EnvelopePage {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn an_empty_page_is_no_envelope_and_a_counted_but_unlisted_one_is_no_answer() {
        let none = page(r#"{"resultSetSize":"0","totalSetSize":"0"}"#);
        assert_eq!(read_page(none, "u1", "a@x.com"), Envelopes::None);
        let bare = page("{}");
        assert_eq!(read_page(bare, "u1", "a@x.com"), Envelopes::None);
        let odd = page(r#"{"totalSetSize":"3","envelopes":[]}"#);
        assert!(matches!(
            read_page(odd, "u1", "a@x.com"),
            Envelopes::Inconclusive(_)
        ));
    }

    #[test]
    fn an_envelope_counts_only_when_its_sender_is_the_user_or_unnamed() {
        let theirs = page(
            r#"{"envelopes":[{"createdDateTime":"2026-11-20T10:00:00.0000000Z",
                "sender":{"userId":"U1","email":"A@x.com"}}]}"#,
        );
        let Envelopes::Created { at } = read_page(theirs, "u1", "a@x.com") else {
            panic!("the user's own envelope is use");
        };
        assert_eq!(at.unwrap().day(), "2026-11-20");
        let unnamed = page(r#"{"envelopes":[{"sentDateTime":"2026-11-21T10:00:00Z"}]}"#);
        assert!(matches!(
            read_page(unnamed, "u1", "a@x.com"),
            Envelopes::Created { .. }
        ));
        let someone_else = page(r#"{"envelopes":[{"sender":{"userId":"u2","email":"b@x.com"}}]}"#);
        assert!(matches!(
            read_page(someone_else, "u1", "a@x.com"),
            Envelopes::Inconclusive(_)
        ));
    }
}
